package live

import (
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// anc is the socket metadata the kernel gives a filter through ancillary
// loads (SKF_AD_*), which golang.org/x/net/bpf's VM does not implement.
type anc struct {
	proto   uint32 // SKF_AD_PROTOCOL: the EtherType
	pkttype uint32 // SKF_AD_PKTTYPE
	ifindex uint32 // SKF_AD_IFINDEX
}

// run executes prog on pkt in x/net/bpf's VM, after replacing each
// ancillary load by a load of the value the kernel would give for this
// packet. It returns how many bytes the filter keeps (0: dropped).
func run(t *testing.T, prog []bpf.Instruction, pkt []byte, a anc) int {
	t.Helper()
	sim := make([]bpf.Instruction, len(prog))
	for i, ins := range prog {
		sim[i] = ins
		if e, ok := ins.(bpf.LoadExtension); ok {
			var v uint32
			switch e.Num {
			case bpf.ExtProto:
				v = a.proto
			case bpf.ExtType:
				v = a.pkttype
			case bpf.ExtInterfaceIndex:
				v = a.ifindex
			default:
				t.Fatalf("program uses extension %v the test does not simulate", e.Num)
			}
			sim[i] = bpf.LoadConstant{Dst: bpf.RegA, Val: v}
		}
	}
	vm, err := bpf.NewVM(sim)
	if err != nil {
		t.Fatalf("the VM refuses the program: %v\n%s", err, listing(prog))
	}
	n, err := vm.Run(pkt)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func listing(prog []bpf.Instruction) string {
	var b strings.Builder
	for i, ins := range prog {
		fmt.Fprintf(&b, "%3d %v\n", i, ins)
	}
	return b.String()
}

// pkt describes a test packet.
type pkt struct {
	v6        bool
	proto     layers.IPProtocol
	sport     uint16
	dport     uint16
	frag      bool // IPv4: a non-first fragment; IPv6: a fragment header
	nextHdr   uint8
	ipOptions bool // IPv4 header with options (IHL 6), so ports move
}

// ip builds the IP packet for p.
func (p pkt) ip(t *testing.T) []byte {
	t.Helper()
	payload := gopacket.Payload(make([]byte, 20))
	var ls []gopacket.SerializableLayer
	var nl gopacket.NetworkLayer
	if p.v6 {
		ip6 := &layers.IPv6{Version: 6, NextHeader: p.proto, HopLimit: 64,
			SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
		if p.frag || p.nextHdr != 0 {
			// Hand-made: the next header and 20 bytes; the filter looks no further.
			b := make([]byte, 40, 60)
			b[0] = 0x60
			binary.BigEndian.PutUint16(b[4:], 20)
			b[6] = p.nextHdr
			if p.frag {
				b[6] = 44
			}
			return append(b, make([]byte, 20)...)
		}
		ls, nl = append(ls, ip6), ip6
	} else {
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: p.proto,
			SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
		if p.frag {
			ip4.FragOffset = 100
		}
		if p.ipOptions {
			ip4.Options = []layers.IPv4Option{{OptionType: 1}, {OptionType: 1}, {OptionType: 1}, {OptionType: 0}}
		}
		ls, nl = append(ls, ip4), ip4
	}
	switch p.proto {
	case layers.IPProtocolUDP:
		u := &layers.UDP{SrcPort: layers.UDPPort(p.sport), DstPort: layers.UDPPort(p.dport)}
		_ = u.SetNetworkLayerForChecksum(nl)
		ls = append(ls, u)
	case layers.IPProtocolTCP:
		tc := &layers.TCP{SrcPort: layers.TCPPort(p.sport), DstPort: layers.TCPPort(p.dport), ACK: true, Window: 100}
		_ = tc.SetNetworkLayerForChecksum(nl)
		ls = append(ls, tc)
	case layers.IPProtocolICMPv4:
		ls = append(ls, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)})
	case layers.IPProtocolICMPv6:
		ls = append(ls, &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(1, 4)})
	}
	ls = append(ls, payload)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (p pkt) etherType() uint16 {
	if p.v6 {
		return 0x86dd
	}
	return 0x0800
}

// ethernet wraps an IP packet in Ethernet with the given in-frame VLAN tags.
func ethernet(etherType uint16, tags []uint16, ip []byte) []byte {
	b := []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6}
	for i, tpid := range tags {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, uint16(100+i))
	}
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, ip...)
}

var arp = []byte{0, 1, 8, 0, 6, 4, 0, 1, 0, 1, 2, 3, 4, 5, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2}

func udp(s, d uint16) pkt { return pkt{proto: layers.IPProtocolUDP, sport: s, dport: d} }
func tcp(s, d uint16) pkt { return pkt{proto: layers.IPProtocolTCP, sport: s, dport: d} }
func v6(p pkt) pkt        { p.v6 = true; return p }

func TestCompileFilter(t *testing.T) {
	sipOnly := Filter{Ports: []uint16{5060, 5080}, Ranges: []PortRange{{10000, 20000}}}
	sipAllUDP := Filter{Ports: []uint16{5060}}
	cases := []struct {
		name   string
		f      Filter
		p      pkt
		raw    []byte // instead of p, a non-IP frame with EtherType 0x0806
		pass   bool
		reason string
	}{
		{"SIP to the port", sipOnly, udp(40000, 5060), nil, true, "destination port listed"},
		{"SIP from the port", sipOnly, udp(5080, 40000), nil, true, "source port listed"},
		{"SIP over TCP", sipOnly, tcp(40000, 5060), nil, true, "ports apply to TCP too"},
		{"RTP in the range", sipOnly, udp(30000, 10000), nil, true, "range is inclusive, low end"},
		{"RTP at the top of the range", sipOnly, udp(20000, 30000), nil, true, "range is inclusive, high end"},
		{"UDP just outside", sipOnly, udp(20001, 9999), nil, false, "neither port in the list or the range"},
		{"DNS", sipOnly, udp(53, 40000), nil, false, "other UDP is dropped when a range is given"},
		{"HTTP", sipOnly, tcp(80, 40000), nil, false, "other TCP is dropped"},
		{"IPv6 SIP", sipOnly, v6(udp(40000, 5060)), nil, true, "IPv6 ports are checked the same"},
		{"IPv6 other", sipOnly, v6(udp(53, 40000)), nil, false, "IPv6 other UDP is dropped"},
		{"IPv4 options", sipOnly, pkt{proto: layers.IPProtocolUDP, sport: 40000, dport: 5060, ipOptions: true}, nil, true, "ports are found after IPv4 options"},
		{"IPv4 options other", sipOnly, pkt{proto: layers.IPProtocolUDP, sport: 40000, dport: 53, ipOptions: true}, nil, false, "and still checked"},
		{"IPv4 fragment", sipOnly, pkt{proto: layers.IPProtocolUDP, frag: true}, nil, true, "fragments always pass"},
		{"IPv6 fragment", sipOnly, pkt{v6: true, frag: true}, nil, true, "fragments always pass"},
		{"ICMP", sipOnly, pkt{proto: layers.IPProtocolICMPv4}, nil, true, "ICMP always passes"},
		{"ICMPv6", sipOnly, v6(pkt{proto: layers.IPProtocolICMPv6}), nil, true, "ICMPv6 always passes"},
		{"IPv6 hop-by-hop", sipOnly, pkt{v6: true, nextHdr: 0}, nil, true, "extension headers hide the ports: pass rather than guess"},
		{"GRE", sipOnly, pkt{proto: layers.IPProtocolGRE}, nil, false, "other protocols are dropped"},
		{"ARP", sipOnly, pkt{}, arp, false, "non-IP never passes"},
		{"any UDP with ports only", sipAllUDP, udp(30000, 40000), nil, true, "no range: RTP may be anywhere"},
		{"TCP with ports only", sipAllUDP, tcp(80, 40000), nil, false, "but TCP is still checked"},
		{"SIP TCP with ports only", sipAllUDP, tcp(5060, 40000), nil, true, "listed TCP port"},
		{"empty filter, TCP", Filter{}, tcp(80, 40000), nil, true, "no ports: all IP"},
		{"empty filter, ARP", Filter{}, pkt{}, arp, false, "no ports: still IP only"},
	}
	for _, link := range []struct {
		name   string
		cooked bool
		tags   []uint16
	}{
		{"ethernet", false, nil},
		{"ethernet+vlan", false, []uint16{0x8100}},
		{"ethernet+qinq", false, []uint16{0x88a8, 0x8100}},
		{"cooked", true, nil},
	} {
		for _, c := range cases {
			t.Run(link.name+"/"+c.name, func(t *testing.T) {
				l := Link{Cooked: link.cooked, Snaplen: 1500}
				prog, err := Compile(c.f, l)
				if err != nil {
					t.Fatal(err)
				}
				var frame []byte
				a := anc{pkttype: 0, ifindex: 2}
				if c.raw != nil {
					a.proto = 0x0806
					frame = c.raw
					if !link.cooked {
						frame = ethernet(0x0806, link.tags, c.raw)
					}
				} else {
					ip := c.p.ip(t)
					a.proto = uint32(c.p.etherType())
					frame = ip
					if !link.cooked {
						frame = ethernet(c.p.etherType(), link.tags, ip)
					}
				}
				n := run(t, prog, frame, a)
				if (n > 0) != c.pass {
					t.Errorf("%s: kept %d bytes, want pass=%v\n%s", c.reason, n, c.pass, listing(prog))
				}
				if n > 1500 {
					t.Errorf("kept %d bytes, above the snap length", n)
				}
			})
		}
	}
}

// On a loopback device the kernel shows each packet twice; the outgoing
// copy is dropped so each is seen once, on that device only.
func TestCompileLoopbackDuplicates(t *testing.T) {
	prog, err := Compile(Filter{Ports: []uint16{5060}}, Link{Cooked: true, Loopbacks: []int{1}})
	if err != nil {
		t.Fatal(err)
	}
	ip := udp(40000, 5060).ip(t)
	for _, c := range []struct {
		pkttype, ifindex uint32
		pass             bool
	}{
		{0, 1, true},  // incoming on lo
		{4, 1, false}, // outgoing on lo: the duplicate
		{4, 2, true},  // outgoing on eth0: the only copy
		{0, 2, true},
	} {
		if got := run(t, prog, ip, anc{proto: 0x0800, pkttype: c.pkttype, ifindex: c.ifindex}) > 0; got != c.pass {
			t.Errorf("pkttype %d ifindex %d: pass %v, want %v", c.pkttype, c.ifindex, got, c.pass)
		}
	}
}

// The largest filter the options allow still assembles: every jump fits.
func TestCompileLargest(t *testing.T) {
	f := Filter{}
	for i := 0; i < MaxPorts; i++ {
		f.Ports = append(f.Ports, uint16(5060+i))
	}
	for i := 0; i < MaxRanges; i++ {
		f.Ranges = append(f.Ranges, PortRange{uint16(10000 + 1000*i), uint16(10000 + 1000*i + 500)})
	}
	for _, cooked := range []bool{false, true} {
		prog, err := Compile(f, Link{Cooked: cooked, Loopbacks: []int{1, 7}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bpf.Assemble(prog); err != nil {
			t.Fatal(err)
		}
		last := uint16(10000 + 1000*(MaxRanges-1) + 500)
		if n := run(t, prog, udp(40000, last).ip(t), anc{proto: 0x0800}); n == 0 && cooked {
			t.Errorf("last range's top port dropped")
		}
		if n := run(t, prog, ethernet(0x0800, nil, tcp(5060+MaxPorts-1, 1).ip(t)), anc{proto: 0x0800}); n == 0 && !cooked {
			t.Errorf("last port dropped")
		}
	}
}

func TestParsePorts(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"5060,5080"}, "[5060 5080]", false},
		{[]string{"5080", "5060", "5080"}, "[5060 5080]", false},
		{[]string{" 5060 , 5061"}, "[5060 5061]", false},
		{[]string{"0"}, "", true},
		{[]string{"65536"}, "", true},
		{[]string{"sip"}, "", true},
		{[]string{"5060,"}, "", true},
	} {
		got, err := ParsePorts(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: error %v, want error %v", c.in, err, c.err)
			continue
		}
		if err == nil && fmtSlice(got) != c.want {
			t.Errorf("%q: %v, want %s", c.in, got, c.want)
		}
	}
	many := make([]string, MaxPorts+1)
	for i := range many {
		many[i] = strconv.Itoa(1000 + i)
	}
	if _, err := ParsePorts(many); err == nil {
		t.Error("more than MaxPorts ports accepted")
	}
}

func TestParsePortRanges(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []PortRange
		err  bool
	}{
		{"10000-20000", []PortRange{{10000, 20000}}, false},
		{"5060-5060,16384-32768", []PortRange{{5060, 5060}, {16384, 32768}}, false},
		{"20000-10000", nil, true},
		{"10000", nil, true},
		{"1-65536", nil, true},
		{"a-b", nil, true},
	} {
		got, err := ParsePortRanges([]string{c.in})
		if (err != nil) != c.err {
			t.Errorf("%q: error %v, want error %v", c.in, err, c.err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: %v, want %v", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %v, want %v", c.in, got, c.want)
			}
		}
	}
}

func FuzzParsePortRanges(f *testing.F) {
	for _, s := range []string{"10000-20000", "1-1,2-3", "-", "5-", "99999-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := ParsePortRanges([]string{s})
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Lo == 0 || r.Lo > r.Hi {
				t.Fatalf("%q gave bad range %v", s, r)
			}
		}
		if _, err := Compile(Filter{Ranges: rs}, Link{}); err != nil {
			t.Fatalf("%q: ranges that parse do not compile: %v", s, err)
		}
	})
}

func fmtSlice(p []uint16) string {
	parts := make([]string, len(p))
	for i, v := range p {
		parts[i] = strconv.Itoa(int(v))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

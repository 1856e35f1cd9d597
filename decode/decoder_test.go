package decode

import (
	"encoding/binary"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

const options = "OPTIONS sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n" +
	"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"

// recorder is a Handler that keeps what it gets.
type recorder struct {
	sip  []*SIPMessage
	icmp []*ICMPError
}

func (r *recorder) HandleSIP(m *SIPMessage) { r.sip = append(r.sip, m) }
func (r *recorder) HandleICMP(e *ICMPError) { r.icmp = append(r.icmp, e) }

// ipUDP returns an IPv4 or IPv6 packet carrying payload over UDP 5062 -> 5060.
func ipUDP(t testing.TB, v6 bool, payload []byte) []byte {
	t.Helper()
	udp := &layers.UDP{SrcPort: 5062, DstPort: 5060}
	var ip gopacket.NetworkLayer
	var ipl gopacket.SerializableLayer
	if v6 {
		ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolUDP, HopLimit: 64,
			SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
		ip, ipl = ip6, ip6
	} else {
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
		ip, ipl = ip4, ip4
	}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		ipl, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ether(typ uint16, tags []uint16, inner []byte) []byte {
	b := []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6}
	for i, tpid := range tags {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, uint16(100+i)) // VLAN id
	}
	b = binary.BigEndian.AppendUint16(b, typ)
	return append(b, inner...)
}

func TestDecodeLinkTypes(t *testing.T) {
	ip4 := ipUDP(t, false, []byte(options))
	ip6 := ipUDP(t, true, []byte(options))
	sll := func(proto uint16, inner []byte) []byte {
		b := make([]byte, 16)
		binary.BigEndian.PutUint16(b[0:], 0) // to us
		binary.BigEndian.PutUint16(b[2:], 1) // ARPHRD_ETHER
		binary.BigEndian.PutUint16(b[4:], 6) // address length
		binary.BigEndian.PutUint16(b[14:], proto)
		return append(b, inner...)
	}
	sll2 := func(proto uint16, inner []byte) []byte {
		b := make([]byte, 20)
		binary.BigEndian.PutUint16(b[0:], proto)
		binary.BigEndian.PutUint32(b[4:], 2) // interface index
		binary.BigEndian.PutUint16(b[8:], 1) // ARPHRD_ETHER
		b[11] = 6
		return append(b, inner...)
	}
	null := func(family uint32, inner []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, family)
		return append(b, inner...)
	}
	pppoe := func(inner []byte) []byte {
		b := []byte{0x11, 0x00, 0x12, 0x34}
		b = binary.BigEndian.AppendUint16(b, uint16(len(inner)+2))
		b = binary.BigEndian.AppendUint16(b, 0x0021)
		return ether(0x8864, nil, append(b, inner...))
	}
	tests := []struct {
		name string
		link layers.LinkType
		data []byte
		src  string
	}{
		{"ethernet ipv4", layers.LinkTypeEthernet, ether(0x0800, nil, ip4), "10.0.0.1:5062"},
		{"ethernet ipv6", layers.LinkTypeEthernet, ether(0x86dd, nil, ip6), "[2001:db8::1]:5062"},
		{"802.1Q", layers.LinkTypeEthernet, ether(0x0800, []uint16{0x8100}, ip4), "10.0.0.1:5062"},
		{"QinQ", layers.LinkTypeEthernet, ether(0x0800, []uint16{0x88a8, 0x8100}, ip4), "10.0.0.1:5062"},
		{"linux SLL", layers.LinkTypeLinuxSLL, sll(0x0800, ip4), "10.0.0.1:5062"},
		{"linux SLL2", layers.LinkTypeLinuxSLL2, sll2(0x86dd, ip6), "[2001:db8::1]:5062"},
		{"raw ipv4", layers.LinkTypeRaw, ip4, "10.0.0.1:5062"},
		{"raw ipv6", layers.LinkTypeRaw, ip6, "[2001:db8::1]:5062"},
		{"DLT_RAW 12", 12, ip4, "10.0.0.1:5062"},
		{"LINKTYPE_IPV4", layers.LinkTypeIPv4, ip4, "10.0.0.1:5062"},
		{"LINKTYPE_IPV6", layers.LinkTypeIPv6, ip6, "[2001:db8::1]:5062"},
		{"BSD loopback", layers.LinkTypeNull, null(2, ip4), "10.0.0.1:5062"},
		{"BSD loopback ipv6", layers.LinkTypeNull, null(30, ip6), "[2001:db8::1]:5062"},
		{"PPPoE", layers.LinkTypeEthernet, pppoe(ip4), "10.0.0.1:5062"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			d := NewDecoder(rec)
			d.Decode(&capture.Frame{Number: 7, Time: time.Unix(1, 0), LinkType: tc.link, Data: tc.data, Length: len(tc.data)})
			if len(rec.sip) != 1 {
				t.Fatalf("got %d SIP messages, want 1 (undecoded %v)", len(rec.sip), d.Stats.Undecoded)
			}
			m := rec.sip[0]
			if m.Frame != 7 || m.Src.String() != tc.src || m.Dst.Port() != 5060 || m.Transport != UDP {
				t.Errorf("meta %+v, want frame 7 from %s to port 5060 over UDP", m.Meta, tc.src)
			}
			if m.Method != "OPTIONS" || m.CallID != "c1" {
				t.Errorf("message %s %q", m.Method, m.CallID)
			}
		})
	}
}

func TestDecodeCountsBadInput(t *testing.T) {
	ip4 := ipUDP(t, false, []byte(options))
	broken := ipUDP(t, false, []byte("SIP/2.0 999 Nonsense\r\nCall-ID: x\r\n\r\n"))
	tests := []struct {
		name   string
		link   layers.LinkType
		data   []byte
		reason string
	}{
		{"unknown link type", 147, ip4, ReasonLinkType},
		{"truncated IPv4", layers.LinkTypeEthernet, ether(0x0800, nil, ip4[:10]), ReasonTruncated},
		{"SIP that does not parse", layers.LinkTypeRaw, broken, ReasonSIPParse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			d := NewDecoder(rec)
			d.Decode(&capture.Frame{Number: 3, LinkType: tc.link, Data: tc.data})
			if len(rec.sip) != 0 {
				t.Fatalf("decoded %d messages from bad input", len(rec.sip))
			}
			if d.Stats.Undecoded[tc.reason] != 1 {
				t.Fatalf("undecoded %v, want one %q", d.Stats.Undecoded, tc.reason)
			}
			if len(d.Stats.Problems) != 1 || d.Stats.Problems[0].Frame != 3 {
				t.Errorf("problems %+v, want one at frame 3", d.Stats.Problems)
			}
		})
	}
}

// Non-SIP traffic is neither a message nor a problem.
func TestDecodeIgnoresOtherTraffic(t *testing.T) {
	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8
	rec := &recorder{}
	d := NewDecoder(rec)
	arp := ether(0x0806, nil, make([]byte, 28))
	d.Decode(&capture.Frame{Number: 1, LinkType: layers.LinkTypeEthernet, Data: ether(0x0800, nil, ipUDP(t, false, rtp))})
	d.Decode(&capture.Frame{Number: 2, LinkType: layers.LinkTypeEthernet, Data: arp})
	if len(rec.sip) != 0 || len(d.Stats.Undecoded) != 0 {
		t.Errorf("sip %d undecoded %v, want nothing", len(rec.sip), d.Stats.Undecoded)
	}
}

func BenchmarkDecodeRTPFrame(b *testing.B) {
	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8
	f := &capture.Frame{LinkType: layers.LinkTypeEthernet, Data: ether(0x0800, nil, ipUDP(b, false, rtp))}
	d := NewDecoder(&recorder{})
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Data)))
	for i := 0; i < b.N; i++ {
		d.Decode(f)
	}
}

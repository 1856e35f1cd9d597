package decode_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

var opts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// ipPacket returns an IP packet (v4 or v6 by address) carrying payload as
// protocol proto.
func ipPacket(t testing.TB, src, dst netip.Addr, proto layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	if src.Is4() {
		return serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 77, Protocol: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}, gopacket.Payload(payload))
	}
	return serialize(t, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: src.AsSlice(), DstIP: dst.AsSlice()}, gopacket.Payload(payload))
}

// udpPacket returns an IP packet with a UDP datagram.
func udpPacket(t testing.TB, src, dst netip.AddrPort, payload []byte) []byte {
	t.Helper()
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	var ip gopacket.NetworkLayer
	if src.Addr().Is4() {
		ip = &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Id: 78, Protocol: layers.IPProtocolUDP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	} else {
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ip.(gopacket.SerializableLayer), udp, gopacket.Payload(payload))
}

// eth returns an Ethernet frame of type typ around payload.
func eth(typ layers.EthernetType, payload []byte) []byte {
	b := []byte{0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1}
	b = binary.BigEndian.AppendUint16(b, uint16(typ))
	return append(b, payload...)
}

func ethType(ip []byte) layers.EthernetType {
	if ip[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

func gre(flags byte, proto uint16, extra []byte, payload []byte) []byte {
	b := []byte{flags, 0}
	b = binary.BigEndian.AppendUint16(b, proto)
	b = append(b, extra...)
	return append(b, payload...)
}

// Every encapsulation a mirror port or a tunnel puts around SIP is walked
// through: the message comes out with the innermost addresses.
func TestTunnels(t *testing.T) {
	in4 := udpPacket(t, alice, bob, bigSIP("tun", 300))
	in6 := udpPacket(t, alice6, bob6, bigSIP("tun", 300))
	inner := eth(layers.EthernetTypeIPv4, in4)
	outer := func(proto layers.IPProtocol, payload []byte) []byte {
		return eth(layers.EthernetTypeIPv4, ipPacket(t, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), proto, payload))
	}
	outerUDP := func(port uint16, payload []byte) []byte {
		return eth(layers.EthernetTypeIPv4, udpPacket(t, netip.MustParseAddrPort("192.0.2.1:40000"), netip.AddrPortFrom(netip.MustParseAddr("192.0.2.2"), port), payload))
	}
	seq := []byte{0, 0, 0, 9}
	erspan2 := []byte{0x10, 0x64, 0x00, 0x01, 0, 0, 0, 0}             // version 1, VLAN 100, session 1
	erspan3 := []byte{0x20, 0x64, 0x00, 0x01, 1, 2, 3, 4, 0, 0, 0, 0} // version 2, no sub-header
	erspan3o := append(append([]byte(nil), erspan3...), 1, 2, 3, 4, 5, 6, 7, 8)
	erspan3o[11] |= 1 // O flag: an 8-byte platform sub-header follows
	vlan := func(id uint16, next layers.EthernetType) []byte {
		b := binary.BigEndian.AppendUint16(nil, id)
		return binary.BigEndian.AppendUint16(b, uint16(next))
	}
	mpls := func(label uint32, bottom bool) []byte {
		v := label << 12
		if bottom {
			v |= 0x100
		}
		return binary.BigEndian.AppendUint32(nil, v|64)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	cases := []struct {
		name  string
		frame []byte
		v6    bool
	}{
		{"802.1Q", eth(layers.EthernetTypeDot1Q, cat(vlan(100, layers.EthernetTypeIPv4), in4)), false},
		{"QinQ", eth(layers.EthernetTypeQinQ, cat(vlan(10, layers.EthernetTypeDot1Q), vlan(100, layers.EthernetTypeIPv4), in4)), false},
		{"MPLS two labels", eth(layers.EthernetTypeMPLSUnicast, cat(mpls(16, false), mpls(17, true), in4)), false},
		{"MPLS IPv6", eth(layers.EthernetTypeMPLSUnicast, cat(mpls(16, true), in6)), true},
		{"MPLS Ethernet pseudowire", eth(layers.EthernetTypeMPLSUnicast, cat(mpls(16, false), mpls(17, true), []byte{0, 0, 0, 0}, inner)), false},
		{"GRE IPv4", outer(layers.IPProtocolGRE, gre(0, 0x0800, nil, in4)), false},
		{"GRE IPv6 with key", outer(layers.IPProtocolGRE, gre(0x20, 0x86DD, []byte{0, 0, 0, 42}, in6)), true},
		{"GRE checksum key seq", outer(layers.IPProtocolGRE, gre(0xB0, 0x0800, []byte{0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1}, in4)), false},
		{"GRE Ethernet bridging", outer(layers.IPProtocolGRE, gre(0x20, 0x6558, []byte{0, 0, 0, 42}, inner)), false},
		{"ERSPAN type I", outer(layers.IPProtocolGRE, gre(0, 0x88BE, nil, inner)), false},
		{"ERSPAN type II", outer(layers.IPProtocolGRE, gre(0x10, 0x88BE, cat(seq, erspan2), inner)), false},
		{"ERSPAN type III", outer(layers.IPProtocolGRE, gre(0x10, 0x22EB, cat(seq, erspan3), inner)), false},
		{"ERSPAN type III with sub-header", outer(layers.IPProtocolGRE, gre(0x10, 0x22EB, cat(seq, erspan3o), inner)), false},
		{"VXLAN", outerUDP(4789, cat([]byte{0x08, 0, 0, 0, 0, 0x12, 0x34, 0}, inner)), false},
		{"Geneve", outerUDP(6081, cat([]byte{0, 0, 0x65, 0x58, 0, 0, 0x42, 0}, inner)), false},
		{"GTP-U", outerUDP(2152, cat([]byte{0x30, 0xff}, binary.BigEndian.AppendUint16(nil, uint16(len(in4))), []byte{0, 0, 0, 7}, in4)), false},
		{"IP-in-IP", outer(layers.IPProtocolIPv4, in4), false},
		{"IPv6 in IPv4", outer(layers.IPProtocolIPv6, in6), true},
		{"VXLAN in GRE in 802.1Q", eth(layers.EthernetTypeDot1Q, cat(vlan(5, layers.EthernetTypeIPv4), ipPacket(t, netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2"), layers.IPProtocolGRE,
			gre(0, 0x0800, nil, udpPacket(t, netip.MustParseAddrPort("192.0.2.1:40000"), netip.MustParseAddrPort("192.0.2.2:4789"), cat([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, inner)))))), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, d := decodeFrames(t, [][]byte{tc.frame}, nil)
			src, dst := alice, bob
			if tc.v6 {
				src, dst = alice6, bob6
			}
			if len(r.sip) != 1 || r.sip[0].Src != src || r.sip[0].Dst != dst || r.sip[0].CallID != "tun" {
				t.Fatalf("messages %q, undecoded %v %v", describe(r.sip), d.Stats.Undecoded, d.Stats.Problems)
			}
		})
	}

	// Second opinion: tshark finds the same message, with the same inner
	// source address, in every one of these frames.
	var buf bytes.Buffer
	w, _ := pcapgen.NewWriter(&buf)
	for i, tc := range cases {
		if err := w.WriteRaw(t0.Add(time.Duration(i)*time.Second), tc.frame); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "tunnels.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tshark := testenv.RequireTool(t, "tshark")
	// The pseudowire's label says it carries Ethernet with a control word;
	// only the provider knows that, tshark must be told.
	out, err := exec.Command(tshark, "-n", "-r", path, "-d", "mpls.label==17,pwethcw", "-Y", "sip", "-T", "fields", "-E", "occurrence=l",
		"-e", "frame.number", "-e", "sip.Call-ID", "-e", "ip.src", "-e", "ipv6.src").Output()
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(rows) != len(cases) {
		t.Fatalf("tshark finds SIP in %d of %d frames:\n%s", len(rows), len(cases), out)
	}
	for i, row := range rows {
		// Fields: frame, Call-ID, last IPv4 source, last IPv6 source.
		cols := strings.Split(row, "\t")
		src := cols[2]
		if cases[i].v6 {
			src = cols[3]
		}
		want := fmt.Sprintf("%d tun", i+1)
		if got := cols[0] + " " + cols[1]; got != want || (cases[i].v6 && src != alice6.Addr().String()) || (!cases[i].v6 && src != alice.Addr().String()) {
			t.Errorf("%s: tshark reads %q", cases[i].name, row)
		}
	}
}

// A tunnel header cut short is counted as truncated, with its frame, and
// the next frame is decoded.
func TestTunnelTruncated(t *testing.T) {
	in4 := udpPacket(t, alice, bob, bigSIP("ok", 300))
	cut := eth(layers.EthernetTypeIPv4, ipPacket(t, netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), layers.IPProtocolGRE, []byte{0x10, 0, 0x88, 0xBE, 0, 0}))
	mplsCut := eth(layers.EthernetTypeMPLSUnicast, []byte{0, 1, 0, 64}) // no bottom of stack
	r, d := decodeFrames(t, [][]byte{cut, mplsCut, eth(layers.EthernetTypeIPv4, in4)}, nil)
	if len(r.sip) != 1 || r.sip[0].Frame != 3 {
		t.Errorf("messages %q", describe(r.sip))
	}
	if d.Stats.Undecoded[decode.ReasonTruncated] != 2 || d.Stats.Problems[0].Frame != 1 || d.Stats.Problems[1].Frame != 2 {
		t.Errorf("undecoded %v %v", d.Stats.Undecoded, d.Stats.Problems)
	}
}

// A datagram on a tunnel's port (GTP-U 2152, VXLAN 4789, Geneve 6081) that
// does not hold that tunnel's header is taken as it is: RTP port ranges
// take in those ports, and SIP may come from them. Nothing is counted as
// undecodable.
func TestTunnelPortNotTunnel(t *testing.T) {
	var frames [][]byte
	for _, port := range []uint16{2152, 4789, 6081} {
		src := netip.AddrPortFrom(alice.Addr(), port)
		frames = append(frames, eth(layers.EthernetTypeIPv4, udpPacket(t, src, bob, bigSIP(fmt.Sprint("port", port), 400))))
	}
	for _, port := range []uint16{2152, 4789, 6081} {
		// RTP whose sequence number, read as a GTP length, runs past the end.
		rtp := append([]byte{0x80, 8, 0xf0, 0x00, 0, 0, 0, 160, 0, 0, 0, 9}, make([]byte, 160)...)
		frames = append(frames, eth(layers.EthernetTypeIPv4, udpPacket(t, alice, netip.AddrPortFrom(bob.Addr(), port), rtp)))
	}
	r, d := decodeFrames(t, frames, nil)
	if len(r.sip) != 3 {
		t.Errorf("%d SIP messages, want 3: %q", len(r.sip), describe(r.sip))
	}
	if len(d.Stats.Problems) != 0 || d.Stats.UDP != 6 {
		t.Errorf("problems %v, %d UDP datagrams; want none, 6", d.Stats.Problems, d.Stats.UDP)
	}
}

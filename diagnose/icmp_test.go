package diagnose_test

import (
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// fragNeeded adds the ICMP "fragmentation needed" a router sends back for
// frame; pcapgen only writes port unreachable, so the frame is built here.
func (s *captureScene) fragNeeded(frame int, router string) int {
	s.t.Helper()
	q := s.pkts[frame-1]
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	ip := func(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice())}
	}
	quotedIP := ip(q.Src.Addr(), q.Dst.Addr(), layers.IPProtocolUDP)
	udp := &layers.UDP{SrcPort: layers.UDPPort(q.Src.Port()), DstPort: layers.UDPPort(q.Dst.Port())}
	_ = udp.SetNetworkLayerForChecksum(quotedIP)
	quoted := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(quoted, opts, quotedIP, udp, gopacket.Payload(q.Payload)); err != nil {
		s.t.Fatal(err)
	}
	r := netip.MustParseAddr(router)
	eth := &layers.Ethernet{SrcMAC: pcapgen.MAC(r), DstMAC: pcapgen.MAC(q.Src.Addr()), EthernetType: layers.EthernetTypeIPv4}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeFragmentationNeeded)}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, opts, eth, ip(r, q.Src.Addr(), layers.IPProtocolICMPv4), icmp, gopacket.Payload(quoted.Bytes()[:548])); err != nil {
		s.t.Fatal(err)
	}
	n := s.add(pcapgen.Packet{Time: q.Time.Add(200 * time.Microsecond), Src: netip.AddrPortFrom(r, 0), Proto: pcapgen.UDP})
	if s.frames == nil {
		s.frames = map[int][]byte{}
	}
	s.frames[n] = buf.Bytes()
	return n
}

const sdpOffer = "v=0\no=- 1 1 IN IP4 198.51.100.10\ns=-\nc=IN IP4 198.51.100.10\nt=0 0\nm=audio 4000 RTP/AVP 0\n"
const sdpAnswer = "v=0\no=- 2 2 IN IP4 203.0.113.20\ns=-\nc=IN IP4 203.0.113.20\nt=0 0\nm=audio 30000 RTP/AVP 0\n"

// RTP sent to the address the answer announced draws port unreachable: one
// finding for the stream, linked to the 200 OK whose SDP announced it.
func TestICMPForRTP(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg()+"Content-Type: application/sdp\n\n"+sdpOffer)
	s.udp(time.Second, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060", "Content-Type: application/sdp", "", sdpAnswer))
	s.udp(time.Second+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack", 1))
	rtp := make([]byte, 172)
	rtp[0] = 0x80
	var icmps []int
	for i := range 5 {
		f := s.raw(time.Second+time.Duration(i+3)*20*msec, "198.51.100.10:4000", "203.0.113.20:30000", rtp)
		icmps = append(icmps, s.unreachable(f))
	}
	// ICMP about a datagram nobody announced is not VoIP's business.
	other := s.raw(2*time.Second, "198.51.100.10:9999", "203.0.113.20:53", []byte("dns?"))
	s.unreachable(other)

	fs := s.analyze().Findings
	f := oneFinding(t, fs, "icmp.unreachable")
	if f.CallID != "c1" || f.Severity != diagnose.Warning {
		t.Errorf("call %q severity %s", f.CallID, f.Severity)
	}
	wantSummaryParts(t, f, "5 ICMP port unreachable errors from 203.0.113.20 answered RTP, the audio address announced in the SDP of the 200 OK (frame 2), sent by 198.51.100.10:4000 to 203.0.113.20:30000")
	if got := factOf[[]int](t, f, "icmp_frames"); len(got) != 5 || got[0] != icmps[0] {
		t.Errorf("icmp_frames %v, want %v", got, icmps)
	}
	if factOf[string](t, f, "packet") != "RTP" {
		t.Errorf("packet %v", f.Evidence.Facts["packet"])
	}
}

// A big INVITE over UDP dropped for the MTU names the size and TCP.
func TestICMPTooBig(t *testing.T) {
	s := newCaptureScene(t)
	big := inviteMsg() + "X-Padding: " + paddingText(1400) + "\n"
	inv := s.udp(0, uacAddr, uasAddr, big)
	s.fragNeeded(inv, "198.51.100.1")
	f := oneFinding(t, s.analyze().Findings, "icmp.too-big")
	wantSummaryParts(t, f, "1 ICMP fragmentation needed error from 198.51.100.1 answered 1 INVITE (", "bytes) sent by 198.51.100.10:5060 to 203.0.113.20:5060")
	if n := factOf[int](t, f, "message_bytes"); n < 1400 {
		t.Errorf("message_bytes %d", n)
	}
}

func paddingText(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}

// ICMPv6 errors are linked the same way.
func TestICMPv6Unreachable(t *testing.T) {
	s := newCaptureScene(t)
	msg := strings.NewReplacer("198.51.100.10:5060", "[2001:db8::10]:5060").Replace(optionsMsg("z9hG4bKo6"))
	for _, at := range []time.Duration{0, 500 * msec, 1500 * msec} {
		s.unreachable(s.udp(at, "[2001:db8::10]:5060", "[2001:db8::20]:5060", msg))
	}
	fs := s.analyze().Findings
	f := oneFinding(t, fs, "icmp.unreachable")
	wantSummaryParts(t, f, "3 ICMP port unreachable errors from 2001:db8::20 answered 3 OPTIONS sent by [2001:db8::10]:5060 to [2001:db8::20]:5060")
	wantEvidenceFrames(t, f, 1, 2, 3, 4, 5, 6)
	nr := oneFinding(t, fs, "txn.no-response")
	wantSummaryParts(t, nr, "went out 3 times over 1.5 s", "but 3 ICMP port unreachable errors")
}

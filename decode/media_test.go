package decode

import (
	"bytes"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/pion/rtcp"

	"github.com/sipscope/sipscope/capture"
)

// sipOnly handles signalling only.
type sipOnly struct{ sip int }

func (h *sipOnly) HandleSIP(*SIPMessage) { h.sip++ }
func (h *sipOnly) HandleICMP(*ICMPError) {}

// mediaRecorder also takes RTP and RTCP, copying what it keeps.
type mediaRecorder struct {
	sipOnly
	rtp      []RTPPacket
	payloads [][]byte
	rtcp     []*RTCPPacket
}

func (h *mediaRecorder) HandleRTP(p *RTPPacket) bool {
	h.rtp = append(h.rtp, *p)
	h.payloads = append(h.payloads, bytes.Clone(p.Payload))
	return true
}
func (h *mediaRecorder) HandleRTCP(p *RTCPPacket) bool { h.rtcp = append(h.rtcp, p); return true }

func udpFrame(t *testing.T, n int, src, dst netip.AddrPort, payload []byte) *capture.Frame {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	_ = udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return &capture.Frame{Number: n, Time: time.Unix(1700000000, int64(n)), LinkType: layers.LinkTypeEthernet, Data: buf.Bytes()}
}

func TestMediaDatagrams(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.0.0.1:4000"), netip.MustParseAddrPort("10.0.0.2:5000")
	rtpPkt := append([]byte{0x80, 0x88, 0x00, 0x07, 0, 0, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef}, bytes.Repeat([]byte{0xd5}, 160)...)
	sr, err := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 0xdeadbeef, PacketCount: 7}, &rtcp.SourceDescription{}})
	if err != nil {
		t.Fatal(err)
	}
	frames := []*capture.Frame{
		udpFrame(t, 1, a, b, rtpPkt),
		udpFrame(t, 2, a, netip.MustParseAddrPort("10.0.0.2:5001"), sr),
		udpFrame(t, 3, a, b, []byte{0x80, 0x08, 0, 1}),                                           // too short for RTP
		udpFrame(t, 4, a, b, []byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4}), // STUN
		udpFrame(t, 5, a, b, []byte("OPTIONS sip:b@10.0.0.2 SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")),
	}
	rec := &mediaRecorder{}
	d := NewDecoder(rec)
	for _, f := range frames {
		d.Decode(f)
	}
	if len(rec.rtp) != 1 || len(rec.rtcp) != 1 || rec.sip != 1 {
		t.Fatalf("%d RTP, %d RTCP, %d SIP; want 1 each", len(rec.rtp), len(rec.rtcp), rec.sip)
	}
	p := rec.rtp[0]
	if p.Frame != 1 || p.Src != a || p.Dst != b || p.SSRC != 0xdeadbeef || p.SequenceNumber != 7 || p.Timestamp != 320 ||
		!p.Marker || p.PayloadType != 8 || len(rec.payloads[0]) != 160 || rec.payloads[0][0] != 0xd5 {
		t.Errorf("RTP event %+v", p)
	}
	if d.rtpPacket.Payload != nil {
		t.Error("the decoder left Payload pointing into the capture buffer after the call")
	}
	if r := rec.rtcp[0]; r.Frame != 2 || len(r.Senders) != 1 || r.Senders[0].PacketCount != 7 {
		t.Errorf("RTCP event %+v", r)
	}
	if d.Stats.RTP != 1 || d.Stats.RTCP != 1 || len(d.Stats.Undecoded) != 0 {
		t.Errorf("stats %+v", d.Stats)
	}

	// A handler without HandleRTP gets the SIP and nothing else.
	so := &sipOnly{}
	d = NewDecoder(so)
	for _, f := range frames {
		d.Decode(f)
	}
	if so.sip != 1 || d.Stats.RTP != 0 {
		t.Errorf("signalling-only handler: %d SIP, %d RTP counted", so.sip, d.Stats.RTP)
	}
}

package correlate

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/rtp"
)

// Media addresses of the test calls: alice offers 10.0.0.1:4000, bob
// answers 10.0.0.2:5000; alice's NAT maps her to 203.0.113.1:61000.
var (
	aliceRTP = netip.MustParseAddrPort("10.0.0.1:4000")
	bobRTP   = netip.MustParseAddrPort("10.0.0.2:5000")
	aliceNAT = netip.MustParseAddrPort("203.0.113.1:61000")
)

func sdpBodyFor(addr netip.AddrPort, version int, attrs ...string) string {
	return fmt.Sprintf("v=0\no=- 1 %d IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio %d RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\n%s",
		version, addr.Addr(), addr.Addr(), addr.Port(), strings.Join(attrs, ""))
}

// withBody adds an SDP body to a message built by invite/response/request.
func withBody(msg, body string) string {
	body = strings.ReplaceAll(body, "\n", "\r\n")
	msg = strings.Replace(msg, "Content-Length: 0\n", fmt.Sprintf("Content-Type: application/sdp\nContent-Length: %d\n", len(body)), 1)
	return msg + strings.ReplaceAll(body, "\r\n", "\n")
}

// rtpAt feeds one RTP packet.
func (f *flow) rtpAt(at time.Duration, src, dst netip.AddrPort, ssrc uint32, seq uint16, ts uint32, pt uint8, payload []byte) {
	f.frame++
	f.b.HandleRTP(&decode.RTPPacket{
		Meta:    decode.Meta{Frame: f.frame, Time: t0.Add(at), Src: src, Dst: dst},
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc, PayloadOffset: 12, PayloadLen: len(payload)},
		Payload: payload,
	})
}

// audio feeds n PCMA packets 20 ms apart from start.
func (f *flow) audio(start time.Duration, n int, src, dst netip.AddrPort, ssrc uint32) {
	for i := range n {
		f.rtpAt(start+time.Duration(i)*20*time.Millisecond, src, dst, ssrc, uint16(100+i), uint32(160*i), 8, make([]byte, 160))
	}
}

// answeredCall sets up alice -> bob with the given offer and answer bodies.
func answeredCall(f *flow, offer, answer string) {
	f.send(0, alice, bob, withBody(invite("z9hG4bK1", 1, ""), offer))
	f.send(100*time.Millisecond, bob, alice, withBody(response(200, "OK", "z9hG4bK1", 1, "INVITE", "b1"), answer))
	f.send(110*time.Millisecond, alice, bob, request("ACK", "z9hG4bK2", 1, "b1"))
}

func TestStreamsBoundToOfferAnswer(t *testing.T) {
	f := newFlow(t)
	f.audio(-time.Second, 5, aliceRTP, bobRTP, 7) // before any SDP: not media yet
	answeredCall(f, sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1))
	f.audio(200*time.Millisecond, 50, aliceNAT, bobRTP, 1) // alice behind NAT
	f.audio(210*time.Millisecond, 50, bobRTP, aliceNAT, 2) // bob sends back where it comes from
	f.audio(0, 3, netip.MustParseAddrPort("10.9.9.9:1"), netip.MustParseAddrPort("10.9.9.8:2"), 3)
	m := f.b.Model()
	c := m.Calls[0]
	if len(m.Streams) != 2 || len(c.Media.Streams) != 2 {
		t.Fatalf("%d streams (%d in the call), want 2", len(m.Streams), len(c.Media.Streams))
	}
	if m.Media.UnmatchedRTP != 8 {
		t.Errorf("UnmatchedRTP = %d, want 8 (5 before the SDP, 3 on an unknown flow)", m.Media.UnmatchedRTP)
	}
	up, down := c.Media.Streams[0], c.Media.Streams[1]
	if up.From != RoleCaller || up.To != RoleCallee || up.Announced != bobRTP || up.ExpectedSrc != aliceRTP {
		t.Errorf("alice's stream: %s -> %s, announced %v, expected source %v", up.From, up.To, up.Announced, up.ExpectedSrc)
	}
	if down.From != RoleCallee || down.To != RoleCaller || down.Announced != bobRTP || down.ExpectedSrc != bobRTP {
		t.Errorf("bob's stream: %s -> %s, announced %v, expected source %v", down.From, down.To, down.Announced, down.ExpectedSrc)
	}
	if up.Codec != "PCMA" || up.ClockRate != 8000 || up.Packets != 50 || up.Lost != 0 || up.SDP.Message.Frame != 7 {
		t.Errorf("alice's stream: %s/%d, %d packets, %d lost, SDP in frame %d", up.Codec, up.ClockRate, up.Packets, up.Lost, up.SDP.Message.Frame)
	}
	if len(c.Media.Flows) != 2 {
		t.Fatalf("%d flows", len(c.Media.Flows))
	}
	for i, want := range []struct {
		from   string
		target netip.AddrPort
	}{{RoleCaller, bobRTP}, {RoleCallee, aliceRTP}} {
		fl := c.Media.Flows[i]
		if fl.From != want.from || !fl.Expected || fl.Target != want.target || fl.Packets != 50 {
			t.Errorf("flow %d: %s expected %v target %v, %d packets", i, fl.From, fl.Expected, fl.Target, fl.Packets)
		}
	}
	if up.Quality.MOS < 4.4 || len(up.Quality.Assumptions) == 0 {
		t.Errorf("quality %+v", up.Quality)
	}
}

func TestHeuristicStreams(t *testing.T) {
	a, b := netip.MustParseAddrPort("10.9.9.9:30000"), netip.MustParseAddrPort("10.9.9.8:30002")
	for _, heuristic := range []bool{false, true} {
		f := newFlow(t)
		f.b = NewBuilderWith(Options{HeuristicRTP: heuristic})
		f.audio(0, 20, a, b, 9)
		// Not RTP: sequence numbers that do not follow.
		for i := range 10 {
			f.rtpAt(time.Duration(i)*time.Millisecond, b, a, 5, uint16(i*7), 0, 8, nil)
		}
		m := f.b.Model()
		if !heuristic {
			if len(m.Streams) != 0 || m.Media.UnmatchedRTP != 30 {
				t.Errorf("without the heuristic: %d streams, %d unmatched", len(m.Streams), m.Media.UnmatchedRTP)
			}
			continue
		}
		if len(m.Streams) != 1 {
			t.Fatalf("with the heuristic: %d streams, want 1", len(m.Streams))
		}
		s := m.Streams[0]
		if !s.Heuristic || s.Call != nil || s.Packets != 20 || s.FirstFrame != 1 || s.Codec != "PCMA" || s.MaxDeltaMS != 20 {
			t.Errorf("heuristic stream: %+v", s)
		}
	}
}

// A re-INVITE that moves bob's media binds new streams to the new SDP;
// an offer repeated without change (same o= version) is no new exchange.
func TestReinviteAndRepeatedSDP(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, withBody(invite("z9hG4bK1", 1, ""), sdpBodyFor(aliceRTP, 1)))
	f.send(50*time.Millisecond, bob, alice, withBody(response(183, "Session Progress", "z9hG4bK1", 1, "INVITE", "b1"), sdpBodyFor(bobRTP, 1)))
	f.audio(60*time.Millisecond, 10, bobRTP, aliceRTP, 1) // early media
	f.send(300*time.Millisecond, bob, alice, withBody(response(200, "OK", "z9hG4bK1", 1, "INVITE", "b1"), sdpBodyFor(bobRTP, 1)))
	f.send(310*time.Millisecond, alice, bob, request("ACK", "z9hG4bK2", 1, "b1"))
	moved := netip.MustParseAddrPort("10.0.0.2:6000")
	f.send(time.Second, alice, bob, withBody(invite("z9hG4bK3", 2, "b1"), sdpBodyFor(aliceRTP, 2)))
	f.send(1100*time.Millisecond, bob, alice, withBody(response(200, "OK", "z9hG4bK3", 2, "INVITE", "b1"), sdpBodyFor(moved, 2)))
	f.audio(1200*time.Millisecond, 10, aliceRTP, moved, 2)
	c := f.call()
	if len(c.Media.SDPs) != 5 || len(c.Media.Negotiations) != 2 {
		t.Fatalf("%d SDPs, %d exchanges; want 5 and 2", len(c.Media.SDPs), len(c.Media.Negotiations))
	}
	if !c.Media.SDPs[2].Repeat || c.Media.SDPs[1].Offer || !c.Media.SDPs[0].Offer {
		t.Errorf("the 200's SDP repeats the 183's: repeat %v; 183 offer %v", c.Media.SDPs[2].Repeat, c.Media.SDPs[1].Offer)
	}
	// The 200 repeats the 183's body byte for byte: it is parsed once.
	if c.Media.SDPs[2].Session != c.Media.SDPs[1].Session || c.Media.SDPs[3].Session == c.Media.SDPs[2].Session {
		t.Error("a repeated body was parsed again, or another body took the last one's session")
	}
	if len(c.Media.Streams) != 2 {
		t.Fatalf("%d streams", len(c.Media.Streams))
	}
	early, late := c.Media.Streams[0], c.Media.Streams[1]
	if early.SDP != c.Media.SDPs[0] || early.Packets != 10 || early.From != RoleCallee {
		t.Errorf("early media bound to %v from %s", early.SDP.Message.Summary(), early.From)
	}
	if late.SDP != c.Media.SDPs[4] || late.Announced != moved {
		t.Errorf("media after the re-INVITE bound to frame %d, announced %v", late.SDP.Message.Frame, late.Announced)
	}
}

// INVITE without SDP: the offer is in the 200, the answer in the ACK.
func TestLateOffer(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bK1", 1, ""))
	f.send(100*time.Millisecond, bob, alice, withBody(response(200, "OK", "z9hG4bK1", 1, "INVITE", "b1"), sdpBodyFor(bobRTP, 1)))
	f.send(110*time.Millisecond, alice, bob, withBody(request("ACK", "z9hG4bK2", 1, "b1"), sdpBodyFor(aliceRTP, 1)))
	c := f.call()
	n := c.Media.Negotiations
	if len(n) != 1 || n[0].Offer.Role != RoleCallee || n[0].Answer == nil || n[0].Answer.Role != RoleCaller {
		t.Fatalf("exchanges %+v", n)
	}
}

func TestDirectionsAndHold(t *testing.T) {
	for _, tt := range []struct {
		name           string
		offer, answer  string
		callerToCallee bool
		calleeToCaller bool
	}{
		{"sendrecv", sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1), true, true},
		{"recvonly offer", sdpBodyFor(aliceRTP, 1, "a=recvonly\n"), sdpBodyFor(bobRTP, 1, "a=sendonly\n"), false, true},
		{"inactive answer", sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1, "a=inactive\n"), false, false},
		{"hold with 0.0.0.0", sdpBodyFor(aliceRTP, 1), sdpBodyFor(netip.MustParseAddrPort("0.0.0.0:5000"), 1), false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t)
			answeredCall(f, tt.offer, tt.answer)
			got := map[string]bool{}
			for _, fl := range f.call().Media.Flows {
				got[fl.From] = fl.Expected
			}
			if got[RoleCaller] != tt.callerToCallee || got[RoleCallee] != tt.calleeToCaller {
				t.Errorf("expected flows %v, want caller->callee %v, callee->caller %v", got, tt.callerToCallee, tt.calleeToCaller)
			}
		})
	}
}

func TestCodecMismatch(t *testing.T) {
	f := newFlow(t)
	answeredCall(f, sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1))
	f.audio(200*time.Millisecond, 3, aliceRTP, bobRTP, 1)
	for i := range 3 {
		f.rtpAt(260*time.Millisecond+time.Duration(i)*20*time.Millisecond, aliceRTP, bobRTP, 1, uint16(103+i), uint32(480+160*i), 18, make([]byte, 20))
	}
	f.audio(320*time.Millisecond, 3, aliceRTP, bobRTP, 1) // back to 8: no second report
	s := f.call().Media.Streams[0]
	if len(s.Unexpected) != 1 || s.Unexpected[0].PayloadType != 18 || s.Unexpected[0].Frame != 7 ||
		fmt.Sprint(s.Unexpected[0].Answer) != "[8 101]" {
		t.Fatalf("unexpected payload types %+v", s.Unexpected)
	}
	if fmt.Sprint(s.PayloadTypes) != "[8 18]" {
		t.Errorf("payload types %v", s.PayloadTypes)
	}
}

// event returns an RFC 4733 payload.
func event(digit uint8, end bool, duration uint16) []byte {
	b := []byte{digit, 10, 0, 0}
	if end {
		b[1] |= 0x80
	}
	binary.BigEndian.PutUint16(b[2:], duration)
	return b
}

func TestDTMF(t *testing.T) {
	f := newFlow(t)
	answeredCall(f, sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1))
	// '5' for 100 ms: reports every 20 ms with one timestamp, the end
	// report three times. Then '#' on a new timestamp.
	for i, d := range []uint16{160, 320, 480, 640, 800, 800, 800} {
		f.rtpAt(time.Second+time.Duration(i)*20*time.Millisecond, aliceRTP, bobRTP, 1, uint16(10+i), 8000, 101, event(5, i >= 4, d))
	}
	f.rtpAt(2*time.Second, aliceRTP, bobRTP, 1, 17, 16000, 101, event(11, true, 400))
	info := strings.Replace(request("INFO", "z9hG4bK9", 2, "b1"), "Content-Length: 0\n",
		"Content-Type: application/dtmf-relay\nContent-Length: 26\n", 1) + "Signal= 1\nDuration= 180\n"
	f.send(3*time.Second, alice, bob, info)
	c := f.call()
	var got []string
	for _, d := range c.Media.DTMF {
		got = append(got, fmt.Sprintf("%s %s %v frame %d", d.Digit, d.Source, d.Duration, d.Frame))
	}
	want := []string{"5 RFC 4733 100ms frame 4", "# RFC 4733 50ms frame 11", "1 SIP INFO 180ms frame 12"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DTMF\n got %q\nwant %q", got, want)
	}
	// The event stream measures no jitter: telephone-event has no clock.
	if s := c.Media.Streams[0]; s.MaxJitterMS != 0 || s.Codec != "telephone-event" || s.Quality.MOS != 0 {
		t.Errorf("event stream: jitter %v, codec %s, MOS %v", s.MaxJitterMS, s.Codec, s.Quality.MOS)
	}
}

func marshalRTCP(t *testing.T, pkts ...rtcp.Packet) *rtp.RTCP {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rtp.ParseRTCP(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Bob's SR is echoed by alice's RR 1.25 s later with a DLSR of 1 s: the
// round trip from the capture point to alice is 250 ms.
func TestRTCPReports(t *testing.T) {
	f := newFlow(t)
	answeredCall(f, sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1))
	f.audio(200*time.Millisecond, 100, aliceRTP, bobRTP, 1)
	f.audio(200*time.Millisecond, 100, bobRTP, aliceRTP, 2)
	aliceRTCP, bobRTCP := netip.MustParseAddrPort("10.0.0.1:4001"), netip.MustParseAddrPort("10.0.0.2:5001")
	ntp := uint64(0xe000_0000_1234_5678)
	f.frame++
	f.b.HandleRTCP(&decode.RTCPPacket{Meta: decode.Meta{Frame: f.frame, Time: t0.Add(time.Second), Src: bobRTCP, Dst: aliceRTCP},
		RTCP: marshalRTCP(t, &rtcp.SenderReport{SSRC: 2, NTPTime: ntp, PacketCount: 40})})
	f.frame++
	f.b.HandleRTCP(&decode.RTCPPacket{Meta: decode.Meta{Frame: f.frame, Time: t0.Add(2250 * time.Millisecond), Src: aliceRTCP, Dst: bobRTCP},
		RTCP: marshalRTCP(t, &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{
			{SSRC: 2, FractionLost: 13, TotalLost: 3, Jitter: 24, LastSenderReport: uint32(ntp >> 16), Delay: 65536},
			{SSRC: 99, FractionLost: 255, TotalLost: 500},
		}})})
	c := f.call()
	var bobs *Stream
	for _, s := range c.Media.Streams {
		if s.SSRC == 2 {
			bobs = s
		}
	}
	r := bobs.RTCP
	if r.Reports != 1 || r.SenderReports != 1 || r.CumulativeLost != 3 || r.JitterMS != 3 || r.RTTSamples != 1 || !near(r.LastRTTMS, 250) {
		t.Errorf("RTCP summary %+v", r)
	}
	if len(c.Media.RTCP) != 1 || c.Media.RTCP[0].Source != 99 || c.Media.RTCP[0].CumulativeLost != 500 {
		t.Errorf("report about an unseen stream: %+v", c.Media.RTCP)
	}
	if bobs.Quality.Assumptions[0] != "network delay is half the RTCP round trip" {
		t.Errorf("assumptions %q", bobs.Quality.Assumptions)
	}
}

// The multipart body of SIP-I carries SDP next to ISUP.
func TestMultipartSDP(t *testing.T) {
	f := newFlow(t)
	sdp := strings.ReplaceAll(sdpBodyFor(aliceRTP, 1), "\n", "\r\n")
	body := "--xx\r\nContent-Type: application/sdp\r\n\r\n" + sdp + "\r\n--xx\r\nContent-Type: application/isup;version=itu-t92+\r\n\r\n\x01\x02\r\n--xx--\r\n"
	msg := strings.Replace(invite("z9hG4bK1", 1, ""), "Content-Length: 0\n",
		fmt.Sprintf("Content-Type: multipart/mixed;boundary=xx\nContent-Length: %d\n", len(body)), 1)
	f.send(0, alice, bob, msg+strings.ReplaceAll(body, "\r\n", "\n"))
	c := f.call()
	if len(c.Media.SDPs) != 1 || c.Media.SDPs[0].Session.Media[0].RTP() != aliceRTP {
		t.Fatalf("SDPs %+v", c.Media.SDPs)
	}
}

// An UPDATE with SDP during early media is a new offer, its 200 the answer;
// media to the new address binds to the UPDATE's exchange.
func TestUpdateOffer(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, withBody(invite("z9hG4bK1", 1, ""), sdpBodyFor(aliceRTP, 1)))
	f.send(50*time.Millisecond, bob, alice, withBody(response(183, "Session Progress", "z9hG4bK1", 1, "INVITE", "b1"), sdpBodyFor(bobRTP, 1)))
	moved := netip.MustParseAddrPort("10.0.0.1:4100")
	f.send(500*time.Millisecond, alice, bob, withBody(request("UPDATE", "z9hG4bK5", 2, "b1"), sdpBodyFor(moved, 2)))
	f.send(520*time.Millisecond, bob, alice, withBody(response(200, "OK", "z9hG4bK5", 2, "UPDATE", "b1"), sdpBodyFor(bobRTP, 2)))
	f.audio(600*time.Millisecond, 10, bobRTP, moved, 3)
	c := f.call()
	n := c.Media.Negotiations
	if len(n) != 2 || n[1].Offer.Message.Method != "UPDATE" || n[1].Answer == nil || n[1].Answer.Message.CSeq.Method != "UPDATE" {
		t.Fatalf("exchanges: %d, second offer %v", len(n), n[len(n)-1].Offer.Message.Summary())
	}
	if s := c.Media.Streams[0]; s.SDP != n[1].Offer || s.To != RoleCaller || s.ExpectedSrc != bobRTP {
		t.Errorf("stream bound to frame %d, to %s, expected source %v", s.SDP.Message.Frame, s.To, s.ExpectedSrc)
	}
}

// An ICMP error quoting RTP sent to (or from) an address the call's SDP
// announced belongs to that call (with no SIP message), so the ladder draws
// it; one quoting addresses no SDP announced belongs to no call.
func TestICMPAboutMediaLinksToCall(t *testing.T) {
	f := newFlow(t)
	answeredCall(f, sdpBodyFor(aliceRTP, 1), sdpBodyFor(bobRTP, 1))
	f.audio(200*time.Millisecond, 3, aliceRTP, bobRTP, 1)
	icmp := func(at time.Duration, src, dst netip.AddrPort) {
		f.frame++
		f.b.HandleICMP(&decode.ICMPError{Meta: decode.Meta{Frame: f.frame, Time: t0.Add(at),
			Src: netip.AddrPortFrom(dst.Addr(), 0), Dst: netip.AddrPortFrom(src.Addr(), 0)},
			Version: 4, Type: 3, Code: 3, Description: "port unreachable", OrigSrc: src, OrigDst: dst, OrigProto: 17})
	}
	stray := netip.MustParseAddrPort("10.9.9.9:7000")
	icmp(300*time.Millisecond, aliceRTP, bobRTP)
	icmp(310*time.Millisecond, aliceRTP, netip.AddrPortFrom(bobRTP.Addr(), bobRTP.Port()+1)) // RTCP: port + 1
	icmp(320*time.Millisecond, aliceRTP, stray)                                              // from alice's announced address
	icmp(330*time.Millisecond, netip.MustParseAddrPort("10.8.8.8:1234"), stray)
	m := f.b.Model()
	c := m.Calls[0]
	if len(m.ICMP) != 4 || len(c.ICMP) != 3 {
		t.Fatalf("%d ICMP errors, %d in the call; want 4, 3", len(m.ICMP), len(c.ICMP))
	}
	for _, ic := range c.ICMP {
		if ic.Call != c || ic.Message != nil {
			t.Errorf("ICMP frame %d: call %p message %v", ic.Frame, ic.Call, ic.Message)
		}
	}
	if m.ICMP[3].Call != nil {
		t.Errorf("ICMP about unannounced addresses linked to %s", m.ICMP[3].Call.CallID)
	}
}

package sipscope_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/internal/testenv"
)

func analyzePublic(t *testing.T, name string) *sipscope.Result {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.PublicCapture(t, name)}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// DTMFsipinfo.pcap: the caller sends 1, 3, 4, 2 as SIP INFO
// application/dtmf-relay, 180 ms each, in frames 17, 19, 29 and 31.
func TestDTMFSIPInfoCapture(t *testing.T) {
	res := analyzePublic(t, "DTMFsipinfo.pcap")
	var got []string
	for _, c := range res.Model.Calls {
		for _, d := range c.Media.DTMF {
			got = append(got, fmt.Sprintf("%s@%d/%v/%s", d.Digit, d.Frame, d.Duration, d.Source))
		}
	}
	want := "[1@17/180ms/SIP INFO 3@19/180ms/SIP INFO 4@29/180ms/SIP INFO 2@31/180ms/SIP INFO]"
	if fmt.Sprint(got) != want {
		t.Errorf("DTMF %v, want %s", got, want)
	}
}

// register-invite-reinvite-bye.pcap: the re-INVITE (frame 162, answered in
// 163) switches from G.711 µ-law (INVITE 3, 200 OK 6) to opus with new
// SSRCs; each stream is bound to the SDP that announced its address in its
// exchange, and the opus ones use the re-INVITE's rtpmap (96 opus/48000).
func TestReinviteCapture(t *testing.T) {
	res := analyzePublic(t, "register-invite-reinvite-bye.pcap")
	var call *correlate.Call
	for _, c := range res.Model.Calls {
		if c.Kind == correlate.KindCall {
			call = c
		}
	}
	if call == nil || len(call.Media.Negotiations) != 2 {
		t.Fatalf("call %v", call)
	}
	for _, s := range call.Media.Streams {
		offer, answer, wantCodec, wantClock := 3, 6, "PCMU", 8000
		if s.SSRC>>16 == 0x0EEF {
			offer, answer, wantCodec, wantClock = 162, 163, "opus", 48000
		}
		// Streams to the caller's port match the offer, to the callee's the answer.
		want := answer
		if s.Dst.Port() == 5094 {
			want = offer
		}
		if s.SDP.Message.Frame != want || s.Codec != wantCodec || s.ClockRate != wantClock {
			t.Errorf("0x%08X bound to the SDP of frame %d, %s/%d", s.SSRC, s.SDP.Message.Frame, s.Codec, s.ClockRate)
		}
	}
}

// sip-rtp-g711.pcap: each call's offer is recvonly and its answer
// sendonly, so only callee-to-caller media is expected, and that is what
// flowed.
func TestOneWayBySDPCapture(t *testing.T) {
	res := analyzePublic(t, "sip-rtp-g711.pcap")
	n := 0
	for _, c := range res.Model.Calls {
		for _, f := range c.Media.Flows {
			n++
			if f.Expected != (f.From == correlate.RoleCallee) || f.Expected != (f.Packets > 0) {
				t.Errorf("%s: flow %s->%s expected %v with %d packets", c.CallID, f.From, f.To, f.Expected, f.Packets)
			}
		}
	}
	if n != 4 {
		t.Errorf("%d flows, want 4 (2 calls, 2 directions)", n)
	}
}

// rtp_rtcp_sip_ipv4_udp.pcap: RTCP sender and receiver reports of the SIP
// call's streams; the SR of 200.57.7.204 (0xD2BD4E3E) is echoed back by
// 200.57.7.196 four times (frames 1567, 2612, 3041, 3772), which gives
// round trips of 0.5 to 2.2 ms (tshark, in whole ms, shows 2 to 3).
func TestRTCPCapture(t *testing.T) {
	res := analyzePublic(t, "rtp_rtcp_sip_ipv4_udp.pcap")
	var found bool
	for _, s := range res.Model.Streams {
		if s.SSRC != 0xD2BD4E3E {
			continue
		}
		found = true
		r := s.RTCP
		if r.Reports != 12 || r.SenderReports != 6 || r.RTTSamples != 4 || r.LastRTTMS <= 0 || r.MaxRTTMS > 3 {
			t.Errorf("RTCP of 0xD2BD4E3E: %+v", r)
		}
		if d := s.End.Sub(s.Start); d < 24*time.Second {
			t.Errorf("stream lasts %v", d)
		}
	}
	if !found {
		t.Fatal("no stream 0xD2BD4E3E")
	}
}

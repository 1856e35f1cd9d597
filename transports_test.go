package sipscope_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/testenv"
)

// wantMessage is one SIP message as the analysis must report it.
type wantMessage struct {
	frame     int
	line      string
	transport decode.Transport
	fragments int
}

func checkCall(t *testing.T, file string, want []wantMessage, tcpRetrans int) {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata(file)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Capture.Undecoded) != 0 {
		t.Errorf("undecoded: %v %v", res.Capture.Undecoded, res.Capture.Problems)
	}
	if len(res.Model.Calls) != 1 {
		t.Fatalf("%d calls, want 1", len(res.Model.Calls))
	}
	c := res.Model.Calls[0]
	var got, wantLines []string
	for _, m := range c.Messages {
		got = append(got, fmt.Sprintf("%d %s %v frags=%d retrans=%v", m.Frame, m.FirstLine(), m.Transport, m.Fragments, m.Retransmission))
	}
	for _, w := range want {
		wantLines = append(wantLines, fmt.Sprintf("%d %s %v frags=%d retrans=false", w.frame, w.line, w.transport, w.fragments))
	}
	if !slices.Equal(got, wantLines) {
		t.Errorf("messages:\n got %q\nwant %q", got, wantLines)
	}
	if c.Retransmissions != 0 {
		t.Errorf("%d SIP retransmissions, want 0", c.Retransmissions)
	}
	if len(c.Dialogs) != 1 || c.Dialogs[0].State != "terminated" || c.Dialogs[0].FromTag != "8f3a0c21" || c.Dialogs[0].ToTag != "as6d1f0b7e" {
		for _, d := range c.Dialogs {
			t.Logf("dialog %+v", *d)
		}
		t.Errorf("%d dialogs, want one terminated dialog 8f3a0c21/as6d1f0b7e", len(c.Dialogs))
	}
	if c.Kind != "call" || c.AnswerTime.IsZero() || c.EndTime.IsZero() {
		t.Errorf("call %s: kind %q answered %v ended %v", c.CallID, c.Kind, c.AnswerTime, c.EndTime)
	}
	if res.Capture.TCPRetransmissions != tcpRetrans {
		t.Errorf("%d TCP retransmissions counted, want %d", res.Capture.TCPRetransmissions, tcpRetrans)
	}
}

var callLines = []string{
	"INVITE sip:300@10.20.0.1 SIP/2.0", "SIP/2.0 100 Trying", "SIP/2.0 180 Ringing", "SIP/2.0 200 OK",
	"ACK sip:300@10.20.0.1 SIP/2.0", "BYE sip:300@10.20.0.1 SIP/2.0", "SIP/2.0 200 OK",
}

// The 3000-byte INVITE of testdata/sip-udp-fragmented-invite.pcap arrives in
// three IPv4 fragments, frames 1-3: it is reassembled and reported at frame
// 3 with its fragment count, and the call's one dialog is set up and ended.
func TestUDPFragmentedInvite(t *testing.T) {
	var want []wantMessage
	for i, l := range callLines {
		w := wantMessage{frame: i + 3, line: l, transport: decode.UDP}
		if i == 0 {
			w.fragments = 3
		}
		want = append(want, w)
	}
	checkCall(t, "sip-udp-fragmented-invite.pcap", want, 0)
}

// In testdata/sip-tcp-segments.pcap, 100 and 180 share frame 5; the 200 OK
// comes in three segments, the last before the second, and is complete at
// frame 9; frame 10 repeats a segment, which TCP drops (counted) and which
// is not a SIP retransmission.
func TestTCPSegments(t *testing.T) {
	frames := []int{4, 5, 5, 9, 11, 12, 13}
	var want []wantMessage
	for i, l := range callLines {
		want = append(want, wantMessage{frame: frames[i], line: l, transport: decode.TCP})
	}
	checkCall(t, "sip-tcp-segments.pcap", want, 1)
}

// recorder keeps the SIP messages a decoder hands over.
type recorder struct{ sip []*decode.SIPMessage }

func (r *recorder) HandleSIP(m *decode.SIPMessage) { r.sip = append(r.sip, m) }
func (r *recorder) HandleICMP(*decode.ICMPError)   {}

// --hep-send mirrors every SIP message of the analysis to a HOMER server as
// HEPv3: a HEP listener on 127.0.0.1 gets the 12 messages of the FreeSWITCH
// case with their addresses and capture times.
func TestAnalyzeHEPSend(t *testing.T) {
	l, err := capture.ListenHEP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata("freeswitch-nat.pcap")}, HEPSend: l.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capture.HEPSent != 12 || res.Capture.HEPErrors != 0 {
		t.Fatalf("sent %d, errors %d (%s); want 12, 0", res.Capture.HEPSent, res.Capture.HEPErrors, res.Capture.HEPError)
	}
	r := &recorder{}
	d := decode.NewDecoder(r)
	// A deadline, so a lost datagram fails the test instead of hanging it.
	if err := l.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for range 12 {
		f, err := l.Next()
		if err != nil {
			t.Fatal(err)
		}
		d.Decode(f)
	}
	var i int
	for _, c := range res.Model.Calls {
		for _, m := range c.Messages {
			if i >= len(r.sip) {
				t.Fatalf("only %d messages arrived", len(r.sip))
			}
			got := r.sip[i]
			if got.FirstLine() != m.FirstLine() || got.Src != m.Src || got.Dst != m.Dst || !got.Time.Equal(m.Time) || string(got.Raw) != string(m.Raw) {
				t.Errorf("message %d: got %s %v>%v %v, want %s %v>%v %v", i+1, got.FirstLine(), got.Src, got.Dst, got.Time, m.FirstLine(), m.Src, m.Dst, m.Time)
			}
			i++
		}
	}
}

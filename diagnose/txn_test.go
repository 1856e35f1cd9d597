package diagnose_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/diagnose"
)

func optionsMsg(branch string) string {
	return dialogMsg("OPTIONS sip:bob@203.0.113.20 SIP/2.0", branch, 1, "OPTIONS", "")
}

func TestTxnNoResponse(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		copies   []time.Duration
		end      time.Duration
		icmp     bool
		severity diagnose.Severity // -1: no finding
		summary  []string
	}{
		{
			name: "INVITE until timer B", msg: inviteMsg(),
			copies: []time.Duration{0, 500 * msec, 1500 * msec, 3500 * msec, 7500 * msec, 15500 * msec, 31500 * msec}, end: 40 * time.Second,
			severity: diagnose.Error,
			summary: []string{"INVITE sent by 198.51.100.10:5060 to 203.0.113.20:5060 went out 7 times over 31.5 s",
				"intervals of 500 ms, 1000 ms, 2000 ms, 4000 ms, 8000 ms, 16000 ms, as timer A", "the transaction timed out (timer B, 32.0 s)"},
		},
		{
			name: "OPTIONS, capture ends early", msg: optionsMsg("z9hG4bKo"),
			copies: []time.Duration{0, 500 * msec, 1500 * msec}, end: 2 * time.Second, severity: diagnose.Warning,
			summary: []string{"went out 3 times over 1.5 s", "as timer E", "before timer F (32.0 s) would fire"},
		},
		{
			name: "OPTIONS at constant 500 ms", msg: optionsMsg("z9hG4bKo"),
			copies: []time.Duration{0, 500 * msec, 1000 * msec, 1500 * msec}, end: 2 * time.Second, severity: diagnose.Warning,
			summary: []string{"at intervals of 500 ms, 500 ms, 500 ms where timer E from T1 = 500 ms expects 500 ms, 1000 ms, 2000 ms"},
		},
		{
			name: "ICMP port unreachable", msg: optionsMsg("z9hG4bKo"),
			copies: []time.Duration{0, 500 * msec, 1500 * msec}, end: 2 * time.Second, icmp: true, severity: diagnose.Warning,
			summary: []string{"and nothing came back but 3 ICMP port unreachable errors"},
		},
		{
			name: "one retransmission is not enough", msg: optionsMsg("z9hG4bKo"),
			copies: []time.Duration{0, 500 * msec}, end: 2 * time.Second, severity: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			for _, at := range tt.copies {
				f := s.udp(at, uacAddr, uasAddr, tt.msg)
				if tt.icmp {
					s.unreachable(f)
				}
			}
			s.raw(tt.end, uacAddr, uasAddr, []byte("end"))
			fs := s.analyze().Findings
			if tt.severity < 0 {
				noFinding(t, fs, "txn.")
				return
			}
			f := oneFinding(t, fs, "txn.no-response")
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s", f.Severity, tt.severity)
			}
			wantSummaryParts(t, f, tt.summary...)
			if tt.icmp && !strings.HasPrefix(f.Advice, "Nothing listens at 203.0.113.20:5060") {
				t.Errorf("advice %q", f.Advice)
			}
		})
	}
}

// A request over TCP is never retransmitted: only timer B/F tells.
func TestTxnNoResponseTCP(t *testing.T) {
	s := newCaptureScene(t)
	s.tcp(0, "198.51.100.10:49152", uasAddr, 1, strings.Replace(inviteMsg(), "UDP", "TCP", 1))
	s.raw(33*time.Second, uacAddr, uasAddr, []byte("end"))
	f := oneFinding(t, s.analyze().Findings, "txn.no-response")
	wantSummaryParts(t, f, "INVITE sent by 198.51.100.10:49152 to 203.0.113.20:5060 over TCP got no response", "timed out (timer B, 32.0 s)")
}

func TestTxnTimeout(t *testing.T) {
	trying := dialogMsg("SIP/2.0 100 Trying", "z9hG4bKo", 1, "OPTIONS", "")
	ringing := dialogMsg("SIP/2.0 180 Ringing", "z9hG4bKinv", 1, "INVITE", "b1")
	t.Run("non-INVITE after timer F", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, optionsMsg("z9hG4bKo"))
		s.udp(10*msec, uasAddr, uacAddr, trying)
		s.raw(33*time.Second, uacAddr, uasAddr, []byte("end"))
		f := oneFinding(t, s.analyze().Findings, "txn.timeout")
		if f.Severity != diagnose.Error {
			t.Errorf("severity %s", f.Severity)
		}
		wantSummaryParts(t, f, "OPTIONS sent by 198.51.100.10:5060 to 203.0.113.20:5060 got 100 Trying (frame 2) but no final response in 33.0 s")
	})
	t.Run("non-INVITE before timer F", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, optionsMsg("z9hG4bKo"))
		s.udp(10*msec, uasAddr, uacAddr, trying)
		s.raw(20*time.Second, uacAddr, uasAddr, []byte("end"))
		noFinding(t, s.analyze().Findings, "txn.")
	})
	t.Run("INVITE ringing past timer C", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(100*msec, uasAddr, uacAddr, ringing)
		s.raw(200*time.Second, uacAddr, uasAddr, []byte("end"))
		f := oneFinding(t, s.analyze().Findings, "txn.timeout")
		if f.Severity != diagnose.Warning {
			t.Errorf("severity %s", f.Severity)
		}
		wantSummaryParts(t, f, "got 180 Ringing (frame 2) and then no final response for 199.9 s")
	})
	t.Run("INVITE ringing a minute", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(100*msec, uasAddr, uacAddr, ringing)
		s.raw(60*time.Second, uacAddr, uasAddr, []byte("end"))
		noFinding(t, s.analyze().Findings, "txn.")
	})
}

func TestTxn408(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, proxyAddr, inviteMsg())
	s.udp(32*time.Second, proxyAddr, uacAddr, dialogMsg("SIP/2.0 408 Request Timeout", "z9hG4bKinv", 1, "INVITE", "p1",
		`Reason: Q.850;cause=18;text="No user responding"`))
	fs := s.analyze().Findings
	f := oneFinding(t, fs, "txn.408")
	if f.Severity != diagnose.Error {
		t.Errorf("severity %s", f.Severity)
	}
	wantSummaryParts(t, f, "INVITE sent by 198.51.100.10:5060 to 203.0.113.1:5060 got 408 Request Timeout from 203.0.113.1:5060 after 32.0 s",
		`(Reason: Q.850;cause=18;text="No user responding")`)
	noFinding(t, fs, "call.failed")
}

func byeMsg(branch string, cseq int, fromTag, toTag string) string {
	return strings.NewReplacer("a1", fromTag, "b1", toTag).Replace(dialogMsg("BYE sip:bob@203.0.113.20:5060 SIP/2.0", branch, cseq, "BYE", "b1"))
}

func TestTxn481(t *testing.T) {
	ok := okMsg("sip:bob@203.0.113.20:5060")
	ack := ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack", 1)
	r481 := func(branch string, cseq int, method, fromTag, toTag string) string {
		return strings.NewReplacer("a1", fromTag, "b1", toTag).Replace(
			dialogMsg("SIP/2.0 481 Call/Transaction Does Not Exist", branch, cseq, method, "b1"))
	}
	t.Run("no earlier message", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, byeMsg("z9hG4bKbye", 2, "a1", "b1"))
		s.udp(10*msec, uasAddr, uacAddr, r481("z9hG4bKbye", 2, "BYE", "a1", "b1"))
		f := oneFinding(t, s.analyze().Findings, "txn.481")
		wantSummaryParts(t, f, "BYE sent by 198.51.100.10:5060 to 203.0.113.20:5060 got 481 Call/Transaction Does Not Exist from 203.0.113.20:5060: no earlier message with this Call-ID")
	})
	t.Run("tags match no dialog", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(time.Second, uasAddr, uacAddr, ok)
		s.udp(time.Second+40*msec, uacAddr, uasAddr, ack)
		s.udp(5*time.Second, uacAddr, uasAddr, byeMsg("z9hG4bKbye", 2, "a1", "zz"))
		s.udp(5*time.Second+10*msec, uasAddr, uacAddr, r481("z9hG4bKbye", 2, "BYE", "a1", "zz"))
		f := oneFinding(t, s.analyze().Findings, "txn.481")
		if f.Severity != diagnose.Warning {
			t.Errorf("severity %s", f.Severity)
		}
		wantSummaryParts(t, f, "its tags (From a1, To zz) match no dialog of this Call-ID; the capture has a1/b1")
	})
	t.Run("dialog already ended", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(time.Second, uasAddr, uacAddr, ok)
		s.udp(time.Second+40*msec, uacAddr, uasAddr, ack)
		s.udp(5*time.Second, uasAddr, uacAddr, strings.NewReplacer("198.51.100.10:5060;branch", "203.0.113.20:5060;branch").Replace(byeFromBob))
		s.udp(5*time.Second+1*msec, uacAddr, uasAddr, byeMsg("z9hG4bKbye2", 2, "a1", "b1"))
		s.udp(5*time.Second+10*msec, uasAddr, uacAddr, r481("z9hG4bKbye2", 2, "BYE", "a1", "b1"))
		f := oneFinding(t, s.analyze().Findings, "txn.481")
		if f.Severity != diagnose.Info {
			t.Errorf("severity %s, want info for crossing BYEs", f.Severity)
		}
		wantSummaryParts(t, f, "the dialog had already ended with BYE at frame 4")
	})
	t.Run("CANCEL with another branch", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(100*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 180 Ringing", "z9hG4bKinv", 1, "INVITE", "b1"))
		s.udp(2*time.Second, uacAddr, uasAddr, dialogMsg("CANCEL sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKother", 1, "CANCEL", ""))
		s.udp(2*time.Second+10*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 481 Call/Transaction Does Not Exist", "z9hG4bKother", 1, "CANCEL", "b1"))
		f := oneFinding(t, s.analyze().Findings, "txn.481")
		wantSummaryParts(t, f, "its Via branch differs from that of the INVITE it should cancel (frame 1)")
	})
}

func TestTxnCSeqMismatch(t *testing.T) {
	t.Run("response renumbered", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, optionsMsg("z9hG4bKo"))
		s.udp(10*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 200 OK", "z9hG4bKo", 7, "OPTIONS", "b1"))
		f := oneFinding(t, s.analyze().Findings, "txn.cseq-mismatch")
		wantSummaryParts(t, f, "200 OK from 203.0.113.20:5060 carries CSeq 7 OPTIONS but answers the OPTIONS (frame 1) with CSeq 1")
		wantEvidenceFrames(t, f, 1, 2)
	})
	t.Run("CSeq method of another request", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, strings.Replace(optionsMsg("z9hG4bKo"), "CSeq: 1 OPTIONS", "CSeq: 1 INVITE", 1))
		f := oneFinding(t, s.analyze().Findings, "txn.cseq-mismatch")
		wantSummaryParts(t, f, "OPTIONS sent by 198.51.100.10:5060 to 203.0.113.20:5060 carries CSeq 1 INVITE")
	})
	t.Run("healthy call", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(time.Second, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(time.Second+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack", 1))
		s.udp(3*time.Second, uacAddr, uasAddr, byeMsg("z9hG4bKbye", 2, "a1", "b1"))
		s.udp(3*time.Second+10*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 200 OK", "z9hG4bKbye", 2, "BYE", "b1"))
		if fs := s.analyze().Findings; len(fs) != 0 {
			t.Errorf("findings on a healthy call:\n%s", describeFindings(fs))
		}
	})
}

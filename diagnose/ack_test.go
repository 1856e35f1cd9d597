package diagnose_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sipscope/sipscope/diagnose"
)

const msec = time.Millisecond

func inviteMsg() string {
	return dialogMsg("INVITE sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "INVITE", "", "Contact: <sip:alice@198.51.100.10:5060>")
}

// okMsg is bob's 200 OK; contact and extra headers vary.
func okMsg(contact string, extra ...string) string {
	return dialogMsg("SIP/2.0 200 OK", "z9hG4bKinv", 1, "INVITE", "b1", append([]string{"Contact: <" + contact + ">"}, extra...)...)
}

func ackMsg(ruri, branch string, cseq int) string {
	return dialogMsg("ACK "+ruri+" SIP/2.0", branch, cseq, "ACK", "b1")
}

// byeFromBob is the UAS ending the dialog.
const byeFromBob = `BYE sip:alice@198.51.100.10:5060 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKbye
From: <sip:bob@b.example>;tag=b1
To: <sip:alice@a.example>;tag=a1
Call-ID: c1
CSeq: 1 BYE
`

// okCopyTimes are when the UAS sends its 200 OK: timer G from T1 = 500 ms.
var okCopyTimes = []time.Duration{1000 * msec, 1500 * msec, 2500 * msec}

// The 200 OK's Contact names a port nobody listens on: each ACK draws an ICMP
// port unreachable and the UAS, never acknowledged, retransmits.
func TestAckMisroutedToContact(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	var acks, icmps []int
	for i, at := range okCopyTimes {
		s.udp(at, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5070"))
		acks = append(acks, s.udp(at+40*msec, uacAddr, "203.0.113.20:5070", ackMsg("sip:bob@203.0.113.20:5070", "z9hG4bKack"+string(rune('a'+i)), 1)))
		icmps = append(icmps, s.unreachable(acks[i]))
	}
	s.raw(3*time.Second, uacAddr, uasAddr, []byte("keep the capture running")) // ends before the next copy is due
	res := s.analyze()
	f := oneFinding(t, res.Findings, "ack.misrouted")
	if f.Severity != diagnose.Error {
		t.Errorf("severity %s, want error", f.Severity)
	}
	wantSummaryParts(t, f, "retransmitted its 200 OK 2 times", "intervals of 500 ms, 1000 ms, as timer G",
		"3 ACKs to 203.0.113.20:5070 (the 200 OK's Contact)", "200 OK came from 203.0.113.20:5060", "3 ICMP port unreachable errors came back")
	wantEvidenceFrames(t, f, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	if got := factOf[[]int](t, f, "icmp_frames"); !slices.Equal(got, icmps) {
		t.Errorf("icmp_frames %v, want %v", got, icmps)
	}
	if got := factOf[[]int](t, f, "ack_frames"); !slices.Equal(got, acks) {
		t.Errorf("ack_frames %v, want %v", got, acks)
	}
	if factOf[string](t, f, "ack_routed_by") != "contact" || !factOf[bool](t, f, "timer_g_consistent") {
		t.Errorf("facts %v", f.Evidence.Facts)
	}
	if factOf[int](t, f, "retransmissions") != 2 {
		t.Errorf("retransmissions %v, want 2", f.Evidence.Facts["retransmissions"])
	}
	// The ICMP errors get their own finding too, linked to the ACKs.
	ic := oneFinding(t, res.Findings, "icmp.unreachable")
	wantSummaryParts(t, ic, "3 ICMP port unreachable errors from 203.0.113.20 answered 3 ACKs sent by 198.51.100.10:5060 to 203.0.113.20:5070")
}

// With a Record-Route, sending the ACK to the Contact bypasses the proxy.
func TestAckMisroutedBypassingRecordRoute(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, proxyAddr, inviteMsg())
	for i, at := range okCopyTimes {
		s.udp(at, proxyAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060", "Record-Route: <sip:203.0.113.1;lr>"))
		s.udp(at+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack"+string(rune('a'+i)), 1))
	}
	f := oneFinding(t, s.analyze().Findings, "ack.misrouted")
	wantSummaryParts(t, f, "to 203.0.113.20:5060 (the 200 OK's Contact, bypassing its Record-Route)", "came from 203.0.113.1:5060")
	if factOf[string](t, f, "ack_routed_by") != "contact-bypassing-record-route" {
		t.Errorf("ack_routed_by %v", f.Evidence.Facts["ack_routed_by"])
	}
}

// An ACK sent neither to the Contact nor along the Record-Route (sipp's
// setdest does this) is the UAC's fault.
func TestAckMisroutedElsewhere(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	for i, at := range okCopyTimes {
		s.udp(at, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		a := s.udp(at+40*msec, uacAddr, "203.0.113.99:5060", ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack"+string(rune('a'+i)), 1))
		s.unreachable(a)
	}
	f := oneFinding(t, s.analyze().Findings, "ack.misrouted")
	wantSummaryParts(t, f, "to 203.0.113.99:5060 (not the 200 OK's Contact)")
	if factOf[string](t, f, "ack_routed_by") != "other" {
		t.Errorf("ack_routed_by %v", f.Evidence.Facts["ack_routed_by"])
	}

	s = newCaptureScene(t)
	s.udp(0, uacAddr, proxyAddr, inviteMsg())
	for i, at := range okCopyTimes {
		s.udp(at, proxyAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060", "Record-Route: <sip:203.0.113.1;lr>"))
		s.udp(at+40*msec, uacAddr, "203.0.113.99:5060", ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack"+string(rune('a'+i)), 1))
	}
	f = oneFinding(t, s.analyze().Findings, "ack.misrouted")
	wantSummaryParts(t, f, "to 203.0.113.99:5060 (neither the 200 OK's Contact nor its Record-Route)")
}

func TestAckMissing(t *testing.T) {
	tests := []struct {
		name     string
		copies   []time.Duration
		bye      time.Duration // 0: none
		end      time.Duration // last packet of the capture
		severity diagnose.Severity
		summary  []string
	}{
		{
			name: "three retransmissions", copies: []time.Duration{1000 * msec, 1500 * msec, 2500 * msec, 4500 * msec}, end: 5 * time.Second,
			severity: diagnose.Error, summary: []string{"retransmitted its 200 OK 3 times", "no ACK for it was captured"},
		},
		{
			name: "one retransmission", copies: []time.Duration{1000 * msec, 1500 * msec}, end: 1600 * msec,
			severity: diagnose.Warning, summary: []string{"retransmitted its 200 OK once"},
		},
		{
			// The copies stop long before the capture does: an ACK got
			// through on a path this capture does not see.
			name: "retransmissions stopped", copies: []time.Duration{1000 * msec, 1500 * msec, 2500 * msec}, end: 20 * time.Second,
			severity: diagnose.Warning, summary: []string{"2 times"},
		},
		{
			name: "UAS gives up after 64*T1",
			copies: []time.Duration{1000 * msec, 1500 * msec, 2500 * msec, 4500 * msec, 8500 * msec, 12500 * msec, 16500 * msec, 20500 * msec,
				24500 * msec, 28500 * msec, 32500 * msec},
			bye: 33 * time.Second, end: 33 * time.Second, severity: diagnose.Error,
			summary: []string{"10 times", "500 ms, 1000 ms, 2000 ms, 4000 ms, 4000 ms", "the UAS gave up with a BYE 32.0 s after the first 200 OK (64*T1)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			s.udp(0, uacAddr, uasAddr, inviteMsg())
			for _, at := range tt.copies {
				s.udp(at, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
			}
			if tt.bye > 0 {
				s.udp(tt.bye, uasAddr, uacAddr, byeFromBob)
			} else {
				s.raw(tt.end, uacAddr, uasAddr, []byte("end"))
			}
			f := oneFinding(t, s.analyze().Findings, "ack.missing")
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s", f.Severity, tt.severity)
			}
			wantSummaryParts(t, f, tt.summary...)
		})
	}
}

// No finding on a healthy exchange, nor when one ACK was lost and the next
// one stopped the retransmissions.
func TestAckHealthy(t *testing.T) {
	t.Run("acknowledged at once", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(time.Second, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(time.Second+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack", 1))
		s.raw(40*time.Second, uacAddr, uasAddr, []byte("end"))
		noFinding(t, s.analyze().Findings, "ack.")
	})
	t.Run("one ACK lost", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, inviteMsg())
		s.udp(time.Second, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(time.Second+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack1", 1))
		s.udp(1500*msec, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(1540*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack2", 1))
		s.raw(10*time.Second, uacAddr, uasAddr, []byte("end"))
		noFinding(t, s.analyze().Findings, "ack.")
	})
}

// ACKs reach the address the UAS answers from, yet it keeps retransmitting.
func TestAckIgnored(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	for i, at := range []time.Duration{1000 * msec, 1500 * msec, 2500 * msec, 4500 * msec} {
		s.udp(at, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(at+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack"+string(rune('a'+i)), 1))
	}
	f := oneFinding(t, s.analyze().Findings, "ack.ignored")
	if f.Severity != diagnose.Warning {
		t.Errorf("severity %s", f.Severity)
	}
	wantSummaryParts(t, f, "3 times after the UAC's first ACK to 203.0.113.20:5060 (frame 3)")
	noFinding(t, findingsWithID(s.analyze().Findings, "ack.misrouted"), "ack.")
}

// An ACK whose CSeq does not match the INVITE's is not taken as its ACK;
// txn.cseq-mismatch names the cause instead of ack.missing.
func TestAckWithWrongCSeq(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	for i, at := range okCopyTimes {
		s.udp(at, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
		s.udp(at+40*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack"+string(rune('a'+i)), 2))
	}
	res := s.analyze()
	noFinding(t, res.Findings, "ack.")
	f := oneFinding(t, res.Findings, "txn.cseq-mismatch")
	wantSummaryParts(t, f, "3 ACKs sent by 198.51.100.10:5060 to 203.0.113.20:5060 carry CSeq 2, but the INVITE they acknowledge has CSeq 1")
}

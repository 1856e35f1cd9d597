package diagnose_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/diagnose"
)

func TestCallFailed(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		extra    []string
		cancel   bool
		severity diagnose.Severity // -1: no finding
		summary  []string
	}{
		{
			name: "503 with Reason and Warning", status: "503 Service Unavailable",
			extra:    []string{`Reason: Q.850;cause=34;text="No circuit available"`, `Warning: 399 gw.example "trunk down"`},
			severity: diagnose.Error,
			summary: []string{"INVITE from sip:alice@a.example (198.51.100.10:5060) to sip:bob@b.example was rejected with 503 Service Unavailable by 203.0.113.20:5060 after 2.0 s",
				`(Reason: Q.850;cause=34;text="No circuit available"; Warning: 399 gw.example "trunk down")`},
		},
		{name: "busy", status: "486 Busy Here", severity: diagnose.Warning, summary: []string{"rejected with 486 Busy Here"}},
		{name: "not acceptable", status: "488 Not Acceptable Here", severity: diagnose.Error},
		{name: "cancelled by the caller", status: "487 Request Terminated", cancel: true, severity: -1},
		{name: "redirect", status: "302 Moved Temporarily", severity: -1},
		{name: "408 is txn.408's", status: "408 Request Timeout", severity: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			s.udp(0, uacAddr, uasAddr, inviteMsg())
			s.udp(100*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 180 Ringing", "z9hG4bKinv", 1, "INVITE", "b1"))
			if tt.cancel {
				s.udp(1500*msec, uacAddr, uasAddr, dialogMsg("CANCEL sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "CANCEL", ""))
			}
			s.udp(2*time.Second, uasAddr, uacAddr, dialogMsg("SIP/2.0 "+tt.status, "z9hG4bKinv", 1, "INVITE", "b1", tt.extra...))
			s.udp(2*time.Second+10*msec, uacAddr, uasAddr, dialogMsg("ACK sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "ACK", "b1"))
			fs := s.analyze().Findings
			if tt.severity < 0 {
				noFinding(t, fs, "call.")
				return
			}
			f := oneFinding(t, fs, "call.failed")
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s", f.Severity, tt.severity)
			}
			wantSummaryParts(t, f, tt.summary...)
			wantEvidenceFrames(t, f, 1, 3)
		})
	}
}

// A failed first attempt followed by an answered one is not a failed call.
func TestCallFailedThenAnswered(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	s.udp(100*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 503 Service Unavailable", "z9hG4bKinv", 1, "INVITE", "x1"))
	s.udp(110*msec, uacAddr, uasAddr, dialogMsg("ACK sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "ACK", "x1"))
	s.udp(200*msec, uacAddr, uasAddr, strings.Replace(strings.Replace(inviteMsg(), "z9hG4bKinv", "z9hG4bKinv2", 1), "CSeq: 1", "CSeq: 2", 1))
	s.udp(time.Second, uasAddr, uacAddr, dialogMsg("SIP/2.0 200 OK", "z9hG4bKinv2", 2, "INVITE", "b1"))
	s.udp(time.Second+10*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20", "z9hG4bKack", 2))
	noFinding(t, s.analyze().Findings, "call.")
}

func TestReInviteRejected(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, inviteMsg())
	s.udp(time.Second, uasAddr, uacAddr, okMsg("sip:bob@203.0.113.20:5060"))
	s.udp(time.Second+10*msec, uacAddr, uasAddr, ackMsg("sip:bob@203.0.113.20:5060", "z9hG4bKack", 1))
	s.udp(5*time.Second, uacAddr, uasAddr, dialogMsg("INVITE sip:bob@203.0.113.20:5060 SIP/2.0", "z9hG4bKre", 2, "INVITE", "b1"))
	s.udp(5*time.Second+20*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 488 Not Acceptable Here", "z9hG4bKre", 2, "INVITE", "b1"))
	f := oneFinding(t, s.analyze().Findings, "call.failed")
	if f.Severity != diagnose.Warning {
		t.Errorf("severity %s", f.Severity)
	}
	wantSummaryParts(t, f, "re-INVITE from sip:alice@a.example (198.51.100.10:5060) to sip:bob@b.example was rejected with 488 Not Acceptable Here",
		"the call goes on with its previous session")
}

// registerMsg is a REGISTER from alice with or without credentials.
func registerMsg(branch string, cseq int, creds bool) string {
	extra := []string{"Contact: <sip:alice@198.51.100.10:5060>"}
	if creds {
		extra = append(extra, `Authorization: Digest username="alice", realm="b.example", nonce="n1", uri="sip:b.example", response="0123456789abcdef0123456789abcdef", algorithm=MD5`)
	}
	msg := fmt.Sprintf(`REGISTER sip:b.example SIP/2.0
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=%s
From: <sip:alice@b.example>;tag=r1
To: <sip:alice@b.example>
Call-ID: reg1
CSeq: %d REGISTER
`, branch, cseq)
	return msg + strings.Join(extra, "\n") + "\n"
}

func registerResponse(status, branch string, cseq int, extra ...string) string {
	msg := fmt.Sprintf(`SIP/2.0 %s
Via: SIP/2.0/UDP 198.51.100.10:5060;branch=%s
From: <sip:alice@b.example>;tag=r1
To: <sip:alice@b.example>;tag=srv
Call-ID: reg1
CSeq: %d REGISTER
`, status, branch, cseq)
	return msg + strings.Join(extra, "\n") + "\n"
}

const digestChallenge = `WWW-Authenticate: Digest realm="b.example", nonce="n1", algorithm=MD5, qop="auth"`

func TestRegisterRejectedAfterCredentials(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, registerMsg("z9hG4bKr1", 1, false))
	s.udp(10*msec, uasAddr, uacAddr, registerResponse("401 Unauthorized", "z9hG4bKr1", 1, digestChallenge))
	s.udp(20*msec, uacAddr, uasAddr, registerMsg("z9hG4bKr2", 2, true))
	s.udp(30*msec, uasAddr, uacAddr, registerResponse("403 Forbidden", "z9hG4bKr2", 2))
	fs := s.analyze().Findings
	f := oneFinding(t, fs, "call.failed")
	if f.Severity != diagnose.Error {
		t.Errorf("severity %s", f.Severity)
	}
	wantSummaryParts(t, f, "REGISTER from sip:alice@b.example (198.51.100.10:5060) was rejected with 403 Forbidden by 203.0.113.20:5060",
		"in reply to credentials it had asked for with 401 Unauthorized (frame 2)")
	wantEvidenceFrames(t, f, 2, 3, 4)
	noFinding(t, fs, "auth.loop")
}

func TestAuthLoop(t *testing.T) {
	tests := []struct {
		name    string
		creds   bool
		stale   bool
		summary []string
	}{
		{
			name: "credentials rejected", creds: true,
			summary: []string{"REGISTER for sip:alice@b.example from 198.51.100.10:5060 to 203.0.113.20:5060 was challenged 3 times (401 Unauthorized) without success",
				`credentials were sent and rejected 2 times (username "alice", realm "b.example")`},
		},
		{
			name: "stale nonce", creds: true, stale: true,
			summary: []string{"3 challenges said stale=true"},
		},
		{
			name:    "credentials never sent",
			summary: []string{"credentials were never sent: the UA retried without an Authorization or Proxy-Authorization header"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			ch := digestChallenge
			if tt.stale {
				ch += ", stale=true"
			}
			for i := range 3 {
				b := fmt.Sprintf("z9hG4bKr%d", i)
				at := time.Duration(i) * 100 * msec
				s.udp(at, uacAddr, uasAddr, registerMsg(b, i+1, tt.creds && i > 0))
				s.udp(at+10*msec, uasAddr, uacAddr, registerResponse("401 Unauthorized", b, i+1, ch))
			}
			fs := s.analyze().Findings
			f := oneFinding(t, fs, "auth.loop")
			if f.Severity != diagnose.Error {
				t.Errorf("severity %s", f.Severity)
			}
			wantSummaryParts(t, f, tt.summary...)
			if got := factOf[bool](t, f, "credentials_sent"); got != tt.creds {
				t.Errorf("credentials_sent %v, want %v", got, tt.creds)
			}
			wantEvidenceFrames(t, f, 1, 2, 3, 4, 5, 6)
			noFinding(t, fs, "call.failed") // auth.loop tells the story
		})
	}
}

// The normal digest handshake, and a refresh challenged again later, are
// not loops.
func TestAuthHandshakeIsNoLoop(t *testing.T) {
	s := newCaptureScene(t)
	for i, at := range []time.Duration{0, 30 * time.Second} {
		b1, b2 := fmt.Sprintf("z9hG4bKa%d", i), fmt.Sprintf("z9hG4bKb%d", i)
		s.udp(at, uacAddr, uasAddr, registerMsg(b1, 2*i+1, false))
		s.udp(at+10*msec, uasAddr, uacAddr, registerResponse("401 Unauthorized", b1, 2*i+1, digestChallenge))
		s.udp(at+20*msec, uacAddr, uasAddr, registerMsg(b2, 2*i+2, true))
		s.udp(at+30*msec, uasAddr, uacAddr, registerResponse("200 OK", b2, 2*i+2, "Contact: <sip:alice@198.51.100.10:5060>;expires=60"))
	}
	fs := s.analyze().Findings
	noFinding(t, fs, "auth.loop")
	noFinding(t, fs, "call.")
}

// A capture that starts after the INVITE still tells how the call ended,
// except when a CANCEL explains the 487.
func TestCallFailedWithoutInvite(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, uasAddr, uacAddr, dialogMsg("SIP/2.0 486 Busy Here", "z9hG4bKinv", 1, "INVITE", "b1"))
	s.udp(10*msec, uacAddr, uasAddr, dialogMsg("ACK sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "ACK", "b1"))
	f := oneFinding(t, s.analyze().Findings, "call.failed")
	wantSummaryParts(t, f, "INVITE from sip:alice@a.example (198.51.100.10:5060) to sip:bob@b.example was rejected with 486 Busy Here by 203.0.113.20:5060 (its request was not captured)")
	wantEvidenceFrames(t, f, 1)

	s = newCaptureScene(t)
	s.udp(0, uacAddr, uasAddr, dialogMsg("CANCEL sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "CANCEL", ""))
	s.udp(5*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 200 OK", "z9hG4bKinv", 1, "CANCEL", "b1"))
	s.udp(6*msec, uasAddr, uacAddr, dialogMsg("SIP/2.0 487 Request Terminated", "z9hG4bKinv", 1, "INVITE", "b1"))
	noFinding(t, s.analyze().Findings, "call.")
}

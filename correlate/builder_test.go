package correlate

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

var (
	alice = netip.MustParseAddrPort("10.0.0.1:5060")
	bob   = netip.MustParseAddrPort("10.0.0.2:5060")
	t0    = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
)

// flow feeds messages to a Builder. Each message is a SIP text with "\n"
// line ends; the helper turns them into CRLF and parses them for real.
type flow struct {
	t     *testing.T
	b     *Builder
	frame int
}

func newFlow(t *testing.T) *flow { return &flow{t: t, b: NewBuilder()} }

func (f *flow) send(at time.Duration, src, dst netip.AddrPort, text string) {
	f.t.Helper()
	f.frame++
	raw := strings.ReplaceAll(strings.TrimLeft(text, "\n"), "\n", "\r\n")
	m, err := sip.Parse([]byte(raw))
	if err != nil {
		f.t.Fatalf("frame %d: %v\n%s", f.frame, err, raw)
	}
	f.b.HandleSIP(&decode.SIPMessage{
		Meta:    decode.Meta{Frame: f.frame, Time: t0.Add(at), Src: src, Dst: dst},
		Message: m,
	})
}

func invite(branch string, cseq int, toTag string) string {
	to := "<sip:bob@b.example>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	return fmt.Sprintf(`INVITE sip:bob@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s
From: <sip:alice@a.example>;tag=a1
To: %s
Call-ID: call-1
CSeq: %d INVITE
Contact: <sip:alice@10.0.0.1>
Content-Length: 0

`, branch, to, cseq)
}

func response(code int, reason, branch string, cseq int, method, toTag string) string {
	to := "<sip:bob@b.example>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	return fmt.Sprintf(`SIP/2.0 %d %s
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s
From: <sip:alice@a.example>;tag=a1
To: %s
Call-ID: call-1
CSeq: %d %s
Content-Length: 0

`, code, reason, branch, to, cseq, method)
}

func request(method, branch string, cseq int, toTag string) string {
	to := "<sip:bob@b.example>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	return fmt.Sprintf(`%s sip:bob@10.0.0.2 SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s
From: <sip:alice@a.example>;tag=a1
To: %s
Call-ID: call-1
CSeq: %d %s
Content-Length: 0

`, method, branch, to, cseq, method)
}

func (f *flow) call() *Call {
	f.t.Helper()
	m := f.b.Model()
	if len(m.Calls) != 1 {
		f.t.Fatalf("got %d calls, want 1", len(m.Calls))
	}
	return m.Calls[0]
}

func retransFlags(c *Call) string {
	var b strings.Builder
	for _, m := range c.Messages {
		if m.Retransmission {
			b.WriteByte('R')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestRetransmissionVersusNewTransaction(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bK1", 1, ""))
	f.send(500*time.Millisecond, alice, bob, invite("z9hG4bK1", 1, "")) // Timer A retransmission
	f.send(600*time.Millisecond, bob, alice, response(407, "Proxy Authentication Required", "z9hG4bK1", 1, "INVITE", "b1"))
	f.send(610*time.Millisecond, alice, bob, request("ACK", "z9hG4bK1", 1, "b1"))
	f.send(620*time.Millisecond, alice, bob, invite("z9hG4bK2", 2, "")) // same bytes but new branch and CSeq: new transaction
	f.send(700*time.Millisecond, bob, alice, response(200, "OK", "z9hG4bK2", 2, "INVITE", "b2"))
	f.send(710*time.Millisecond, bob, alice, response(200, "OK", "z9hG4bK2", 2, "INVITE", "b2"))
	c := f.call()
	if got, want := retransFlags(c), ".R....R"; got != want {
		t.Errorf("retransmission flags %s, want %s", got, want)
	}
	if c.Retransmissions != 2 {
		t.Errorf("Retransmissions = %d, want 2", c.Retransmissions)
	}
	if len(c.Transactions) != 2 {
		t.Fatalf("%d transactions, want 2 (the non-2xx ACK belongs to the first INVITE)", len(c.Transactions))
	}
	if got := len(c.Transactions[0].Acks); got != 1 {
		t.Errorf("first INVITE has %d ACKs, want 1", got)
	}
	if c.State != StateAnswered {
		t.Errorf("state %q, want %q", c.State, StateAnswered)
	}
}

func TestForkedInvite(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bKf", 1, ""))
	f.send(100*time.Millisecond, bob, alice, response(180, "Ringing", "z9hG4bKf", 1, "INVITE", "fork1"))
	f.send(120*time.Millisecond, bob, alice, response(180, "Ringing", "z9hG4bKf", 1, "INVITE", "fork2"))
	f.send(2*time.Second, bob, alice, response(200, "OK", "z9hG4bKf", 1, "INVITE", "fork2"))
	c := f.call()
	if len(c.Dialogs) != 2 {
		t.Fatalf("%d dialogs, want 2 (one per To tag)", len(c.Dialogs))
	}
	states := map[string]string{}
	for _, d := range c.Dialogs {
		states[d.ToTag] = d.State
	}
	if states["fork1"] != "early" || states["fork2"] != "confirmed" {
		t.Errorf("dialog states %v, want fork1 early and fork2 confirmed", states)
	}
	if c.Retransmissions != 0 {
		t.Errorf("a 180 from another fork is not a retransmission: got %d", c.Retransmissions)
	}
	if got := c.PostDialDelay(); got != 100*time.Millisecond {
		t.Errorf("post-dial delay %v, want 100ms", got)
	}
	if got := c.AnswerDelay(); got != 2*time.Second {
		t.Errorf("answer delay %v, want 2s", got)
	}
}

func TestCancelMatchesInvite(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bKc", 1, ""))
	f.send(50*time.Millisecond, bob, alice, response(180, "Ringing", "z9hG4bKc", 1, "INVITE", "b1"))
	f.send(3*time.Second, alice, bob, request("CANCEL", "z9hG4bKc", 1, ""))
	f.send(3010*time.Millisecond, bob, alice, response(200, "OK", "z9hG4bKc", 1, "CANCEL", "b1"))
	f.send(3020*time.Millisecond, bob, alice, response(487, "Request Terminated", "z9hG4bKc", 1, "INVITE", "b1"))
	f.send(3030*time.Millisecond, alice, bob, request("ACK", "z9hG4bKc", 1, "b1"))
	c := f.call()
	if len(c.Transactions) != 2 {
		t.Fatalf("%d transactions, want INVITE and CANCEL", len(c.Transactions))
	}
	inv := c.Transactions[0]
	if inv.Method != "INVITE" || inv.Cancel == nil || inv.Cancel.Method != "CANCEL" {
		t.Fatalf("INVITE transaction not linked to its CANCEL: %+v", inv)
	}
	if inv.FinalCode() != 487 || len(inv.Acks) != 1 {
		t.Errorf("INVITE final %d with %d ACKs, want 487 with 1", inv.FinalCode(), len(inv.Acks))
	}
	if c.State != StateCancelled {
		t.Errorf("state %q, want %q", c.State, StateCancelled)
	}
	if c.Dialogs[0].State != "terminated" {
		t.Errorf("early dialog state %q after 487, want terminated", c.Dialogs[0].State)
	}
}

func TestAckOf2xxIsItsOwnTransaction(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bKi", 1, ""))
	f.send(time.Second, bob, alice, response(200, "OK", "z9hG4bKi", 1, "INVITE", "b1"))
	f.send(1100*time.Millisecond, alice, bob, request("ACK", "z9hG4bKack", 1, "b1"))
	f.send(5*time.Second, alice, bob, request("BYE", "z9hG4bKbye", 2, "b1"))
	f.send(5100*time.Millisecond, bob, alice, response(200, "OK", "z9hG4bKbye", 2, "BYE", "b1"))
	c := f.call()
	if len(c.Transactions) != 3 {
		t.Fatalf("%d transactions, want INVITE, ACK, BYE", len(c.Transactions))
	}
	if ack := c.Transactions[1]; ack.Method != "ACK" || ack.Branch != "z9hG4bKack" {
		t.Errorf("second transaction %s %s, want the 2xx ACK", ack.Method, ack.Branch)
	}
	if len(c.Transactions[0].Acks) != 0 {
		t.Error("a 2xx ACK was attached to the INVITE transaction")
	}
	if c.State != StateCompleted {
		t.Errorf("state %q, want completed", c.State)
	}
	if got := c.TalkTime(); got != 4*time.Second {
		t.Errorf("talk time %v, want 4s", got)
	}
	if c.Dialogs[0].State != "terminated" {
		t.Errorf("dialog %q after BYE, want terminated", c.Dialogs[0].State)
	}
}

func TestRFC2543Fallback(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("old1", 1, ""))
	f.send(500*time.Millisecond, alice, bob, invite("old1", 1, ""))
	f.send(time.Second, bob, alice, response(486, "Busy Here", "old1", 1, "INVITE", "b1"))
	f.send(1010*time.Millisecond, alice, bob, request("ACK", "old1", 1, "b1"))
	c := f.call()
	if got, want := retransFlags(c), ".R.."; got != want {
		t.Errorf("flags %s, want %s", got, want)
	}
	if len(c.Transactions) != 1 {
		t.Errorf("%d transactions, want 1", len(c.Transactions))
	}
	if c.State != StateRejected || c.Code != 486 {
		t.Errorf("state %q %d, want rejected 486", c.State, c.Code)
	}
}

func TestTimedOutInvite(t *testing.T) {
	f := newFlow(t)
	for i, at := range []time.Duration{0, 500, 1500, 3500, 7500, 15500, 31500} {
		_ = i
		f.send(at*time.Millisecond, alice, bob, invite("z9hG4bKt", 1, ""))
	}
	f.b.Observe(t0.Add(40 * time.Second))
	c := f.call()
	if c.State != StateTimedOut {
		t.Errorf("state %q, want timed out", c.State)
	}
	if c.Retransmissions != 6 {
		t.Errorf("retransmissions %d, want 6", c.Retransmissions)
	}
}

func TestInProgressWhenCaptureEndsEarly(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bKp", 1, ""))
	f.send(100*time.Millisecond, bob, alice, response(180, "Ringing", "z9hG4bKp", 1, "INVITE", "b1"))
	if c := f.call(); c.State != StateInProgress {
		t.Errorf("state %q, want in progress", c.State)
	}
}

func TestRegistrationAfterChallenge(t *testing.T) {
	f := newFlow(t)
	reg := func(branch string, cseq int, auth string) string {
		return fmt.Sprintf(`REGISTER sip:registrar.example SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s;rport
From: <sip:alice@registrar.example>;tag=r1
To: <sip:alice@registrar.example>
Call-ID: reg-1
CSeq: %d REGISTER
Contact: <sip:alice@10.0.0.1:5060>;expires=3600
%sContent-Length: 0

`, branch, cseq, auth)
	}
	resp := func(code int, reason, branch string, cseq int, extra string) string {
		return fmt.Sprintf(`SIP/2.0 %d %s
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s;rport=5060;received=10.0.0.1
From: <sip:alice@registrar.example>;tag=r1
To: <sip:alice@registrar.example>;tag=srv
Call-ID: reg-1
CSeq: %d REGISTER
%sContent-Length: 0

`, code, reason, branch, cseq, extra)
	}
	f.send(0, alice, bob, reg("z9hG4bKr1", 1, ""))
	f.send(20*time.Millisecond, bob, alice, resp(401, "Unauthorized", "z9hG4bKr1", 1, "WWW-Authenticate: Digest realm=\"x\", nonce=\"n\"\n"))
	f.send(40*time.Millisecond, alice, bob, reg("z9hG4bKr2", 2, "Authorization: Digest username=\"alice\", realm=\"x\", nonce=\"n\", uri=\"sip:registrar.example\", response=\"00\"\n"))
	f.send(60*time.Millisecond, bob, alice, resp(200, "OK", "z9hG4bKr2", 2, "Contact: <sip:alice@10.0.0.1:5060>;expires=600\n"))
	c := f.call()
	if c.Kind != KindRegistration || c.State != StateRegistered {
		t.Fatalf("kind %q state %q, want registration registered", c.Kind, c.State)
	}
	r := c.Registration
	if r.Challenges != 1 || r.Attempts != 2 || r.Expires != 600 || !r.Registered {
		t.Errorf("registration %+v, want 1 challenge, 2 attempts, 600 s granted", r)
	}
	if r.AOR != "sip:alice@registrar.example" || len(r.Contacts) != 1 || r.Contacts[0] != "sip:alice@10.0.0.1:5060" {
		t.Errorf("AOR %q contacts %v", r.AOR, r.Contacts)
	}
}

// A call with many transactions (a day of OPTIONS pings on one Call-ID)
// indexes them by key past txnMapAfter: matching works the same before and
// after, for requests, their retransmissions and responses, and for the
// RFC 2543 keys of branches without the magic cookie.
func TestManyTransactions(t *testing.T) {
	b := NewBuilder()
	frame := 0
	send := func(at time.Duration, text string) {
		frame++
		feed(t, b, frame, at, text)
	}
	const n = 3 * txnMapAfter
	for i := range n {
		branch := fmt.Sprintf("z9hG4bKo%d", i)
		if i%2 == 1 {
			branch = fmt.Sprintf("old%d", i) // RFC 2543: keyed by CSeq, From tag and Via
		}
		at := time.Duration(i) * time.Second
		send(at, request("OPTIONS", branch, i+1, ""))
		send(at+time.Millisecond, request("OPTIONS", branch, i+1, "")) // retransmission
		send(at+2*time.Millisecond, response(200, "OK", branch, i+1, "OPTIONS", "b"))
		send(at+3*time.Millisecond, response(200, "OK", branch, i+1, "OPTIONS", "b")) // retransmission
	}
	// A late retransmission of an early transaction, once the map is built.
	send(n*time.Second, response(200, "OK", "z9hG4bKo2", 3, "OPTIONS", "b"))
	c := b.Model().Calls[0]
	if len(c.Transactions) != n || c.txns == nil {
		t.Fatalf("%d transactions (indexed %v), want %d indexed", len(c.Transactions), c.txns != nil, n)
	}
	for i, tr := range c.Transactions {
		if len(tr.Requests) != 2 || tr.CSeq != uint32(i+1) || tr.Final == nil || !tr.Requests[1].Retransmission || !tr.Responses[1].Retransmission {
			t.Errorf("transaction %d (%s): %d requests, CSeq %d, final %v", i, tr.Key, len(tr.Requests), tr.CSeq, tr.Final != nil)
		}
	}
	if tr := c.Transactions[2]; len(tr.Responses) != 3 || !tr.Responses[2].Retransmission {
		t.Errorf("late retransmission: %d responses to transaction 2", len(tr.Responses))
	}
	if c.Retransmissions != 2*n+1 {
		t.Errorf("%d retransmissions, want %d", c.Retransmissions, 2*n+1)
	}
}

func TestIsCallKind(t *testing.T) {
	for _, m := range []string{"INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO", "REGISTER", "", "OPTIONS", "NOTIFY", "CALL", "call", "invite"} {
		if got, want := isCallKind(m), kindOf(m) == KindCall; got != want {
			t.Errorf("isCallKind(%q) = %v, kindOf says %v", m, got, want)
		}
	}
}

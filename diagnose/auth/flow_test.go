package auth_test

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/decode/sip/digest"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/diagnose/auth"
)

var (
	phone  = netip.MustParseAddrPort("10.0.0.1:5060")
	server = netip.MustParseAddrPort("10.0.0.2:5060")
	t0     = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
)

// flow feeds SIP messages, written with "\n" line ends, to a correlate
// Builder as the decoder would: one frame each, 10 ms apart.
type flow struct {
	t     *testing.T
	b     *correlate.Builder
	frame int
}

func newFlow(t *testing.T) *flow { return &flow{t: t, b: correlate.NewBuilder()} }

func (f *flow) send(src, dst netip.AddrPort, text string) {
	f.t.Helper()
	f.frame++
	// Line ends become CRLF in the head only: bodies are kept byte for byte.
	head, body, _ := strings.Cut(strings.TrimLeft(text, "\n"), "\n\n")
	raw := strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n" + body
	m, err := sip.Parse([]byte(raw))
	if err != nil {
		f.t.Fatalf("frame %d: %v\n%s", f.frame, err, raw)
	}
	f.b.HandleSIP(&decode.SIPMessage{
		Meta:    decode.Meta{Frame: f.frame, Time: t0.Add(time.Duration(f.frame) * 10 * time.Millisecond), Src: src, Dst: dst},
		Message: m,
	})
}

func (f *flow) model() *correlate.Model { return f.b.Model() }

func (f *flow) audit(opts auth.Options) *auth.Result {
	f.t.Helper()
	res, err := auth.Analyze(context.Background(), f.model(), opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// request is a request from the phone with extra header lines and a body.
func request(method, ruri, callID, branch string, cseq int, extra, body string) string {
	if body != "" {
		extra += fmt.Sprintf("Content-Type: application/sdp\nContent-Length: %d\n", len(body))
	} else {
		extra += "Content-Length: 0\n"
	}
	return fmt.Sprintf(`%s %s SIP/2.0
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>
Call-ID: %s
CSeq: %d %s
%s
%s`, method, ruri, branch, callID, cseq, method, extra, body)
}

// response is the server's response to a request.
func response(code int, callID, branch string, cseq int, method, extra string) string {
	return fmt.Sprintf(`SIP/2.0 %d Whatever
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=%s
From: <sip:alice@example.com>;tag=a1
To: <sip:bob@example.com>;tag=s%d
Call-ID: %s
CSeq: %d %s
%sContent-Length: 0

`, code, branch, cseq, callID, cseq, method, extra)
}

// credentials writes an Authorization-style header line answering with
// password; extra is appended to its parameters.
func credentials(header string, p digest.Params, password, extra string) string {
	s := fmt.Sprintf(`%s: Digest username="%s", realm="%s", nonce="%s", uri="%s", response="%s", algorithm=%s`,
		header, p.Username, p.Realm, p.Nonce, p.URI, p.Response(password), p.Algorithm)
	if p.QOP != "" {
		s += fmt.Sprintf(`, qop=%s, nc=%s, cnonce="%s"`, p.QOP, p.NC, p.CNonce)
	}
	return s + extra + "\n"
}

func params(method, uri, nonce string) digest.Params {
	return digest.Params{Algorithm: digest.MD5, Username: "alice", Realm: "example.com", Nonce: nonce,
		CNonce: "c0ffee", NC: "00000001", QOP: digest.QOPAuth, Method: method, URI: uri}
}

// registerFlow is a REGISTER challenged by a 401 and answered with password;
// the server answers code.
func registerFlow(t *testing.T, password string, code int) *flow {
	f := newFlow(t)
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK1", 1, "", ""))
	f.send(server, phone, response(401, "reg-1", "z9hG4bK1", 1, "REGISTER",
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\n"))
	p := params("REGISTER", "sip:example.com", "n1")
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK2", 2, credentials("Authorization", p, password, ""), ""))
	f.send(server, phone, response(code, "reg-1", "z9hG4bK2", 2, "REGISTER", ""))
	return f
}

func only(t *testing.T, res *auth.Result) *auth.Credential {
	t.Helper()
	if len(res.Credentials) != 1 {
		t.Fatalf("%d credentials, want 1", len(res.Credentials))
	}
	return res.Credentials[0]
}

// The status of one response for every combination of what is known.
func TestStatus(t *testing.T) {
	tests := []struct {
		name     string
		sent     string // the password the phone used
		code     int
		given    []auth.Password
		wordlist string
		status   string
		source   string
		weak     string
		reason   string
	}{
		{name: "right password given", sent: "Zebra-42", code: 200, given: []auth.Password{{User: "alice", Password: "Zebra-42"}},
			status: auth.StatusValid, source: auth.SourceGiven, reason: "fits the password given for alice@example.com"},
		{name: "given for the realm", sent: "Zebra-42", code: 200, given: []auth.Password{{User: "alice", Realm: "other.com", Password: "x"}, {User: "alice", Realm: "example.com", Password: "Zebra-42"}},
			status: auth.StatusValid, source: auth.SourceGiven, reason: "fits the password given for alice@example.com"},
		{name: "right password, server refuses", sent: "Zebra-42", code: 403, given: []auth.Password{{User: "alice", Password: "Zebra-42"}},
			status: auth.StatusValid, source: auth.SourceGiven,
			reason: "fits the password given for alice@example.com, yet the server answered 403: it holds another password for alice or refuses the account"},
		{name: "wrong password given", sent: "Zebra-42", code: 403, given: []auth.Password{{User: "alice", Password: "Zebra-43"}},
			status: auth.StatusInvalid, reason: "the password given for alice@example.com does not fit"},
		{name: "two wrong passwords given", sent: "Zebra-42", code: 403, given: []auth.Password{{User: "alice", Password: "a"}, {User: "alice", Realm: "example.com", Password: "b"}},
			status: auth.StatusInvalid, reason: "none of the 2 passwords given for alice@example.com fits"},
		{name: "given for another user only", sent: "Zebra-42", code: 200, given: []auth.Password{{User: "bob", Password: "Zebra-42"}},
			status: auth.StatusUnverified, reason: "no password known for alice@example.com"},
		{name: "password is the username", sent: "alice", code: 200,
			status: auth.StatusRecovered, source: auth.SourceGuess, weak: "the username", reason: "the password it sends is the username"},
		{name: "empty password", sent: "", code: 200,
			status: auth.StatusRecovered, source: auth.SourceGuess, weak: "empty", reason: "the password it sends is empty"},
		{name: "wrong given, phone sends the username", sent: "alice", code: 200, given: []auth.Password{{User: "alice", Password: "secret"}},
			status: auth.StatusInvalid, source: auth.SourceGuess, weak: "the username",
			reason: "the password given for alice@example.com does not fit; the password it sends is the username"},
		{name: "right given, and it is the username", sent: "alice", code: 200, given: []auth.Password{{User: "alice", Password: "alice"}},
			status: auth.StatusValid, source: auth.SourceGiven, weak: "the username", reason: "fits the password given for alice@example.com"},
		{name: "wordlist holds it", sent: "Zebra-42", code: 200, wordlist: "a\nb\nZebra-42\nc\n",
			status: auth.StatusRecovered, source: auth.SourceWordlist, weak: "in the wordlist", reason: "the password it sends is in the wordlist"},
		{name: "wordlist does not hold it", sent: "Zebra-42", code: 200, wordlist: "a\nb\n",
			status: auth.StatusUnverified, reason: "no password known for alice@example.com; no word of the wordlist fits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := registerFlow(t, tt.sent, tt.code)
			opts := auth.Options{Passwords: tt.given}
			if tt.wordlist != "" {
				opts.Wordlist = strings.NewReader(tt.wordlist)
			}
			res := f.audit(opts)
			c := only(t, res)
			if c.Status != tt.status || c.Source != tt.source || c.Weak != tt.weak || c.Reason != tt.reason {
				t.Errorf("status %q source %q weak %q reason\n %q\nwant %q %q %q\n %q", c.Status, c.Source, c.Weak, c.Reason,
					tt.status, tt.source, tt.weak, tt.reason)
			}
			if c.Fits != (tt.source != "") || c.Fits && c.Password != tt.sent {
				t.Errorf("Fits %v Password %q, sent %q", c.Fits, c.Password, tt.sent)
			}
			if c.Challenge == nil || c.Challenge.Frame != 2 || c.ResponseCode != tt.code || c.ResponseFrame != 4 {
				t.Errorf("challenge %v, answer %d in frame %d", c.Challenge, c.ResponseCode, c.ResponseFrame)
			}
			if (tt.wordlist != "") != (res.Wordlist != nil) {
				t.Errorf("Wordlist stats %v", res.Wordlist)
			}
		})
	}
}

// Malformed credentials say every problem and still say whether a
// password fits, since the problem may be the real cause of a rejection.
func TestMalformed(t *testing.T) {
	p := params("INVITE", "sip:bob@example.com", "n1")
	sha := p
	sha.Algorithm = digest.SHA256
	tests := []struct {
		name      string
		challenge string // 407 header line
		header    string // credentials line of the INVITE
		reason    string
	}{
		{name: "uri is not the Request-URI (ALG rewrote it)",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth"`,
			header:    credentials("Proxy-Authorization", params("INVITE", "sip:bob@192.168.1.20", "n1"), "Zebra-42", ""),
			reason:    `digest uri "sip:bob@192.168.1.20" is not the Request-URI "sip:bob@example.com"; fits the password given for alice@example.com`},
		{name: "algorithm not the one asked for",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5`,
			header:    credentials("Proxy-Authorization", sha, "Zebra-42", ""),
			reason:    `algorithm SHA-256 but the challenge in frame 2 asked for MD5; fits the password given for alice@example.com`},
		{name: "qop never offered, opaque dropped",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", opaque="op"`,
			header:    credentials("Proxy-Authorization", p, "wrong", ""),
			reason:    `qop auth was not offered by the challenge in frame 2; opaque differs from the challenge's in frame 2; the password given for alice@example.com does not fit`},
		{name: "Authorization answering a 407",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth"`,
			header:    credentials("Authorization", p, "Zebra-42", ""),
			reason:    `Authorization answers a Proxy-Authenticate challenge (frame 2): Proxy-Authorization expected; fits the password given for alice@example.com`},
		{name: "missing fields",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", qop="auth"`,
			header:    `Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@example.com", qop=auth, nc=00000001` + "\n",
			reason:    `missing response; missing cnonce`},
		{name: "unknown algorithm",
			challenge: `Proxy-Authenticate: Digest realm="example.com", nonce="n1", algorithm=AKAv1-MD5`,
			header:    `Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", uri="sip:bob@example.com", response="00", algorithm=AKAv1-MD5` + "\n",
			reason:    `unknown algorithm "AKAv1-MD5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlow(t)
			f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-1", "z9hG4bK1", 1, "", ""))
			f.send(server, phone, response(407, "call-1", "z9hG4bK1", 1, "INVITE", tt.challenge+"\n"))
			f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-1", "z9hG4bK2", 2, tt.header, ""))
			res := f.audit(auth.Options{Passwords: []auth.Password{{User: "alice", Password: "Zebra-42"}}})
			c := only(t, res)
			if c.Status != auth.StatusMalformed || c.Reason != tt.reason {
				t.Errorf("status %s reason\n %s\nwant\n %s", c.Status, c.Reason, tt.reason)
			}
			if c.Challenge == nil || c.Challenge.Frame != 2 {
				t.Errorf("not paired with the challenge in frame 2")
			}
		})
	}
}

// A 407 offering SHA-256 and MD5 with one nonce: the response pairs with
// the challenge of its algorithm; auth-int hashes the SDP body; the ACK of
// the 2xx copies the INVITE's credentials and is not listed.
func TestAlgorithmChoiceAuthIntAndACK(t *testing.T) {
	sdp := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
	f := newFlow(t)
	f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-1", "z9hG4bK1", 1, "", sdp))
	f.send(server, phone, response(407, "call-1", "z9hG4bK1", 1, "INVITE",
		"Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth-int,auth\"\n"+
			"Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"\n"))
	p := params("INVITE", "sip:bob@example.com", "n1")
	p.Algorithm, p.QOP, p.Body = digest.SHA256, digest.QOPAuthInt, []byte(sdp)
	cred := credentials("Proxy-Authorization", p, "Zebra-42", "")
	f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-1", "z9hG4bK2", 2, cred, sdp))
	f.send(server, phone, response(200, "call-1", "z9hG4bK2", 2, "INVITE", ""))
	f.send(phone, server, request("ACK", "sip:bob@10.0.0.2", "call-1", "z9hG4bK3", 2, cred, ""))
	res := f.audit(auth.Options{Passwords: []auth.Password{{User: "alice", Password: "Zebra-42"}}})
	if len(res.Challenges) != 2 {
		t.Fatalf("%d challenges, want 2", len(res.Challenges))
	}
	c := only(t, res)
	if c.Status != auth.StatusValid || c.Challenge != res.Challenges[0] || c.ResponseCode != 200 {
		t.Errorf("status %s (%s), challenge %+v, answer %d", c.Status, c.Reason, c.Challenge, c.ResponseCode)
	}
	if res.Skipped != 1 {
		t.Errorf("Skipped = %d, want 1 (the ACK)", res.Skipped)
	}
	if len(res.Challenges[1].Answers) != 0 || len(res.Challenges[0].Answers) != 1 {
		t.Errorf("answers: SHA-256 %d, MD5 %d", len(res.Challenges[0].Answers), len(res.Challenges[1].Answers))
	}
}

// A client reuses the nonce of a REGISTER's challenge in an INVITE of
// another Call-ID: the INVITE pairs with that challenge. Sending the same
// nonce count again is a replay; the server handing one nonce to two
// requests is reuse too.
func TestNonceAcrossCalls(t *testing.T) {
	f := newFlow(t)
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK1", 1, "", ""))
	f.send(server, phone, response(401, "reg-1", "z9hG4bK1", 1, "REGISTER",
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\"\n"))
	reg := params("REGISTER", "sip:example.com", "n1")
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK2", 2, credentials("Authorization", reg, "Zebra-42", ""), ""))
	f.send(server, phone, response(200, "reg-1", "z9hG4bK2", 2, "REGISTER", ""))
	inv := params("INVITE", "sip:bob@example.com", "n1")
	inv.NC = "00000002"
	f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-2", "z9hG4bK3", 1, credentials("Authorization", inv, "Zebra-42", ""), ""))
	f.send(server, phone, response(200, "call-2", "z9hG4bK3", 1, "INVITE", ""))
	// frame 7: the same nonce count again, in a BYE of call-2: a replay.
	bye := params("BYE", "sip:bob@example.com", "n1")
	bye.NC = "00000002"
	f.send(phone, server, request("BYE", "sip:bob@example.com", "call-2", "z9hG4bK4", 2, credentials("Authorization", bye, "Zebra-42", ""), ""))
	// frame 8-9: another REGISTER challenged with the same nonce n1.
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-3", "z9hG4bK5", 1, "", ""))
	f.send(server, phone, response(401, "reg-3", "z9hG4bK5", 1, "REGISTER",
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", qop=\"auth\"\n"))

	m := f.model()
	res, err := auth.Analyze(context.Background(), m, auth.Options{Passwords: []auth.Password{{User: "alice", Password: "Zebra-42"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Credentials) != 3 {
		t.Fatalf("%d credentials", len(res.Credentials))
	}
	for _, c := range res.Credentials {
		if c.Status != auth.StatusValid || c.Challenge == nil || c.Challenge.Frame != 2 {
			t.Errorf("frame %d: %s (%s), challenge %v", c.Frame, c.Status, c.Reason, c.Challenge)
		}
	}
	if c := res.Credentials[1]; c.CallID != "call-2" || c.Challenge.CallID != "reg-1" {
		t.Errorf("INVITE in %s paired with a challenge in %s", c.CallID, c.Challenge.CallID)
	}

	fs := diagnose.Run(&diagnose.Input{Model: m, Auth: res})
	got := findings(fs, "auth.nonce-reused")
	want := []string{"auth.nonce-reused [2 9] kind=server", "auth.nonce-reused [5 7] kind=client"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
}

// findings formats the findings with the id as "id [frames] kind=...".
func findings(fs []diagnose.Finding, id string) []string {
	var out []string
	for _, f := range fs {
		if f.ID != id {
			continue
		}
		s := fmt.Sprintf("%s %v", f.ID, f.Evidence.Frames)
		if k, ok := f.Evidence.Facts["kind"]; ok {
			s += fmt.Sprintf(" kind=%v", k)
		}
		out = append(out, s)
	}
	return out
}

// A password found for one response of a user makes another response of
// the same user that it does not fit invalid.
func TestInvalidByAnotherResponse(t *testing.T) {
	f := registerFlow(t, "Zebra-42", 200)
	p := params("REGISTER", "sip:example.com", "n1")
	p.NC = "00000002"
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK3", 3, credentials("Authorization", p, "Zebra-24", ""), ""))
	f.send(server, phone, response(403, "reg-1", "z9hG4bK3", 3, "REGISTER", ""))
	m := f.model()
	res, err := auth.Analyze(context.Background(), m, auth.Options{Wordlist: strings.NewReader("Zebra-42\n")})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Credentials[0]; c.Status != auth.StatusRecovered {
		t.Errorf("frame 3: %s", c.Status)
	}
	c := res.Credentials[1]
	if c.Status != auth.StatusInvalid || c.Reason != "the password that fits alice's response in frame 3 does not fit this one" {
		t.Errorf("frame 5: %s: %s", c.Status, c.Reason)
	}
	fs := diagnose.Run(&diagnose.Input{Model: m, Auth: res})
	if got := findings(fs, "auth.invalid-response"); len(got) != 1 || got[0] != "auth.invalid-response [5]" {
		t.Errorf("auth.invalid-response findings %v", got)
	}
	if got := findings(fs, "auth.weak-password"); len(got) != 1 || got[0] != "auth.weak-password [3]" {
		t.Errorf("auth.weak-password findings %v", got)
	}
}

// RFC 2069 challenges and clients that drop a qop the server offered.
func TestWeakAlgorithm(t *testing.T) {
	f := newFlow(t)
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK1", 1, "", ""))
	f.send(server, phone, response(401, "reg-1", "z9hG4bK1", 1, "REGISTER",
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n1\", algorithm=MD5\n"))
	f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-2", "z9hG4bK2", 1, "", ""))
	f.send(server, phone, response(407, "call-2", "z9hG4bK2", 1, "INVITE",
		"Proxy-Authenticate: Digest realm=\"example.com\", nonce=\"n2\", qop=\"auth\"\n"))
	p := params("INVITE", "sip:bob@example.com", "n2")
	p.QOP = digest.QOPNone
	f.send(phone, server, request("INVITE", "sip:bob@example.com", "call-2", "z9hG4bK3", 2, credentials("Proxy-Authorization", p, "x", ""), ""))
	// A response offering SHA-256 next to an RFC 2069 MD5 challenge is not "MD5 only".
	f.send(phone, server, request("REGISTER", "sip:example.com", "reg-3", "z9hG4bK4", 1, "", ""))
	f.send(server, phone, response(401, "reg-3", "z9hG4bK4", 1, "REGISTER",
		"WWW-Authenticate: Digest realm=\"example.com\", nonce=\"n3\", algorithm=SHA-256\nWWW-Authenticate: Digest realm=\"example.com\", nonce=\"n3\"\n"))
	m := f.model()
	fs := diagnose.Run(&diagnose.Input{Model: m})
	got := findings(fs, "auth.weak-algorithm")
	want := []string{"auth.weak-algorithm [2] kind=server", "auth.weak-algorithm [5] kind=client"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
}

// A client that sends H(name:realm) instead of its name (RFC 7616 userhash)
// is verified once the user's password is given.
func TestUserhash(t *testing.T) {
	p := params("REGISTER", "sip:example.com", "n1")
	p.Algorithm = digest.SHA512_256
	hashed := digest.UserHash(digest.SHA512_256, "alice", "example.com")
	line := strings.Replace(credentials("Authorization", p, "Zebra-42", ", userhash=true"), `username="alice"`, `username="`+hashed+`"`, 1)
	for _, tt := range []struct {
		given  []auth.Password
		status string
		name   string
	}{
		{[]auth.Password{{User: "bob", Password: "x"}, {User: "alice", Realm: "example.com", Password: "Zebra-42"}}, auth.StatusValid, "alice"},
		{nil, auth.StatusUnverified, ""},
	} {
		f := newFlow(t)
		f.send(phone, server, request("REGISTER", "sip:example.com", "reg-1", "z9hG4bK1", 1, line, ""))
		c := only(t, f.audit(auth.Options{Passwords: tt.given}))
		if c.Status != tt.status || c.Name != tt.name || c.Username != hashed {
			t.Errorf("given %v: status %s (%s), name %q", tt.given, c.Status, c.Reason, c.Name)
		}
	}
}

package auth

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

// FuzzAnalyze: whatever digest headers requests and responses carry, the
// audit neither panics nor loses a credential, and every credential gets a
// status with a reason.
func FuzzAnalyze(f *testing.F) {
	f.Add(`Digest realm="r", nonce="n", qop="auth"`,
		`Digest username="u", realm="r", nonce="n", uri="sip:r", response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c"`, "u=u")
	f.Add(`Digest realm="r", nonce="n", algorithm=SHA-256-sess, userhash=true`,
		`Digest username="aa", realm="r", nonce="n", uri="sip:x", response="", algorithm=SHA-256-sess, userhash=true`, "u@r=")
	f.Add(`Basic realm="x"`, `Digest username*=UTF-8''%C3%A4, realm="r", nonce="n", uri="sip:r", response="zz"`, "x")
	f.Fuzz(func(t *testing.T, challenge, credentials, password string) {
		b := correlate.NewBuilder()
		a := netip.MustParseAddrPort("10.0.0.1:5060")
		z := netip.MustParseAddrPort("10.0.0.2:5060")
		msgs := []string{
			"REGISTER sip:r SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:u@r>;tag=1\r\nTo: <sip:u@r>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n\r\n",
			"SIP/2.0 401 No\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:u@r>;tag=1\r\nTo: <sip:u@r>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: " + oneLine(challenge) + "\r\n\r\n",
			"REGISTER sip:r SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\nFrom: <sip:u@r>;tag=1\r\nTo: <sip:u@r>\r\nCall-ID: c\r\nCSeq: 2 REGISTER\r\nAuthorization: " + oneLine(credentials) + "\r\n\r\n",
		}
		want := 0
		for i, s := range msgs {
			m, err := sip.Parse([]byte(s))
			if err != nil {
				return
			}
			if i == 2 {
				want = len(m.Auth("Authorization"))
				for _, au := range m.Auth("Authorization") {
					if !strings.EqualFold(au.Scheme, "Digest") {
						want--
					}
				}
			}
			src, dst := a, z
			if i == 1 {
				src, dst = z, a
			}
			b.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: i + 1, Time: time.Unix(int64(i), 0), Src: src, Dst: dst}, Message: m})
		}
		var opts Options
		if p, err := ParsePassword(password); err == nil {
			opts.Passwords = []Password{p}
		}
		res, err := Analyze(context.Background(), b.Model(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Credentials) != want {
			t.Fatalf("%d credentials, want %d", len(res.Credentials), want)
		}
		for _, c := range res.Credentials {
			if c.Status == "" || c.Reason == "" {
				t.Fatalf("credential without status or reason: %+v", c)
			}
		}
	})
}

func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }

// FuzzReadPasswords: any file reads without panicking, and every password
// read names a user.
func FuzzReadPasswords(f *testing.F) {
	f.Add("# c\n1011:1011\r\nalice@example.com:pa:ss\n\n")
	f.Add(":x\n")
	f.Fuzz(func(t *testing.T, in string) {
		ps, err := ReadPasswords(strings.NewReader(in), "f")
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.User == "" {
				t.Fatalf("empty user from %q", in)
			}
		}
	})
}

package digest

import (
	"errors"
	"testing"

	"github.com/sipscope/sipscope/decode/sip"
)

// FuzzParseCredentials: any header value parses without panicking; when
// ParseCredentials finds nothing wrong, the response is checkable, and the
// fast checker agrees with the plain formula on a candidate password.
func FuzzParseCredentials(f *testing.F) {
	for _, s := range []string{
		`Digest username="1011",realm="47.98.109.96",nonce="b54499e4-9083-4853-a1c4-d9b0756af9a2",uri="sip:47.98.109.96",response="e55ca998d27ee109798c60b2ef646ff3",algorithm=MD5,cnonce="b8877d7c2d75cd7c67ec9ab96d9c55ea",qop=auth,nc=00000001`,
		`Digest username="1011",realm="47.98.109.96",nonce="",uri="sip:47.98.109.96",response=""`,
		`Digest username*=UTF-8''J%C3%A4s%C3%B8n, realm="r", nonce="n", uri="/", response="0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", algorithm=SHA-512-256-sess, qop=auth-int, nc=00000001, cnonce="c", userhash=true`,
		`Digest realm="asterisk", nonce="54bd660f", algorithm=MD5, qop="auth,auth-int"`,
		`Digest username="u", realm="r", nonce="n", uri="sip:x", response="0123456789abcdef0123456789abcdef", algorithm=MD5-sess, cnonce="c"`,
		`Bearer abc==`,
	} {
		f.Add(s, "password")
	}
	f.Fuzz(func(t *testing.T, value, password string) {
		a, _ := sip.ParseAuth(value)
		if _, err := ParseChallenge(a); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("ParseChallenge error %v is not ErrMalformed", err)
		}
		c, err := ParseCredentials(a)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseCredentials error %v is not ErrMalformed", err)
			}
			return
		}
		p := c.Params(c.Username, "REGISTER", []byte(value))
		tg, err := NewTarget(p, c.Response)
		if err != nil {
			t.Fatalf("well-formed credentials %+v: NewTarget: %v", c, err)
		}
		var ch Checker
		if got, want := ch.Check(tg, []byte(password)), p.Verify(password, c.Response); got != want {
			t.Fatalf("Checker says %v, formula says %v", got, want)
		}
		// The formula's own response always passes the checker.
		right, err := NewTarget(p, p.Response(password))
		if err != nil || !ch.Check(right, []byte(password)) {
			t.Fatalf("checker rejects the formula's response: %v", err)
		}
	})
}

// FuzzChecker compares the fast checker and the audit workers, scalar and
// lane-wise, with the plain formula, for every algorithm and qop, on
// arbitrary parameters.
func FuzzChecker(f *testing.F) {
	for _, v := range vectors {
		f.Add(uint8(v.p.Algorithm), v.p.QOP, v.p.Username, v.p.Realm, v.p.Nonce, v.p.CNonce, v.p.URI, v.password, "other")
	}
	f.Fuzz(func(t *testing.T, alg uint8, qop, user, realm, nonce, cnonce, uri, password, other string) {
		p := Params{Algorithm: Algorithm(alg%6 + 1), QOP: qop, Username: user, Realm: realm, Nonce: nonce,
			CNonce: cnonce, NC: "00000001", Method: "INVITE", URI: uri, Body: []byte(other)}
		resp := p.Response(password)
		tg, err := NewTarget(p, resp)
		if qop != QOPNone && qop != QOPAuth && qop != QOPAuthInt {
			if err == nil {
				t.Fatalf("NewTarget accepted qop %q", qop)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var c Checker
		if !c.Check(tg, []byte(password)) {
			t.Fatalf("%v: right password rejected", p.Algorithm)
		}
		if c.Check(tg, []byte(other)) != (other == password) {
			t.Fatalf("%v: checker and formula disagree on %q", p.Algorithm, other)
		}
		a := NewAudit([]*Target{tg, tg})
		a.Try(other, password)
		for i := range 2 {
			if got, ok := a.Found(i); !ok || got != password && got != other {
				t.Fatalf("audit found %q, %v", got, ok)
			}
		}
		// The wordlist's worker, on the lanes for MD5, the password in the
		// second lane of a short batch.
		b := NewAudit([]*Target{tg})
		w := b.newWorker()
		w.useLanes()
		w.add([]byte(other))
		w.add([]byte(password))
		w.flush()
		if got, ok := b.Found(0); !ok || got != password {
			t.Fatalf("%v: wordlist worker found %q, %v", p.Algorithm, got, ok)
		}
	})
}

package digest

import (
	"errors"
	"reflect"
	"testing"

	"github.com/sipscope/sipscope/decode/sip"
)

func mustAuth(t *testing.T, s string) sip.Auth {
	t.Helper()
	a, err := sip.ParseAuth(s)
	if err != nil {
		t.Fatalf("ParseAuth(%q): %v", s, err)
	}
	return a
}

func TestParseChallenge(t *testing.T) {
	tests := []struct {
		in   string
		want Challenge
		err  string
	}{
		{ // the seed's 401 (testdata/freeswitch-nat.pcap frame 2)
			in:   `Digest realm="47.98.109.96", nonce="b54499e4-9083-4853-a1c4-d9b0756af9a2", stale=true, algorithm=MD5, qop="auth"`,
			want: Challenge{Realm: "47.98.109.96", Nonce: "b54499e4-9083-4853-a1c4-d9b0756af9a2", Algorithm: "MD5", QOP: []string{"auth"}, Stale: true},
		},
		{ // Asterisk, sip-auth-failure.pcapng frame 2: RFC 2069, no qop
			in:   `Digest algorithm=MD5, realm="asterisk", nonce="54bd660f"`,
			want: Challenge{Realm: "asterisk", Nonce: "54bd660f", Algorithm: "MD5"},
		},
		{
			in: `Digest realm="http-auth@example.org", qop="auth, Auth-Int", algorithm=SHA-256, nonce="n", opaque="o", userhash=true, stale=FALSE`,
			want: Challenge{Realm: "http-auth@example.org", Nonce: "n", Opaque: "o", Algorithm: "SHA-256",
				QOP: []string{"auth", "auth-int"}, Userhash: true},
		},
		{
			in:   `Digest realm="r", algorithm=AKAv1-MD5, qop="auth,foo"`,
			want: Challenge{Realm: "r", Algorithm: "AKAv1-MD5", QOP: []string{"auth", "foo"}},
			err:  `digest: malformed: missing nonce; unknown algorithm "AKAv1-MD5"; unknown qop "foo"`,
		},
		{in: `Basic realm="x"`, err: `digest: malformed: scheme "Basic" is not Digest`},
	}
	for _, tt := range tests {
		got, err := ParseChallenge(mustAuth(t, tt.in))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseChallenge(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
		checkErr(t, tt.in, err, tt.err)
	}
}

func TestChallengeOffers(t *testing.T) {
	c := Challenge{QOP: []string{"auth", "auth-int"}}
	if !c.Offers(QOPAuth) || !c.Offers(QOPAuthInt) || c.Offers(QOPNone) {
		t.Errorf("%v: Offers wrong", c.QOP)
	}
	if c := (Challenge{}); !c.Offers(QOPNone) || c.Offers(QOPAuth) {
		t.Errorf("no qop: Offers wrong")
	}
}

func checkErr(t *testing.T, in string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%q: unexpected error %v", in, err)
	case want != "" && err == nil:
		t.Errorf("%q: no error, want %q", in, want)
	case want != "" && err.Error() != want:
		t.Errorf("%q: error\n %v, want\n %s", in, err, want)
	case err != nil && !errors.Is(err, ErrMalformed):
		t.Errorf("%q: error %v is not ErrMalformed", in, err)
	}
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		in   string
		want Credentials
		err  string
	}{
		{ // the seed's second REGISTER (frame 3)
			in: `Digest username="1011",realm="47.98.109.96",nonce="b54499e4-9083-4853-a1c4-d9b0756af9a2",uri="sip:47.98.109.96",response="e55ca998d27ee109798c60b2ef646ff3",algorithm=MD5,cnonce="b8877d7c2d75cd7c67ec9ab96d9c55ea",qop=auth,nc=00000001`,
			want: Credentials{Username: "1011", Realm: "47.98.109.96", Nonce: "b54499e4-9083-4853-a1c4-d9b0756af9a2",
				URI: "sip:47.98.109.96", Response: "e55ca998d27ee109798c60b2ef646ff3", Algorithm: "MD5",
				CNonce: "b8877d7c2d75cd7c67ec9ab96d9c55ea", QOP: "auth", NC: "00000001"},
		},
		{ // the seed's first REGISTER (frame 1): empty nonce and response
			in:   `Digest username="1011",realm="47.98.109.96",nonce="",uri="sip:47.98.109.96",response=""`,
			want: Credentials{Username: "1011", Realm: "47.98.109.96", URI: "sip:47.98.109.96"},
			err:  "digest: malformed: empty nonce; empty response",
		},
		{ // RFC 2069 style, Asterisk capture frame 3
			in: `Digest username="telephone1",realm="asterisk",nonce="54bd660f",uri="sip:172.16.98.101;transport=UDP",response="9d8d8d88f4fbf069f90ebba0f6aa1cb8",algorithm=MD5`,
			want: Credentials{Username: "telephone1", Realm: "asterisk", Nonce: "54bd660f", URI: "sip:172.16.98.101;transport=UDP",
				Response: "9d8d8d88f4fbf069f90ebba0f6aa1cb8", Algorithm: "MD5"},
		},
		{
			in:   `Digest realm="r", nonce="n", uri="sip:x", response="0123", qop=auth, nc=1, algorithm=SHA-256`,
			want: Credentials{Realm: "r", Nonce: "n", URI: "sip:x", Response: "0123", Algorithm: "SHA-256", QOP: "auth", NC: "1"},
			err:  `digest: malformed: missing username; response is not 64 hex digits as SHA-256 needs; missing cnonce; nc "1" is not 8 hex digits`,
		},
		{
			in:   `Digest username="u", realm="r", nonce="n", uri="sip:x", response="xyz", algorithm=AKAv1-MD5, qop=auth-conf`,
			want: Credentials{Username: "u", Realm: "r", Nonce: "n", URI: "sip:x", Response: "xyz", Algorithm: "AKAv1-MD5", QOP: "auth-conf"},
			err:  `digest: malformed: unknown algorithm "AKAv1-MD5"; unknown qop "auth-conf"`,
		},
		{
			in:   `Digest username="u", nonce="n", uri="sip:x", response="0123456789abcdef0123456789ABCDEF", algorithm=MD5-sess, qop=`,
			want: Credentials{Username: "u", Nonce: "n", URI: "sip:x", Response: "0123456789abcdef0123456789ABCDEF", Algorithm: "MD5-sess"},
			err:  `digest: malformed: missing realm; empty qop; MD5-sess without a cnonce`,
		},
		{ // RFC 7616 §3.4.4 extended notation for a name that is not ASCII
			in: `Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe+, realm="api@example.org", nonce="n", uri="/", response="0123456789abcdef0123456789abcdef", userhash=false`,
			want: Credentials{Username: "J\u00e4s\u00f8n Doe+", Realm: "api@example.org", Nonce: "n", URI: "/",
				Response: "0123456789abcdef0123456789abcdef"},
		},
		{
			in:   `Digest username*=ISO-8859-1'en'x, username="x", realm="r", nonce="n", uri="/", response="0123456789abcdef0123456789abcdef", userhash=TRUE`,
			want: Credentials{Realm: "r", Nonce: "n", URI: "/", Response: "0123456789abcdef0123456789abcdef", Userhash: true},
			err:  `digest: malformed: bad username*: charset "ISO-8859-1" is not UTF-8; both username and username*`,
		},
		{in: `Bearer abc==`, err: `digest: malformed: scheme "Bearer" is not Digest`},
	}
	for _, tt := range tests {
		got, err := ParseCredentials(mustAuth(t, tt.in))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCredentials(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
		checkErr(t, tt.in, err, tt.err)
	}
}

// Credentials read from a header and the request's method give back the
// response the header carries: the seed's REGISTER, end to end.
func TestCredentialsParams(t *testing.T) {
	c, err := ParseCredentials(mustAuth(t, `Digest username="1011",realm="47.98.109.96",nonce="b54499e4-9083-4853-a1c4-d9b0756af9a2",uri="sip:47.98.109.96",response="e55ca998d27ee109798c60b2ef646ff3",algorithm=MD5,cnonce="b8877d7c2d75cd7c67ec9ab96d9c55ea",qop=auth,nc=00000001`))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Params(c.Username, "REGISTER", nil)
	if !p.Verify("1011", c.Response) {
		t.Error("the seed's REGISTER does not verify with password 1011")
	}
	if p.Verify("1012", c.Response) {
		t.Error("the seed's REGISTER verifies with password 1012")
	}
}

package sip

import (
	"reflect"
	"testing"
)

func TestParseAuth(t *testing.T) {
	tests := []struct {
		in   string
		want Auth
		err  string
	}{
		{in: `Digest username="1011",realm="47.98.109.96",nonce="",uri="sip:47.98.109.96",response=""`,
			want: Auth{Scheme: "Digest", Params: map[string]string{"username": "1011", "realm": "47.98.109.96", "nonce": "", "uri": "sip:47.98.109.96", "response": ""}}},
		{in: `Digest  Realm = "a, b" , NONCE="x\"y\\z",algorithm=MD5, qop="auth,auth-int", stale`,
			want: Auth{Scheme: "Digest", Params: map[string]string{"realm": "a, b", "nonce": `x"y\z`, "algorithm": "MD5", "qop": "auth,auth-int", "stale": ""}}},
		{in: `Bearer mF_9.B5f-4.1JqM==`, want: Auth{Scheme: "Bearer", Token: "mF_9.B5f-4.1JqM=="}},
		{in: `Digest`, want: Auth{Scheme: "Digest"}},
		{in: `Digest uri=sip:a@b;transport=udp, nc=1`, want: Auth{Scheme: "Digest", Params: map[string]string{"uri": "sip:a@b;transport=udp", "nc": "1"}}},
		{in: ``, err: `sip: malformed: auth "": missing scheme`},
		{in: `Digest,realm="x"`, want: Auth{Scheme: "Digest"}, err: `sip: malformed: auth "Digest,realm=\"x\"": scheme not followed by a space`},
		{in: `Digest realm="x`, want: Auth{Scheme: "Digest"}, err: `sip: malformed: auth "Digest realm=\"x": unterminated quoted string`},
		{in: `Digest realm="x" nonce="y"`, want: Auth{Scheme: "Digest", Params: map[string]string{"realm": "x"}},
			err: `sip: malformed: auth "Digest realm=\"x\" nonce=\"y\"": junk after parameter realm`},
	}
	for _, tt := range tests {
		got, err := ParseAuth(tt.in)
		tt.want.Raw = tt.in
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseAuth(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseAuth(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("ParseAuth(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func TestMessageAuthSeveralChallenges(t *testing.T) {
	m := mustParse(t, "SIP/2.0 407 Proxy Authentication Required\r\n"+mandatory+
		"Proxy-Authenticate: Digest realm=\"a\", nonce=\"1\", Digest realm=\"b\", nonce=\"2\", algorithm=SHA-256\r\n"+
		"Proxy-Authenticate: Digest realm=\"c\"\r\n\r\n")
	got := m.Auth("proxy-authenticate")
	want := []Auth{
		{Scheme: "Digest", Params: map[string]string{"realm": "a", "nonce": "1"}, Raw: `Digest realm="a", nonce="1"`},
		{Scheme: "Digest", Params: map[string]string{"realm": "b", "nonce": "2", "algorithm": "SHA-256"}, Raw: `Digest realm="b", nonce="2", algorithm=SHA-256`},
		{Scheme: "Digest", Params: map[string]string{"realm": "c"}, Raw: `Digest realm="c"`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Auth =\n %+v, want\n %+v", got, want)
	}
	if m.Auth("Authorization") != nil {
		t.Errorf("Auth of an absent header is not nil")
	}
}

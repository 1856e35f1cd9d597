package auth

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePassword(t *testing.T) {
	tests := []struct {
		in   string
		want Password
		err  string
	}{
		{in: "1011=1011", want: Password{User: "1011", Password: "1011"}},
		{in: "1011@47.98.109.96=s3=cret", want: Password{User: "1011", Realm: "47.98.109.96", Password: "s3=cret"}},
		{in: "alice@ims.example.com@ims.example.com=x", want: Password{User: "alice@ims.example.com", Realm: "ims.example.com", Password: "x"}},
		{in: "bob=", want: Password{User: "bob"}},
		{in: "bob:secret", err: `password "bob:...": want USER[@REALM]=PASSWORD`},
		{in: "=secret", err: `password for "": empty user`},
		{in: "@realm=secret", err: `password for "@realm": empty user`},
	}
	for _, tt := range tests {
		got, err := ParsePassword(tt.in)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("ParsePassword(%q) = %+v, %v; want %+v, %q", tt.in, got, err, tt.want, tt.err)
		}
		// No error message shows the password.
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("ParsePassword(%q) error shows the password: %v", tt.in, err)
		}
	}
}

func TestReadPasswords(t *testing.T) {
	in := "# accounts\n1011:1011\r\n\n  \nalice@example.com:pa:ss word \n#bob:x\n"
	got, err := ReadPasswords(strings.NewReader(in), "accounts.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := []Password{{User: "1011", Password: "1011"}, {User: "alice", Realm: "example.com", Password: "pa:ss word "}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadPasswords = %+v, want %+v", got, want)
	}
	for in, msg := range map[string]string{
		"ok:1\nno colon here\n": "accounts.txt:2: want user[@realm]:password",
		":secret\n":             `accounts.txt:1: password for "": empty user`,
	} {
		_, err := ReadPasswords(strings.NewReader(in), "accounts.txt")
		if err == nil || err.Error() != msg {
			t.Errorf("ReadPasswords(%q) error %v, want %s", in, err, msg)
		}
	}
}

func TestPasswordMatches(t *testing.T) {
	tests := []struct {
		p           Password
		name, realm string
		want        bool
	}{
		{Password{User: "1011"}, "1011", "47.98.109.96", true},
		{Password{User: "1011"}, "1012", "47.98.109.96", false},
		{Password{User: "1011", Realm: "47.98.109.96"}, "1011", "47.98.109.96", true},
		{Password{User: "1011", Realm: "other"}, "1011", "47.98.109.96", false},
		// An IMS private identity given as user@domain, realm unrelated.
		{Password{User: "alice", Realm: "ims.example.com"}, "alice@ims.example.com", "ims.mnc001.mcc001.3gppnetwork.org", true},
	}
	for _, tt := range tests {
		if got := tt.p.Matches(tt.name, tt.realm); got != tt.want {
			t.Errorf("%+v.Matches(%q, %q) = %v", tt.p, tt.name, tt.realm, got)
		}
	}
}

func TestSameURI(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"sip:47.98.109.96", "sip:47.98.109.96", true},
		{"sip:bob@EXAMPLE.com", "sip:bob@example.com", true},
		{"sip:Bob@example.com", "sip:bob@example.com", false}, // the user part is case-sensitive
		{"sip:bob@example.com", "sips:bob@example.com", false},
		{"sip:bob@example.com", "sip:bob@example.com:5060", false}, // an explicit default port differs
		{"sip:172.16.98.101;transport=UDP", "sip:172.16.98.101;transport=udp", true},
		{"sip:172.16.98.101", "sip:172.16.98.101;transport=UDP", true}, // transport in one only is ignored
		{"sip:bob@example.com;user=phone", "sip:bob@example.com", false},
		{"sip:bob@example.com", "sip:bob@example.com;maddr=10.0.0.1", false},
		{"sip:bob@example.com;lr;foo=1", "sip:bob@example.com;foo=2", false},
		{"sip:bob@example.com?subject=a", "sip:bob@example.com", false},
		{"sip:bob@192.168.1.20", "sip:bob@example.com", false},
		{"tel:+15551234", "TEL:+15551234", true},
		{"*", "sip:x", false},
	}
	for _, tt := range tests {
		if got := SameURI(tt.a, tt.b); got != tt.want {
			t.Errorf("SameURI(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := SameURI(tt.b, tt.a); got != tt.want {
			t.Errorf("SameURI(%q, %q) = %v, want %v (swapped)", tt.b, tt.a, got, tt.want)
		}
	}
}

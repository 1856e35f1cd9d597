package redact

import (
	"net/netip"
	"strings"
	"testing"
)

// Frame 3 of testdata/freeswitch-nat.pcap, shortened: the REGISTER with digest credentials.
const register = "REGISTER sip:47.98.109.96 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 192.168.1.107:62118;branch=z9hG4bK-1433452147;rport\r\n" +
	"From: <sip:1011@47.98.109.96:50620>;tag=529397402\r\n" +
	"To: \"Alice Smith\" <sip:1011@47.98.109.96:50620>\r\n" +
	"Authorization: Digest username=\"1011\",realm=\"47.98.109.96\",nonce=\"b54499e4-9083-4853-a1c4-d9b0756af9a2\"," +
	"uri=\"sip:47.98.109.96\",response=\"e55ca998d27ee109798c60b2ef646ff3\",algorithm=MD5," +
	"cnonce=\"b8877d7c2d75cd7c67ec9ab96d9c55ea\",qop=auth,nc=00000001\r\n" +
	"Subject: call back 1011 at tel:+14155550100\r\n" +
	"\r\n"

func TestText(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		in         string
		contains   []string
		notContain []string
	}{
		{
			name:       "auth only masks credentials and nothing else",
			opts:       Options{Auth: true},
			in:         register,
			contains:   []string{`nonce="nonce-1"`, `response="redacted"`, `cnonce="cnonce-1"`, "sip:1011@47.98.109.96", `username="1011"`, "nc=00000001"},
			notContain: []string{"b54499e4", "e55ca998", "b8877d7c"},
		},
		{
			name:       "an empty nonce stays empty: it is evidence",
			opts:       Options{Auth: true},
			in:         `Authorization: Digest username="1011",nonce="",response=""`,
			contains:   []string{`nonce=""`, `response=""`},
			notContain: []string{"redacted"},
		},
		{
			name:       "users: URI users, digest user name, display name, free text and tel numbers",
			opts:       Options{Auth: true, Users: true},
			in:         register,
			contains:   []string{"sip:user1@47.98.109.96:50620", `username="user1"`, `"name1" <sip:user1@`, "call back user1 at tel:user2", "192.168.1.107"},
			notContain: []string{"1011", "Alice", "14155550100"},
		},
		{
			name:       "addresses become documentation addresses, ports kept",
			opts:       Options{Auth: true, Users: true, Addrs: true},
			in:         register,
			contains:   []string{"REGISTER sip:203.0.113.1 SIP/2.0", "Via: SIP/2.0/UDP 203.0.113.2:62118", "sip:user1@203.0.113.1:50620"},
			notContain: []string{"47.98", "192.168"},
		},
		{
			name:       "IPv6 and a URI password",
			opts:       Options{Users: true, Addrs: true},
			in:         "INVITE sip:bob:secret@[2001:DB8:aa::5]:5060 SIP/2.0\r\nc=IN IP6 fe80::1\r\nDate: Tue, 28 Aug 2018 10:14:22 GMT\r\n",
			contains:   []string{"sip:user1:redacted@[2001:db8::1]:5060", "IN IP6 2001:db8::2", "10:14:22 GMT"},
			notContain: []string{"secret", "bob", "aa::5", "fe80"},
		},
		{
			name:     "short users are replaced in URIs only",
			opts:     Options{Users: true},
			in:       "INVITE sip:2@example.com SIP/2.0\r\n",
			contains: []string{"sip:user1@example.com SIP/2.0"},
		},
		{
			name:     "unquoted display names",
			opts:     Options{Users: true},
			in:       "From: Bob Jones <sip:bob@example.com>;tag=1\r\nt: Carol<sip:carol@example.com>\r\n",
			contains: []string{"From: name1 <sip:user1@example.com>", "t: name2<sip:user2@example.com>"},
		},
		{
			name:     "nothing asked, nothing changed",
			opts:     Options{},
			in:       register,
			contains: []string{register},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := New(tt.opts).Text(tt.in)
			for _, s := range tt.contains {
				if !strings.Contains(got, s) {
					t.Errorf("missing %q in\n%s", s, got)
				}
			}
			for _, s := range tt.notContain {
				if strings.Contains(got, s) {
					t.Errorf("still contains %q:\n%s", s, got)
				}
			}
		})
	}
}

// TestStable checks the property the ladder relies on: one Redactor gives
// the same pseudonym to the same value in every text and through every
// accessor, in order of first appearance.
func TestStable(t *testing.T) {
	r := New(Options{Auth: true, Users: true, Addrs: true})
	r.Learn("From: <sip:1011@47.98.109.96>\r\nTo: <sip:1014@47.98.109.96>\r\n")
	if got := r.Text("ACK sip:1014@47.98.109.96:50620 SIP/2.0"); got != "ACK sip:user2@203.0.113.1:50620 SIP/2.0" {
		t.Errorf("Text = %q", got)
	}
	if got := r.User("1011"); got != "user1" {
		t.Errorf("User(1011) = %q", got)
	}
	if got := r.AddrPort(netip.MustParseAddrPort("47.98.109.96:5060")); got != "203.0.113.1:5060" {
		t.Errorf("AddrPort = %q", got)
	}
	if got := r.AddrPort(netip.MustParseAddrPort("[::ffff:47.98.109.96]:5060")); got != "203.0.113.1:5060" {
		t.Errorf("AddrPort of the mapped form = %q", got)
	}
	if got := r.AddrPort(netip.MustParseAddrPort("[2001:db8:1::9]:5060")); got != "[2001:db8::1]:5060" {
		t.Errorf("AddrPort IPv6 = %q", got)
	}
	n1 := r.Text(`WWW-Authenticate: Digest nonce="abc"`)
	n2 := r.Text(`Authorization: Digest nonce="abc", cnonce="abc"`)
	if !strings.Contains(n1, `nonce="nonce-1"`) || !strings.Contains(n2, `nonce="nonce-1"`) || !strings.Contains(n2, `cnonce="cnonce-1"`) {
		t.Errorf("nonce pseudonyms not stable: %q / %q", n1, n2)
	}
}

func TestFakeIPv4(t *testing.T) {
	for n, want := range map[int]string{1: "203.0.113.1", 254: "203.0.113.254", 255: "198.51.100.1", 762: "192.0.2.254", 763: "ip-763"} {
		if got := fakeIPv4(n); got != want {
			t.Errorf("fakeIPv4(%d) = %q, want %q", n, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	f.Add(register)
	f.Add("sip:a:b@[::1]:5060 tel:+1-(555) \"x\\\"y\" <sip:z@1.2.3.4> nonce=abc")
	f.Fuzz(func(t *testing.T, s string) {
		r := New(Options{Auth: true, Users: true, Addrs: true})
		out := r.Text(s)
		// Redacting twice must be stable: pseudonyms map to themselves or
		// to new pseudonyms, never back to a secret.
		_ = r.Text(out)
	})
}

func BenchmarkText(b *testing.B) {
	b.ReportAllocs()
	r := New(Options{Auth: true, Users: true, Addrs: true})
	for b.Loop() {
		_ = r.Text(register)
	}
}

package sip

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		in   string
		want URI
		err  string
	}{
		{in: "sip:alice@example.com", want: URI{Scheme: "sip", User: "alice", Host: "example.com"}},
		{in: "SIPS:alice:secret@example.com:5061;transport=TCP;lr?subject=x",
			want: URI{Scheme: "sips", User: "alice", Host: "example.com", Port: 5061, Params: up("transport=TCP;lr")}},
		{in: "sip:[2001:db8::1]:5060", want: URI{Scheme: "sip", Host: "2001:db8::1", Port: 5060}},
		{in: "sip:bob@[::1]", want: URI{Scheme: "sip", User: "bob", Host: "::1"}},
		{in: "sip:bob@2001:db8::1", want: URI{Scheme: "sip", User: "bob", Host: "2001:db8::1"}},
		// Unbracketed IPv6 and port, as in sip_ipv6_udp.pcap (tshark reads host "fe80", port 0).
		{in: "sip:9876@fe80:0:0:0:21a:a0ff:fe07:32e0:5060", want: URI{Scheme: "sip", User: "9876", Host: "fe80:0:0:0:21a:a0ff:fe07:32e0", Port: 5060}},
		{in: "sip:fe80:0:0:0:21a:a0ff:fe07:32e0", want: URI{Scheme: "sip", Host: "fe80:0:0:0:21a:a0ff:fe07:32e0"}},
		{in: "sip:+1234;npdi@gw.example.com;user=phone", want: URI{Scheme: "sip", User: "+1234;npdi", Host: "gw.example.com", Params: up("user=phone")}},
		{in: "tel:+1-201-555-0123;phone-context=example.com", want: URI{Scheme: "tel", User: "+1-201-555-0123", Params: up("phone-context=example.com")}},
		{in: "urn:service:sos", want: URI{Scheme: "urn"}},
		{in: "sip:a@b:0", want: URI{Scheme: "sip", User: "a", Host: "b"}, err: `sip: malformed: uri "sip:a@b:0": bad port "0"`},
		{in: "sip:a@b:x", want: URI{Scheme: "sip", User: "a", Host: "b"}, err: `sip: malformed: uri "sip:a@b:x": bad port "x"`},
		{in: "sip:a@", want: URI{Scheme: "sip", User: "a"}, err: `sip: malformed: uri "sip:a@": missing host`},
		{in: "sip:[::1", want: URI{Scheme: "sip"}, err: `sip: malformed: uri "sip:[::1": missing ] in IPv6 reference`},
		{in: "example.com", err: `sip: malformed: uri "example.com": missing scheme`},
		{in: "1sip:a@b", err: `sip: malformed: uri "1sip:a@b": bad scheme`},
		{in: "tel:", want: URI{Scheme: "tel"}, err: `sip: malformed: uri "tel:": missing number`},
	}
	for _, tt := range tests {
		got, err := ParseURI(tt.in)
		tt.want.Raw = tt.in
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseURI(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseURI(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err || !errors.Is(err, ErrMalformed)):
			t.Errorf("ParseURI(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func TestParseNameAddr(t *testing.T) {
	tests := []struct {
		in   string
		want NameAddr
		err  string
	}{
		{in: `"Bob, Jr." <sip:bob@example.com>;tag=a6c85cf`, want: NameAddr{Display: "Bob, Jr.", Tag: "a6c85cf",
			URI: URI{Scheme: "sip", User: "bob", Host: "example.com", Raw: "sip:bob@example.com"}, Params: hp("tag=a6c85cf")}},
		{in: `Alice Liddell <sip:alice@example.com;transport=tcp>`, want: NameAddr{Display: "Alice Liddell",
			URI: URI{Scheme: "sip", User: "alice", Host: "example.com", Params: up("transport=tcp"), Raw: "sip:alice@example.com;transport=tcp"}}},
		{in: `<sip:alice@example.com>`, want: NameAddr{URI: URI{Scheme: "sip", User: "alice", Host: "example.com", Raw: "sip:alice@example.com"}}},
		// After a bare URI, parameters belong to the header (RFC 3261 §20.10).
		{in: `sip:alice@example.com;tag=88;transport=udp`, want: NameAddr{Tag: "88",
			URI: URI{Scheme: "sip", User: "alice", Host: "example.com", Raw: "sip:alice@example.com"}, Params: hp("tag=88;transport=udp")}},
		{in: `"\"Q\" \\ x"<sip:q@h>`, want: NameAddr{Display: `"Q" \ x`, URI: URI{Scheme: "sip", User: "q", Host: "h", Raw: "sip:q@h"}}},
		{in: `"" <tel:+4930123>`, want: NameAddr{URI: URI{Scheme: "tel", User: "+4930123", Raw: "tel:+4930123"}}},
		{in: `*`, want: NameAddr{URI: URI{Raw: "*"}}},
		{in: `<sip:a@b>;expires=30;language="en,fr";+g.3gpp.smsip`, want: NameAddr{URI: URI{Scheme: "sip", User: "a", Host: "b", Raw: "sip:a@b"},
			Params: hp(`expires=30;language="en,fr";+g.3gpp.smsip`)}},
		{in: ``, err: "sip: malformed: empty address"},
		{in: `"Bob <sip:bob@h>`, want: NameAddr{}, err: `sip: malformed: address "\"Bob <sip:bob@h>": unterminated quoted display name`},
		{in: `"Bob" sip:bob@h`, want: NameAddr{Display: "Bob"}, err: `sip: malformed: address "\"Bob\" sip:bob@h": display name not followed by <URI>`},
		{in: `<sip:bob@h`, err: `sip: malformed: address "<sip:bob@h": missing '>'`},
		{in: `<sip:bob@h> junk`, err: `sip: malformed: address "<sip:bob@h> junk": junk after '>'`},
		{in: `<sip:bob@h>;tag="x`, want: NameAddr{URI: URI{Scheme: "sip", User: "bob", Host: "h", Raw: "sip:bob@h"}, Params: hp(`tag="x`)},
			err: `sip: malformed: address "<sip:bob@h>;tag=\"x": unterminated quoted parameter value`},
	}
	for _, tt := range tests {
		got, err := ParseNameAddr(tt.in)
		tt.want.Raw = tt.in
		if tt.want.Tag == "" {
			tt.want.Tag = tt.want.Params.Get("tag")
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseNameAddr(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseNameAddr(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("ParseNameAddr(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

package sip

import (
	"maps"
	"strconv"
	"strings"
	"testing"
)

// hp and up make the header and URI parameters a parser keeps for raw.
func hp(raw string) Params { return Params{raw: raw, quoted: true} }
func up(raw string) Params { return Params{raw: raw} }

func TestParams(t *testing.T) {
	tests := []struct {
		in     string
		quoted bool
		want   map[string]string
		raw    string // what is kept, when not all of in
		err    string
	}{
		{in: "", want: nil},
		{in: "branch=z9hG4bK1;rport", quoted: true, want: map[string]string{"branch": "z9hG4bK1", "rport": ""}},
		{in: " Tag = abc ; ;LR", quoted: true, want: map[string]string{"tag": "abc", "lr": ""}},
		{in: `q=0.5;+sip.instance="<urn:uuid:1;2>";x="a\"b"`, quoted: true,
			want: map[string]string{"q": "0.5", "+sip.instance": "<urn:uuid:1;2>", "x": `a"b`}},
		// URI parameters have no quoted strings: ';' splits wherever it is.
		{in: `x="a;b"`, want: map[string]string{"x": `"a`, `b"`: ""}},
		{in: "a=1;A=2;b=3", quoted: true, want: map[string]string{"a": "1", "b": "3"}},
		// Only ASCII letters fold: invalid UTF-8 stays, and two invalid
		// bytes are two names (both would be U+FFFD to strings.EqualFold).
		{in: "\xdeA=1;\xdfa=2", quoted: true, want: map[string]string{"\xdea": "1", "\xdfa": "2"}},
		{in: "a=1;=2", quoted: true, want: map[string]string{"a": "1"}, err: `parameter without a name "=2"`},
		{in: `tag="x`, quoted: true, want: map[string]string{"tag": ""}, err: "unterminated quoted parameter value"},
	}
	for _, tt := range tests {
		p, err := parseParams(tt.in, tt.quoted)
		if got := p.Map(); !maps.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("parseParams(%q).Map() = %q, want %q", tt.in, got, tt.want)
		}
		if p.Len() != len(tt.want) {
			t.Errorf("parseParams(%q).Len() = %d, want %d", tt.in, p.Len(), len(tt.want))
		}
		for k, v := range tt.want {
			if got, ok := p.Lookup(upperASCII(k)); !ok || got != v {
				t.Errorf("parseParams(%q).Lookup(%q) = %q, %v, want %q", tt.in, upperASCII(k), got, ok, v)
			}
		}
		if p.Has("absent") || p.Get("absent") != "" {
			t.Errorf("parseParams(%q) has absent", tt.in)
		}
		raw := tt.in
		if tt.raw != "" {
			raw = tt.raw
		}
		if p.Raw() != raw {
			t.Errorf("parseParams(%q).Raw() = %q, want %q", tt.in, p.Raw(), raw)
		}
		if gotErr := ""; err != nil || tt.err != "" {
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.err {
				t.Errorf("parseParams(%q) error = %q, want %q", tt.in, gotErr, tt.err)
			}
		}
	}
}

// TestParamsLimit checks that the first MaxParams distinct names are kept and
// the list is cut before the next new one, repeated names not counting.
func TestParamsLimit(t *testing.T) {
	var sb strings.Builder
	for i := range MaxParams + 10 {
		if i > 0 {
			sb.WriteString(";")
		}
		sb.WriteString("p" + strconv.Itoa(i) + "=v")
		if i == 3 {
			sb.WriteString(";P0=again") // a repeat does not count
		}
	}
	p, err := parseParams(sb.String(), true)
	if err == nil || !strings.Contains(err.Error(), "more than 64 parameters") {
		t.Errorf("error = %v", err)
	}
	if p.Len() != MaxParams || !p.Has("p63") || p.Has("p64") || p.Get("p0") != "v" {
		t.Errorf("Len %d, p63 %v, p64 %v, p0 %q", p.Len(), p.Has("p63"), p.Has("p64"), p.Get("p0"))
	}
	if !strings.HasSuffix(p.Raw(), "p63=v") {
		t.Errorf("Raw ends %q", p.Raw()[max(0, len(p.Raw())-20):])
	}
}

func BenchmarkParamsGet(b *testing.B) {
	p := hp("branch=z9hG4bK-524287-1---4a5fa2e9c0b5a9e1;rport=5060;received=203.0.113.7")
	b.ReportAllocs()
	for b.Loop() {
		if p.Get("received") == "" {
			b.Fatal("no received")
		}
	}
}

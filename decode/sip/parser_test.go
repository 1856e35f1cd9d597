package sip

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// sameParse checks that a Parser, with whatever it has cached, parses data
// exactly as Parse does.
func sameParse(t *testing.T, p *Parser, data []byte) {
	t.Helper()
	want, werr := Parse(data)
	got, gerr := p.Parse(data)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("errors differ: Parser %v, Parse %v", gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parser and Parse differ on\n%q\nParser: %+v\nParse:  %+v", data, got, want)
	}
	wm, wn, werr := ParseStream(data)
	gm, gn, gerr := p.ParseStream(data)
	if wn != gn || (werr == nil) != (gerr == nil) || !reflect.DeepEqual(gm, wm) {
		t.Fatalf("ParseStream differs: Parser %d %v, ParseStream %d %v", gn, gerr, wn, werr)
	}
}

// A Parser gives the messages Parse gives, though the values a dialog
// repeats come from its cache the second time, and the values it shares
// are not shared in a way that lets one message change another.
func TestParserMatchesParse(t *testing.T) {
	p := NewParser()
	for round := 0; round < 2; round++ { // the second round hits the cache
		for _, s := range fuzzSeeds() {
			sameParse(t, p, []byte(s))
		}
	}
	a, _ := p.Parse([]byte(seedInvite))
	b, _ := p.Parse([]byte(seedInvite))
	if a.From.Params.Raw() == "" || unsafe.StringData(a.From.Params.Raw()) != unsafe.StringData(b.From.Params.Raw()) {
		t.Error("the From parameters of two identical messages were parsed twice, not shared")
	}
	a.Via = append(a.Via, Via{Host: "added"})
	if len(b.Via) != 1 || strings.Contains(b.Via[0].Raw, "added") {
		t.Error("appending to one message's Via changed another's")
	}
	if c, _ := p.Parse([]byte(seedInvite)); len(c.Via) != 1 {
		t.Errorf("appending to a shared Via changed the cache: %d Vias", len(c.Via))
	}
}

// FuzzParser: whatever a Parser has cached, it parses as Parse does.
func FuzzParser(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, first, second string) {
		p := NewParser()
		sameParse(t, p, []byte(first))
		sameParse(t, p, []byte(second))
		sameParse(t, p, []byte(first))
	})
}

func BenchmarkParserInvite(b *testing.B) {
	data := []byte(seedInvite)
	p := NewParser()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

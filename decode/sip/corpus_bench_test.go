package sip_test

import (
	"errors"
	"io"
	"testing"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

// corpusSIP returns the SIP payloads of a generated carrier corpus, in
// capture order (its frames are Ethernet, IPv4 without options, UDP).
func corpusSIP(b *testing.B) [][]byte {
	path, _ := carrier.TempFile(b, carrier.Config{Calls: 500, Seed: 1})
	f, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	for {
		fr, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if p := fr.Data[42:]; sip.LooksLikeSIP(p) {
			out = append(out, append([]byte(nil), p...))
		}
	}
}

// BenchmarkParserCorpus parses the SIP messages of a carrier corpus in
// capture order with one Parser, as the decoder does: one op is one message.
func BenchmarkParserCorpus(b *testing.B) {
	msgs := corpusSIP(b)
	p := sip.NewParser()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := p.Parse(msgs[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(msgs) {
			i = 0
		}
	}
}

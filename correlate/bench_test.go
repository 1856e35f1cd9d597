package correlate_test

import (
	"errors"
	"io"
	"testing"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

type collector struct{ sip []*decode.SIPMessage }

func (c *collector) HandleSIP(m *decode.SIPMessage) { c.sip = append(c.sip, m) }
func (c *collector) HandleICMP(e *decode.ICMPError) {}

// corpusMessages decodes the SIP messages of a generated carrier corpus.
func corpusMessages(b *testing.B, calls int) []*decode.SIPMessage {
	b.Helper()
	path, _ := carrier.TempFile(b, carrier.Config{Calls: calls, Seed: 1})
	f, err := capture.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	col := &collector{}
	d := decode.NewDecoder(col)
	for {
		fr, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		d.Decode(fr)
	}
	return col.sip
}

// BenchmarkCorrelateCorpus feeds the SIP messages of a carrier corpus to a
// streaming Builder, as the pipeline does: one op is one message.
func BenchmarkCorrelateCorpus(b *testing.B) {
	msgs := corpusMessages(b, 500)
	b.ReportAllocs()
	var bl *correlate.Builder
	flushed := 0
	i := len(msgs)
	for b.Loop() {
		if i == len(msgs) {
			if bl != nil {
				bl.Model()
			}
			bl = correlate.NewBuilderWith(correlate.Options{OnCall: func(*correlate.Call) { flushed++ }})
			i = 0
		}
		bl.HandleSIP(msgs[i])
		i++
	}
	if flushed == 0 && b.N > len(msgs) {
		b.Fatal("no call flushed")
	}
}

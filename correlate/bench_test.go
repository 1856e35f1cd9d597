package correlate_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

type collector struct{ sip []*decode.SIPMessage }

func (c *collector) HandleSIP(m *decode.SIPMessage) { c.sip = append(c.sip, m) }
func (c *collector) HandleICMP(e *decode.ICMPError) {}

// decodeCorpus decodes a generated carrier corpus, handing frame each frame
// with the SIP messages decoded from it.
func decodeCorpus(b *testing.B, calls int, frame func(fr *capture.Frame, sip []*decode.SIPMessage)) {
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
			return
		}
		n := len(col.sip)
		d.Decode(fr)
		frame(fr, col.sip[n:])
	}
}

// corpusMessages decodes the SIP messages of a generated carrier corpus.
func corpusMessages(b *testing.B, calls int) []*decode.SIPMessage {
	var msgs []*decode.SIPMessage
	decodeCorpus(b, calls, func(_ *capture.Frame, sip []*decode.SIPMessage) { msgs = append(msgs, sip...) })
	return msgs
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

// corpusFrames reads a carrier corpus into memory, each frame with the SIP
// message decoded from it (nil for the others: RTP, RTCP).
func corpusFrames(b *testing.B, calls int) (frames []capture.Frame, sip []*decode.SIPMessage) {
	decodeCorpus(b, calls, func(fr *capture.Frame, msgs []*decode.SIPMessage) {
		c := *fr
		c.Data = append([]byte(nil), fr.Data...)
		frames = append(frames, c)
		var m *decode.SIPMessage
		if len(msgs) > 0 {
			m = msgs[0]
		}
		sip = append(sip, m)
	})
	return frames, sip
}

// BenchmarkMediaCorpus runs the frames of a carrier corpus (93% RTP)
// through a Decoder and a streaming Builder, as the pipeline does, except
// that SIP frames hand the Builder the message parsed beforehand: one op is
// one pass. media-ns/frame is the time of the other frames alone (decode,
// duplicate check, RTP statistics), in the company of SIP as in a capture.
func BenchmarkMediaCorpus(b *testing.B) {
	frames, sip := corpusFrames(b, 1000)
	b.ReportAllocs()
	var media time.Duration
	n := 0
	for b.Loop() {
		bl := correlate.NewBuilderWith(correlate.Options{HoldCalls: 1, OnCall: func(*correlate.Call) {}})
		d := decode.NewDecoder(bl)
		for i := 0; i < len(frames); {
			if m := sip[i]; m != nil {
				bl.HandleSIP(m)
				i++
				continue
			}
			start := time.Now()
			for ; i < len(frames) && sip[i] == nil; i++ {
				d.Decode(&frames[i])
				n++
			}
			media += time.Since(start)
		}
		if m := bl.Model(); d.Stats.RTP == 0 || m.Media.UnmatchedRTP != 0 {
			b.Fatalf("%d RTP packets, %d unmatched", d.Stats.RTP, m.Media.UnmatchedRTP)
		}
	}
	b.ReportMetric(float64(media.Nanoseconds())/float64(n), "media-ns/frame")
}

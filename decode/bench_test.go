package decode_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/testenv"
)

// loadFrames reads a capture into memory, frames copied.
func loadFrames(b *testing.B, path string) []capture.Frame {
	b.Helper()
	set, err := capture.OpenAll([]string{path})
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	var out []capture.Frame
	for {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			b.Fatal(err)
		}
		c := *f
		c.Data = append([]byte(nil), f.Data...)
		out = append(out, c)
	}
}

type discard struct{}

func (discard) HandleSIP(*decode.SIPMessage) {}
func (discard) HandleICMP(*decode.ICMPError) {}

// BenchmarkDecodeRTP decodes the 300 RTP frames of the FreeSWITCH case: the
// hot path, duplicate check included, must not allocate.
func BenchmarkDecodeRTP(b *testing.B) {
	all := loadFrames(b, testenv.Testdata("freeswitch-nat.pcap"))
	var rtp []capture.Frame
	for _, f := range all[20:] {
		if len(f.Data) == 14+20+8+172 {
			rtp = append(rtp, f)
		}
	}
	for _, window := range []time.Duration{decode.DefaultDuplicateWindow, 0} {
		b.Run("duplicate-window="+window.String(), func(b *testing.B) {
			d := decode.NewDecoder(discard{})
			d.DuplicateWindow = window
			b.ReportAllocs()
			b.SetBytes(int64(len(rtp[0].Data)))
			start := rtp[0].Time
			for i := 0; b.Loop(); i++ {
				f := &rtp[i%len(rtp)]
				// 10 ms apart, as packets of a call both ways are, and
				// in time order: none is taken for a duplicate.
				f.Time = start.Add(time.Duration(i) * 10 * time.Millisecond)
				d.Decode(f)
			}
			if d.Stats.Duplicates != 0 || d.Stats.SIPMessages != 0 {
				b.Fatalf("stats %+v", d.Stats)
			}
		})
	}
}

// BenchmarkDecodeTCP decodes sip_ipv4_tcp_fragmented.pcap, 1542 TCP
// segments with 406 SIP messages, many split.
func BenchmarkDecodeTCP(b *testing.B) {
	frames := loadFrames(b, testenv.PublicCapture(b, "sip_ipv4_tcp_fragmented.pcap"))
	b.ReportAllocs()
	for b.Loop() {
		d := decode.NewDecoder(discard{})
		for i := range frames {
			d.Decode(&frames[i])
		}
		d.Flush()
		if d.Stats.SIPMessages != 406 {
			b.Fatalf("%d messages", d.Stats.SIPMessages)
		}
	}
}

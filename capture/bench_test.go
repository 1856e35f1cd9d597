package capture_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/capture"
)

const (
	benchFrames    = 100_000
	benchFrameSize = 200
)

// benchFile writes benchFrames Ethernet frames of benchFrameSize bytes, 20 ms
// apart starting at t0+offset, as pcap or pcapng, optionally gzipped.
func benchFile(b *testing.B, format string, offset time.Duration) string {
	b.Helper()
	var buf bytes.Buffer
	write := func(gopacket.CaptureInfo, []byte) error { return nil }
	flush := func() error { return nil }
	switch format {
	case "pcapng":
		w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
		if err != nil {
			b.Fatal(err)
		}
		write, flush = w.WritePacket, w.Flush
	default:
		w := pcapgo.NewWriter(&buf)
		if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			b.Fatal(err)
		}
		write = w.WritePacket
	}
	data := make([]byte, benchFrameSize)
	for i := range benchFrames {
		data[0] = byte(i)
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(offset + time.Duration(i)*20*time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := write(ci, data); err != nil {
			b.Fatal(err)
		}
	}
	if err := flush(); err != nil {
		b.Fatal(err)
	}
	content := buf.Bytes()
	if format == "pcap.gz" {
		content = gzipped(b, content)
	}
	p := filepath.Join(b.TempDir(), "bench."+format)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		b.Fatal(err)
	}
	return p
}

// benchRead reads b.N frames from the files, reopening them at the end, so
// one op is one frame and allocs/op is allocations per frame (the opening
// cost spreads over 100k frames).
func benchRead(b *testing.B, paths ...string) {
	b.SetBytes(benchFrameSize)
	b.ReportAllocs()
	var s *capture.Set
	open := func() {
		var err error
		if s, err = capture.OpenAll(paths); err != nil {
			b.Fatal(err)
		}
	}
	open()
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		fr, err := s.Next()
		if err == io.EOF {
			s.Close()
			open()
			fr, err = s.Next()
		}
		if err != nil || len(fr.Data) != benchFrameSize {
			b.Fatalf("Next: %v", err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "frames/s")
	s.Close()
}

func BenchmarkReadPcap(b *testing.B) {
	benchRead(b, benchFile(b, "pcap", 0))
}

func BenchmarkReadPcapng(b *testing.B) {
	benchRead(b, benchFile(b, "pcapng", 0))
}

func BenchmarkReadPcapGzip(b *testing.B) {
	benchRead(b, benchFile(b, "pcap.gz", 0))
}

// BenchmarkReadMergeTwo merges two pcaps whose frames alternate, so every
// frame goes through the heap.
func BenchmarkReadMergeTwo(b *testing.B) {
	benchRead(b, benchFile(b, "pcap", 0), benchFile(b, "pcap", 10*time.Millisecond))
}

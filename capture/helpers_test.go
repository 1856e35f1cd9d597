package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
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

// rec is one record to write into a test capture.
type rec struct {
	iface  int // pcapng interface index
	time   time.Time
	data   string
	length int // original length; 0 means len(data)
}

func (r rec) ci() gopacket.CaptureInfo {
	n := r.length
	if n == 0 {
		n = len(r.data)
	}
	return gopacket.CaptureInfo{Timestamp: r.time, CaptureLength: len(r.data), Length: n, InterfaceIndex: r.iface}
}

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// at returns t0 plus d, cut to a microsecond as a µs pcap stores it.
func at(d time.Duration) time.Time { return t0.Add(d).Truncate(time.Microsecond) }

// pcapFile writes a little-endian pcap with pcapgo.
func pcapFile(t testing.TB, nanos bool, link layers.LinkType, recs ...rec) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.WritePacket(r.ci(), []byte(r.data)); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// bigEndianPcap writes a big-endian pcap by hand: pcapgo only writes little-endian.
func bigEndianPcap(nanos bool, link uint32, recs ...rec) []byte {
	be := binary.BigEndian
	b := be.AppendUint32(nil, 0xa1b2c3d4)
	if nanos {
		b = be.AppendUint32(nil, 0xa1b23c4d)
	}
	b = be.AppendUint16(b, 2)
	b = be.AppendUint16(b, 4)
	b = be.AppendUint32(b, 0)     // thiszone
	b = be.AppendUint32(b, 0)     // sigfigs
	b = be.AppendUint32(b, 65535) // snaplen
	b = be.AppendUint32(b, link)
	for _, r := range recs {
		ci := r.ci()
		frac := ci.Timestamp.Nanosecond() / 1000
		if nanos {
			frac = ci.Timestamp.Nanosecond()
		}
		b = be.AppendUint32(b, uint32(ci.Timestamp.Unix()))
		b = be.AppendUint32(b, uint32(frac))
		b = be.AppendUint32(b, uint32(ci.CaptureLength))
		b = be.AppendUint32(b, uint32(ci.Length))
		b = append(b, r.data...)
	}
	return b
}

// pcapngFile writes a pcapng with one interface per link type.
func pcapngFile(t testing.TB, links []layers.LinkType, recs ...rec) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: links[0], SnapLength: 65535}, pcapgo.NgWriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links[1:] {
		if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: l, SnapLength: 65535}); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range recs {
		if err := w.WritePacket(r.ci(), []byte(r.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// got is a frame copied out of the reader, for comparison.
type got struct {
	File   int
	Number int
	Time   time.Time
	Link   layers.LinkType
	Data   string
	Length int
}

func copyFrame(f *capture.Frame) got {
	return got{f.File, f.Number, f.Time, f.LinkType, string(f.Data), f.Length}
}

// readFile reads every frame of path with Open.
func readFile(t testing.TB, path string) ([]got, []capture.Problem) {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []got
	for {
		fr, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, copyFrame(fr))
	}
	return out, f.Problems()
}

// Package fuzzseed extracts seed corpora for fuzz targets from our own
// testdata/ captures and the shared public captures, so that no capture is
// copied into a package's testdata/fuzz: frames, SIP payloads and TCP byte
// streams are cut out when the fuzz target starts.
//
// It exists for tests only; it must never be imported by non-test code.
package fuzzseed

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/internal/testenv"
)

// Limits keep seed corpora small: the fuzzer mutates every seed, and big or
// numerous seeds slow it down without finding more.
const (
	maxFramesPerFile = 40   // leading frames taken from each capture, SIP frames aside
	maxSIPFrames     = 60   // frames with SIP taken from each capture
	maxStreamBytes   = 4096 // bytes of one TCP direction kept as a stream seed
)

// Files returns our own generated capture and every public capture (.pcap,
// .pcapng), sorted. A missing public directory skips the test locally and
// fails it under CI, as testenv does.
func Files(tb testing.TB) []string {
	tb.Helper()
	files := []string{testenv.Testdata("freeswitch-nat.pcap")}
	dir := testenv.PublicCaptures(tb)
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var pub []string
	for _, e := range ents {
		if ext := filepath.Ext(e.Name()); ext == ".pcap" || ext == ".pcapng" {
			pub = append(pub, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(pub)
	return append(files, pub...)
}

// Frame is one captured frame, copied out of the reader's buffer.
type Frame struct {
	Link layers.LinkType
	Data []byte
}

// Frames returns, for every file of Files, its first frames and the frames
// that carry the text "SIP/2.0".
func Frames(tb testing.TB) []Frame {
	tb.Helper()
	var out []Frame
	for _, path := range Files(tb) {
		sipFrames := 0
		forFrames(tb, path, func(n int, f *capture.Frame) {
			sipFrame := bytes.Contains(f.Data, []byte("SIP/2.0"))
			if n <= maxFramesPerFile || sipFrame && sipFrames < maxSIPFrames {
				out = append(out, Frame{Link: f.LinkType, Data: bytes.Clone(f.Data)})
				if sipFrame {
					sipFrames++
				}
			}
		})
	}
	return out
}

// SIPPayloads returns the distinct UDP and TCP payloads that carry the text
// "SIP/2.0", at most maxSIPFrames per file.
func SIPPayloads(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	seen := map[string]bool{}
	for _, path := range Files(tb) {
		n := 0
		forFrames(tb, path, func(_ int, f *capture.Frame) {
			p := transportPayload(f)
			if n >= maxSIPFrames || !bytes.Contains(p, []byte("SIP/2.0")) || seen[string(p)] {
				return
			}
			seen[string(p)] = true
			out = append(out, bytes.Clone(p))
			n++
		})
	}
	return out
}

// TCPStreams returns, for every TCP direction that carries SIP, its payload
// bytes concatenated in capture order (retransmissions included, as they
// were sent), up to maxStreamBytes each.
func TCPStreams(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, path := range Files(tb) {
		streams := map[[4]string][]byte{}
		var order [][4]string
		forFrames(tb, path, func(_ int, f *capture.Frame) {
			pkt := gopacket.NewPacket(f.Data, f.LinkType, gopacket.NoCopy)
			tcp, _ := pkt.TransportLayer().(*layers.TCP)
			if tcp == nil || len(tcp.Payload) == 0 || pkt.NetworkLayer() == nil {
				return
			}
			fl := pkt.NetworkLayer().NetworkFlow()
			k := [4]string{fl.Src().String(), fl.Dst().String(), tcp.SrcPort.String(), tcp.DstPort.String()}
			s, ok := streams[k]
			if !ok {
				order = append(order, k)
			}
			if len(s) < maxStreamBytes {
				streams[k] = append(s, tcp.Payload[:min(len(tcp.Payload), maxStreamBytes-len(s))]...)
			}
		})
		for _, k := range order {
			if s := streams[k]; bytes.Contains(s, []byte("SIP/2.0")) {
				out = append(out, s)
			}
		}
	}
	return out
}

// transportPayload returns the UDP or TCP payload of a frame, nil when it
// has none. It uses gopacket.NewPacket: slow, and fine for seeding.
func transportPayload(f *capture.Frame) []byte {
	pkt := gopacket.NewPacket(f.Data, f.LinkType, gopacket.NoCopy)
	if tl := pkt.TransportLayer(); tl != nil {
		return tl.LayerPayload()
	}
	return nil
}

// forFrames calls fn with every frame of the capture at path and its
// 1-based number.
func forFrames(tb testing.TB, path string, fn func(n int, f *capture.Frame)) {
	tb.Helper()
	file, err := capture.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer file.Close()
	for n := 1; ; n++ {
		f, err := file.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			tb.Fatal(err)
		}
		fn(n, f)
	}
}

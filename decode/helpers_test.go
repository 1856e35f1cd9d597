package decode_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// recorder is a decode.Handler that keeps what it is given.
type recorder struct {
	sip  []*decode.SIPMessage
	icmp []*decode.ICMPError
}

func (r *recorder) HandleSIP(m *decode.SIPMessage) { r.sip = append(r.sip, m) }
func (r *recorder) HandleICMP(e *decode.ICMPError) { r.icmp = append(r.icmp, e) }

// lines returns "frame: first line" for every SIP message, in the order
// they were handed over.
func (r *recorder) lines() []string {
	var out []string
	for _, m := range r.sip {
		out = append(out, fmt.Sprintf("%d: %s", m.Frame, m.FirstLine()))
	}
	return out
}

// decodeFile runs a Decoder over a capture file and returns what it found.
func decodeFile(t testing.TB, path string, setup ...func(*decode.Decoder)) (*recorder, *decode.Decoder) {
	t.Helper()
	set, err := capture.OpenAll([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	return decodeSet(t, set, setup...)
}

type nexter interface {
	Next() (*capture.Frame, error)
}

func decodeSet(t testing.TB, src nexter, setup ...func(*decode.Decoder)) (*recorder, *decode.Decoder) {
	t.Helper()
	r := &recorder{}
	d := decode.NewDecoder(r)
	for _, f := range setup {
		f(d)
	}
	for {
		f, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		d.Decode(f)
	}
	d.Flush()
	return r, d
}

// decodePackets writes pkts as a pcap with pcapgen and decodes it.
func decodePackets(t testing.TB, pkts []pcapgen.Packet, setup ...func(*decode.Decoder)) (*recorder, *decode.Decoder) {
	t.Helper()
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	return decodeBytes(t, buf.Bytes(), setup...)
}

// decodeBytes decodes a pcap file held in memory.
func decodeBytes(t testing.TB, pcap []byte, setup ...func(*decode.Decoder)) (*recorder, *decode.Decoder) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.pcap")
	if err := os.WriteFile(path, pcap, 0o644); err != nil {
		t.Fatal(err)
	}
	return decodeFile(t, path, setup...)
}

// writeFrames returns the Ethernet frames pcapgen writes for pkts.
func writeFrames(t testing.TB, pkts ...pcapgen.Packet) [][]byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		data, _, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
}

// decodeFrames writes Ethernet frames to a capture, frame i at t0 plus
// times[i] (or i microseconds when times is nil), and decodes it.
func decodeFrames(t testing.TB, frames [][]byte, times []time.Duration, setup ...func(*decode.Decoder)) (*recorder, *decode.Decoder) {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		at := time.Duration(i) * time.Microsecond
		if times != nil {
			at = times[i]
		}
		if err := w.WriteRaw(t0.Add(at), f); err != nil {
			t.Fatal(err)
		}
	}
	return decodeBytes(t, buf.Bytes(), setup...)
}

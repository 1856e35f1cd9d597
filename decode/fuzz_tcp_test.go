package decode

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/internal/fuzzseed"
)

// Segment operations of FuzzTCPStream's plan, one per plan byte (op in the
// low three bits, segment length from the high five).
const (
	opRetransmit = 5 // send the previous segment again
	opGap        = 6 // skip bytes: a lost segment
	opOverlap    = 7 // resend the tail of the previous segment with new bytes
	// 0-4: the next segment, in order
)

// segment is one TCP segment fed to the reassembler.
type segment struct {
	seq      uint32
	payload  []byte
	fin, rst bool
}

// segments cuts stream into TCP segments as plan says. gaps reports whether
// some stream bytes were never sent.
func segments(stream, plan []byte) (segs []segment, gaps bool) {
	const isn = 0xfffff000 // near the wrap, so sequence arithmetic wraps too
	off := 0
	var prev segment
	for _, b := range plan {
		if off >= len(stream) {
			break
		}
		n := 1 + int(b>>3)*8 // 1..249 bytes
		switch b & 7 {
		case opRetransmit:
			if prev.payload != nil {
				segs = append(segs, prev)
				continue
			}
		case opGap:
			off += n
			gaps = true
			continue
		case opOverlap:
			back := min(off, n/2)
			end := min(off+n, len(stream))
			prev = segment{seq: isn + uint32(off-back), payload: stream[off-back : end]}
			segs = append(segs, prev)
			off = end
			continue
		}
		end := min(off+n, len(stream))
		prev = segment{seq: isn + uint32(off), payload: stream[off:end]}
		segs = append(segs, prev)
		off = end
	}
	if off < len(stream) {
		segs = append(segs, segment{seq: isn + uint32(off), payload: stream[off:]})
	}
	segs = append(segs, segment{seq: isn + uint32(len(stream)), fin: true})
	return segs, gaps
}

// streamMessages frames a whole stream at once, as the reference: the raw
// bytes of each message, and false when the stream holds a malformed one.
func streamMessages(stream []byte) ([][]byte, bool) {
	var out [][]byte
	for buf := stream; len(buf) > 0; {
		buf = bytes.TrimLeft(buf, "\r\n")
		if len(buf) == 0 {
			break
		}
		m, n, err := sip.ParseStream(buf)
		if errors.Is(err, sip.ErrIncomplete) {
			break
		}
		if err != nil {
			return nil, false
		}
		out = append(out, m.Raw)
		buf = buf[n:]
	}
	return out, true
}

// FuzzTCPStream feeds one TCP flow, cut into segments that arrive in order,
// retransmitted, overlapping or with gaps, to the decoder's SIP framing. It
// must not panic, must hold no more than the stream limit, must emit only
// messages that are contiguous bytes of the stream, and, when no byte was
// lost, must emit the same messages as framing the whole stream at once.
func FuzzTCPStream(f *testing.F) {
	plans := [][]byte{
		{0xff, 0xff, 0xff, 0xff},
		{0x08, 0x10, 0x18, 0x20, 0x28},
		{0x80, 0x85, 0x87, 0x80},
		{0x40, 0x46, 0x40, 0x40},
	}
	for i, s := range fuzzseed.TCPStreams(f) {
		f.Add(s, plans[i%len(plans)])
	}
	two := []byte(options + "\r\n\r\n" + options)
	for _, p := range plans {
		f.Add(two, p)
	}
	f.Add([]byte(options[:40]), []byte{0})
	f.Fuzz(func(t *testing.T, stream, plan []byte) {
		rec := &recorder{}
		d := NewDecoder(rec)
		m := Meta{
			Src: netip.MustParseAddrPort("10.0.0.1:5060"), Dst: netip.MustParseAddrPort("10.0.0.2:5060"),
			Transport: TCP, Time: time.Unix(1e9, 0),
		}
		segs, gaps := segments(stream, plan)
		for i, s := range segs {
			m.Frame = i + 1
			tcp := &layers.TCP{Seq: s.seq, FIN: s.fin, RST: s.rst}
			tcp.Payload = s.payload
			d.tcpSegment(&m, tcp)
			for _, st := range d.tcpStreams.m {
				if len(st.buf) > maxStreamBuffer+len(s.payload) {
					t.Fatalf("segment %d: stream buffer of %d bytes", i+1, len(st.buf))
				}
			}
		}
		d.Flush()
		if len(d.tcpStreams.m) != 0 {
			t.Fatalf("%d streams left after Flush", len(d.tcpStreams.m))
		}
		for _, msg := range rec.sip {
			if !bytes.Contains(stream, msg.Raw) {
				t.Fatalf("message is not part of the stream: %q", msg.Raw)
			}
		}
		if gaps || len(segs) == 0 || !sip.LooksLikeSIP(segs[0].payload) {
			return
		}
		want, clean := streamMessages(stream)
		if !clean {
			return
		}
		if len(rec.sip) != len(want) {
			t.Fatalf("%d messages from segments, %d from the whole stream", len(rec.sip), len(want))
		}
		for i := range want {
			if !bytes.Equal(rec.sip[i].Raw, want[i]) {
				t.Fatalf("message %d differs:\n%q\n%q", i+1, rec.sip[i].Raw, want[i])
			}
		}
	})
}

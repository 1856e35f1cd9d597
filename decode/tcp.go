package decode

import (
	"errors"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/decode/sip"
)

// Stream limits: a stream holding more unparsed bytes than maxStreamBuffer is
// reset (counted), and at most maxStreams streams are tracked at once.
const (
	maxStreamBuffer = 1 << 20
	maxStreams      = 65536
)

type flowKey struct {
	src, dst [16]byte
	sp, dp   uint16
}

type tcpStream struct {
	buf     []byte
	nextSeq uint32
	synced  bool // nextSeq is valid
	file    int
	frame   int // last frame that contributed bytes
}

// tcpStreams does in-order SIP framing over TCP: segments are appended to a
// per-direction buffer and complete messages are cut out by Content-Length.
// Retransmitted segments (sequence already seen) are dropped, so a TCP
// retransmission is never mistaken for a SIP one.
type tcpStreams struct {
	m map[flowKey]*tcpStream
}

func newTCPStreams() *tcpStreams { return &tcpStreams{m: make(map[flowKey]*tcpStream)} }

func (d *Decoder) tcpSegment(m *Meta, tcp *layers.TCP) {
	ts := d.tcpStreams
	k := flowKey{src: m.Src.Addr().As16(), dst: m.Dst.Addr().As16(), sp: m.Src.Port(), dp: m.Dst.Port()}
	payload := tcp.Payload
	s := ts.m[k]
	if tcp.RST || tcp.FIN {
		defer func() {
			if st := ts.m[k]; st != nil {
				ts.incomplete(d, st)
				delete(ts.m, k)
			}
		}()
	}
	if len(payload) == 0 {
		return
	}
	if s == nil {
		if !sip.LooksLikeSIP(payload) {
			return
		}
		if len(ts.m) >= maxStreams {
			d.Stats.problem(m.File, m.Frame, "TCP stream table full", "")
			return
		}
		s = &tcpStream{}
		ts.m[k] = s
	}
	if !s.synced && len(s.buf) == 0 && !sip.LooksLikeSIP(payload) {
		// After a gap or a malformed message, wait for a segment that starts
		// a message instead of buffering the middle of one (a 1 MB header
		// line would otherwise fill the buffer and fail again).
		return
	}
	seq := tcp.Seq
	if s.synced {
		diff := int32(seq - s.nextSeq)
		if diff < 0 {
			// Retransmission or overlap: keep only the new tail.
			skip := int(-diff)
			if skip >= len(payload) {
				return
			}
			payload = payload[skip:]
			seq = s.nextSeq
		} else if diff > 0 {
			// A gap (lost or out-of-order segment): resynchronise on the next message start.
			ts.incomplete(d, s)
			s.buf = s.buf[:0]
			if !sip.LooksLikeSIP(payload) {
				s.synced = false
				return
			}
		}
	}
	s.nextSeq = seq + uint32(len(payload))
	s.synced = true
	s.file, s.frame = m.File, m.Frame
	s.buf = append(s.buf, payload...)
	for len(s.buf) > 0 {
		// Keep-alive CRLFs between messages (RFC 5626).
		i := 0
		for i < len(s.buf) && (s.buf[i] == '\r' || s.buf[i] == '\n') {
			i++
		}
		if i > 0 {
			s.buf = s.buf[:copy(s.buf, s.buf[i:])]
			continue
		}
		msg, n, err := sip.ParseStream(s.buf)
		if errors.Is(err, sip.ErrIncomplete) {
			if len(s.buf) > maxStreamBuffer {
				d.Stats.problem(m.File, m.Frame, ReasonSIPPartial, "TCP stream buffer over 1 MiB without a complete SIP message")
				s.buf = s.buf[:0]
			}
			return
		}
		if err != nil {
			d.Stats.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
			s.buf = s.buf[:0]
			s.synced = false
			return
		}
		s.buf = s.buf[:copy(s.buf, s.buf[n:])]
		d.emitSIP(m, msg)
	}
}

func (ts *tcpStreams) incomplete(d *Decoder, s *tcpStream) {
	if len(s.buf) > 0 {
		d.Stats.problem(s.file, s.frame, ReasonSIPPartial, ReasonSIPPartial+" at end of TCP stream")
	}
}

func (ts *tcpStreams) flush(d *Decoder) {
	for k, s := range ts.m {
		ts.incomplete(d, s)
		delete(ts.m, k)
	}
}

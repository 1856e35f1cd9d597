package decode

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/decode/websocket"
)

// Stream limits: a stream holding more unparsed bytes than maxStreamBuffer is
// reset (counted), and at most maxStreams streams are tracked at once.
// Segments that arrive ahead of a hole are held, at most maxHeldSegments or
// maxHeldBytes per stream and for at most TCPGapTimeout of capture time:
// then the missing bytes are taken as lost from the capture and the stream
// resynchronises on the next message start.
const (
	maxStreamBuffer = 1 << 20
	maxStreams      = 65536
	maxHeldSegments = 128
	maxHeldBytes    = 512 << 10
	// TCPGapTimeout is how long segments wait for a missing one. A sender
	// retransmits a lost segment after its retransmission time-out, 200 ms
	// at the least on Linux and about a second on a slow path.
	TCPGapTimeout = 2 * time.Second
)

type flowKey struct {
	src, dst [16]byte
	sp, dp   uint16
}

// streamMode is what a stream carries.
type streamMode uint8

const (
	modeSIP       streamMode = iota // SIP messages framed by Content-Length
	modeHandshake                   // an HTTP head, before WebSocket frames
	modeWS                          // WebSocket frames, one SIP message each
	modeIgnored                     // a refused upgrade: the rest is not SIP
)

// heldSegment is a copy of a segment that arrived ahead of a hole.
type heldSegment struct {
	seq   uint32
	data  []byte
	frame int
	time  time.Time
}

type tcpStream struct {
	key     flowKey
	born    uint64 // Decoder.ticks when the stream began: its Position key
	buf     []byte
	nextSeq uint32
	synced  bool // nextSeq is valid
	mode    streamMode
	file    int
	frame   int // last frame that contributed bytes
	// src and dst are the stream's endpoints, for messages cut from held
	// segments after a gap (they have no current packet to take them from).
	src, dst netip.AddrPort

	held      []heldSegment // sorted by seq, all after nextSeq
	heldBytes int

	wsMsg []byte // a fragmented WebSocket message so far
	wsOp  uint8  // its opcode, 0 when none is in progress
}

// tcpStreams frames SIP over TCP, per direction. Segments are put in
// sequence order (out-of-order ones held in a bounded buffer), retransmitted
// bytes are dropped so a TCP retransmission is never mistaken for a SIP one,
// and complete messages are cut out by Content-Length, or by WebSocket
// frames after an upgrade. A hole that is never filled is counted and the
// stream resynchronises on the next segment that starts a message.
type tcpStreams struct {
	m   map[flowKey]*tcpStream
	tls map[flowKey]int // TLS flows on SIP ports, client to server: index in Stats.EncryptedFlows
	// holding lists the streams with segments held ahead of a hole, so that
	// a quiet stream's hole is given up on time even when no segment of its
	// own arrives again.
	holding   map[*tcpStream]struct{}
	nextSweep time.Time
	due       []*tcpStream // reused by sweepGaps
}

// gapSweepEvery is how often, in capture time, held segments are checked.
const gapSweepEvery = 100 * time.Millisecond

// sweepGaps gives up the holes that have waited longer than TCPGapTimeout,
// in the order of the streams' beginnings. It looks every gapSweepEvery of
// capture time, counted from the frames alone, whether streams are held or
// not: Decoders that share a capture by flow look on the same frames.
func (d *Decoder) sweepGaps(now time.Time) {
	ts := d.tcpStreams
	if now.Before(ts.nextSweep) {
		return
	}
	ts.nextSweep = now.Add(gapSweepEvery)
	if len(ts.holding) == 0 {
		return
	}
	due := ts.due[:0]
	for s := range ts.holding {
		if len(s.held) == 0 {
			delete(ts.holding, s)
			continue
		}
		if now.Sub(s.held[0].time) > TCPGapTimeout {
			due = append(due, s)
			delete(ts.holding, s)
		}
	}
	sortStreams(due)
	for _, s := range due {
		d.pos = Position{PhaseTCPGaps, s.born}
		d.skipGap(s)
	}
	clear(due)
	ts.due = due[:0]
}

func newTCPStreams() *tcpStreams {
	return &tcpStreams{m: make(map[flowKey]*tcpStream), tls: make(map[flowKey]int), holding: make(map[*tcpStream]struct{})}
}

func (d *Decoder) tcpSegment(m *Meta, tcp *layers.TCP) {
	ts := d.tcpStreams
	k := flowKey{src: m.Src.Addr().As16(), dst: m.Dst.Addr().As16(), sp: m.Src.Port(), dp: m.Dst.Port()}
	payload := tcp.Payload
	s := ts.m[k]
	if tcp.RST || tcp.FIN {
		defer func() {
			if st := ts.m[k]; st != nil {
				d.endStream(st)
				delete(ts.m, k)
				delete(ts.holding, st)
			}
		}()
	}
	if len(payload) == 0 {
		return
	}
	if s == nil {
		if d.tlsSegment(m, k, payload) {
			return
		}
		mode, ok := streamStart(payload)
		if !ok {
			return
		}
		if len(ts.m) >= maxStreams {
			d.problem(m.File, m.Frame, "TCP stream table full", "")
			return
		}
		s = &tcpStream{key: k, born: d.ticks, mode: mode, file: m.File, src: m.Src, dst: m.Dst}
		ts.m[k] = s
	}
	seq := tcp.Seq
	if s.synced {
		diff := int32(seq - s.nextSeq)
		switch {
		case diff < 0:
			// Retransmission or overlap: keep only the new tail.
			skip := int(-diff)
			if skip >= len(payload) {
				d.Stats.TCPRetransmissions++
				return
			}
			payload, seq = payload[skip:], s.nextSeq
		case diff > 0:
			s.hold(seq, payload, m)
			ts.holding[s] = struct{}{}
			if len(s.held) > maxHeldSegments || s.heldBytes > maxHeldBytes || m.Time.Sub(s.held[0].time) > TCPGapTimeout {
				d.skipGap(s)
			}
			return
		}
	} else {
		mode, ok := streamStart(payload)
		if !ok {
			return
		}
		s.mode = mode
	}
	d.streamData(s, m, seq, payload)
	d.drainHeld(s, m)
}

// streamStart tells whether a segment can start a stream (or restart one
// after a hole), and in which mode: it must begin a SIP message, a
// WebSocket opening handshake, or a WebSocket frame holding SIP (a capture
// that started after the handshake).
func streamStart(p []byte) (streamMode, bool) {
	switch {
	case sip.LooksLikeSIP(p):
		return modeSIP, true
	case websocket.IsHandshakeStart(p):
		return modeHandshake, true
	case wsFrameWithSIP(p):
		return modeWS, true
	}
	return 0, false
}

// wsFrameWithSIP reports whether p starts with a WebSocket text or binary
// frame whose payload starts with a SIP start line. It unmasks a copy of
// the first bytes only.
func wsFrameWithSIP(p []byte) bool {
	if len(p) < 2 || p[0]&0x70 != 0 || (p[0]&0x0F != websocket.OpText && p[0]&0x0F != websocket.OpBinary) {
		return false
	}
	off := 2
	switch p[1] & 0x7F {
	case 126:
		off = 4
	case 127:
		off = 10
	}
	var key [4]byte
	if p[1]&0x80 != 0 {
		if len(p) < off+4 {
			return false
		}
		copy(key[:], p[off:off+4])
		off += 4
	}
	if len(p) <= off {
		return false
	}
	var head [256]byte
	n := copy(head[:], p[off:])
	for i := range n {
		head[i] ^= key[i&3]
	}
	return sip.LooksLikeSIP(head[:n])
}

// hold keeps a copy of a segment that arrived ahead of a hole, in sequence
// order; a segment already held is not held twice.
func (s *tcpStream) hold(seq uint32, p []byte, m *Meta) {
	i := sort.Search(len(s.held), func(i int) bool { return int32(s.held[i].seq-seq) >= 0 })
	if i < len(s.held) && s.held[i].seq == seq && len(s.held[i].data) >= len(p) {
		return
	}
	h := heldSegment{seq: seq, data: append([]byte(nil), p...), frame: m.Frame, time: m.Time}

	s.held = append(s.held, heldSegment{})
	copy(s.held[i+1:], s.held[i:])
	s.held[i] = h
	s.heldBytes += len(p)
}

// drainHeld feeds the held segments that the stream has now reached. The
// messages they complete are reported with m, the frame that filled the
// hole: that is when the receiver could read them.
func (d *Decoder) drainHeld(s *tcpStream, m *Meta) {
	for len(s.held) > 0 && s.synced {
		h := s.held[0]
		diff := int32(h.seq - s.nextSeq)
		if diff > 0 {
			return
		}
		s.held = s.held[1:]
		s.heldBytes -= len(h.data)
		skip := int(-diff)
		if skip >= len(h.data) {
			continue
		}
		d.streamData(s, m, s.nextSeq, h.data[skip:])
	}
	if len(s.held) == 0 {
		s.held = nil // let the backing array go
	}
}

// skipGap gives up on the bytes missing before the first held segment:
// what was buffered is counted as incomplete, and the stream restarts at the
// first held segment that starts a message. Messages in held segments are
// reported with the frame each was completed in.
func (d *Decoder) skipGap(s *tcpStream) {
	if len(s.held) == 0 {
		return
	}
	first := s.held[0]
	d.problem(s.file, first.frame, ReasonTCPGap,
		fmt.Sprintf("%s: %d bytes never seen before this segment", ReasonTCPGap, uint32(first.seq-s.nextSeq)))
	d.incomplete(s)
	s.buf, s.wsMsg, s.wsOp = s.buf[:0], s.wsMsg[:0], 0
	s.synced = false
	for len(s.held) > 0 {
		h := s.held[0]
		s.held = s.held[1:]
		s.heldBytes -= len(h.data)
		if !s.synced {
			mode, ok := streamStart(h.data)
			if !ok {
				continue
			}
			s.mode = mode
		} else if int32(h.seq-s.nextSeq) > 0 {
			// Another hole: start over from this segment.
			s.held = append([]heldSegment{h}, s.held...)
			s.heldBytes += len(h.data)
			d.skipGap(s)
			return
		} else if skip := int(s.nextSeq - h.seq); skip < len(h.data) {
			h.data, h.seq = h.data[skip:], s.nextSeq
		} else {
			continue
		}
		hm := Meta{File: s.file, Frame: h.frame, Time: h.time, Src: s.src, Dst: s.dst, Transport: TCP}
		d.streamData(s, &hm, h.seq, h.data)
	}
	s.held = nil
}

// streamData appends in-order bytes starting at seq and cuts out what they
// complete.
func (d *Decoder) streamData(s *tcpStream, m *Meta, seq uint32, p []byte) {
	s.nextSeq = seq + uint32(len(p))
	s.synced = true
	s.frame = m.Frame
	s.buf = append(s.buf, p...)
	d.interest |= InterestSIP // a segment of a SIP stream, even one that completes no message yet
	for len(s.buf) > 0 {
		var more bool
		switch s.mode {
		case modeSIP:
			more = d.cutSIP(s, m)
		case modeHandshake:
			more = d.cutHandshake(s, m)
		case modeWS:
			more = d.cutWebSocket(s, m)
		default:
			s.buf = s.buf[:0]
		}
		if !more {
			return
		}
	}
}

// consume drops the first n bytes of the buffer.
func (s *tcpStream) consume(n int) { s.buf = s.buf[:copy(s.buf, s.buf[n:])] }

// cutSIP cuts one SIP message (or keep-alive CRLFs) from the buffer and
// reports whether to go on.
func (d *Decoder) cutSIP(s *tcpStream, m *Meta) bool {
	// Keep-alive CRLFs between messages (RFC 5626).
	i := 0
	for i < len(s.buf) && (s.buf[i] == '\r' || s.buf[i] == '\n') {
		i++
	}
	if i > 0 {
		s.consume(i)
		return true
	}
	msg, n, err := d.sipParser.ParseStream(s.buf)
	if errors.Is(err, sip.ErrIncomplete) {
		if len(s.buf) > maxStreamBuffer {
			d.problem(m.File, m.Frame, ReasonSIPPartial, "TCP stream buffer over 1 MiB without a complete SIP message")
			s.buf = s.buf[:0]
		}
		return false
	}
	if err != nil {
		d.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
		if n > 0 {
			s.consume(n)
			return true
		}
		s.buf = s.buf[:0]
		s.synced = false
		return false
	}
	s.consume(n)
	m.Transport = TCP
	d.emitSIP(m, msg)
	return true
}

// cutHandshake reads the HTTP head of a WebSocket opening handshake.
func (d *Decoder) cutHandshake(s *tcpStream, m *Meta) bool {
	kind, n := websocket.ReadHandshake(s.buf)
	if n == 0 {
		if len(s.buf) > websocket.MaxHead {
			d.problem(m.File, m.Frame, ReasonWebSocket, "WebSocket handshake head over 16 KiB")
			s.mode, s.buf = modeIgnored, s.buf[:0]
		}
		return false
	}
	s.consume(n)
	if kind == websocket.UpgradeRequest || kind == websocket.UpgradeAccepted {
		s.mode = modeWS
	} else {
		s.mode = modeIgnored
	}
	return true
}

// cutWebSocket cuts one WebSocket frame from the buffer; a complete text or
// binary message is one SIP message (RFC 7118 §5).
func (d *Decoder) cutWebSocket(s *tcpStream, m *Meta) bool {
	f, n, err := websocket.ParseFrame(s.buf)
	if errors.Is(err, websocket.ErrIncomplete) {
		return false
	}
	if err != nil {
		d.problem(m.File, m.Frame, ReasonWebSocket, err.Error())
		s.buf, s.wsMsg, s.wsOp = s.buf[:0], s.wsMsg[:0], 0
		s.synced = false
		return false
	}
	switch f.Opcode {
	case websocket.OpText, websocket.OpBinary:
		if f.Fin {
			d.wsMessage(m, f.Payload)
		} else {
			s.wsMsg, s.wsOp = append(s.wsMsg[:0], f.Payload...), f.Opcode
		}
	case websocket.OpContinuation:
		switch {
		case s.wsOp == 0:
			d.problem(m.File, m.Frame, ReasonWebSocket, "WebSocket continuation frame without a first frame")
		case len(s.wsMsg)+len(f.Payload) > maxStreamBuffer:
			d.problem(m.File, m.Frame, ReasonWebSocket, "WebSocket message over 1 MiB")
			s.wsMsg, s.wsOp = s.wsMsg[:0], 0
		default:
			s.wsMsg = append(s.wsMsg, f.Payload...)
			if f.Fin {
				d.wsMessage(m, s.wsMsg)
				s.wsMsg, s.wsOp = s.wsMsg[:0], 0
			}
		}
	}
	// Close, ping and pong carry no SIP.
	s.consume(n)
	return true
}

func (d *Decoder) wsMessage(m *Meta, p []byte) {
	if !sip.LooksLikeSIP(p) {
		return // another subprotocol on the same server
	}
	msg, err := d.sipParser.Parse(p)
	if err != nil {
		d.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
		return
	}
	m.Transport = WS
	d.emitSIP(m, msg)
}

// endStream processes what a closing stream still holds and counts what
// never completed.
func (d *Decoder) endStream(s *tcpStream) {
	d.skipGap(s)
	d.incomplete(s)
}

func (d *Decoder) incomplete(s *tcpStream) {
	if len(s.buf) > 0 && s.mode != modeIgnored {
		d.problem(s.file, s.frame, ReasonSIPPartial, ReasonSIPPartial+" at end of TCP stream")
	}
}

func (ts *tcpStreams) flush(d *Decoder) {
	streams := make([]*tcpStream, 0, len(ts.m))
	for _, s := range ts.m {
		streams = append(streams, s)
	}
	// Map order is random: end streams in the order they began, so the
	// problems and late messages come out the same every run.
	sortStreams(streams)
	for _, s := range streams {
		d.pos = Position{PhaseFlushTCP, s.born}
		delete(ts.holding, s)
		d.endStream(s)
		delete(ts.m, s.key)
	}
}

package correlate

import (
	"net/netip"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/rtp"
	"github.com/sipscope/sipscope/decode/sdp"
)

// Limits on media state, so a capture full of odd UDP cannot grow it
// without bound. What they turn away is counted in MediaStats.
const (
	// MaxStreams is the default of Options.MaxStreams, the RTP streams held
	// at once.
	MaxStreams = 100000
	// MaxCandidates bounds the UDP flows the heuristic watches at once.
	MaxCandidates = 10000
	// HeuristicPackets is how many packets in a row must look like one RTP
	// stream before the heuristic believes it.
	HeuristicPackets = 4
)

// MediaStats counts media the builder saw but did not turn into streams.
type MediaStats struct {
	// UnmatchedRTP counts datagrams that parse as RTP on flows no SDP
	// announced (and, with the heuristic, that it did not confirm).
	UnmatchedRTP int
	// UnmatchedRTCP counts RTCP that matched no call flow and no stream.
	UnmatchedRTCP int
	// DroppedStreams counts streams not kept because Options.MaxStreams
	// were held.
	DroppedStreams int
}

// mediaState is the Builder's media half.
type mediaState struct {
	opts Options
	// flows is the hot path: one lookup per RTP packet.
	flows flowTable
	// endpoints are the addresses SDP announced, for RTP and for RTCP.
	rtpEndpoints  map[netip.AddrPort]*binding
	rtcpEndpoints map[netip.AddrPort]*binding
	streams       []*Stream
	bySSRC        map[uint32][]*Stream
	candidates    map[addrPair]*candidate
	srSeen        map[srKey]time.Time
	stats         MediaStats
	// flushedStreams counts the streams in streams that went with their
	// calls, compacted out once they are half of it.
	flushedStreams int
}

// binding is what one SDP said about one address: the call, the
// description and m= line, and who wrote it. Newer descriptions replace
// older ones for the same address.
type binding struct {
	call  *Call
	sdp   *SDP
	neg   *Negotiation
	media int
}

func (bd *binding) line() *sdp.MediaLine { return bd.sdp.mediaLine(bd.media) }

// peerLine is the other side's m= line in the same exchange.
func (bd *binding) peerLine() *sdp.MediaLine {
	if bd.neg == nil {
		return nil
	}
	if bd.neg.Offer == bd.sdp {
		return bd.neg.Answer.mediaLine(bd.media)
	}
	return bd.neg.Offer.mediaLine(bd.media)
}

// ptCache remembers what the stream's current payload type stands for, so
// that the per-packet path resolves it only when it changes.
type ptCache struct {
	valid   bool
	pt      uint8
	clock   int  // for jitter: 0 for telephone-event and unknown types
	rate    int  // the codec's clock rate, telephone-event included
	event   bool // RFC 4733 telephone-event
	allowed bool // listed in the answer in force
}

func (m *mediaState) init() {
	if m.rtpEndpoints != nil {
		return
	}
	m.rtpEndpoints = make(map[netip.AddrPort]*binding)
	m.rtcpEndpoints = make(map[netip.AddrPort]*binding)
	m.bySSRC = make(map[uint32][]*Stream)
	m.candidates = make(map[addrPair]*candidate)
	m.srSeen = make(map[srKey]time.Time)
}

// HandleRTP adds one RTP packet. Packets of a known stream cost one map
// lookup and a few arithmetic updates, and no allocation.
func (b *Builder) HandleRTP(p *decode.RTPPacket) bool {
	if p.Time.After(b.last) {
		b.last = p.Time
	}
	m := &b.media
	m.init()
	s := m.flows.get(p.Src, p.Dst, p.SSRC)
	if s == nil {
		if s = m.newStream(p); s == nil {
			return false
		}
	}
	s.add(p.File, p.Frame, p.Time, &p.Header, p.Payload)
	return true
}

// newStream starts a stream for a packet of an unknown flow when an SDP
// announced its destination or source, or when the heuristic is on and
// convinced. It returns nil when the packet is not (yet) media.
func (m *mediaState) newStream(p *decode.RTPPacket) *Stream {
	bd, onDst := m.rtpEndpoints[p.Dst], true
	if bd == nil {
		bd, onDst = m.rtpEndpoints[p.Src], false
	}
	if bd == nil {
		if !m.opts.HeuristicRTP {
			m.stats.UnmatchedRTP++
			return nil
		}
		return m.heuristic(p)
	}
	if len(m.streams)-m.flushedStreams >= m.maxStreams() {
		m.stats.DroppedStreams++
		return nil
	}
	s := &Stream{Src: p.Src, Dst: p.Dst, SSRC: p.SSRC, Call: bd.call, SDP: bd.sdp, Media: bd.media}
	line := bd.line()
	if onDst {
		s.Announced, s.To, s.From = line.RTP(), bd.sdp.Role, otherRole(bd.sdp.Role)
		if peer := bd.peerLine(); peer != nil {
			s.ExpectedSrc = peer.RTP()
		}
	} else {
		s.Announced, s.From, s.To = line.RTP(), bd.sdp.Role, otherRole(bd.sdp.Role)
		s.ExpectedSrc = line.RTP()
	}
	m.keep(s)
	bd.call.Media.Streams = append(bd.call.Media.Streams, s)
	return s
}

func (m *mediaState) keep(s *Stream) {
	m.flows.put(s)
	m.streams = append(m.streams, s)
	m.bySSRC[s.SSRC] = append(m.bySSRC[s.SSRC], s)
}

// add measures one packet of the stream.
func (s *Stream) add(file, frame int, t time.Time, h *rtp.Header, payload []byte) {
	if s.Packets == 0 {
		s.Start, s.FirstFile, s.FirstFrame = t, file, frame
		s.PayloadType = h.PayloadType
	}
	s.Packets++
	s.Bytes += h.PayloadLen
	s.End, s.LastFile, s.LastFrame = t, file, frame
	pt := h.PayloadType
	if s.Call != nil && len(s.Call.Media.Negotiations) != s.negotiations {
		// A new offer/answer may map payload types anew.
		s.negotiations = len(s.Call.Media.Negotiations)
		s.known = [len(s.known)]ptCache{}
	}
	if !s.cache.valid || s.cache.pt != pt {
		s.lookup(pt, file, frame)
	}
	if s.seenPT[pt/64]&(1<<(pt%64)) == 0 {
		s.seenPT[pt/64] |= 1 << (pt % 64)
		s.PayloadTypes = append(s.PayloadTypes, pt)
	}
	s.stats.add(t, file, frame, h.SequenceNumber, h.Timestamp, pt, h.Marker, s.cache.clock)
	if s.cache.event {
		s.telephoneEvent(file, frame, t, h, payload)
	}
}

// lookup makes pt the current payload type, from the few the stream
// resolved last: streams alternate between audio, comfort noise and
// telephone-events, and resolving each time would cost on the hot path.
func (s *Stream) lookup(pt uint8, file, frame int) {
	for _, k := range s.known {
		if k.valid && k.pt == pt {
			s.cache = k
			return
		}
	}
	s.cache = s.resolve(pt, file, frame)
	s.known[s.nextKnown] = s.cache
	s.nextKnown = (s.nextKnown + 1) % len(s.known)
}

// resolve looks up what payload type pt stands for in the SDP that bound
// the stream, and whether the answer in force lists it.
func (s *Stream) resolve(pt uint8, file, frame int) ptCache {
	c := ptCache{valid: true, pt: pt, allowed: true}
	codec, ok := s.codec(pt)
	if ok {
		c.rate = codec.ClockRate
		c.event = rtp.IsTelephoneEvent(codec.Name)
	}
	// Wireshark's rule: static types by the RFC 3551 table, dynamic ones by
	// their rtpmap; none for telephone-events, whose timestamp stands still.
	switch {
	case pt < 96:
		if st, ok := rtp.StaticCodec(pt); ok {
			c.clock = st.ClockRate
		}
	case !c.event:
		c.clock = c.rate
	}
	if s.Packets == 1 {
		s.Codec, s.ClockRate = codec.Name, c.rate
	}
	if answer := s.answer(); answer != nil && !answer.HasFormat(pt) {
		c.allowed = false
		if !s.unexpected(pt) {
			s.Unexpected = append(s.Unexpected, UnexpectedPT{PayloadType: pt, File: file, Frame: frame,
				Answer: answer.Formats, AnswerSDP: s.answerSDP()})
		}
	}
	return c
}

func (s *Stream) unexpected(pt uint8) bool {
	for _, u := range s.Unexpected {
		if u.PayloadType == pt {
			return true
		}
	}
	return false
}

// codec finds pt in the stream's m= line, then in the other side's.
func (s *Stream) codec(pt uint8) (rtp.Codec, bool) {
	if line := s.SDP.mediaLine(s.Media); line != nil {
		for _, c := range line.Codecs {
			if c.PayloadType == pt {
				return c.Codec, true
			}
		}
	}
	if neg := s.negotiation(); neg != nil {
		for _, d := range []*SDP{neg.Offer, neg.Answer} {
			if line := d.mediaLine(s.Media); line != nil {
				if c, ok := line.Codec(pt); ok {
					return c, true
				}
			}
		}
	}
	return rtp.StaticCodec(pt)
}

// negotiation is the exchange the stream's SDP took part in.
func (s *Stream) negotiation() *Negotiation {
	if s.Call == nil || s.SDP == nil {
		return nil
	}
	for i := len(s.Call.Media.Negotiations) - 1; i >= 0; i-- {
		n := s.Call.Media.Negotiations[i]
		if n.Offer == s.SDP || n.Answer == s.SDP {
			return n
		}
	}
	return nil
}

// answerSDP is the answer of the call's latest completed exchange that has
// the stream's m= line: the payload types it lists are the ones that may
// flow.
func (s *Stream) answerSDP() *SDP {
	if s.Call == nil {
		return nil
	}
	negs := s.Call.Media.Negotiations
	for i := len(negs) - 1; i >= 0; i-- {
		if negs[i].Answer.mediaLine(s.Media) != nil {
			return negs[i].Answer
		}
	}
	return nil
}

func (s *Stream) answer() *sdp.MediaLine {
	a := s.answerSDP()
	if a == nil {
		return nil
	}
	// A pending re-offer may already bring new payload types the far end
	// starts sending before its answer is captured: accept those too.
	line := a.mediaLine(s.Media)
	if p := s.Call.Media.pending; p != nil {
		if off := p.Offer.mediaLine(s.Media); off != nil {
			merged := *line
			merged.Formats = append(append([]uint8(nil), line.Formats...), off.Formats...)
			return &merged
		}
	}
	return line
}

// telephoneEvent follows an RFC 4733 event: a new RTP timestamp starts a
// key press, later packets extend it, the end bit closes it.
func (s *Stream) telephoneEvent(file, frame int, t time.Time, h *rtp.Header, payload []byte) {
	var ev rtp.TelephoneEvent
	if ev.Unmarshal(payload) != nil {
		return
	}
	d := s.dtmf
	if d == nil || d.ts != h.Timestamp {
		if s.Call == nil {
			return
		}
		d = &DTMF{Digit: ev.Digit(), Source: DTMFRFC4733, Time: t, File: file, Frame: frame,
			Src: s.Src, Dst: s.Dst, Stream: s, ts: h.Timestamp, Volume: int(ev.Volume)}
		s.dtmf = d
		s.Call.Media.DTMF = append(s.Call.Media.DTMF, d)
	}
	if d.Ended {
		return // the end report is sent three times
	}
	if s.cache.rate > 0 {
		d.Duration = time.Duration(ev.Duration) * time.Second / time.Duration(s.cache.rate)
	}
	d.Ended = ev.End
}

// candidate is a UDP flow the heuristic is watching: the header fields of
// its last packets, replayed into a stream once they look like RTP.
type candidate struct {
	ssrc uint32
	n    int
	pkts [HeuristicPackets]candidatePacket
}

type candidatePacket struct {
	time        time.Time
	file, frame int
	h           rtp.Header
}

// heuristic watches a flow no SDP announced and starts a stream once
// HeuristicPackets packets in a row share an SSRC and a plausible payload
// type, with sequence numbers stepping by one and timestamps not going back.
func (m *mediaState) heuristic(p *decode.RTPPacket) *Stream {
	key := addrPair{p.Src, p.Dst}
	c := m.candidates[key]
	if c == nil {
		if len(m.candidates) >= MaxCandidates || !plausiblePT(p.PayloadType) {
			m.stats.UnmatchedRTP++
			return nil
		}
		c = &candidate{}
		m.candidates[key] = c
	}
	if c.n > 0 {
		prev := &c.pkts[c.n-1].h
		ok := p.SSRC == c.ssrc && p.PayloadType == prev.PayloadType &&
			p.SequenceNumber == prev.SequenceNumber+1 && int32(p.Timestamp-prev.Timestamp) >= 0
		if !ok {
			m.stats.UnmatchedRTP += c.n
			c.n = 0
		}
	}
	if c.n == 0 && !plausiblePT(p.PayloadType) {
		m.stats.UnmatchedRTP++
		return nil
	}
	c.ssrc = p.SSRC
	c.pkts[c.n] = candidatePacket{time: p.Time, file: p.File, frame: p.Frame, h: p.Header}
	c.n++
	if c.n < HeuristicPackets {
		return nil
	}
	delete(m.candidates, key)
	if len(m.streams)-m.flushedStreams >= m.maxStreams() {
		m.stats.DroppedStreams++
		return nil
	}
	s := &Stream{Src: p.Src, Dst: p.Dst, SSRC: p.SSRC, Heuristic: true}
	m.keep(s)
	// Replay all but the current packet, which the caller adds.
	for i := range HeuristicPackets - 1 {
		cp := &c.pkts[i]
		s.add(cp.file, cp.frame, cp.time, &cp.h, nil)
	}
	return s
}

// plausiblePT accepts the static audio and video types and the dynamic
// range: what RTP streams carry in practice.
func plausiblePT(pt uint8) bool {
	if pt >= 96 {
		return true
	}
	_, ok := rtp.StaticCodec(pt)
	return ok
}

func (m *mediaState) maxStreams() int {
	if m.opts.MaxStreams > 0 {
		return m.opts.MaxStreams
	}
	return MaxStreams
}

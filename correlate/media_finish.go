package correlate

import (
	"cmp"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/sipscope/sipscope/decode/rtp"
	"github.com/sipscope/sipscope/decode/sdp"
)

// finishMedia settles every stream's figures and each call's flows once
// the input has ended.
func (b *Builder) finishMedia(model *Model) {
	m := &b.media
	if m.flushedStreams > 0 {
		m.compactStreams()
	}
	sort.SliceStable(m.streams, func(i, j int) bool { return m.streams[i].Start.Before(m.streams[j].Start) })
	for _, s := range m.streams {
		s.stats.fill(s)
		if !rtp.IsTelephoneEvent(s.Codec) {
			s.Quality = estimateQuality(s)
		}
	}
	for _, c := range b.order {
		c.Media.buildFlows()
	}
	model.Streams = m.streams
	model.Media = m.stats
}

func isRTPLine(l *sdp.MediaLine) bool {
	return l != nil && strings.Contains(l.Proto, "RTP") && l.Port > 0 && !l.OnHold()
}

// buildFlows works out, per m= line and direction, whether the SDP let
// media flow and which streams did.
func (cm *CallMedia) buildFlows() {
	cm.Flows = nil
	flow := func(media int, from string) *MediaFlow {
		for _, f := range cm.Flows {
			if f.Media == media && f.From == from {
				return f
			}
		}
		f := &MediaFlow{Media: media, From: from, To: otherRole(from)}
		cm.Flows = append(cm.Flows, f)
		return f
	}
	for _, n := range cm.Negotiations {
		if n.Answer == nil {
			continue
		}
		for i := range n.Offer.Session.Media {
			off, ans := n.Offer.mediaLine(i), n.Answer.mediaLine(i)
			if !isRTPLine(off) || !isRTPLine(ans) {
				continue
			}
			for _, dir := range []struct {
				from, to *SDP
				fl, tl   *sdp.MediaLine
			}{{n.Offer, n.Answer, off, ans}, {n.Answer, n.Offer, ans, off}} {
				f := flow(i, dir.from.Role)
				if dir.fl.Direction.Sends() && dir.tl.Direction.Receives() && dir.tl.RTP().IsValid() {
					f.Expected = true
					f.Target, f.TargetSDP, f.Source = dir.tl.RTP(), dir.to, dir.fl.RTP()
				}
			}
		}
	}
	for _, s := range cm.Streams {
		if s.From == "" {
			continue
		}
		f := flow(s.Media, s.From)
		f.Streams = append(f.Streams, s)
		f.Packets += s.Packets
		if f.FirstTime.IsZero() || s.Start.Before(f.FirstTime) {
			f.FirstTime, f.FirstFile, f.First = s.Start, s.FirstFile, s.FirstFrame
		}
	}
	// By m= line, the caller's direction first.
	slices.SortStableFunc(cm.Flows, func(a, b *MediaFlow) int {
		if a.Media != b.Media {
			return cmp.Compare(a.Media, b.Media)
		}
		return cmp.Compare(roleIndex(a.From), roleIndex(b.From))
	})
}

// flushMedia settles the figures of a finished call's streams and forgets
// them and the addresses its SDP announced, so that a streaming Builder
// holds media state only for calls in progress. RTP that arrives for those
// addresses afterwards counts as media of no known call (or binds to a
// newer call that announces them again).
func (b *Builder) flushMedia(c *Call) {
	m := &b.media
	for _, s := range c.Media.Streams {
		s.stats.fill(s)
		if !rtp.IsTelephoneEvent(s.Codec) {
			s.Quality = estimateQuality(s)
		}
	}
	c.Media.buildFlows()
	// Forget what the call's SDP bound and its streams, looking only at
	// the call's own entries: a flush costs what the call held, not what
	// the builder holds.
	for _, a := range c.Media.endpoints {
		if bd := m.rtpEndpoints[a]; bd != nil && bd.call == c {
			delete(m.rtpEndpoints, a)
		}
		if bd := m.rtcpEndpoints[a]; bd != nil && bd.call == c {
			delete(m.rtcpEndpoints, a)
		}
	}
	for _, s := range c.Media.Streams {
		m.flows.remove(s)
		if list := m.bySSRC[s.SSRC]; len(list) > 0 {
			kept := list[:0]
			for _, o := range list {
				if o != s {
					kept = append(kept, o)
				}
			}
			clear(list[len(kept):])
			if len(kept) == 0 {
				delete(m.bySSRC, s.SSRC)
			} else {
				m.bySSRC[s.SSRC] = kept
			}
		}
		if !s.flushed {
			s.flushed = true
			m.flushedStreams++
		}
	}
	if m.flushedStreams > 64 && m.flushedStreams > len(m.streams)/2 {
		m.compactStreams()
	}
}

// compactStreams drops the streams that went with their calls.
func (m *mediaState) compactStreams() {
	m.streams = slices.DeleteFunc(m.streams, func(s *Stream) bool { return s.flushed })
	m.flushedStreams = 0
}

// noteEndpoint remembers an address the call's SDP bound, once.
func (cm *CallMedia) noteEndpoint(a netip.AddrPort) {
	for _, e := range cm.endpoints {
		if e == a {
			return
		}
	}
	cm.endpoints = append(cm.endpoints, a)
}

package correlate

import (
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/rtp"
)

// maxSRSeen bounds the sender reports remembered for round-trip times.
const maxSRSeen = 4096

// srKey names a sender report the way a receiver echoes it: the sender's
// SSRC and the middle 32 bits of its NTP time, and the flow it went on (a
// relay may forward the same SR on two legs; the report that echoes it
// comes back on the reverse flow). The flow is zero in the key of the last
// SR seen on any flow, used when no SR went on the reverse flow (NAT).
type srKey struct {
	ssrc, lsr uint32
	flow      addrPair
}

// HandleRTCP attaches an RTCP packet's reports to the streams they are
// about: a report block to the stream with its source SSRC flowing towards
// the reporter, a sender report to the sender's own stream. Round-trip
// times come from the capture times of an SR and of the report that echoes
// it (LSR) minus the receiver's hold time (DLSR), as Wireshark computes
// them; they are the round trip from the capture point to the receiver.
func (b *Builder) HandleRTCP(p *decode.RTCPPacket) bool {
	if p.Time.After(b.last) {
		b.last = p.Time
	}
	m := &b.media
	m.init()
	var call *Call
	for _, a := range []*binding{m.rtcpEndpoints[p.Dst], m.rtcpEndpoints[p.Src], m.rtpEndpoints[p.Dst], m.rtpEndpoints[p.Src]} {
		if a != nil {
			call = a.call
			break
		}
	}
	matched := false
	for _, si := range p.Senders {
		if len(m.srSeen) >= maxSRSeen {
			clear(m.srSeen)
		}
		m.srSeen[srKey{si.SSRC, si.LSR(), addrPair{p.Src, p.Dst}}] = p.Time
		m.srSeen[srKey{ssrc: si.SSRC, lsr: si.LSR()}] = p.Time
		if s := m.streamOf(si.SSRC, call, p, false); s != nil {
			s.RTCP.SenderReports++
			matched = true
		}
	}
	for _, r := range p.Reports {
		s := m.streamOf(r.Source, call, p, true)
		if s == nil {
			if call != nil {
				call.Media.RTCP = append(call.Media.RTCP, UnmatchedReport{File: p.File, Frame: p.Frame, Time: p.Time,
					Src: p.Src, Dst: p.Dst, Reporter: r.Reporter, Source: r.Source,
					FractionLostPct: r.FractionLostPercent(), CumulativeLost: r.CumulativeLost})
				matched = true
			}
			continue
		}
		matched = true
		m.report(s, p, r)
	}
	for _, v := range p.VoIP {
		if s := m.streamOf(v.Source, call, p, true); s != nil {
			s.RTCP.VoIP = voipSummary(v)
			matched = true
		}
	}
	if !matched {
		m.stats.UnmatchedRTCP++
	}
	return matched || call != nil
}

// streamOf finds the stream with an SSRC that an RTCP packet from p.Src
// talks about: received by that host when towardsReporter, else sent by
// it. When no stream has the host (a NAT between the reporter and the
// capture point), the one stream of the packet's call with that SSRC and
// not the other way round will do: never a stream the reporter itself
// sends, when it reports on what it receives.
func (m *mediaState) streamOf(ssrc uint32, call *Call, p *decode.RTCPPacket, towardsReporter bool) *Stream {
	var fallback *Stream
	candidates := 0
	for _, s := range m.bySSRC[ssrc] {
		host, other := s.Src.Addr(), s.Dst.Addr()
		if towardsReporter {
			host, other = other, host
		}
		switch {
		case host == p.Src.Addr() && (call == nil || s.Call == call):
			return s
		case call != nil && s.Call == call && other != p.Src.Addr():
			fallback = s
			candidates++
		}
	}
	if candidates != 1 {
		return nil
	}
	return fallback
}

func (m *mediaState) report(s *Stream, p *decode.RTCPPacket, r rtp.ReceptionReport) {
	sum := &s.RTCP
	sum.Reports++
	sum.FractionLostPct = r.FractionLostPercent()
	sum.CumulativeLost = r.CumulativeLost
	sum.LastReportFile, sum.LastReportFrame = p.File, p.Frame
	if s.ClockRate > 0 {
		sum.JitterMS = float64(r.Jitter) * 1000 / float64(s.ClockRate)
		sum.MaxJitterMS = max(sum.MaxJitterMS, sum.JitterMS)
	}
	if r.LSR == 0 {
		return
	}
	sent, ok := m.srSeen[srKey{r.Source, r.LSR, addrPair{p.Dst, p.Src}}]
	if !ok {
		if sent, ok = m.srSeen[srKey{ssrc: r.Source, lsr: r.LSR}]; !ok {
			return
		}
	}
	rtt := p.Time.Sub(sent) - r.DelaySinceLastSR()
	if rtt < 0 || rtt > time.Minute {
		return // clocks or reports that make no sense
	}
	ms := float64(rtt) / float64(time.Millisecond)
	sum.LastRTTMS, sum.MaxRTTMS = ms, max(sum.MaxRTTMS, ms)
	sum.RTTSamples++
}

func voipSummary(v rtp.VoIPMetrics) *VoIPSummary {
	out := &VoIPSummary{
		LossPct: float64(v.LossRate) * 100 / 256, DiscardPct: float64(v.DiscardRate) * 100 / 256,
		RoundTripMS: int(v.RoundTripDelay), RFactor: -1,
	}
	if v.RFactor != 127 {
		out.RFactor = int(v.RFactor)
	}
	if v.MOSLQ != 127 {
		out.MOSLQ = float64(v.MOSLQ) / 10
	}
	if v.MOSCQ != 127 {
		out.MOSCQ = float64(v.MOSCQ) / 10
	}
	return out
}

package correlate

import (
	"net/netip"
	"time"

	"github.com/sipscope/sipscope/decode"
)

// icmpWindow is how long after a SIP message an ICMP error quoting its
// addresses is taken to answer it.
const icmpWindow = 5 * time.Second

// ICMP is an ICMP error with the SIP message it answers, when one was found.
type ICMP struct {
	*decode.ICMPError
	Message *Message // the SIP message the error quotes; nil when it quotes no SIP we saw (e.g. RTP)
	// Call is the call of Message, or, for an error quoting media, the call
	// whose SDP announced the quoted destination (or source) for RTP or
	// RTCP; nil when neither.
	Call *Call
}

type addrPair struct{ src, dst netip.AddrPort }

// HandleICMP links an ICMP error to the last SIP message sent from the quoted
// source to the quoted destination shortly before.
func (b *Builder) HandleICMP(e *decode.ICMPError) {
	b.advance(e.Time)
	ic := &ICMP{ICMPError: e}
	if m := b.lastSent[addrPair{e.OrigSrc, e.OrigDst}]; m != nil && e.Time.Sub(m.Time) <= icmpWindow && !e.Time.Before(m.Time) {
		if c := b.calls[m.CallID]; c != nil {
			ic.Message, ic.Call = m, c
			c.ICMP = append(c.ICMP, ic)
		}
	}
	if ic.Call == nil {
		// Media: the quoted packet went to (or came from) an address a
		// held call's SDP announced, for RTP or RTCP.
		if c := b.mediaCallOf(e.OrigDst, e.OrigSrc); c != nil {
			ic.Call = c
			c.ICMP = append(c.ICMP, ic)
		}
	}
	if b.opts.MaxICMP > 0 && len(b.icmp) >= b.opts.MaxICMP {
		b.stats.ICMPDropped++
		return
	}
	b.icmp = append(b.icmp, ic)
}

// maxSentPairs bounds the address pairs remembered for ICMP matching. A
// scanner sending from a new port for every Call-ID would otherwise grow the
// table, and keep every evicted call's message alive, until the next sweep.
const maxSentPairs = 65536

func (b *Builder) noteSent(m *Message) {
	if b.lastSent == nil {
		b.lastSent = make(map[addrPair]*Message)
	}
	k := addrPair{m.Src, m.Dst}
	prev, known := b.lastSent[k]
	if !known && len(b.lastSent) >= maxSentPairs {
		// Prune at most once per sweep interval: pruning a full table for
		// every new pair would make a flood quadratic.
		if m.Time.Sub(b.sentPruned) >= sweepEvery {
			b.forgetSent(m.Time)
		}
		if len(b.lastSent) >= maxSentPairs {
			// All recent: an ICMP error for this pair will not be linked.
			b.stats.ICMPPairsDropped++
			return
		}
	}
	if prev != nil {
		prev.call.sent--
	}
	b.lastSent[k] = m
	m.call.sent++
}

// forgetSent forgets the messages too old at now to explain an ICMP error.
func (b *Builder) forgetSent(now time.Time) {
	b.sentPruned = now
	for k, m := range b.lastSent {
		if now.Sub(m.Time) > icmpWindow {
			delete(b.lastSent, k)
			m.call.sent--
		}
	}
}

// mediaCallOf returns the held call whose SDP bound the first of addrs for
// RTP or RTCP, or nil.
func (b *Builder) mediaCallOf(addrs ...netip.AddrPort) *Call {
	for _, a := range addrs {
		for _, bd := range [2]*binding{b.media.rtpEndpoints[a], b.media.rtcpEndpoints[a]} {
			if bd != nil && b.calls[bd.call.CallID] == bd.call {
				return bd.call
			}
		}
	}
	return nil
}

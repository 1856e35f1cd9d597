package correlate

import (
	"sort"
	"time"

	"github.com/sipscope/sipscope/decode"
)

// Options tune a Builder for streaming and bound its memory. Without OnCall
// every call is kept until Model is called, which is what offline analysis
// of one capture wants, up to the limits below (NewBuilderWith fills in
// their defaults; NewBuilder has none).
type Options struct {
	// OnCall receives each call once it is finished: its outcome settled and
	// Grace passed without a message, or idle for IdleTimeout, or evicted by
	// MaxCalls. The Builder forgets the call afterwards, so memory follows
	// the calls in progress, not the capture's length. When OnCall is nil no
	// call is flushed early and Model returns them all.
	OnCall func(*Call)
	// OnEvent receives call events as they happen.
	OnEvent func(Event)
	// Grace is how long a settled call (completed, rejected, cancelled, timed
	// out; a REGISTER or OPTIONS with its final response) is kept for late
	// retransmissions before it is flushed. Default DefaultGrace.
	Grace time.Duration
	// IdleTimeout flushes a call that has seen no message for this long,
	// whatever its state (a call whose BYE was never captured). Default
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
	// MaxCalls bounds the calls held at once; past it the calls idle longest
	// are flushed early and counted in Stats.Evicted. Default DefaultMaxCalls.
	// Without OnCall the limit holds too: evicted calls are then dropped
	// (counted, never silent), since memory must stay bounded offline as well.
	MaxCalls int
	// MaxICMP bounds the ICMP errors kept; past it they are counted in
	// Stats.ICMPDropped. Default DefaultMaxICMP.
	MaxICMP int
	// HeuristicRTP also collects RTP on flows no SDP in the capture
	// announced: version 2, a plausible payload type, and sequence numbers
	// and timestamps that advance over HeuristicPackets packets. Off by
	// default, since any UDP can look like RTP for a packet or two.
	HeuristicRTP bool
	// MaxMessages bounds the messages kept per call: one Call-ID repeated
	// forever (a flood, a keepalive that never changes it) must not grow
	// memory without end. Past it messages are counted in Call.Dropped and
	// Stats.MessagesDropped but not kept, and do not change the call's
	// state. Default DefaultMaxMessages.
	MaxMessages int
	// HoldCalls, with OnCall, holds finished calls instead of flushing them
	// until more than HoldCalls calls are held: a capture with fewer calls
	// than that is never streamed, and Model then returns every call as
	// without OnCall (Stats.Flushed stays 0), so its analysis sees them all
	// together. Past it, every finished call is flushed at the next sweep
	// and memory stays bounded. Zero flushes each call once it is finished.
	HoldCalls int
	// MaxStreams bounds the RTP streams held at once (those of calls held,
	// and those bound to no call); past it new streams are counted in
	// MediaStats.DroppedStreams, not measured. Default MaxStreams.
	MaxStreams int
}

// Defaults for Options.
const (
	DefaultGrace       = 32 * time.Second // 64*T1: covers every retransmission of the last transaction
	DefaultIdleTimeout = 2 * time.Hour
	DefaultMaxCalls    = 200000
	DefaultMaxICMP     = 10000
	DefaultMaxMessages = 10000 // a day of 30-second REGISTER refreshes with challenges on one Call-ID
	sweepEvery         = time.Second
)

// EventKind names a call event.
type EventKind string

// Call events.
const (
	EventNew      EventKind = "new"      // first message of a Call-ID
	EventRinging  EventKind = "ringing"  // first 18x to the INVITE
	EventAnswered EventKind = "answered" // first 2xx to the INVITE
	EventEnded    EventKind = "ended"    // first BYE
	EventFailed   EventKind = "failed"   // final 3xx-6xx other than an auth challenge, or a timeout at flush
	EventFinished EventKind = "finished" // the call was flushed with its final state
)

// Event is something that happened to a call.
type Event struct {
	Kind    EventKind
	Time    time.Time
	Call    *Call
	Message *Message // the message that caused it; nil for a timeout or a flush
}

// Stats counts what a streaming Builder did.
type Stats struct {
	Calls       int // calls seen
	Flushed     int // calls handed to OnCall
	Evicted     int // calls flushed early because MaxCalls was reached (dropped when there is no OnCall)
	ICMPDropped int // ICMP errors not kept because MaxICMP was reached
	// MessagesDropped counts messages not kept because their call held
	// MaxMessages already.
	MessagesDropped int
	// ICMPPairsDropped counts SIP messages not remembered for ICMP matching
	// because maxSentPairs address pairs were all recent.
	ICMPPairsDropped int
}

// dropMessage reports whether ev must not be kept because its call c holds
// MaxMessages already, and counts it if so.
func (b *Builder) dropMessage(c *Call, ev *decode.SIPMessage) bool {
	if b.opts.MaxMessages <= 0 || len(c.Messages) < b.opts.MaxMessages {
		return false
	}
	b.stats.MessagesDropped++
	c.Dropped++
	if ev.Time.After(c.End) {
		c.End = ev.Time // still active: not idle, not first to be evicted
		b.rewatch(c)
	}
	return true
}

// NewBuilderWith returns a Builder with options; see Options. Zero limits
// take their defaults.
func NewBuilderWith(opts Options) *Builder {
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = DefaultMaxCalls
	}
	if opts.MaxICMP <= 0 {
		opts.MaxICMP = DefaultMaxICMP
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultMaxMessages
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = MaxStreams
	}
	b := NewBuilder()
	b.opts = opts
	b.media.opts = opts
	return b
}

// Options returns the options in force, defaults filled in.
func (b *Builder) Options() Options { return b.opts }

// Stats returns the builder's counters.
func (b *Builder) Stats() Stats { return b.stats }

// Calls returns the number of calls currently held.
func (b *Builder) Calls() int { return len(b.calls) }

func (b *Builder) emit(kind EventKind, c *Call, m *Message, t time.Time) {
	if b.opts.OnEvent != nil {
		b.opts.OnEvent(Event{Kind: kind, Time: t, Call: c, Message: m})
	}
}

// events emits what message m changed in call c.
func (b *Builder) events(c *Call, m *Message, isNew bool) {
	if b.opts.OnEvent == nil {
		return
	}
	if isNew {
		b.emit(EventNew, c, m, m.Time)
	}
	if m.Retransmission {
		return
	}
	switch {
	case m.IsRequest && m.Method == "BYE" && c.EndTime.Equal(m.Time):
		b.emit(EventEnded, c, m, m.Time)
	case !m.IsRequest && m.CSeq.Method == "INVITE":
		switch code := m.StatusCode; {
		case code >= 180 && code < 190 && c.RingTime.Equal(m.Time):
			b.emit(EventRinging, c, m, m.Time)
		case code >= 200 && code < 300 && c.AnswerTime.Equal(m.Time):
			b.emit(EventAnswered, c, m, m.Time)
		case code >= 300 && code != 401 && code != 407:
			if r := m.Transaction.Request(); r == nil || r.To.Tag == "" {
				b.emit(EventFailed, c, m, m.Time)
			}
		}
	}
}

// advance moves the builder's clock to t (capture time) and flushes what
// finished, at most once per second of capture time.
func (b *Builder) advance(t time.Time) {
	if t.After(b.last) {
		b.last = t
	}
	if b.lastSweep.IsZero() {
		b.lastSweep = t
	}
	if t.Sub(b.lastSweep) < sweepEvery {
		return
	}
	b.lastSweep = t
	if b.opts.OnCall == nil || b.opts.HoldCalls > 0 && len(b.calls) <= b.opts.HoldCalls {
		// Offline: calls stay until Model, but the ICMP table must not grow.
		b.forgetSent(t)
		return
	}
	b.sweep(t)
}

// sweep flushes every call that is finished at now, and forgets addresses
// that can no longer explain an ICMP error. It looks only at the calls due
// (see dueFinished), not at every call held.
func (b *Builder) sweep(now time.Time) {
	for _, c := range b.dueFinished(now) {
		b.flush(c, now)
	}
	if b.gone > 64 && b.gone > len(b.order)/2 {
		b.compactOrder()
	}
	b.forgetSent(now)
}

// finished reports whether c is finished at now. A call it finds finished
// by its state is marked settled: the sweep flushes it at the same now, and
// flush need not work the state out again.
func (b *Builder) finished(c *Call, now time.Time) bool {
	idle := now.Sub(c.End)
	if idle >= b.opts.IdleTimeout {
		return true
	}
	if idle < b.opts.Grace {
		return false
	}
	c.finish(now)
	switch c.State {
	case StateCompleted, StateRejected, StateCancelled, StateTimedOut, StateRegistered, StateUnregistered:
		c.settled = true
		return true
	}
	return false
}

// flush settles c, hands it to OnCall and forgets it.
func (b *Builder) flush(c *Call, now time.Time) {
	if !c.settled {
		c.finish(now)
	}
	c.settled = false
	if c.State == StateTimedOut {
		b.emit(EventFailed, c, nil, now)
	}
	b.emit(EventFinished, c, nil, now)
	if b.calls[c.CallID] == c {
		delete(b.calls, c.CallID)
	}
	if !c.gone {
		c.gone = true
		b.gone++
		b.unwatch(c)
	}
	b.flushMedia(c)
	// An ICMP error can no longer be linked to a call that is gone; the
	// table must not keep its messages alive either.
	for i := 0; i < len(c.Messages) && c.sent > 0; i++ {
		if m := c.Messages[i]; b.lastSent[addrPair{m.Src, m.Dst}] == m {
			delete(b.lastSent, addrPair{m.Src, m.Dst})
			c.sent--
		}
	}
	if b.opts.OnCall != nil {
		b.stats.Flushed++
		b.opts.OnCall(c)
	}
}

// evict flushes the tenth of the calls that have been idle longest, so that
// a flood of Call-IDs costs one sort per many new calls.
func (b *Builder) evict(now time.Time) {
	b.compactOrder()
	n := len(b.order) / 10
	if n < 1 {
		n = 1
	}
	sort.SliceStable(b.order, func(i, j int) bool { return b.order[i].End.Before(b.order[j].End) })
	for _, c := range b.order[:n] {
		b.stats.Evicted++
		b.flush(c, now)
	}
	rest := copy(b.order, b.order[n:])
	clear(b.order[rest:])
	b.order = b.order[:rest]
	b.gone -= n // the flushed calls just removed
}

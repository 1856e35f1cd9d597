package correlate

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/decode"
)

// Builder correlates SIP messages as they arrive. It implements
// decode.Handler, and decode.MediaHandler for RTP and RTCP (media_rtp.go).
// Call Model once the input has ended.
type Builder struct {
	opts      Options
	stats     Stats
	calls     map[string]*Call
	order     []*Call // calls held, in order of their first message
	last      time.Time
	lastSweep time.Time
	icmp      []*ICMP
	lastSent  map[addrPair]*Message
	media     mediaState
	// sentPruned is when lastSent was last pruned.
	sentPruned time.Time
	// due schedules the held calls for the grace sweep; gone counts the
	// flushed calls still in order (compacted lazily).
	due  dueQueue
	gone int
}

// NewBuilder returns an empty Builder that keeps every call until Model.
func NewBuilder() *Builder {
	return &Builder{calls: make(map[string]*Call)}
}

// HandleSIP adds one message.
func (b *Builder) HandleSIP(ev *decode.SIPMessage) {
	b.advance(ev.Time)
	c := b.calls[ev.CallID]
	if c != nil && b.dropMessage(c, ev) {
		return
	}
	isNew := c == nil
	if isNew {
		if b.opts.MaxCalls > 0 && len(b.calls) >= b.opts.MaxCalls {
			b.evict(ev.Time)
		}
		c = &Call{Order: b.stats.Calls, dueSlot: -1, CallID: ev.CallID, Start: ev.Time}
		b.calls[ev.CallID] = c
		b.order = append(b.order, c)
		b.stats.Calls++
		if b.opts.OnCall != nil {
			b.watch(c, ev.Time)
		}
	}
	m := c.newMessage(ev)
	if ev.Time.After(c.End) {
		c.End = ev.Time
		b.rewatch(c)
	}
	c.noteKind(m)
	c.addToTransaction(m)
	if m.Retransmission {
		c.Retransmissions++
	}
	c.trackDialog(m)
	c.trackTimes(m)
	b.noteSent(m)
	b.mediaSIP(c, m)
	b.events(c, m, isNew)
}

// newMessage appends a message for ev to the call. Messages are carved
// from slabs that grow with the call, and the first few pointers live in
// the call itself: a call of a handful of messages costs a few
// allocations, not two per message.
func (c *Call) newMessage(ev *decode.SIPMessage) *Message {
	if len(c.slab) == cap(c.slab) {
		c.slab = make([]Message, 0, min(2*max(cap(c.slab), 2), 64))
	}
	c.slab = append(c.slab, Message{SIPMessage: ev, Index: len(c.Messages), call: c})
	m := &c.slab[len(c.slab)-1]
	if c.Messages == nil {
		c.Messages = c.firstMessages[:0]
	}
	c.Messages = append(c.Messages, m)
	return m
}

// Observe tells the builder that the capture reached t, so that timeouts are
// judged against the end of the capture and not the last SIP message.
func (b *Builder) Observe(t time.Time) {
	b.advance(t)
}

// Model finishes the states of every call held and returns the model. With
// Options.OnCall set, the remaining calls are flushed to it instead and the
// model's Calls is empty, unless Options.HoldCalls kept every call so far
// (Stats.Flushed is 0): then the model holds them all, as without OnCall.
func (b *Builder) Model() *Model {
	b.compactOrder()
	sort.SliceStable(b.order, func(i, j int) bool { return b.order[i].Start.Before(b.order[j].Start) })
	if b.opts.OnCall != nil && (b.opts.HoldCalls <= 0 || b.stats.Flushed > 0) {
		for _, c := range b.order {
			b.flush(c, b.last)
		}
		b.order = nil
		model := &Model{ICMP: b.icmp, End: b.last}
		b.finishMedia(model) // what is left: streams bound to no call
		return model
	}
	for _, c := range b.order {
		c.finish(b.last)
	}
	model := &Model{Calls: b.order, ICMP: b.icmp, End: b.last}
	b.finishMedia(model)
	return model
}

func kindOf(method string) string {
	switch method {
	case "INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO":
		return KindCall
	case "REGISTER":
		return KindRegistration
	case "":
		return "unknown"
	}
	return strings.ToLower(method)
}

// isCallKind reports whether kindOf(method) is KindCall, without making
// the lower-cased method kindOf returns for other methods.
func isCallKind(method string) bool {
	switch method {
	case "INVITE", "ACK", "BYE", "CANCEL", "PRACK", "UPDATE", "INFO":
		return true
	case "REGISTER", "":
		return false
	}
	return strings.EqualFold(method, KindCall)
}

func (c *Call) noteKind(m *Message) {
	method := m.Method
	if !m.IsRequest {
		method = m.CSeq.Method
	}
	switch {
	case c.Kind == "":
		c.Kind = kindOf(method)
	case c.Kind != KindCall && method != "INFO" && isCallKind(method):
		// A Call-ID first seen with NOTIFY or OPTIONS that turns out to carry an INVITE is a call.
		c.Kind = KindCall
	}
	// From and To come from the first request; from the first message when
	// the capture holds only responses so far.
	if c.From == "" || m.IsRequest && !c.fromRequest {
		c.From, c.To = m.From.URI.Raw, m.To.URI.Raw
		c.FromUser, c.ToUser = m.From.URI.User, m.To.URI.User
		c.fromRequest = m.IsRequest
	}
}

// transactionKey returns the RFC 3261 §17.2.3 key (branch, sent-by, method)
// or, when the branch lacks the magic cookie, an RFC 2543 style key built
// from Call-ID (implicit: keys are per call), CSeq, From tag and the top Via.
// The key is appended to buf: looking a transaction up with it allocates
// nothing, and only a new transaction keeps it as a string.
func transactionKey(buf []byte, m *Message, method string) (key []byte, branch string) {
	if len(m.Via) == 0 {
		key = append(buf, "n|"...)
		key = strconv.AppendUint(key, uint64(m.CSeq.Seq), 10)
		key = append(append(append(append(key, '|'), method...), '|'), m.From.Tag...)
		return key, ""
	}
	v := m.Via[0]
	sentBy := func(b []byte) []byte {
		return strconv.AppendInt(append(append(b, v.Host...), ':'), int64(v.Port), 10)
	}
	if strings.HasPrefix(v.Branch, "z9hG4bK") {
		key = append(append(append(buf, "b|"...), v.Branch...), '|')
		key = append(append(sentBy(key), '|'), method...)
		return key, v.Branch
	}
	key = append(buf, "c|"...)
	key = strconv.AppendUint(key, uint64(m.CSeq.Seq), 10)
	key = append(append(append(append(append(key, '|'), method...), '|'), m.From.Tag...), '|')
	key = append(append(sentBy(key), '|'), v.Branch...)
	return key, v.Branch
}

// txnMapAfter is how many transactions a call holds before it indexes them
// by key; below it a look through them is cheaper than a map.
const txnMapAfter = 8

// transaction returns the call's transaction with the given key, nil when none.
func (c *Call) transaction(key []byte) *Transaction {
	if c.txns != nil {
		return c.txns[string(key)]
	}
	for _, t := range c.Transactions {
		if t.Key == string(key) {
			return t
		}
	}
	return nil
}

func (c *Call) newTransaction(key []byte, branch, method string, m *Message) *Transaction {
	// Carved from slabs that grow with the call, like messages.
	if len(c.txnSlab) == cap(c.txnSlab) {
		c.txnSlab = make([]Transaction, 0, min(max(2*cap(c.txnSlab), 1), 32)) // 1, 2, 4, ...
	}
	c.txnSlab = append(c.txnSlab, Transaction{Key: string(key), Method: method, Branch: branch, CSeq: m.CSeq.Seq})
	t := &c.txnSlab[len(c.txnSlab)-1]
	t.Requests, t.Responses = t.firstRequest[:0], t.firstResponses[:0]
	if c.Transactions == nil {
		c.Transactions = c.firstTransactions[:0]
	}
	c.Transactions = append(c.Transactions, t)
	switch {
	case c.txns != nil:
		c.txns[t.Key] = t
	case len(c.Transactions) > txnMapAfter:
		c.txns = make(map[string]*Transaction, 2*len(c.Transactions))
		for _, x := range c.Transactions {
			c.txns[x.Key] = x
		}
	}
	return t
}

func (c *Call) addToTransaction(m *Message) {
	if m.IsRequest {
		c.addRequest(m)
		return
	}
	method := m.CSeq.Method
	var buf [128]byte
	key, branch := transactionKey(buf[:0], m, method)
	t := c.transaction(key)
	if t == nil {
		t = c.newTransaction(key, branch, method, m)
	}
	m.Transaction = t
	for _, prev := range t.Responses {
		if sameResponse(prev, m) {
			m.Retransmission = true
			break
		}
	}
	t.Responses = append(t.Responses, m)
	if m.StatusCode >= 200 && t.Final == nil {
		t.Final = m
	}
}

// sameResponse says whether r is a retransmission of prev: same code, same
// To tag and, for reliable provisional responses, the same RSeq.
func sameResponse(prev, r *Message) bool {
	if prev.StatusCode != r.StatusCode || prev.To.Tag != r.To.Tag {
		return false
	}
	if r.StatusCode < 200 {
		a, _ := prev.Header("RSeq")
		b, _ := r.Header("RSeq")
		return a == b
	}
	return true
}

func (c *Call) addRequest(m *Message) {
	method := m.Method
	var buf [128]byte
	if method == "ACK" {
		// The ACK of a non-2xx final response belongs to the INVITE transaction.
		ikey, _ := transactionKey(buf[:0], m, "INVITE")
		if inv := c.transaction(ikey); inv != nil && inv.FinalCode() >= 300 {
			m.Transaction = inv
			m.Retransmission = len(inv.Acks) > 0
			inv.Acks = append(inv.Acks, m)
			return
		}
	}
	key, branch := transactionKey(buf[:0], m, method)
	t := c.transaction(key)
	if t == nil {
		t = c.newTransaction(key, branch, method, m)
	} else if len(t.Requests) > 0 {
		m.Retransmission = true
	}
	m.Transaction = t
	t.Requests = append(t.Requests, m)
	if method == "CANCEL" {
		ikey, _ := transactionKey(buf[:0], m, "INVITE")
		if inv := c.transaction(ikey); inv != nil {
			inv.Cancel = t
		}
	}
}

func createsDialog(method string) bool {
	return method == "INVITE" || method == "SUBSCRIBE" || method == "REFER"
}

func (c *Call) findDialog(a, b string) *Dialog {
	for _, d := range c.Dialogs {
		if d.FromTag == a && d.ToTag == b || d.FromTag == b && d.ToTag == a {
			return d
		}
	}
	return nil
}

func (c *Call) trackDialog(m *Message) {
	ft, tt := m.From.Tag, m.To.Tag
	if !m.IsRequest {
		if !createsDialog(m.CSeq.Method) || tt == "" {
			if m.CSeq.Method == "INVITE" && m.StatusCode >= 300 {
				c.endEarlyDialogs(m)
			}
			return
		}
		d := c.findDialog(ft, tt)
		switch {
		case m.StatusCode > 100 && m.StatusCode < 300:
			if d == nil {
				d = &Dialog{CallID: m.CallID, FromTag: ft, ToTag: tt, State: "early", Created: m}
				c.Dialogs = append(c.Dialogs, d)
			}
			if m.StatusCode >= 200 && d.State == "early" {
				d.State, d.Confirmed = "confirmed", m
			}
		case m.StatusCode >= 300 && m.CSeq.Method == "INVITE":
			c.endEarlyDialogs(m)
		}
		if m.CSeq.Method == "BYE" && m.StatusCode >= 200 && d != nil {
			d.State = "terminated"
		}
		return
	}
	if ft == "" || tt == "" {
		return
	}
	d := c.findDialog(ft, tt)
	if d == nil {
		// The capture started inside this dialog.
		d = &Dialog{CallID: m.CallID, FromTag: ft, ToTag: tt, State: "confirmed", Created: m}
		c.Dialogs = append(c.Dialogs, d)
	}
	if m.Method == "BYE" && d.Ended == nil {
		d.Ended = m
		d.State = "terminated"
	}
}

func (c *Call) endEarlyDialogs(m *Message) {
	for _, d := range c.Dialogs {
		if d.State == "early" && d.FromTag == m.From.Tag {
			d.State, d.Ended = "terminated", m
		}
	}
}

func (c *Call) trackTimes(m *Message) {
	switch {
	case m.IsRequest && m.Method == "INVITE" && c.InviteTime.IsZero():
		c.InviteTime = m.Time
	case m.IsRequest && m.Method == "BYE" && c.EndTime.IsZero():
		c.EndTime = m.Time
	case !m.IsRequest && m.CSeq.Method == "INVITE":
		if m.StatusCode >= 180 && m.StatusCode < 190 && c.RingTime.IsZero() {
			c.RingTime = m.Time
		}
		if m.StatusCode >= 200 && m.StatusCode < 300 && c.AnswerTime.IsZero() {
			c.AnswerTime = m.Time
		}
	}
}

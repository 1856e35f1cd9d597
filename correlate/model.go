// Package correlate builds SIP state from decoded messages: transactions
// matched as RFC 3261 §17 says, dialogs (Call-ID and tags, with early dialogs
// and forks), calls (the dialogs of one Call-ID) and registrations.
//
// It reads decode events and never re-parses packets; it never imports the
// diagnose or report stages.
package correlate

import (
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sdp"
)

// Call kinds.
const (
	KindCall         = "call"
	KindRegistration = "registration"
)

// Call states.
const (
	StateRegistered   = "registered"
	StateUnregistered = "unregistered"
	StateAnswered     = "answered"
	StateCompleted    = "completed"
	StateCancelled    = "cancelled"
	StateRejected     = "rejected"
	StateTimedOut     = "timed out"
	StateInProgress   = "in progress"
)

// TimerB is 64*T1 with T1 = 500 ms: how long a client transaction waits for a
// final response (RFC 3261 §17.1.1.2) before it times out.
const TimerB = 32 * time.Second

// Message is one SIP message of a call, with what correlation learnt of it.
type Message struct {
	*decode.SIPMessage
	Index          int          // 0-based position in Call.Messages
	Transaction    *Transaction // the transaction it belongs to
	Retransmission bool         // a retransmission within its transaction

	call *Call // the call that holds it
	// session is the application/sdp body's description once mediaSIP
	// parsed it, for SDP; sessions are never modified.
	session *sdp.Session
}

// Transaction is a SIP transaction as seen on the wire: one request (and
// its retransmissions) with the responses to it.
type Transaction struct {
	Key       string // matching key (branch, sent-by, method) or the RFC 2543 fallback
	Method    string // INVITE, BYE, ...; ACK for the ACK of a 2xx
	Branch    string
	CSeq      uint32
	Requests  []*Message // the request and its retransmissions, in order
	Responses []*Message // every response, in order
	// Acks holds the ACK of a non-2xx final response (same transaction,
	// RFC 3261 §17.1.1.3). The ACK of a 2xx is a transaction of its own.
	Acks []*Message
	// Cancel is the CANCEL transaction that targets this INVITE, if any.
	Cancel *Transaction
	// Final is the first final response (>= 200), nil when none was seen.
	Final *Message

	// Storage for the first request and responses (100, 18x, final):
	// most transactions need no other.
	firstRequest   [1]*Message
	firstResponses [3]*Message
}

// Request returns the first copy of the request, or nil when only responses were captured.
func (t *Transaction) Request() *Message {
	if len(t.Requests) == 0 {
		return nil
	}
	return t.Requests[0]
}

// FinalCode returns the status code of the final response, 0 when none.
func (t *Transaction) FinalCode() int {
	if t.Final == nil {
		return 0
	}
	return t.Final.StatusCode
}

// Dialog is a SIP dialog: Call-ID plus the two tags.
type Dialog struct {
	CallID    string
	FromTag   string // the tag of the side that sent the dialog-creating request
	ToTag     string // the tag the answering side chose
	State     string // "early", "confirmed" or "terminated"
	Created   *Message
	Confirmed *Message // the 2xx that confirmed it, nil while early
	Ended     *Message // the BYE (or final non-2xx for an early dialog) that ended it
}

// Registration is what one REGISTER flow achieved.
type Registration struct {
	AOR        string   // address of record (the To URI)
	Contacts   []string // Contact URIs the client registered
	Expires    int      // granted expiry in seconds from the last 2xx, -1 when unknown
	Challenges int      // 401/407 responses seen
	Attempts   int      // REGISTER transactions
	LastCode   int      // final response code of the last REGISTER that got one
	Registered bool     // last REGISTER got a 2xx with a non-zero expiry
	// Intervals between successive successful REGISTERs (refreshes).
	Refreshes []time.Duration
}

// Call groups the messages, transactions and dialogs of one Call-ID.
type Call struct {
	// Order is the call's position among the calls of the capture, by its
	// first message (0-based). Model.Calls is sorted by Start, ties in this
	// order; ByStart puts streamed calls back in the same order.
	Order    int
	gone     bool  // flushed: the Builder no longer holds it
	settled  bool  // State is that at the sweep about to flush it (Builder.finished)
	dueSlot  int32 // the Builder's due queue slot (dueQueue.pos), -1 when not in it
	idleWait bool  // due at its idle timeout unless a message comes (rewatch)
	CallID   string
	Kind     string // "call", "registration", or the lower-cased method ("options", "message", ...)
	FromUser string
	ToUser   string
	From     string // From URI as sent in the first request
	To       string
	State    string
	Code     int // final status code behind State, 0 when none

	Start, End time.Time // first and last message

	Messages        []*Message
	Transactions    []*Transaction
	Dialogs         []*Dialog
	Registration    *Registration // set for Kind "registration"
	Retransmissions int
	ICMP            []*ICMP // ICMP errors answering this call's messages
	// Dropped counts messages of this Call-ID not kept because the call
	// held Options.MaxMessages already.
	Dropped int

	// Media is what the SDP said and what RTP flowed (media.go).
	Media CallMedia

	// Setup times; zero when not applicable.
	InviteTime time.Time // first INVITE
	RingTime   time.Time // first 18x to it
	AnswerTime time.Time // first 2xx to it
	EndTime    time.Time // first BYE

	txns map[string]*Transaction // by Key, once there are more than txnMapAfter
	// sent counts the Builder's lastSent entries that are its messages: a
	// flush looks for them only when there are some.
	sent int
	// slab is where new messages are carved from (newMessage);
	// firstMessages holds the first pointers of Messages.
	slab          []Message
	firstMessages [4]*Message
	// txnSlab and firstTransactions do the same for transactions.
	txnSlab           []Transaction
	firstTransactions [4]*Transaction
	fromRequest       bool
}

// ByStart reports whether a comes before b in Model.Calls: by Start, then by
// Order.
func ByStart(a, b *Call) bool {
	if !a.Start.Equal(b.Start) {
		return a.Start.Before(b.Start)
	}
	return a.Order < b.Order
}

// PostDialDelay is INVITE to first 18x, 0 when unknown.
func (c *Call) PostDialDelay() time.Duration { return sub(c.RingTime, c.InviteTime) }

// AnswerDelay is INVITE to first 2xx, 0 when unknown.
func (c *Call) AnswerDelay() time.Duration { return sub(c.AnswerTime, c.InviteTime) }

// TalkTime is 2xx to BYE, 0 when unknown.
func (c *Call) TalkTime() time.Duration { return sub(c.EndTime, c.AnswerTime) }

// Duration is the time from the call's first message to its last.
func (c *Call) Duration() time.Duration { return c.End.Sub(c.Start) }

func sub(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return a.Sub(b)
}

// Model is everything correlation learnt from a capture.
type Model struct {
	Calls []*Call // in order of their first message
	ICMP  []*ICMP // every ICMP error quoting UDP or TCP, linked or not
	// End is the time of the last frame of the capture; states like
	// "timed out" are judged against it.
	End time.Time
	// Streams holds every RTP stream, bound to a call or not, in order of
	// its first packet; Media counts what was not kept (media.go).
	Streams []*Stream
	Media   MediaStats
}

// Find returns the calls whose Call-ID is id; when none matches exactly, the
// calls whose Call-ID starts with id, so a unique prefix is enough.
func (m *Model) Find(id string) []*Call {
	var out []*Call
	for _, c := range m.Calls {
		if c.CallID == id {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, c := range m.Calls {
		if len(id) > 0 && len(c.CallID) >= len(id) && c.CallID[:len(id)] == id {
			out = append(out, c)
		}
	}
	return out
}

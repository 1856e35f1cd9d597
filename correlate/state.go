package correlate

import (
	"strconv"
	"time"
)

// finish settles the call's state once the capture has ended at end.
func (c *Call) finish(end time.Time) {
	switch c.Kind {
	case KindCall:
		c.State, c.Code = c.callState(end)
	case KindRegistration:
		c.Registration = c.registration()
		c.State, c.Code = c.registrationState(end)
	default:
		c.State, c.Code = c.lastOutcome(end, "")
	}
}

// isInitialInvite reports whether t is an INVITE transaction that tries to
// set up the call (no To tag in the request).
func isInitialInvite(t *Transaction) bool {
	if t.Method != "INVITE" {
		return false
	}
	r := t.Request()
	return r == nil || r.To.Tag == "" // with a To tag: a re-INVITE
}

func (c *Call) callState(end time.Time) (string, int) {
	var last *Transaction // the last initial INVITE
	answered := false
	for _, t := range c.Transactions {
		if !isInitialInvite(t) {
			continue
		}
		last = t
		if code := t.FinalCode(); code >= 200 && code < 300 {
			answered = true
		}
	}
	if !answered && !c.AnswerTime.IsZero() {
		answered = true // a 2xx whose INVITE was not captured
	}
	if !c.EndTime.IsZero() {
		return StateCompleted, 0
	}
	if answered {
		return StateAnswered, 0
	}
	if last == nil {
		return StateInProgress, 0
	}
	code := last.FinalCode()
	if last.Cancel != nil && (code == 487 || code == 0) {
		return StateCancelled, code
	}
	switch {
	case code == 408:
		return StateTimedOut, code
	case code >= 300:
		return StateRejected, code
	}
	// Timer B runs only while the INVITE has no response at all (Calling
	// state); a provisional response moves it to Proceeding, where only the
	// caller's patience ends it (RFC 3261 §17.1.1.2).
	if r := last.Request(); r != nil && len(last.Responses) == 0 && end.Sub(r.Time) >= TimerB {
		return StateTimedOut, 0
	}
	return StateInProgress, 0
}

// lastOutcome judges calls of other kinds (OPTIONS, MESSAGE, ...) by their
// last transaction of the given method ("" for any).
func (c *Call) lastOutcome(end time.Time, method string) (string, int) {
	var last *Transaction
	for _, t := range c.Transactions {
		if method == "" || t.Method == method {
			last = t
		}
	}
	if last == nil {
		return StateInProgress, 0
	}
	code := last.FinalCode()
	switch {
	case code >= 200 && code < 300:
		return StateCompleted, code
	case code == 408:
		return StateTimedOut, code
	case code >= 300:
		return StateRejected, code
	}
	if r := last.Request(); r != nil && end.Sub(r.Time) >= TimerB {
		return StateTimedOut, 0
	}
	return StateInProgress, 0
}

func (c *Call) registration() *Registration {
	reg := &Registration{Expires: -1}
	var lastOK time.Time
	for _, t := range c.Transactions {
		if t.Method != "REGISTER" {
			continue
		}
		reg.Attempts++
		req := t.Request()
		if req != nil {
			if reg.AOR == "" {
				reg.AOR = req.To.URI.Raw
			}
			reg.Contacts = reg.Contacts[:0]
			for _, ct := range req.Contact {
				reg.Contacts = append(reg.Contacts, ct.URI.Raw)
			}
		}
		for _, r := range t.Responses {
			if !r.Retransmission && (r.StatusCode == 401 || r.StatusCode == 407) {
				reg.Challenges++
			}
		}
		code := t.FinalCode()
		if code == 0 {
			continue
		}
		reg.LastCode = code
		if code >= 200 && code < 300 {
			reg.Expires = grantedExpires(t)
			reg.Registered = reg.Expires != 0
			if req != nil {
				if !lastOK.IsZero() {
					reg.Refreshes = append(reg.Refreshes, req.Time.Sub(lastOK))
				}
				lastOK = req.Time
			}
		} else {
			reg.Registered = false
		}
	}
	return reg
}

// grantedExpires reads the expiry the registrar granted: the expires
// parameter of the Contact in the 2xx that matches the request's, else the
// Expires header of the 2xx, else what the request asked for.
func grantedExpires(t *Transaction) int {
	ok, req := t.Final, t.Request()
	var want string
	if req != nil && len(req.Contact) > 0 {
		want = req.Contact[0].URI.Raw
	}
	for _, ct := range ok.Contact {
		if v, has := ct.Params.Lookup("expires"); has && (want == "" || ct.URI.Raw == want) {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	if ok.Expires >= 0 {
		return ok.Expires
	}
	if req != nil {
		for _, ct := range req.Contact {
			if v, has := ct.Params.Lookup("expires"); has {
				if n, err := strconv.Atoi(v); err == nil {
					return n
				}
			}
		}
		if req.Expires >= 0 {
			return req.Expires
		}
	}
	return -1
}

func (c *Call) registrationState(end time.Time) (string, int) {
	reg := c.Registration
	switch {
	case reg.LastCode >= 200 && reg.LastCode < 300 && reg.Registered:
		return StateRegistered, reg.LastCode
	case reg.LastCode >= 200 && reg.LastCode < 300:
		return StateUnregistered, reg.LastCode
	}
	return c.lastOutcome(end, "REGISTER")
}

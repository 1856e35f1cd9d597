package diagnose

import (
	"fmt"

	"github.com/sipscope/sipscope/correlate"
)

// call.failed: a conversation ended with a 4xx, 5xx or 6xx final response,
// quoted with its Reason (RFC 3326) and Warning headers:
//
//   - a call whose last initial INVITE failed and that no INVITE answered:
//     warning for the callee's own answers (480, 486, 487 without CANCEL,
//     600, 603), error otherwise;
//   - a re-INVITE rejected (except 491, which is retried): warning, the call
//     goes on with its previous session;
//   - any other conversation (REGISTER, SUBSCRIBE, OPTIONS, MESSAGE, ...)
//     whose last request failed: error for REGISTER, warning otherwise.
//
// Left to other rules: 3xx (redirects are not failures), 408 (txn.408),
// 481 (txn.481), 487 after a CANCEL (the caller hung up), and 401/407 when
// auth.loop reports the run.
func init() {
	Register(Rule{Name: "call.failed", Call: callFailedFindings})
}

func callFailedFindings(c *correlate.Call, in *Input) []Finding {
	var loops map[string]bool
	for _, r := range authLoops(c) {
		if loops == nil {
			loops = map[string]bool{}
		}
		loops[r.method] = true
	}
	var out []Finding
	if c.Kind == correlate.KindCall {
		var last *correlate.Transaction
		answered := !c.AnswerTime.IsZero()
		for _, t := range c.Transactions {
			req := t.Request()
			if t.Method != "INVITE" || req == nil && t.Final == nil {
				continue
			}
			// Without the request (the capture began later) a final
			// response is taken for the call's outcome.
			if req != nil && req.To.Tag != "" {
				if code := t.FinalCode(); code >= 400 && code != 491 && reportable(c, t, loops) {
					out = append(out, failed(c, t, Warning, "the call goes on with its previous session"))
				}
				continue
			}
			last = t
		}
		if last != nil && !answered && reportable(c, last, loops) {
			sev := Error
			switch last.FinalCode() {
			case 480, 486, 487, 600, 603:
				sev = Warning
			}
			out = append(out, failed(c, last, sev, ""))
		}
		return out
	}
	var last *correlate.Transaction
	for _, t := range c.Transactions {
		if t.Method != "ACK" && t.Method != "CANCEL" && t.Final != nil {
			last = t
		}
	}
	if last != nil && reportable(c, last, loops) {
		sev := Warning
		if last.Method == "REGISTER" {
			sev = Error
		}
		out = append(out, failed(c, last, sev, ""))
	}
	return out
}

// reportable says whether a failed transaction is call.failed's to report.
func reportable(c *correlate.Call, t *correlate.Transaction, loops map[string]bool) bool {
	switch code := t.FinalCode(); {
	case code < 400, code == 408, code == 481:
		return false
	case code == 487 && cancelled(c, t):
		return false
	case (code == 401 || code == 407) && loops[t.Method]:
		return false
	}
	return true
}

func failed(c *correlate.Call, t *correlate.Transaction, sev Severity, consequence string) Finding {
	req, r := t.Request(), t.Final
	reasons, warnings := reasonHeaders(r)
	kind := t.Method
	if t.Method == "INVITE" && req != nil && req.To.Tag != "" {
		kind = "re-INVITE"
	}
	// The response copies From and To, and goes back to the requester.
	requester := r.Dst
	if req != nil {
		requester = req.Src
	}
	parties := fmt.Sprintf("from %s (%s)", r.From.URI.Raw, requester)
	if t.Method == "INVITE" {
		parties += " to " + r.To.URI.Raw
	}
	after := " (its request was not captured)"
	facts := map[string]any{
		"method": t.Method, "code": r.StatusCode, "response": r.Summary(), "responder": r.Src.String(),
		"reason": nonNil(reasons), "warning": nonNil(warnings),
	}
	if req != nil {
		after = " after " + seconds(r.Time.Sub(req.Time))
		facts["after_ms"] = millis(r.Time.Sub(req.Time))
	}
	f := Finding{ID: "call.failed", Severity: sev, CallID: c.CallID}
	f.Summary = fmt.Sprintf("%s %s was rejected with %s by %s%s%s",
		kind, parties, r.Summary(), r.Src, after, withReasons(reasons, warnings))
	frames := frameSet{}
	frames.msgs(req, r)
	if ua := agent(r); ua != "" {
		facts["responder_agent"] = ua
	}
	// Was this request an answer to a challenge?
	var challenge *correlate.Message
	for _, x := range c.Transactions {
		if x == t {
			break
		}
		if x.Method == t.Method && (x.FinalCode() == 401 || x.FinalCode() == 407) {
			challenge = x.Final
		}
	}
	credentials := req != nil && hasCredentials(req)
	switch {
	case r.StatusCode == 401 || r.StatusCode == 407:
		f.Summary += ": the UA did not answer the challenge with credentials"
		facts["credentials_sent"] = credentials
	case challenge != nil && credentials:
		f.Summary += fmt.Sprintf(" in reply to credentials it had asked for with %s (frame %d)", challenge.Summary(), challenge.Frame)
		facts["credentials_sent"] = true
		frames.msgs(challenge)
	}
	if consequence != "" {
		f.Summary += "; " + consequence
	}
	f.Summary += "."
	f.Advice = failureAdvice(r.StatusCode, challenge != nil && credentials)
	f.Evidence = frames.evidence(facts)
	return f
}

func failureAdvice(code int, afterCredentials bool) string {
	switch {
	case code == 403 && afterCredentials:
		return "The server refused the credentials or the account may not do this: check the username, password and realm, and the account's permissions."
	case code == 401 || code == 407:
		return "Configure credentials (auth username and password) on the UA, or trust it on the server without authentication (an IP-based ACL)."
	case code == 403:
		return "The server refuses this request: check the account's permissions, IP ACLs and the dial plan."
	case code == 404 || code == 604:
		return "The target is unknown where the request ended: check the number and the dial plan, and that the callee is registered."
	case code == 480:
		return "The callee is not reachable now (not registered, do-not-disturb, or no answer): check its registration."
	case code == 486 || code == 600:
		return "The callee was busy: nothing to fix in the network."
	case code == 603 || code == 607:
		return "The callee declined the call."
	case code == 487:
		return "The request was terminated without a CANCEL in the capture: look for a CANCEL on another leg or a timer on the callee's side."
	case code == 488 || code == 606 || code == 415:
		return "No acceptable media or body: compare the SDP offer's codecs, ptime, SRTP and media types with what the callee supports."
	case code == 420 || code == 421:
		return "An extension required by one side (Require/Supported: 100rel, timer, replaces) is missing on the other: align their configuration."
	case code == 484 || code == 485:
		return "The number is incomplete or ambiguous: check the dialled digits and the dial plan's patterns."
	case code == 422:
		return "Session-Expires is below the other side's Min-SE: raise the session timer."
	case code == 423:
		return "The requested Expires is below the registrar's Min-Expires: raise it on the UA."
	case code == 482 || code == 483:
		return "The request loops or passed too many hops: look for a routing loop between proxies."
	case code == 503:
		return "The server is overloaded or has no route or trunk available: check its trunks and capacity (and Retry-After, if given)."
	case code == 502 || code == 504:
		return "A server further down the path failed or timed out: follow the request to the next hop."
	case code >= 500:
		return "The server failed to handle the request: check its logs."
	}
	return "See RFC 3261 §21 for the meaning of this status code and check the responder's configuration."
}

// cancelled reports whether a CANCEL targets the INVITE transaction t: linked
// by correlate, or, when the INVITE itself was not captured, a CANCEL with
// its CSeq number.
func cancelled(c *correlate.Call, t *correlate.Transaction) bool {
	if t.Cancel != nil {
		return true
	}
	if t.Request() != nil {
		return false
	}
	for _, x := range c.Transactions {
		if x.Method == "CANCEL" && x.CSeq == t.CSeq {
			return true
		}
	}
	return false
}

package diagnose

import (
	"fmt"
	"strings"

	"github.com/sipscope/sipscope/correlate"
)

// The txn rules check client transactions (RFC 3261 §17.1):
//
//   - txn.no-response: nothing at all came back to a request. Raised once
//     the request went out at least noResponseCopies times (Timer A/E
//     retransmissions) or the capture runs TimerB (64*T1, Timer B/F) past
//     it. Error once TimerB has passed, warning before.
//   - txn.timeout: provisional responses came but no final one: a non-INVITE
//     request with the capture running TimerB (Timer F) past it (error), or
//     an INVITE with no final response TimerC after its last provisional and
//     no CANCEL (warning).
//   - txn.408: a 408 Request Timeout final response (error for INVITE,
//     warning otherwise), with Reason and Warning headers.
//   - txn.481: a 481 Call/Transaction Does Not Exist, with the likeliest
//     mismatch: no earlier message of the Call-ID, tags that match no dialog,
//     a dialog already ended, a CSeq that went backwards, or a CANCEL whose
//     branch matches no INVITE. Warning; info when the dialog had already
//     ended (a BYE crossing another BYE).
//   - txn.cseq-mismatch (error): a response whose CSeq number is not its
//     request's, a request whose CSeq method is not its method, or an ACK of
//     a 2xx whose CSeq number is not the INVITE's (RFC 3261 §13.2.2.4).
func init() {
	Register(Rule{Name: "txn.", Call: txnFindings})
}

// noResponseCopies is how many copies of an unanswered request make
// txn.no-response before Timer B/F: the first and two retransmissions, 1.5 s
// with T1 = 500 ms. One retransmission is often a single lost datagram.
const noResponseCopies = 3

func txnFindings(c *correlate.Call, in *Input) []Finding {
	var out []Finding
	for _, t := range c.Transactions {
		req := t.Request()
		if req == nil || t.Method == "ACK" {
			continue
		}
		switch {
		case len(t.Responses) == 0:
			if f, ok := noResponse(c, in, t); ok {
				out = append(out, f)
			}
		case t.Final == nil:
			if f, ok := noFinal(c, in, t); ok {
				out = append(out, f)
			}
		case t.FinalCode() == 408:
			out = append(out, timeout408(c, t))
		case t.FinalCode() == 481:
			out = append(out, noSuchTransaction(c, t))
		}
	}
	out = append(out, cseqMismatch(c)...)
	return out
}

// retransmitClause describes the spacing of copies against the timer that
// should drive it.
func retransmitClause(copies []*correlate.Message, capped bool, timer string) string {
	ivals := intervals(copies)
	if len(ivals) == 0 {
		return ""
	}
	want := retransmitSchedule(len(ivals), capped)
	shown, more := ivals, ""
	if len(shown) > 6 {
		shown, more = shown[:6], ", ..."
	}
	if followsSchedule(ivals, want) {
		return fmt.Sprintf(" (at intervals of %s%s, as timer %s from T1 = %s expects)", durationList(shown), more, timer, seconds(T1))
	}
	wshown := want
	if len(wshown) > 6 {
		wshown = wshown[:6]
	}
	return fmt.Sprintf(" (at intervals of %s%s where timer %s from T1 = %s expects %s%s)", durationList(shown), more, timer, seconds(T1), durationList(wshown), more)
}

func timerNames(method string) (retrans, timeout string, capped bool) {
	if method == "INVITE" {
		return "A", "B", false
	}
	return "E", "F", true
}

func noResponse(c *correlate.Call, in *Input, t *correlate.Transaction) (Finding, bool) {
	req := t.Request()
	copies := len(t.Requests)
	elapsed := in.Model.End.Sub(req.Time)
	if copies < noResponseCopies && elapsed < TimerB {
		return Finding{}, false
	}
	rt, to, capped := timerNames(t.Method)
	var icmp []*correlate.ICMP
	for _, ic := range c.ICMP {
		if ic.Message != nil && ic.Message.Transaction == t {
			icmp = append(icmp, ic)
		}
	}
	last := t.Requests[len(t.Requests)-1]
	f := Finding{ID: "txn.no-response", CallID: c.CallID, Severity: Warning}
	if copies == 1 {
		f.Summary = fmt.Sprintf("%s sent by %s to %s over %s got no response", t.Method, req.Src, req.Dst, req.Transport)
	} else {
		f.Summary = fmt.Sprintf("%s sent by %s to %s went out %s over %s%s and nothing came back",
			t.Method, req.Src, req.Dst, times(copies), seconds(last.Time.Sub(req.Time)), retransmitClause(t.Requests, capped, rt))
	}
	if len(icmp) > 0 {
		f.Summary += fmt.Sprintf(" but %s", icmpCount(len(icmp), icmp[0].Description))
	}
	if elapsed >= TimerB {
		f.Severity = Error
		f.Summary += fmt.Sprintf("; the capture runs %s past it, so the transaction timed out (timer %s, %s).", seconds(elapsed), to, seconds(TimerB))
	} else {
		f.Summary += fmt.Sprintf("; the capture ends %s after the first copy, before timer %s (%s) would fire.", seconds(elapsed), to, seconds(TimerB))
	}
	f.Advice = fmt.Sprintf("Nothing answered at %s: check that the destination is right (DNS SRV/NAPTR, port, transport), that a SIP service listens there, "+
		"and that no firewall or NAT drops the requests or the responses; capture at %s to tell which.", req.Dst, req.Dst)
	if len(icmp) > 0 && icmp[0].Description == "port unreachable" {
		f.Advice = fmt.Sprintf("Nothing listens at %s (ICMP port unreachable): send to the port the SIP service uses, or start it there.", req.Dst)
	}
	facts := map[string]any{
		"method":                  t.Method,
		"destination":             req.Dst.String(),
		"copies":                  copies,
		"retransmit_intervals_ms": millisList(intervals(t.Requests)),
		"expected_intervals_ms":   millisList(retransmitSchedule(copies-1, capped)),
		"capture_after_first_ms":  millis(elapsed),
	}
	frames := frameSet{}
	frames.msgs(t.Requests...)
	if len(icmp) > 0 {
		facts["icmp_frames"] = icmpFrames(icmp)
		frames.add(icmpFrames(icmp)...)
	}
	f.Evidence = frames.evidence(facts)
	return f, true
}

func noFinal(c *correlate.Call, in *Input, t *correlate.Transaction) (Finding, bool) {
	req := t.Request()
	lastProv := t.Responses[len(t.Responses)-1]
	f := Finding{ID: "txn.timeout", CallID: c.CallID}
	facts := map[string]any{"method": t.Method, "destination": req.Dst.String(), "last_provisional": lastProv.Summary()}
	frames := frameSet{}
	frames.msgs(req, lastProv)
	if t.Method == "INVITE" {
		wait := in.Model.End.Sub(lastProv.Time)
		if t.Cancel != nil || wait < TimerC {
			return Finding{}, false
		}
		f.Severity = Warning
		f.Summary = fmt.Sprintf("INVITE sent by %s to %s got %s (frame %d) and then no final response for %s, longer than timer C (more than %s) allows.",
			req.Src, req.Dst, lastProv.Summary(), lastProv.Frame, seconds(wait), seconds(TimerC))
		f.Advice = "A proxy on the path should have given up with a CANCEL and a 408 (RFC 3261 §16.8); check the callee and the proxies' timer C, and the UAC's no-answer timeout."
		facts["waited_ms"] = millis(wait)
	} else {
		wait := in.Model.End.Sub(req.Time)
		if wait < TimerB {
			return Finding{}, false
		}
		f.Severity = Error
		f.Summary = fmt.Sprintf("%s sent by %s to %s got %s (frame %d) but no final response in %s: the transaction timed out (timer F, %s).",
			t.Method, req.Src, req.Dst, lastProv.Summary(), lastProv.Frame, seconds(wait), seconds(TimerB))
		f.Advice = fmt.Sprintf("%s took the request and never finished it: check what it waits for downstream (a registrar database, an authentication server, the next hop).", req.Dst)
		facts["waited_ms"] = millis(wait)
	}
	f.Evidence = frames.evidence(facts)
	return f, true
}

// reasonHeaders returns the Reason (RFC 3326) and Warning (RFC 3261 §20.43)
// header values of a message.
func reasonHeaders(m *correlate.Message) (reasons, warnings []string) {
	return m.HeaderValues("Reason"), m.HeaderValues("Warning")
}

// withReasons appends " (Reason: ...; Warning: ...)" when there are any.
func withReasons(reasons, warnings []string) string {
	var parts []string
	if len(reasons) > 0 {
		parts = append(parts, "Reason: "+strings.Join(reasons, ", "))
	}
	if len(warnings) > 0 {
		parts = append(parts, "Warning: "+strings.Join(warnings, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func timeout408(c *correlate.Call, t *correlate.Transaction) Finding {
	req, r := t.Request(), t.Final
	reasons, warnings := reasonHeaders(r)
	f := Finding{ID: "txn.408", CallID: c.CallID, Severity: Warning}
	if t.Method == "INVITE" {
		f.Severity = Error
	}
	f.Summary = fmt.Sprintf("%s sent by %s to %s got %s from %s after %s%s: a server on the path gave up waiting for the next hop or the callee.",
		t.Method, req.Src, req.Dst, r.Summary(), r.Src, seconds(r.Time.Sub(req.Time)), withReasons(reasons, warnings))
	f.Advice = "Find the hop that did not answer (follow the request further down the path): an unregistered or unreachable callee, an expired NAT binding, " +
		"or a trunk that drops requests. The Reason and Warning headers, when present, name it."
	frames := frameSet{}
	frames.msgs(req, r)
	f.Evidence = frames.evidence(map[string]any{
		"method": t.Method, "code": 408, "responder": r.Src.String(),
		"after_ms": millis(r.Time.Sub(req.Time)), "reason": nonNil(reasons), "warning": nonNil(warnings),
	})
	return f
}

func noSuchTransaction(c *correlate.Call, t *correlate.Transaction) Finding {
	req, r := t.Request(), t.Final
	f := Finding{ID: "txn.481", CallID: c.CallID, Severity: Warning}
	frames := frameSet{}
	frames.msgs(req, r)
	facts := map[string]any{"method": t.Method, "code": 481, "responder": r.Src.String()}
	var why string
	switch {
	case t.Method == "CANCEL":
		why = cancelMismatch(c, req, frames, facts)
	case req.To.Tag == "":
		why = "the request carries no To tag, so it names no dialog; the server found no transaction for it"
	default:
		why = dialogMismatch(c, req, frames, facts, &f)
	}
	facts["likely_cause"] = why
	f.Summary = fmt.Sprintf("%s sent by %s to %s got %s from %s: %s.", t.Method, req.Src, req.Dst, r.Summary(), r.Src, why)
	f.Advice = "The server does not know the dialog or transaction the request names. Compare its Call-ID, From tag, To tag and CSeq with the messages " +
		"that set the dialog up: a B2BUA or SBC that rewrites them, a server that restarted or failed over, or a request sent to the wrong server."
	f.Evidence = frames.evidence(facts)
	return f
}

func cancelMismatch(c *correlate.Call, cancel *correlate.Message, frames frameSet, facts map[string]any) string {
	for _, t := range c.Transactions {
		if t.Method != "INVITE" || t.Request() == nil || t.Request().Time.After(cancel.Time) {
			continue
		}
		inv := t.Request()
		if t.Cancel != nil && t.Cancel.Request() == cancel {
			frames.msgs(inv)
			if t.Final != nil && !t.Final.Time.After(cancel.Time) {
				frames.msgs(t.Final)
				return fmt.Sprintf("the INVITE (frame %d) had already got its final response %s (frame %d), so there was nothing left to cancel",
					inv.Frame, t.Final.Summary(), t.Final.Frame)
			}
			return fmt.Sprintf("the CANCEL matches the INVITE of frame %d as sent, so the server lost that transaction or never received the INVITE", inv.Frame)
		}
		if inv.CSeq.Seq == cancel.CSeq.Seq && inv.From.Tag == cancel.From.Tag {
			frames.msgs(inv)
			facts["invite_branch"] = t.Branch
			if len(cancel.Via) > 0 {
				facts["cancel_branch"] = cancel.Via[0].Branch
			}
			return fmt.Sprintf("its Via branch differs from that of the INVITE it should cancel (frame %d): a CANCEL must copy the INVITE's top Via (RFC 3261 §9.1)", inv.Frame)
		}
	}
	return "no INVITE with this Call-ID, CSeq number and From tag was captured before it"
}

func dialogMismatch(c *correlate.Call, req *correlate.Message, frames frameSet, facts map[string]any, f *Finding) string {
	if req.Index == 0 || !earlierMessage(c, req) {
		return "no earlier message with this Call-ID was captured: the dialog was set up before the capture started, or under another Call-ID (a B2BUA changes it)"
	}
	// correlate opens a dialog for an in-dialog request with unknown tags
	// (the capture may have started inside it): such a dialog is no evidence.
	var d *correlate.Dialog
	var known []string
	for _, x := range c.Dialogs {
		if x.Created == req {
			continue
		}
		known = append(known, x.FromTag+"/"+x.ToTag)
		if x.FromTag == req.From.Tag && x.ToTag == req.To.Tag || x.FromTag == req.To.Tag && x.ToTag == req.From.Tag {
			d = x
		}
	}
	if d == nil {
		facts["known_dialogs"] = nonNil(known)
		if len(known) == 0 {
			return "no dialog of this Call-ID was confirmed in the capture"
		}
		return fmt.Sprintf("its tags (From %s, To %s) match no dialog of this Call-ID; the capture has %s", req.From.Tag, req.To.Tag, strings.Join(known, ", "))
	}
	if d.Ended != nil && d.Ended != req && d.Ended.Time.Before(req.Time) {
		frames.msgs(d.Ended)
		f.Severity = Info
		return fmt.Sprintf("the dialog had already ended with %s at frame %d", messageName(d.Ended), d.Ended.Frame)
	}
	// CSeq must grow within a dialog, per direction (RFC 3261 §12.2.1.1).
	for _, m := range c.Messages {
		if m == req {
			break
		}
		if m.IsRequest && m.Method != "ACK" && m.Method != "CANCEL" && m.From.Tag == req.From.Tag && m.CSeq.Seq >= req.CSeq.Seq && m.Transaction != req.Transaction {
			frames.msgs(m)
			facts["previous_cseq"] = m.CSeq.Seq
			return fmt.Sprintf("its CSeq %d is not above the %d of the %s at frame %d from the same side", req.CSeq.Seq, m.CSeq.Seq, m.Method, m.Frame)
		}
	}
	if d.Created != nil {
		frames.msgs(d.Created)
	}
	return "the dialog exists in the capture, so the server lost its state (restart, failover) or the request reached another server"
}

func earlierMessage(c *correlate.Call, req *correlate.Message) bool {
	for _, m := range c.Messages {
		if m == req {
			return false
		}
		if m.Transaction != req.Transaction {
			return true
		}
	}
	return false
}

func cseqMismatch(c *correlate.Call) []Finding {
	var out []Finding
	// Responses whose CSeq number is not their request's.
	var badResp []*correlate.Message
	for _, t := range c.Transactions {
		req := t.Request()
		if req == nil {
			continue
		}
		for _, r := range t.Responses {
			if r.CSeq.Seq != req.CSeq.Seq {
				badResp = append(badResp, r)
			}
		}
	}
	if len(badResp) > 0 {
		r := badResp[0]
		req := r.Transaction.Request()
		frames := frameSet{}
		frames.msgs(req)
		frames.msgs(badResp...)
		out = append(out, Finding{
			ID: "txn.cseq-mismatch", Severity: Error, CallID: c.CallID,
			Summary: fmt.Sprintf("%s from %s carries CSeq %d %s but answers the %s (frame %d) with CSeq %d: the UAC cannot match it to its transaction.",
				r.Summary(), r.Src, r.CSeq.Seq, r.CSeq.Method, req.Method, req.Frame, req.CSeq.Seq),
			Evidence: frames.evidence(map[string]any{"responses": len(badResp), "request_cseq": req.CSeq.Seq, "response_cseq": r.CSeq.Seq}),
			Advice:   "A response must copy the request's CSeq (RFC 3261 §8.2.6.2): fix the element that builds it (often a B2BUA or SBC renumbering CSeq on one leg only).",
		})
	}
	// Requests whose CSeq method is not their method.
	var badMethod []*correlate.Message
	for _, m := range c.Messages {
		if m.IsRequest && !m.Retransmission && m.CSeq.Method != "" && m.CSeq.Method != m.Method {
			badMethod = append(badMethod, m)
		}
	}
	if len(badMethod) > 0 {
		m := badMethod[0]
		frames := frameSet{}
		frames.msgs(badMethod...)
		out = append(out, Finding{
			ID: "txn.cseq-mismatch", Severity: Error, CallID: c.CallID,
			Summary: fmt.Sprintf("%s sent by %s to %s carries CSeq %d %s: the CSeq method must be the request's own.",
				m.Method, m.Src, m.Dst, m.CSeq.Seq, m.CSeq.Method),
			Evidence: frames.evidence(map[string]any{"requests": len(badMethod), "method": m.Method, "cseq_method": m.CSeq.Method}),
			Advice:   "Fix the sender: RFC 3261 §8.1.1.5 requires the CSeq method to match the request method (for an ACK, \"ACK\").",
		})
	}
	// ACKs of a 2xx with another CSeq number than the INVITE's.
	var badAck []*correlate.Message
	var invite *correlate.Transaction
	for _, m := range c.Messages {
		if !m.IsRequest || m.Method != "ACK" || m.Transaction == nil || m.Transaction.Method != "ACK" {
			continue
		}
		var candidates []*correlate.Transaction
		match := false
		for _, t := range c.Transactions {
			if t.Method != "INVITE" {
				continue
			}
			for _, g := range okGroups(t) {
				if g.toTag == m.To.Tag && g.copies[0].From.Tag == m.From.Tag && !g.copies[0].Time.After(m.Time) {
					candidates = append(candidates, t)
					if t.CSeq == m.CSeq.Seq {
						match = true
					}
				}
			}
		}
		if len(candidates) > 0 && !match {
			badAck = append(badAck, m)
			invite = candidates[len(candidates)-1]
		}
	}
	if len(badAck) > 0 {
		a := badAck[0]
		frames := frameSet{}
		frames.msgs(badAck...)
		frames.msgs(invite.Request(), invite.Final)
		out = append(out, Finding{
			ID: "txn.cseq-mismatch", Severity: Error, CallID: c.CallID,
			Summary: fmt.Sprintf("%s sent by %s to %s %s CSeq %d, but the INVITE %s has CSeq %d: the UAS will not take %s as the ACK of its %s.",
				methodCount(len(badAck), "ACK"), a.Src, a.Dst, verb(len(badAck), "carries", "carry"), a.CSeq.Seq, verb(len(badAck), "it acknowledges", "they acknowledge"),
				invite.CSeq, verb(len(badAck), "it", "them"), invite.Final.Summary()),
			Evidence: frames.evidence(map[string]any{"acks": len(badAck), "ack_cseq": a.CSeq.Seq, "invite_cseq": invite.CSeq}),
			Advice:   "The ACK of a 2xx must carry the INVITE's CSeq number with method ACK (RFC 3261 §13.2.2.4): fix the UAC, or the B2BUA that renumbers CSeq.",
		})
	}
	return out
}

package diagnose

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/sipscope/sipscope/correlate"
)

// The ack rules find 2xx responses to INVITE that the UAS retransmitted
// because no ACK reached it (RFC 3261 §13.3.1.4), and say why:
//
//   - ack.misrouted (error): ACKs were sent, but every one of them to an
//     address where the UAS does not listen: not where its 2xx came from nor
//     where the INVITE went. The summary names both addresses and the
//     retransmission count; the evidence holds the ICMP errors the ACKs drew.
//   - ack.missing (error; warning after a single retransmission): no ACK for
//     the 2xx was captured at all.
//   - ack.ignored (warning): ACKs went where the UAS listens, yet it
//     retransmitted at least ackIgnoredAfter more times after the first.
//
// Thresholds: one retransmission of the 2xx is enough, since a UAS only
// retransmits after T1 without an ACK. When the retransmissions visibly
// stopped (the capture runs past twice the next interval with no new copy
// and no BYE from the UAS), an ACK probably reached the UAS by a path the
// capture does not see, and the finding is lowered to a warning.
func init() {
	Register(Rule{Name: "ack.", Call: ackFindings})
}

// ackIgnoredAfter is how many 2xx retransmissions after a well-routed ACK
// make ack.ignored: one can cross the ACK in flight; two cannot.
const ackIgnoredAfter = 2

func ackFindings(c *correlate.Call, in *Input) []Finding {
	var out []Finding
	for _, t := range c.Transactions {
		if t.Method != "INVITE" || !has2xxCopies(t) {
			continue
		}
		for _, g := range okGroups(t) {
			if f, ok := checkAck(c, in, t, g); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// okGroup is one 2xx response to an INVITE with its retransmissions. A
// forked INVITE draws 2xx from several UASs, each with its own To tag.
type okGroup struct {
	toTag  string
	copies []*correlate.Message
}

// has2xxCopies says whether t drew two 2xx responses or more: without, no
// 2xx was retransmitted and checkAck has nothing to judge.
func has2xxCopies(t *correlate.Transaction) bool {
	oks := 0
	for _, r := range t.Responses {
		if r.StatusCode >= 200 && r.StatusCode < 300 {
			if oks++; oks == 2 {
				return true
			}
		}
	}
	return false
}

func okGroups(t *correlate.Transaction) []okGroup {
	var gs []okGroup
	for _, r := range t.Responses {
		if r.StatusCode < 200 || r.StatusCode >= 300 {
			continue
		}
		found := false
		for i := range gs {
			if gs[i].toTag == r.To.Tag {
				gs[i].copies = append(gs[i].copies, r)
				found = true
				break
			}
		}
		if !found {
			gs = append(gs, okGroup{toTag: r.To.Tag, copies: []*correlate.Message{r}})
		}
	}
	return gs
}

// ackRoute says how an ACK's destination relates to the 2xx it answers.
type ackRoute struct {
	dst       netip.AddrPort
	listening bool   // the UAS was seen sending or receiving there
	via       string // "contact", "contact-bypassing-record-route", "record-route" or "other"
	routed    bool   // the 2xx carried a Record-Route
	acks      []*correlate.Message
}

func (r *ackRoute) label(resp string) string {
	switch {
	case r.via == "contact" && r.listening:
		return "the " + resp + "'s Contact, where the UAS listens"
	case r.via == "contact":
		return "the " + resp + "'s Contact"
	case r.via == "contact-bypassing-record-route":
		return "the " + resp + "'s Contact, bypassing its Record-Route"
	case r.via == "record-route":
		return "its Record-Route"
	case r.listening:
		return "where the UAS listens"
	case !r.routed:
		return "not the " + resp + "'s Contact"
	}
	return "neither the " + resp + "'s Contact nor its Record-Route"
}

func checkAck(c *correlate.Call, in *Input, t *correlate.Transaction, g okGroup) (Finding, bool) {
	first, last := g.copies[0], g.copies[len(g.copies)-1]
	retrans := len(g.copies) - 1
	if retrans < 1 {
		return Finding{}, false
	}
	resp := first.Summary()

	var acks, wrongCSeq []*correlate.Message
	for _, a := range c.DialogACKs(first.From.Tag, g.toTag) {
		if a.Time.Before(first.Time) {
			continue
		}
		if a.CSeq.Seq == t.CSeq {
			acks = append(acks, a)
		} else {
			wrongCSeq = append(wrongCSeq, a)
		}
	}
	if len(acks) == 0 && len(wrongCSeq) > 0 {
		return Finding{}, false // txn.cseq-mismatch names the cause
	}

	// Where the UAS is known to listen: where any 2xx of this dialog came
	// from (every leg, when a proxy is captured too) and where the INVITE went.
	listening := map[netip.AddrPort]bool{}
	for _, m := range c.Messages {
		if !m.IsRequest && m.CSeq.Method == "INVITE" && m.StatusCode >= 200 && m.StatusCode < 300 && m.To.Tag == g.toTag {
			listening[m.Src] = true
		}
	}
	for _, r := range t.Requests {
		listening[r.Dst] = true
	}
	if firstGood := firstListenedAck(acks, listening); firstGood != nil && copiesAfter(g, firstGood) < ackIgnoredAfter {
		// An ACK went where the UAS listens and the retransmissions
		// stopped: nothing to report, and no evidence to gather.
		return Finding{}, false
	}

	contactURI, contact := "", netip.AddrPort{}
	if len(first.Contact) > 0 {
		u := first.Contact[0].URI
		contactURI = u.Raw
		if a, ok := hostAddr(u.Host); ok {
			port := u.Port
			if port == 0 {
				port = defaultPort(u.Params.Get("transport"), u.Scheme)
			}
			contact = netip.AddrPortFrom(a, uint16(port))
		}
	}
	var recordRoute []string
	rrHops := map[netip.AddrPort]bool{}
	for _, rr := range first.RecordRoute {
		recordRoute = append(recordRoute, rr.URI.Raw)
		if a, ok := hostAddr(rr.URI.Host); ok {
			port := rr.URI.Port
			if port == 0 {
				port = defaultPort(rr.URI.Params.Get("transport"), rr.URI.Scheme)
			}
			rrHops[netip.AddrPortFrom(a, uint16(port))] = true
		}
	}

	var routes []*ackRoute
	byDst := map[netip.AddrPort]*ackRoute{}
	for _, a := range acks {
		r := byDst[a.Dst]
		if r == nil {
			r = &ackRoute{dst: a.Dst, listening: listening[a.Dst], via: "other", routed: len(recordRoute) > 0}
			switch {
			case rrHops[a.Dst]:
				r.via = "record-route"
			case contact.IsValid() && a.Dst == contact && len(recordRoute) > 0:
				r.via = "contact-bypassing-record-route"
			case contact.IsValid() && a.Dst == contact:
				r.via = "contact"
			}
			byDst[a.Dst] = r
			routes = append(routes, r)
		}
		r.acks = append(r.acks, a)
	}

	isAck := map[*correlate.Message]bool{}
	for _, a := range acks {
		isAck[a] = true
	}
	isOK := map[*correlate.Message]bool{}
	for _, m := range g.copies {
		isOK[m] = true
	}
	var ackICMP, okICMP []*correlate.ICMP
	for _, ic := range c.ICMP {
		switch {
		case isAck[ic.Message]:
			ackICMP = append(ackICMP, ic)
		case isOK[ic.Message]:
			okICMP = append(okICMP, ic)
		}
	}

	// The UAS gives up with a BYE 64*T1 after the first 2xx (§13.3.1.4).
	var bye *correlate.Message
	for _, m := range c.Messages {
		if m.IsRequest && m.Method == "BYE" && m.From.Tag == g.toTag && m.Time.After(first.Time) {
			bye = m
			break
		}
	}

	ivals := intervals(g.copies)
	want := retransmitSchedule(len(ivals), true)
	next := T1
	if n := len(ivals); n > 0 {
		next = min(2*ivals[n-1], T2)
	}
	stopped := bye == nil && in.Model.End.Sub(last.Time) > 2*next

	facts := map[string]any{
		"response":                resp,
		"response_frames":         frameNumbers(g.copies),
		"response_source":         first.Src.String(),
		"response_destination":    first.Dst.String(),
		"retransmissions":         retrans,
		"retransmit_intervals_ms": millisList(ivals),
		"expected_intervals_ms":   millisList(want),
		"timer_g_consistent":      followsSchedule(ivals, want),
		"contact":                 contactURI,
		"record_route":            nonNil(recordRoute),
		"ack_frames":              frameNumbers(acks),
		"retransmissions_stopped": stopped,
	}
	var listen []string
	for a := range listening {
		listen = append(listen, a.String())
	}
	facts["uas_listens"] = sortedStrings(listen)
	if bye != nil {
		facts["uas_bye_frame"] = bye.Frame
		facts["uas_bye_after_ms"] = millis(bye.Time.Sub(first.Time))
	} else {
		facts["capture_after_first_response_ms"] = millis(in.Model.End.Sub(first.Time))
	}
	frames := frameSet{}
	frames.msgs(g.copies...)
	frames.msgs(acks...)
	frames.add(icmpFrames(ackICMP)...)
	frames.add(icmpFrames(okICMP)...)
	frames.msgs(bye)
	if len(ackICMP) > 0 {
		facts["icmp_frames"] = icmpFrames(ackICMP)
		facts["icmp"] = ackICMP[0].Description
	}
	if len(okICMP) > 0 {
		facts["response_icmp_frames"] = icmpFrames(okICMP)
	}

	retransClause := fmt.Sprintf("retransmitted its %s %s", resp, times(retrans))
	if followsSchedule(ivals, want) {
		retransClause += fmt.Sprintf(" (at intervals of %s, as timer G from T1 = %s expects)", durationList(ivals), seconds(T1))
	} else {
		retransClause += fmt.Sprintf(" (at intervals of %s where timer G from T1 = %s expects %s)", durationList(ivals), seconds(T1), durationList(want))
	}
	var tail string
	if bye != nil {
		tail = fmt.Sprintf("; the UAS gave up with a BYE %s after the first %s", seconds(bye.Time.Sub(first.Time)), resp)
		if d := bye.Time.Sub(first.Time); d > TimerB*3/4 && d < TimerB*3/2 {
			tail += " (64*T1)"
		}
	}
	f := Finding{CallID: c.CallID}

	if len(acks) == 0 {
		f.ID, f.Severity = "ack.missing", Error
		if retrans < 2 && bye == nil {
			f.Severity = Warning
		}
		if stopped {
			f.Severity = Warning
		}
		f.Summary = fmt.Sprintf("The UAS at %s %s and no ACK for it was captured", first.Src, retransClause)
		if len(okICMP) > 0 {
			f.Summary += fmt.Sprintf("; the %s sent to %s drew %s", resp, first.Dst, icmpCount(len(okICMP), okICMP[0].Description))
		}
		f.Summary += tail + "."
		if len(okICMP) > 0 {
			f.Advice = fmt.Sprintf("The UAC is not reachable at %s, where the %s went (it follows the top Via, with received/rport): "+
				"check the NAT binding and the Via the UAC sent, and whether a proxy should stay on the path (Record-Route).", first.Dst, resp)
		} else {
			f.Advice = fmt.Sprintf("No ACK came back: either the %s never reached the UAC (check where it went: Via received/rport, NAT, firewalls) "+
				"or the UAC refused it (SDP, tags). Capture at the UAC to tell which; when a proxy is in the path, check that the ACK is routed back through it.", resp)
		}
		if stopped {
			f.Advice = "The retransmissions stopped, so an ACK probably reached the UAS by a path this capture does not see; capture at the UAS to be sure. " + f.Advice
		}
		f.Evidence = frames.evidence(facts)
		return f, true
	}

	var misrouted, good []*ackRoute
	for _, r := range routes {
		if r.listening {
			good = append(good, r)
		} else {
			misrouted = append(misrouted, r)
		}
	}
	var dsts []string
	for _, r := range routes {
		dsts = append(dsts, r.dst.String())
	}
	facts["ack_destinations"] = dsts

	if len(good) == 0 {
		f.ID, f.Severity = "ack.misrouted", Error
		if stopped {
			f.Severity = Warning
		}
		var to []string
		for _, r := range misrouted {
			to = append(to, fmt.Sprintf("%s (%s)", r.dst, r.label(resp)))
		}
		facts["ack_routed_by"] = misrouted[0].via
		f.Summary = fmt.Sprintf("The UAS %s because no ACK reached it: the UAC sent %s to %s but the %s came from %s",
			retransClause, methodCount(len(acks), "ACK"), strings.Join(to, " and "), resp, first.Src)
		if len(ackICMP) > 0 {
			f.Summary += fmt.Sprintf("; %s came back", icmpCount(len(ackICMP), ackICMP[0].Description))
		}
		f.Summary += tail + "."
		f.Advice = misroutedAdvice(misrouted[0], resp, contactURI, ackICMP)
		if stopped {
			f.Advice = "The retransmissions stopped, so an ACK probably reached the UAS by a path this capture does not see. " + f.Advice
		}
		f.Evidence = frames.evidence(facts)
		return f, true
	}

	// Some ACK went where the UAS listens, and the retransmissions went on
	// (firstListenedAck above).
	firstGood := good[0].acks[0]
	for _, r := range good {
		if r.acks[0].Time.Before(firstGood.Time) {
			firstGood = r.acks[0]
		}
	}
	after := copiesAfter(g, firstGood)
	f.ID, f.Severity = "ack.ignored", Warning
	facts["retransmissions_after_ack"] = after
	f.Summary = fmt.Sprintf("The UAS at %s %s, %s after the UAC's first ACK to %s (frame %d), where it listens: the ACKs were lost on the way or did not match its dialog%s.",
		first.Src, retransClause, times(after), firstGood.Dst, firstGood.Frame, tail)
	f.Advice = "Capture at the UAS to see whether the ACKs arrive; check firewalls and SBCs on that path, and that the ACK's Call-ID, tags and CSeq number match the " + resp + "."
	f.Evidence = frames.evidence(facts)
	return f, true
}

// firstListenedAck returns the earliest of the first ACKs to each
// destination where the UAS listens, as the routes checkAck builds find
// it; nil when no ACK went where the UAS listens.
func firstListenedAck(acks []*correlate.Message, listening map[netip.AddrPort]bool) *correlate.Message {
	var first *correlate.Message
	for i, a := range acks {
		if !listening[a.Dst] || slices.ContainsFunc(acks[:i], func(b *correlate.Message) bool { return b.Dst == a.Dst }) {
			continue // not listened at, or not the first ACK to its destination
		}
		if first == nil || a.Time.Before(first.Time) {
			first = a
		}
	}
	return first
}

// copiesAfter counts the copies of the 2xx sent after ack.
func copiesAfter(g okGroup, ack *correlate.Message) int {
	n := 0
	for _, m := range g.copies {
		if m.Time.After(ack.Time) {
			n++
		}
	}
	return n
}

func misroutedAdvice(r *ackRoute, resp, contact string, icmp []*correlate.ICMP) string {
	nothing := ""
	if len(icmp) > 0 && icmp[0].Description == "port unreachable" {
		nothing = fmt.Sprintf("Nothing listens at %s. ", r.dst)
	}
	switch r.via {
	case "contact":
		return nothing + fmt.Sprintf("The %s's Contact <%s> names an address where the UAS does not take requests, and with no Record-Route the UAC must send the ACK there "+
			"(RFC 3261 §12.1.2, §13.2.2.4). Make the UAS put the address it listens on in its Contact (check its advertised or external SIP address and port), "+
			"or have the proxy in front of it Record-Route.", resp, contact)
	case "contact-bypassing-record-route":
		return nothing + fmt.Sprintf("The %s carries a Record-Route, so the ACK must go to the first hop of the route set, not straight to the Contact "+
			"(RFC 3261 §12.1.2, §13.2.2.4): fix the UAC's route set handling, or remove the Record-Route if the proxy need not stay in the path.", resp)
	case "record-route":
		return nothing + fmt.Sprintf("The ACK followed the Record-Route to %s, which did not deliver it to the UAS: check that proxy's loose routing (;lr) and dialog state.", r.dst)
	}
	if !r.routed {
		return nothing + fmt.Sprintf("The %s has no Record-Route, so its ACK must go to the %s's Contact <%s> (RFC 3261 §12.1.2, §13.2.2.4), "+
			"but the UAC sent it elsewhere: look for a static outbound proxy or destination override on the UAC.", resp, resp, contact)
	}
	return nothing + fmt.Sprintf("The UAC sent the ACK neither to the %s's Contact <%s> nor along its Record-Route: fix the UAC's dialog routing "+
		"(RFC 3261 §12.1.2: the remote target is the 2xx's Contact; §13.2.2.4: the ACK follows the route set), and look for a static outbound proxy or "+
		"destination override on it.", resp, contact)
}

// nonNil keeps empty lists as [] rather than null in JSON.
func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func sortedStrings(ss []string) []string {
	ss = nonNil(ss)
	sort.Strings(ss)
	return ss
}

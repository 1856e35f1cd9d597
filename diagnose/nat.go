package diagnose

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
)

// The nat rules point at a UA behind NAT and say whether the other side
// compensates. Each names the NATed side (the packet source, the address the
// NAT gave the UA) and the side that handles it (the peer the packets went
// to):
//
//   - nat.via-mismatch: a request's top Via sent-by (an IP literal) differs
//     from the packet's source address, or for UDP its port (TCP clients send
//     from ephemeral ports, so their port is not compared). Info when the
//     peer answered to the source address (received/rport, RFC 3581) or no
//     response was captured; warning when the responses went elsewhere.
//   - nat.private-contact: a Contact (not in a REGISTER response, which lists
//     bindings, nor a 3xx, which lists targets) holds a private address
//     (RFC 1918, RFC 6598, link-local, unique or site-local) while the
//     packet came from a public one. Warning; info when a later request to
//     the UA went to its public address; error when one went to the private
//     address.
//   - nat.contact-mismatch: a request sent straight by its UA (one Via)
//     carries a public Contact that is not where the request came from (for
//     UDP, address and port). Same severities. Not raised when the UA
//     answered a request sent to that Contact: then the Contact works.
//   - nat.private-sdp: an SDP c= address of an active stream is private while
//     the packet came from a public address. Warning.
//   - nat.register-expiry: a NATed UA (one of the above on its REGISTER)
//     registers over UDP for longer than natUDPBinding without refreshing
//     within it. Warning; info when the registrar's keepalives cover it.
func init() {
	Register(Rule{Name: "nat.", Call: natFindings})
	// register-expiry looks for keepalives in other Call-IDs, so it sees the
	// whole capture at once, through an index built once.
	Register(Rule{Name: "nat.register-expiry", Capture: registerExpiryFindings})
}

// natUDPBinding is how long a NAT is taken to keep an idle UDP mapping.
// RFC 4787 asks for at least 2 minutes, but many home routers and firewalls
// drop UDP mappings after 30 to 60 seconds, so 60 s is what a registration
// (or keepalive) interval must stay within to be safe.
const natUDPBinding = 60 * time.Second

func natFindings(c *correlate.Call, in *Input) []Finding {
	var out []Finding
	out = append(out, viaMismatch(c)...)
	out = append(out, contactFindings(c)...)
	out = append(out, privateSDP(c)...)
	return out
}

// sentByMismatch compares a request's top Via with the packet's source.
func sentByMismatch(m *correlate.Message) (sentBy netip.AddrPort, addrDiff, portDiff bool) {
	if !m.IsRequest || len(m.Via) == 0 {
		return netip.AddrPort{}, false, false
	}
	v := m.Via[0]
	a, ok := hostAddr(v.Host)
	if !ok {
		return netip.AddrPort{}, false, false
	}
	port := v.Port
	if port == 0 {
		port = defaultPort(v.Transport, "")
	}
	sentBy = netip.AddrPortFrom(a, uint16(port))
	addrDiff = a != m.Src.Addr().Unmap()
	portDiff = m.Transport == decode.UDP && port != int(m.Src.Port())
	return sentBy, addrDiff, portDiff
}

func scope(a netip.Addr) string {
	if k := privateKind(a); k != "" {
		return k
	}
	if isPublic(a) {
		return "public"
	}
	return "local"
}

type viaGroup struct {
	sentBy, src    netip.AddrPort
	addrDiff       bool
	peer           netip.AddrPort
	reqs, resps    []*correlate.Message
	rportRequested bool
}

func viaMismatch(c *correlate.Call) []Finding {
	var groups []*viaGroup
	for _, m := range c.Messages {
		if m.Retransmission {
			continue
		}
		sentBy, addrDiff, portDiff := sentByMismatch(m)
		if !addrDiff && !portDiff {
			continue
		}
		var g *viaGroup
		for _, x := range groups {
			if x.sentBy == sentBy && x.src == m.Src {
				g = x
			}
		}
		if g == nil {
			g = &viaGroup{sentBy: sentBy, src: m.Src, peer: m.Dst}
			groups = append(groups, g)
		}
		g.addrDiff = g.addrDiff || addrDiff
		g.reqs = append(g.reqs, m)
		g.rportRequested = g.rportRequested || m.Via[0].HasRPort
		if t := m.Transaction; t != nil && t.Method != "ACK" {
			for _, r := range t.Responses {
				if !r.Retransmission && len(r.Via) > 0 && r.Via[0].Branch == m.Via[0].Branch {
					g.resps = append(g.resps, r)
				}
			}
		}
	}
	var out []Finding
	for _, g := range groups {
		out = append(out, viaFinding(c, g))
	}
	return out
}

func viaFinding(c *correlate.Call, g *viaGroup) Finding {
	var received, rports, dsts []string
	toSource := 0
	for _, r := range g.resps {
		v := r.Via[0]
		if v.Received != "" {
			received = append(received, v.Received)
		}
		if v.RPort != 0 {
			rports = append(rports, strconv.Itoa(v.RPort))
		}
		dsts = append(dsts, r.Dst.String())
		if r.Dst == g.src {
			toSource++
		}
	}
	received, rports, dsts = uniqueStrings(received), uniqueStrings(rports), uniqueStrings(dsts)
	handled := "unknown"
	switch {
	case len(g.resps) == 0:
	case toSource == len(g.resps):
		handled = "yes"
	default:
		handled = "no"
	}
	sbScope := scope(g.sentBy.Addr())
	var who string
	switch {
	case sbScope != "public" && isPublic(g.src.Addr()):
		who = fmt.Sprintf("%s is behind NAT: its Via sent-by is %s (%s) but its requests come from %s", g.src, g.sentBy, sbScope, g.src)
	case !g.addrDiff:
		who = fmt.Sprintf("%s is behind NAT: its Via sent-by is %s but its requests come from port %d", g.src, g.sentBy, g.src.Port())
	default:
		who = fmt.Sprintf("%s sends with Via sent-by %s (%s), not the address its requests come from", g.src, g.sentBy, sbScope)
	}
	rport := "rport was not requested"
	if g.rportRequested {
		rport = "rport was requested"
	}
	var added []string
	if len(received) > 0 {
		added = append(added, "received="+strings.Join(received, ","))
	}
	if len(rports) > 0 {
		added = append(added, "rport="+strings.Join(rports, ","))
	}
	addedText := "it added neither received nor rport"
	if len(added) > 0 {
		addedText = "it added " + strings.Join(added, ";")
	}
	f := Finding{ID: "nat.via-mismatch", CallID: c.CallID}
	switch handled {
	case "yes":
		f.Severity = Info
		f.Summary = fmt.Sprintf("%s; %s handles it: %s, %s and sent its responses back to %s.", who, g.peer, rport, addedText, g.src)
		f.Advice = fmt.Sprintf("Nothing to change for responses: %s answers to the NAT's address (RFC 3261 §18.2.2, RFC 3581). "+
			"Requests to this UA need the same care: see the nat.private-contact and nat.register-expiry findings, if any.", g.peer)
	case "no":
		f.Severity = Warning
		f.Summary = fmt.Sprintf("%s; %s does not compensate: %s, %s and its responses went to %s.", who, g.peer, rport, addedText, strings.Join(dsts, ", "))
		f.Advice = fmt.Sprintf("Have the UA ask for rport (RFC 3581) and %s honour it (Asterisk force_rport, Kamailio force_rport(), "+
			"FreeSWITCH NDLB-force-rport), or let the UA learn its public address (STUN) or put an SBC in front of it.", g.peer)
	default:
		f.Severity = Info
		f.Summary = fmt.Sprintf("%s; %s, and no response was captured to show whether %s answers to %s.", who, rport, g.peer, g.src)
		f.Advice = fmt.Sprintf("Check that %s sends its responses to %s (received/rport, RFC 3581), not to %s.", g.peer, g.src, g.sentBy)
	}
	facts := map[string]any{
		"nated":           g.src.String(),
		"via_sent_by":     g.sentBy.String(),
		"sent_by_scope":   sbScope,
		"peer":            g.peer.String(),
		"rport_requested": g.rportRequested,
		"received":        nonNil(received),
		"rport":           nonNil(rports),
		"responses_to":    nonNil(dsts),
		"handled":         handled,
		"requests":        len(g.reqs),
	}
	if ua := agent(g.reqs[0]); ua != "" {
		facts["nated_agent"] = ua
	}
	if len(g.resps) > 0 {
		if ua := agent(g.resps[0]); ua != "" {
			facts["peer_agent"] = ua
		}
	}
	frames := frameSet{}
	frames.msgs(g.reqs...)
	frames.msgs(g.resps...)
	f.Evidence = frames.evidence(facts)
	return f
}

// contactGroup is one Contact address advertised from one source.
type contactGroup struct {
	id      string // nat.private-contact or nat.contact-mismatch
	uri     string
	addr    netip.AddrPort
	kind    string // private kind, "" for a mismatch
	src     netip.AddrPort
	peer    netip.AddrPort
	msgs    []*correlate.Message
	methods []string
}

func contactFindings(c *correlate.Call) []Finding {
	var groups []*contactGroup
	for _, m := range c.Messages {
		if m.Retransmission || !m.IsRequest && (m.CSeq.Method == "REGISTER" || m.StatusCode >= 300 && m.StatusCode < 400) {
			continue
		}
		for _, ct := range m.Contact {
			a, ok := hostAddr(ct.URI.Host)
			if !ok {
				continue
			}
			port := ct.URI.Port
			if port == 0 {
				port = defaultPort(ct.URI.Params.Get("transport"), ct.URI.Scheme)
			}
			ap := netip.AddrPortFrom(a, uint16(port))
			id, kind := "", privateKind(a)
			switch {
			case kind != "" && isPublic(m.Src.Addr()):
				id = "nat.private-contact"
			case kind == "" && m.IsRequest && len(m.Via) == 1 && isPublic(a) && isPublic(m.Src.Addr()) &&
				(a != m.Src.Addr().Unmap() || m.Transport == decode.UDP && ap.Port() != m.Src.Port()):
				id = "nat.contact-mismatch"
			default:
				continue
			}
			var g *contactGroup
			for _, x := range groups {
				if x.id == id && x.addr == ap && x.src == m.Src {
					g = x
				}
			}
			if g == nil {
				g = &contactGroup{id: id, uri: ct.URI.Raw, addr: ap, kind: kind, src: m.Src, peer: m.Dst}
				groups = append(groups, g)
			}
			g.msgs = append(g.msgs, m)
			name := m.Method
			if !m.IsRequest {
				name = strconv.Itoa(m.StatusCode)
			}
			g.methods = append(g.methods, name)
		}
	}
	var out []Finding
	for _, g := range groups {
		if f, ok := contactFinding(c, g); ok {
			out = append(out, f)
		}
	}
	return out
}

func contactFinding(c *correlate.Call, g *contactGroup) (Finding, bool) {
	// Requests the other side sent towards this UA show whether it follows
	// the Contact or the source address.
	var toSource, toContact *correlate.Message
	contactWorks := false
	for _, m := range c.Messages {
		if !m.IsRequest || m.Src == g.src || m.Retransmission {
			continue
		}
		switch {
		case m.Dst == g.src && toSource == nil:
			toSource = m
		case m.Dst == g.addr:
			if toContact == nil {
				toContact = m
			}
			if m.Transaction != nil && len(m.Transaction.Responses) > 0 {
				contactWorks = true
			}
		}
	}
	if g.id == "nat.contact-mismatch" && contactWorks {
		return Finding{}, false
	}
	registrarFixed := false
	for _, m := range c.Messages {
		if m.IsRequest || m.CSeq.Method != "REGISTER" || m.StatusCode >= 300 {
			continue
		}
		for _, ct := range m.Contact {
			if ct.Params.Has("received") {
				registrarFixed = true
			}
			for _, p := range []string{"fs_nat", "fs_path", "alias"} {
				if ct.URI.Params.Has(p) {
					registrarFixed = true
				}
			}
		}
	}
	methods := strings.Join(uniqueStrings(g.methods), ", ")
	f := Finding{ID: g.id, CallID: c.CallID, Severity: Warning}
	facts := map[string]any{
		"contact":         g.uri,
		"contact_address": g.addr.String(),
		"nated":           g.src.String(),
		"peer":            g.peer.String(),
		"in":              uniqueStrings(g.methods),
		"handled":         "unknown",
	}
	if g.kind != "" {
		facts["contact_scope"] = g.kind
		f.Summary = fmt.Sprintf("The UA behind %s advertises Contact <%s> in its %s: a private address (%s) that %s cannot reach, so requests to the UA must go to %s instead",
			g.src, g.uri, methods, g.kind, g.peer, g.src)
	} else {
		f.Summary = fmt.Sprintf("The UA at %s advertises Contact <%s> in its %s, not the address its requests come from: a NAT changed it, so requests to the UA must go to %s instead",
			g.src, g.uri, methods, g.src)
	}
	frames := frameSet{}
	frames.msgs(g.msgs...)
	switch {
	case toContact != nil && !contactWorks:
		f.Severity = Error
		facts["handled"] = "no"
		f.Summary += fmt.Sprintf("; but %s sent %s (frame %d) to %s.", toContact.Src, toContact.Method, toContact.Frame, toContact.Dst)
		frames.msgs(toContact)
	case toSource != nil:
		f.Severity = Info
		facts["handled"] = "yes"
		f.Summary += fmt.Sprintf("; %s does: its %s (frame %d) went to %s.", toSource.Src, toSource.Method, toSource.Frame, toSource.Dst)
		frames.msgs(toSource)
	case registrarFixed:
		f.Severity = Info
		facts["handled"] = "yes"
		f.Summary += "; the registrar recorded the source address with the binding."
	default:
		f.Summary += "."
	}
	f.Advice = "Rewrite the Contact to the source address on the server or SBC (Kamailio fix_nated_contact() or set_contact_alias(), " +
		"Asterisk rewrite_contact=yes, FreeSWITCH NDLB-received-in-nat-reg-contact or aggressive-nat-detection), or let the UA learn its public address " +
		"(STUN, or RFC 5626 outbound with keepalives)."
	f.Evidence = frames.evidence(facts)
	return f, true
}

type sdpGroup struct {
	addr  netip.Addr
	kind  string
	src   netip.AddrPort
	peer  netip.AddrPort
	media []string
	msgs  []*correlate.Message
	names []string
}

func privateSDP(c *correlate.Call) []Finding {
	var groups []*sdpGroup
	for _, m := range c.Messages {
		if m.Retransmission || !isPublic(m.Src.Addr()) {
			continue
		}
		conns := m.SDP()
		if conns == nil {
			continue
		}
		for _, md := range conns.Media {
			kind := privateKind(md.Addr)
			if md.Port == 0 || kind == "" {
				continue
			}
			var g *sdpGroup
			for _, x := range groups {
				if x.addr == md.Addr && x.src == m.Src {
					g = x
				}
			}
			if g == nil {
				g = &sdpGroup{addr: md.Addr, kind: kind, src: m.Src, peer: m.Dst}
				groups = append(groups, g)
			}
			g.media = append(g.media, md.Type+" at "+md.RTP().String())
			if len(g.msgs) == 0 || g.msgs[len(g.msgs)-1] != m {
				g.msgs = append(g.msgs, m)
				name := m.Method
				if !m.IsRequest {
					name = m.Summary()
				}
				g.names = append(g.names, name)
			}
		}
	}
	var out []Finding
	for _, g := range groups {
		media := uniqueStrings(g.media)
		frames := frameSet{}
		frames.msgs(g.msgs...)
		out = append(out, Finding{
			ID: "nat.private-sdp", Severity: Warning, CallID: c.CallID,
			Summary: fmt.Sprintf("The UA behind %s offers %s in its SDP (%s): c=%s is a private address (%s), so %s can only send RTP back if it "+
				"answers to where the UA's RTP comes from (symmetric RTP) or a media relay rewrites the SDP; otherwise the audio is one-way.",
				g.src, strings.Join(media, ", "), strings.Join(uniqueStrings(g.names), ", "), g.addr, g.kind, g.peer),
			Evidence: frames.evidence(map[string]any{
				"sdp_address": g.addr.String(),
				"sdp_scope":   g.kind,
				"media":       media,
				"nated":       g.src.String(),
				"peer":        g.peer.String(),
			}),
			Advice: "Make the far end latch onto the source of the incoming RTP (Asterisk rtp_symmetric=yes or comedia, FreeSWITCH's default auto-adjust), " +
				"put an SBC or media relay (rtpengine) in the path, or let the UA learn its public address (STUN, ICE).",
		})
	}
	return out
}

// pingKey is a request's source address and destination address:port.
type pingKey struct {
	from netip.Addr
	to   netip.AddrPort
}

func registerExpiryFindings(in *Input) []Finding {
	// Requests other than REGISTER, by where they came from and went to:
	// the registrar's keepalives towards a UA (OPTIONS, NOTIFY) are there.
	var pings map[pingKey][]*correlate.Message
	var out []Finding
	for _, c := range in.Model.Calls {
		if c.Registration == nil {
			continue
		}
		if pings == nil {
			pings = map[pingKey][]*correlate.Message{}
			for _, other := range in.Model.Calls {
				for _, m := range other.Messages {
					if m.IsRequest && m.Method != "REGISTER" && !m.Retransmission {
						k := pingKey{m.Src.Addr(), m.Dst}
						pings[k] = append(pings[k], m)
					}
				}
			}
		}
		if f, ok := registerExpiry(c, pings); ok {
			out = append(out, f)
		}
	}
	return out
}

func registerExpiry(c *correlate.Call, index map[pingKey][]*correlate.Message) (Finding, bool) {
	reg := c.Registration
	if reg == nil || !reg.Registered || reg.Expires <= 0 || time.Duration(reg.Expires)*time.Second <= natUDPBinding {
		return Finding{}, false
	}
	var nated *correlate.Message
	for _, m := range c.Messages {
		if !m.IsRequest || m.Method != "REGISTER" || m.Retransmission || m.Transport != decode.UDP {
			continue
		}
		if _, addrDiff, portDiff := sentByMismatch(m); addrDiff || portDiff {
			nated = m
			break
		}
		for _, ct := range m.Contact {
			if a, ok := hostAddr(ct.URI.Host); ok && privateKind(a) != "" && isPublic(m.Src.Addr()) {
				nated = m
			}
		}
		if nated != nil {
			break
		}
	}
	if nated == nil {
		return Finding{}, false
	}
	var longest time.Duration
	for _, d := range reg.Refreshes {
		longest = max(longest, d)
	}
	if len(reg.Refreshes) > 0 && longest <= natUDPBinding {
		return Finding{}, false // it refreshes often enough
	}

	// Keepalives: requests from the registrar's address to the UA's.
	pings := append([]*correlate.Message(nil), index[pingKey{nated.Dst.Addr(), nated.Src}]...)
	sortByTime(pings)
	var gap time.Duration
	for _, d := range intervals(pings) {
		gap = max(gap, d)
	}
	expires := time.Duration(reg.Expires) * time.Second
	f := Finding{ID: "nat.register-expiry", Severity: Warning, CallID: c.CallID}
	facts := map[string]any{
		"nated":              nated.Src.String(),
		"registrar":          nated.Dst.String(),
		"expires_s":          reg.Expires,
		"nat_binding_s":      int(natUDPBinding / time.Second),
		"refresh_interval_s": refreshSeconds(reg.Refreshes),
		"keepalives":         len(pings),
	}
	refresh := fmt.Sprintf("no re-REGISTER in the %s captured", seconds(c.Duration()))
	if len(reg.Refreshes) > 0 {
		refresh = fmt.Sprintf("it re-registered after %s", seconds(longest))
	}
	f.Summary = fmt.Sprintf("The UA behind %s registers with %s over UDP through NAT for %d s, longer than the %s a NAT commonly keeps an idle UDP binding (%s)",
		nated.Src, nated.Dst, reg.Expires, seconds(natUDPBinding), refresh)
	frames := frameSet{}
	frames.msgs(nated)
	for _, t := range c.Transactions {
		if t.Method == "REGISTER" && t.FinalCode() >= 200 && t.FinalCode() < 300 {
			frames.msgs(t.Request(), t.Final)
		}
	}
	if len(pings) >= 2 && gap <= natUDPBinding {
		f.Severity = Info
		facts["keepalive_interval_s"] = gap.Seconds()
		f.Summary += fmt.Sprintf("; %s keeps the binding open with %s every %s or less.", nated.Dst, pings[0].Method, seconds(gap))
		frames.msgs(pings[:2]...)
	} else {
		f.Summary += fmt.Sprintf(": once the NAT drops the binding, calls to the UA fail until it registers again, up to %s later.", seconds(expires))
	}
	f.Advice = "Re-register or send keepalives more often than the NAT's UDP timeout (30 to 60 s is safe): CRLF keepalives (RFC 5626), " +
		"OPTIONS pings from the registrar (Kamailio nathelper, Asterisk qualify_frequency, FreeSWITCH nat-options-ping), a shorter granted Expires " +
		"for NATed contacts, or TCP/TLS."
	f.Evidence = frames.evidence(facts)
	return f, true
}

func refreshSeconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

func sortByTime(ms []*correlate.Message) {
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Time.Before(ms[j].Time) })
}

package diagnose

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/sipscope/sipscope/correlate"
)

// The icmp rules report ICMP and ICMPv6 errors that quote a SIP message or an
// RTP/RTCP packet, linked to what they answer: the SIP message correlate
// matched them to, or the SDP that announced the quoted media address.
// Errors quoting anything else are not reported: they are not VoIP's business.
//
//   - icmp.unreachable (warning): destination unreachable (port, host,
//     network, administratively prohibited); the message or media was lost.
//   - icmp.too-big (warning): fragmentation needed / packet too big.
//   - icmp.error (info): other errors (time exceeded, parameter problem).
//
// One finding per call, kind of packet, destination and description, so a
// flood of errors for one RTP stream is one finding.
func init() {
	Register(Rule{Name: "icmp.", Capture: icmpFindings})
}

type mediaAnnouncement struct {
	call  *correlate.Call
	msg   *correlate.Message
	what  string // "RTP" or "RTCP"
	media string // "audio", "video", ...
}

// mediaIndex maps every media address announced in SDP to the first
// message that announced it; RTCP is taken to be on the next port.
func mediaIndex(m *correlate.Model) map[netip.AddrPort]mediaAnnouncement {
	idx := map[netip.AddrPort]mediaAnnouncement{}
	for _, c := range m.Calls {
		for _, msg := range c.Messages {
			if msg.Retransmission {
				continue
			}
			conns := msg.SDP()
			if conns == nil {
				continue
			}
			for _, md := range conns.Media {
				ap := md.RTP()
				if !ap.IsValid() || md.Port == 0 {
					continue
				}
				if _, ok := idx[ap]; !ok {
					idx[ap] = mediaAnnouncement{call: c, msg: msg, what: "RTP", media: md.Type}
				}
				if ap.Port() < 65535 {
					rtcp := netip.AddrPortFrom(ap.Addr(), ap.Port()+1)
					if _, ok := idx[rtcp]; !ok {
						idx[rtcp] = mediaAnnouncement{call: c, msg: msg, what: "RTCP", media: md.Type}
					}
				}
			}
		}
	}
	return idx
}

type icmpGroup struct {
	id       string
	call     *correlate.Call
	what     string // "SIP", "RTP" or "RTCP"
	src, dst netip.AddrPort
	desc     string
	errs     []*correlate.ICMP
	msgs     []*correlate.Message // the SIP messages answered
	ann      mediaAnnouncement    // for media
}

func icmpID(desc string) string {
	switch desc {
	case "fragmentation needed", "packet too big":
		return "icmp.too-big"
	case "time exceeded", "parameter problem":
		return "icmp.error"
	}
	return "icmp.unreachable"
}

func icmpFindings(in *Input) []Finding {
	if len(in.Model.ICMP) == 0 {
		return nil
	}
	media := mediaIndex(in.Model)
	var groups []*icmpGroup
	for _, ic := range in.Model.ICMP {
		g := &icmpGroup{id: icmpID(ic.Description), desc: ic.Description, src: ic.OrigSrc, dst: ic.OrigDst}
		switch {
		case ic.Message != nil:
			g.call, g.what = ic.Call, "SIP"
		default:
			ann, ok := media[ic.OrigDst]
			if !ok {
				continue
			}
			g.call, g.what, g.ann = ann.call, ann.what, ann
		}
		var found *icmpGroup
		for _, x := range groups {
			if x.id == g.id && x.call == g.call && x.what == g.what && x.src == g.src && x.dst == g.dst && x.desc == g.desc {
				found = x
			}
		}
		if found == nil {
			found = g
			groups = append(groups, g)
		}
		found.errs = append(found.errs, ic)
		if ic.Message != nil {
			found.msgs = append(found.msgs, ic.Message)
		}
	}
	var out []Finding
	for _, g := range groups {
		out = append(out, icmpFinding(g))
	}
	return out
}

func icmpFinding(g *icmpGroup) Finding {
	var reporters []string
	for _, e := range g.errs {
		reporters = append(reporters, e.Src.Addr().String())
	}
	reporters = uniqueStrings(reporters)
	frames := frameSet{}
	frames.add(icmpFrames(g.errs)...)
	frames.msgs(g.msgs...)
	facts := map[string]any{
		"icmp":        g.desc,
		"icmp_frames": icmpFrames(g.errs),
		"reported_by": reporters,
		"packet":      g.what,
		"source":      g.src.String(),
		"destination": g.dst.String(),
	}
	var answered string
	if g.what == "SIP" {
		var names []string
		for _, m := range g.msgs {
			names = append(names, messageName(m))
		}
		names = uniqueStrings(names)
		switch {
		case len(names) > 1:
			answered = strings.Join(names, ", ")
		case g.msgs[0].IsRequest:
			answered = methodCount(len(g.msgs), names[0])
		default:
			answered = "the " + names[0]
			if len(g.msgs) > 1 {
				answered += fmt.Sprintf(" (%d copies)", len(g.msgs))
			}
		}
		facts["messages"] = names
		facts["message_frames"] = frameNumbers(g.msgs)
	} else {
		frames.msgs(g.ann.msg)
		answered = fmt.Sprintf("%s, the %s address announced in the SDP of the %s (frame %d),", g.what, g.ann.media, messageName(g.ann.msg), g.ann.msg.Frame)
		facts["sdp_frame"] = g.ann.msg.Frame
	}
	f := Finding{ID: g.id, CallID: g.call.CallID, Severity: Warning}
	what := icmpCount(len(g.errs), g.desc)
	switch g.id {
	case "icmp.too-big":
		size := ""
		if len(g.msgs) > 0 {
			size = fmt.Sprintf(" (%d bytes)", len(g.msgs[0].Raw))
			facts["message_bytes"] = len(g.msgs[0].Raw)
		}
		f.Summary = fmt.Sprintf("%s from %s answered %s%s sent by %s to %s: the path cannot carry a datagram that large, so it was dropped.",
			what, strings.Join(reporters, ", "), answered, size, g.src, g.dst)
		f.Advice = "Send SIP messages larger than 1300 bytes over TCP (RFC 3261 §18.1.1), or make them smaller (fewer codecs and headers); " +
			"check that firewalls pass ICMP and IP fragments."
	case "icmp.error":
		f.Severity = Info
		f.Summary = fmt.Sprintf("%s from %s answered %s sent by %s to %s.", what, strings.Join(reporters, ", "), answered, g.src, g.dst)
		f.Advice = "A time exceeded error means a routing loop or a too-small TTL on the path; a parameter problem, a malformed IP header."
	default:
		f.Summary = fmt.Sprintf("%s from %s answered %s sent by %s to %s: %s.", what, strings.Join(reporters, ", "), answered, g.src, g.dst,
			unreachableMeaning(g.desc, g.what, len(g.errs)))
		f.Advice = unreachableAdvice(g.desc, g.what, g.dst)
	}
	f.Evidence = frames.evidence(facts)
	return f
}

func unreachableMeaning(desc, what string, n int) string {
	lost := "the message was lost"
	if n > 1 {
		lost = "the messages were lost"
	}
	if what != "SIP" {
		lost = "that media direction is lost"
	}
	switch desc {
	case "port unreachable":
		return "nothing listens on that port, so " + lost
	case "host unreachable", "address unreachable":
		return "the host is down or not on that network, so " + lost
	case "network unreachable", "no route to destination":
		return "there is no route to that network, so " + lost
	case "administratively prohibited":
		return "a firewall refused it, so " + lost
	}
	return lost
}

func unreachableAdvice(desc, what string, dst netip.AddrPort) string {
	if desc == "administratively prohibited" {
		return fmt.Sprintf("Open the firewall that sent the error for %s traffic to %s.", what, dst)
	}
	if what == "SIP" {
		return fmt.Sprintf("Find out why the message went to %s: a Contact, Record-Route or Via that names the wrong address or port, a stale registration, "+
			"or a NAT binding that expired.", dst)
	}
	return fmt.Sprintf("The SDP announced %s but nothing receives media there: the endpoint closed its port (call already ended, "+
		"or a re-INVITE moved the media) or the SDP holds a wrong or NATed address.", dst)
}

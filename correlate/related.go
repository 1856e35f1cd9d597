package correlate

import (
	"net/netip"
	"strings"
)

// Related returns the calls linked to any of calls, directly or through
// each other, that are not in calls themselves, in model order. Two calls
// are linked when
//   - one's X-Call-ID or X-CID header names the other's Call-ID, or both
//     carry the same value (what B2BUAs such as FreeSWITCH, Asterisk and
//     many SBCs add to the outgoing leg);
//   - they share a Session-ID UUID (RFC 7989), the null UUID aside;
//   - their lifetimes overlap (within TimerB) and an SDP body of each announces the same
//     media address and port (a B2BUA that passes media through unchanged).
//
// The time overlap keeps a media port reused by a later call from chaining
// unrelated calls together.
func (m *Model) Related(calls []*Call) []*Call {
	keys := make(map[*Call][]string, len(m.Calls))
	byKey := make(map[string][]*Call)
	for _, c := range m.Calls {
		ks := linkKeys(c)
		keys[c] = ks
		for _, k := range ks {
			byKey[k] = append(byKey[k], c)
		}
	}
	seen := make(map[*Call]bool, len(calls))
	queue := make([]*Call, 0, len(calls))
	for _, c := range calls {
		if !seen[c] {
			seen[c] = true
			queue = append(queue, c)
		}
	}
	given := len(seen)
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, k := range keys[c] {
			for _, o := range byKey[k] {
				if seen[o] || strings.HasPrefix(k, "sdp|") && !overlap(c, o) {
					continue
				}
				seen[o] = true
				queue = append(queue, o)
			}
		}
	}
	if len(seen) == given {
		return nil
	}
	in := make(map[*Call]bool, len(calls))
	for _, c := range calls {
		in[c] = true
	}
	var out []*Call
	for _, c := range m.Calls {
		if seen[c] && !in[c] {
			out = append(out, c)
		}
	}
	return out
}

// overlap says whether two calls' lifetimes overlap, give or take TimerB:
// a leg whose INVITE got no answer has a lifetime of one instant.
func overlap(a, b *Call) bool {
	return !a.Start.After(b.End.Add(TimerB)) && !b.Start.After(a.End.Add(TimerB))
}

// nullSessionID is the Session-ID an endpoint sends before it knows the
// peer's (RFC 7989 §7); it links nothing.
const nullSessionID = "00000000000000000000000000000000"

// linkKeys returns the keys under which c may be linked to other calls.
func linkKeys(c *Call) []string {
	set := map[string]bool{"cid|" + c.CallID: true}
	for _, m := range c.Messages {
		for _, h := range []string{"X-Call-ID", "X-CID"} {
			for _, v := range m.HeaderValues(h) {
				if v = strings.TrimSpace(v); v != "" {
					set["cid|"+v] = true
				}
			}
		}
		for _, v := range m.HeaderValues("Session-ID") {
			local, params, _ := strings.Cut(v, ";")
			ids := []string{local}
			for _, p := range strings.Split(params, ";") {
				if name, val, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(name, "remote") {
					ids = append(ids, val)
				}
			}
			for _, id := range ids {
				id = strings.ToLower(strings.Trim(strings.TrimSpace(id), `"`))
				if id != "" && id != nullSessionID {
					set["sid|"+id] = true
				}
			}
		}
		s := m.SDP()
		if s == nil {
			continue
		}
		for i := range s.Media {
			if a := s.Media[i].RTP(); usableMedia(a) {
				set["sdp|"+a.String()] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return out
}

// usableMedia says whether an SDP media address can identify a stream: not
// a rejected stream (port 0) nor a hold address (0.0.0.0).
func usableMedia(a netip.AddrPort) bool {
	return a.IsValid() && a.Port() != 0 && !a.Addr().IsUnspecified()
}

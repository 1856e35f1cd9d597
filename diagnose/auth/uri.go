package auth

import (
	"strings"

	"github.com/sipscope/sipscope/decode/sip"
)

// SameURI reports whether a digest uri names the same resource as the
// Request-URI, as RFC 3261 §19.1.4 compares SIP URIs: scheme, user and
// port exactly, host case-insensitively; a parameter present in both must
// match, and user, ttl, method and maddr must not be present in only one;
// other parameters present in only one are ignored. URIs that are not sip:
// or sips: must be equal but for case. A server checks this before the
// response (RFC 2617 §3.2.2.5), so a mismatch, usually from a SIP ALG or
// proxy rewriting the Request-URI, is a rejection whatever the password.
func SameURI(a, b string) bool {
	if a == b {
		return true
	}
	ua, errA := sip.ParseURI(a)
	ub, errB := sip.ParseURI(b)
	if errA != nil || errB != nil || ua.Scheme != "sip" && ua.Scheme != "sips" {
		return strings.EqualFold(a, b)
	}
	if ua.Scheme != ub.Scheme || ua.User != ub.User || !strings.EqualFold(ua.Host, ub.Host) || ua.Port != ub.Port {
		return false
	}
	if !sameParams(ua.Params, ub.Params) || !sameParams(ub.Params, ua.Params) {
		return false
	}
	return uriHeaders(a) == uriHeaders(b)
}

// sameParams checks a's parameters against b's.
func sameParams(a, b sip.Params) bool {
	for k, v := range a.All() {
		w, ok := b.Lookup(k)
		switch {
		case ok && !strings.EqualFold(v, w):
			return false
		case !ok && (k == "user" || k == "ttl" || k == "method" || k == "maddr"):
			return false
		}
	}
	return true
}

func uriHeaders(s string) string {
	if _, h, ok := strings.Cut(s, "?"); ok {
		return h
	}
	return ""
}

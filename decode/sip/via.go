package sip

import (
	"fmt"
	"strings"
)

// ParseVia parses a Via header value, which may hold several comma-separated
// values: "SIP/2.0/UDP host:port;branch=z9hG4bK...;rport". Whitespace around
// the slashes is tolerated, the transport is upper-cased, an IPv6 sent-by
// host loses its brackets. On error the result still holds one Via per value
// (partly filled for the bad ones) so positions are kept, and the error is
// the first one met.
func ParseVia(s string) ([]Via, error) {
	return appendVias(nil, s)
}

func appendVias(dst []Via, s string) ([]Via, error) {
	var first error
	for i := 0; i < len(s); {
		var item string
		item, i = nextListItem(s, i)
		if item = trimSpace(item); item == "" {
			continue
		}
		if len(dst) >= MaxListItems {
			return dst, errTooManyItems(first)
		}
		v, err := parseVia(item)
		if err != nil && first == nil {
			first = err
		}
		dst = append(dst, v)
	}
	if len(dst) == 0 && first == nil {
		first = fmt.Errorf("%w: empty Via", ErrMalformed)
	}
	return dst, first
}

// parseVia parses one via-parm: sent-protocol LWS sent-by *( ";" via-params ).
func parseVia(s string) (Via, error) {
	v := Via{Raw: s}
	bad := func(why string) (Via, error) {
		return v, fmt.Errorf("%w: via %q: %s", ErrMalformed, clip(s), why)
	}
	// sent-protocol: protocol-name SLASH protocol-version SLASH transport
	name, rest, ok1 := strings.Cut(s, "/")
	version, rest, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !strings.EqualFold(trimSpace(name), "SIP") || trimSpace(version) == "" {
		return bad("bad sent-protocol")
	}
	rest = rest[skipSpace(rest, 0):]
	t := tokenEnd(rest, 0)
	if t == 0 {
		return bad("missing transport")
	}
	v.Transport = upperASCII(rest[:t])
	rest = rest[t:]
	if rest == "" || !isSpace(rest[0]) {
		return bad("missing sent-by")
	}
	sentBy, params, _ := strings.Cut(rest, ";")
	// A comment after sent-by ("host:port (comment)") is dropped.
	sentBy = trimSpace(sentBy)
	if i := strings.IndexAny(sentBy, " \t("); i >= 0 {
		sentBy = sentBy[:i]
	}
	var err error
	if v.Host, v.Port, err = parseHostPort(sentBy); err != nil {
		return bad(err.Error())
	}
	if v.Params, err = parseParams(params, true); err != nil {
		return bad(err.Error())
	}
	// One pass for the three parameters correlation reads; the first of a
	// repeated name counts, as for Lookup.
	var rp, branch, received bool
	var rpValue string
	for i := 0; i < len(v.Params.raw); {
		n, val, next := v.Params.segment(i)
		i = next
		switch {
		case len(n) == 6 && !branch && equalFoldASCII(n, "branch"):
			v.Branch, branch = v.Params.value(val), true
		case len(n) == 8 && !received && equalFoldASCII(n, "received"):
			v.Received, received = strings.TrimSuffix(strings.TrimPrefix(v.Params.value(val), "["), "]"), true
		case len(n) == 5 && !rp && equalFoldASCII(n, "rport"):
			rpValue, rp = v.Params.value(val), true
		}
	}
	if rp {
		v.HasRPort = true
		if rp := rpValue; rp != "" {
			p, ok := parseDecimal(rp)
			if !ok || p < 1 || p > 65535 {
				return bad(fmt.Sprintf("bad rport %q", clip(rp)))
			}
			v.RPort = p
		}
	}
	return v, nil
}

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
	var rest string
	if len(s) > 8 && s[:8] == "SIP/2.0/" {
		rest = s[8:] // what nearly every Via starts with
	} else {
		name, r, ok1 := strings.Cut(s, "/")
		version, r, ok2 := strings.Cut(r, "/")
		if !ok1 || !ok2 || !strings.EqualFold(trimSpace(name), "SIP") || trimSpace(version) == "" {
			return bad("bad sent-protocol")
		}
		rest = r
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
	for i := 0; i < len(sentBy); i++ {
		if c := sentBy[i]; c == ' ' || c == '\t' || c == '(' {
			sentBy = sentBy[:i]
			break
		}
	}
	var err error
	if v.Host, v.Port, err = parseHostPort(sentBy); err != nil {
		return bad(err.Error())
	}
	// The one walk of the parameters checks them and finds the three
	// correlation reads; the first of a repeated name counts, as for Lookup.
	var pk paramPicks
	if v.Params, err = parseParamsPick(params, true, &pk); err != nil {
		return bad(err.Error())
	}
	v.Branch = pk.branch
	if pk.has&pickReceived != 0 {
		v.Received = strings.TrimSuffix(strings.TrimPrefix(pk.received, "["), "]")
	}
	if pk.has&pickRPort != 0 {
		v.HasRPort = true
		if rp := pk.rport; rp != "" {
			p, ok := parseDecimal(rp)
			if !ok || p < 1 || p > 65535 {
				return bad(fmt.Sprintf("bad rport %q", clip(rp)))
			}
			v.RPort = p
		}
	}
	return v, nil
}

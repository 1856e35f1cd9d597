package sip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseURI parses a sip:, sips: or tel: URI: user (password dropped), host
// (IPv6 without brackets), port and parameters; URI headers (after '?') stay
// in Raw only. Other schemes give a URI with only Scheme and Raw set.
// On error the URI holds what could be parsed.
func ParseURI(s string) (URI, error) {
	s = trimSpace(s)
	u := URI{Raw: s}
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return u, fmt.Errorf("%w: uri %q: missing scheme", ErrMalformed, clip(s))
	}
	if !isScheme(s[:colon]) {
		return u, fmt.Errorf("%w: uri %q: bad scheme", ErrMalformed, clip(s))
	}
	u.Scheme = lowerASCII(s[:colon])
	rest := s[colon+1:]
	var err error
	switch u.Scheme {
	case "sip", "sips":
		if q := strings.IndexByte(rest, '?'); q >= 0 {
			rest = rest[:q]
		}
		if at := strings.IndexByte(rest, '@'); at >= 0 {
			u.User, _, _ = strings.Cut(rest[:at], ":")
			rest = rest[at+1:]
		}
		hostport, params, _ := strings.Cut(rest, ";")
		if u.Host, u.Port, err = parseHostPort(hostport); err != nil {
			return u, fmt.Errorf("%w: uri %q: %v", ErrMalformed, clip(s), err)
		}
		u.Params, err = parseParams(params, false)
	case "tel":
		number, params, _ := strings.Cut(rest, ";")
		if u.User = trimSpace(number); u.User == "" {
			return u, fmt.Errorf("%w: uri %q: missing number", ErrMalformed, clip(s))
		}
		u.Params, err = parseParams(params, false)
	}
	if err != nil {
		return u, fmt.Errorf("%w: uri %q: %v", ErrMalformed, clip(s), err)
	}
	return u, nil
}

// isScheme reports whether s is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		switch {
		case 'a' <= c && c <= 'z':
		case i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.'):
		default:
			return false
		}
	}
	return s != ""
}

// parseHostPort parses host [":" port], with IPv6 references in brackets.
// An unbracketed IPv6 address is taken whole as the host, unless it has a
// ninth group, which can only be a port.
func parseHostPort(s string) (host string, port int, err error) {
	s = trimSpace(s)
	if s == "" {
		return "", 0, errString("missing host")
	}
	var portStr string
	hasPort := false
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, errString("missing ] in IPv6 reference")
		}
		host = s[1:end]
		switch rest := s[end+1:]; {
		case rest == "":
		case rest[0] == ':':
			portStr, hasPort = rest[1:], true
		default:
			return host, 0, errString("junk after IPv6 reference")
		}
	} else {
		// One pass for the colons: one is host:port. Eight and no "::" are
		// nine groups, one more than IPv6 has, so an unbracketed IPv6
		// address and a port, as some equipment sends
		// ("fe80:0:0:0:21a:a0ff:fe07:32e0:5060").
		colons, last, double := 0, 0, false
		for i := 0; i < len(s); i++ {
			if s[i] == ':' {
				double = double || colons > 0 && last == i-1
				colons, last = colons+1, i
			}
		}
		if colons == 1 || colons == 8 && !double {
			host, portStr, hasPort = s[:last], s[last+1:], true
		} else {
			host = s
		}
	}
	if host == "" {
		return "", 0, errString("missing host")
	}
	for i := 0; i < len(host); i++ {
		switch host[i] {
		case ' ', '\t', '"', '<', '>':
			return host, 0, errString("bad host")
		}
	}
	if hasPort {
		p, ok := parseDecimal(portStr)
		if !ok || p < 1 || p > 65535 {
			return host, 0, errString(fmt.Sprintf("bad port %q", clip(portStr)))
		}
		port = p
	}
	return host, port, nil
}

// errString is an error with a fixed text, for reasons callers wrap.
type errString string

func (e errString) Error() string { return string(e) }

// ParseNameAddr parses a From, To, Contact, Route or Record-Route value:
// name-addr (["display name"] <URI> or display-name token <URI>) or a bare
// addr-spec, followed by header parameters. After a bare URI every ";param"
// is a header parameter (RFC 3261 §20.10), so "sip:a@b;tag=1" has tag 1.
// "*" (Contact) gives a URI whose Raw is "*". On error the NameAddr holds
// what could be parsed.
func ParseNameAddr(s string) (NameAddr, error) {
	s = trimSpace(s)
	na := NameAddr{Raw: s}
	if s == "" {
		return na, fmt.Errorf("%w: empty address", ErrMalformed)
	}
	if s == "*" {
		na.URI.Raw = s
		return na, nil
	}
	var uri, params string
	rest := s
	if s[0] == '"' {
		disp, n, ok := quotedString(s)
		if !ok {
			return na, fmt.Errorf("%w: address %q: unterminated quoted display name", ErrMalformed, clip(s))
		}
		na.Display = disp
		rest = s[skipSpace(s, n):]
		if rest == "" || rest[0] != '<' {
			return na, fmt.Errorf("%w: address %q: display name not followed by <URI>", ErrMalformed, clip(s))
		}
	} else if lt := strings.IndexByte(s, '<'); lt >= 0 {
		na.Display = trimSpace(s[:lt])
		rest = s[lt:]
	}
	if rest[0] == '<' {
		gt := strings.IndexByte(rest, '>')
		if gt < 0 {
			return na, fmt.Errorf("%w: address %q: missing '>'", ErrMalformed, clip(s))
		}
		uri, params = rest[1:gt], trimSpace(rest[gt+1:])
		if params != "" && params[0] != ';' {
			return na, fmt.Errorf("%w: address %q: junk after '>'", ErrMalformed, clip(s))
		}
	} else {
		semi := strings.IndexByte(rest, ';')
		if semi < 0 {
			semi = len(rest)
		}
		uri, params = rest[:semi], rest[semi:]
	}
	var err error
	na.URI, err = ParseURI(uri)
	if params != "" {
		var perr error
		var pk paramPicks
		if na.Params, perr = parseParamsPick(params[1:], true, &pk); perr != nil && err == nil {
			err = fmt.Errorf("%w: address %q: %v", ErrMalformed, clip(s), perr)
		}
		na.Tag = pk.tag
	}
	return na, err
}

// appendNameAddrs parses a comma-separated list of addresses and appends one
// NameAddr per value, even a bad one, so that positions are kept. It returns
// the first error. p, when not nil, lends its cache of parsed values.
func (p *Parser) appendNameAddrs(dst []NameAddr, s string, star bool) ([]NameAddr, error) {
	if len(dst) == 0 && strings.IndexByte(s, ',') < 0 {
		// The usual line of one value: a list of one, which the cache shares.
		if item := trimSpace(s); item != "" && (star || item != "*") {
			return p.nameAddrList(item)
		}
	}
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
		if item == "*" && !star {
			if first == nil {
				first = fmt.Errorf("%w: '*' is only valid in Contact", ErrMalformed)
			}
		}
		na, err := p.nameAddr(item)
		if err != nil && first == nil {
			first = err
		}
		dst = append(dst, na)
	}
	return dst, first
}

// errListCut marks a list cut at MaxListItems, so the builder warns once per
// message and not once per header line.
var errListCut = errors.New("more than " + strconv.Itoa(MaxListItems) + " values; the rest are ignored")

// errTooManyItems is the error for a list cut at MaxListItems, unless an
// earlier error in the same value is already reported.
func errTooManyItems(first error) error {
	if first != nil {
		return first
	}
	return fmt.Errorf("%w: %w", ErrMalformed, errListCut)
}

// nextListItem returns the item of a comma-separated header value that
// begins at i, and the index after the comma that ends it. Commas inside
// quoted strings and <...> do not split.
func nextListItem(s string, i int) (item string, next int) {
	if strings.IndexByte(s[i:], ',') < 0 {
		return s[i:], len(s) // the usual single value: no byte-by-byte walk
	}
	inQuote, inAngle := false, false
	for j := i; j < len(s); j++ {
		c := s[j]
		switch {
		case inQuote:
			if c == '\\' {
				j++
			} else if c == '"' {
				inQuote = false
			}
		case inAngle:
			inAngle = c != '>'
		case c == '"':
			inQuote = true
		case c == '<':
			inAngle = true
		case c == ',':
			return s[i:j], j + 1
		}
	}
	return s[i:], len(s)
}

// quotedString reads the quoted-string at the start of s (s[0] == '"'). It
// returns the content with escapes resolved, the bytes read, and false when
// the closing quote is missing. It allocates only when there are escapes.
func quotedString(s string) (content string, n int, ok bool) {
	escaped := false
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			if !escaped {
				return s[1:i], i + 1, true
			}
			var sb strings.Builder
			sb.Grow(i)
			for j := 1; j < i; j++ {
				if s[j] == '\\' && j+1 < i {
					j++
				}
				sb.WriteByte(s[j])
			}
			return sb.String(), i + 1, true
		}
	}
	return "", len(s), false
}

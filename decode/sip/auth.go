package sip

import (
	"fmt"
	"strings"
)

// Auth is a parsed Authorization, Proxy-Authorization, WWW-Authenticate or
// Proxy-Authenticate value: credentials or a challenge.
type Auth struct {
	Scheme string            // as written, e.g. "Digest"
	Params map[string]string // lower-cased names, unquoted values; nil if none
	Token  string            // token68 form ("Bearer abc=="); "" when Params are used
	Raw    string            // the value as written
}

// ParseAuth parses one credentials or challenge value, e.g.
// `Digest username="bob", realm="example.com", qop=auth, nc=00000001`.
// Quoted values may contain commas and escaped quotes. When the value holds
// several challenges ("Digest ..., Digest ...") ParseAuth returns the first;
// Message.Auth returns them all. On error the Auth holds what could be parsed.
func ParseAuth(value string) (Auth, error) {
	a, _, err := parseAuth(trimSpace(value))
	return a, err
}

// Auth parses every value of the header key (case-insensitive, e.g.
// "Authorization" or "WWW-Authenticate"), in wire order, a header line with
// several challenges giving several Auths. Values without a scheme are skipped.
func (m *Message) Auth(key string) []Auth {
	var out []Auth
	for _, v := range m.HeaderValues(key) {
		for s := trimSpace(v); s != ""; {
			a, rest, err := parseAuth(s)
			if a.Scheme != "" {
				out = append(out, a)
			}
			if err != nil {
				break
			}
			s = rest
		}
	}
	return out
}

// parseAuth parses the challenge or credentials at the start of s and returns
// the rest when another challenge follows.
func parseAuth(s string) (a Auth, rest string, err error) {
	a.Raw = s
	bad := func(why string) (Auth, string, error) {
		return a, "", fmt.Errorf("%w: auth %q: %s", ErrMalformed, clip(s), why)
	}
	i := tokenEnd(s, 0)
	if i == 0 {
		return bad("missing scheme")
	}
	a.Scheme = s[:i]
	if i == len(s) {
		return a, "", nil
	}
	if !isSpace(s[i]) {
		return bad("scheme not followed by a space")
	}
	i = skipSpace(s, i)
	if tok, n := token68(s[i:]); n > 0 {
		a.Token = tok
		a.Raw = trimSpace(s[:i+n])
		i = skipSpace(s, i+n)
		if i < len(s) && s[i] == ',' {
			return a, trimSpace(s[i+1:]), nil
		}
		return a, "", nil
	}
	for i < len(s) {
		// auth-param = token BWS "=" BWS ( token / quoted-string )
		start := i
		j := tokenEnd(s, i)
		if j == i {
			return bad(fmt.Sprintf("bad parameter at %q", clip(s[i:])))
		}
		name := s[i:j]
		k := skipSpace(s, j)
		if k > j && k < len(s) && tokenTable[s[k]] && a.Params != nil {
			// "token SP token ..." after a comma: the next challenge's scheme.
			a.Raw = trimSpace(strings.TrimRight(trimSpace(s[:start]), ","))
			return a, s[start:], nil
		}
		var value string
		if k < len(s) && s[k] == '=' {
			k = skipSpace(s, k+1)
			if k < len(s) && s[k] == '"' {
				v, n, ok := quotedString(s[k:])
				if !ok {
					return bad("unterminated quoted string")
				}
				value, k = v, k+n
			} else {
				e := k
				for e < len(s) && s[e] != ',' {
					e++
				}
				value, k = trimSpace(s[k:e]), e
			}
		}
		if a.Params == nil {
			a.Params = make(map[string]string, 8) // a Digest value has about 8
		}
		name = lowerASCII(name)
		if _, dup := a.Params[name]; !dup {
			a.Params[name] = value
		}
		k = skipSpace(s, k)
		if k < len(s) && s[k] != ',' {
			return bad(fmt.Sprintf("junk after parameter %s", name))
		}
		for k < len(s) && (s[k] == ',' || isSpace(s[k])) {
			k++
		}
		i = k
	}
	return a, "", nil
}

// token68 returns the token68 credentials at the start of s (RFC 7235:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="), and its
// length, when s holds one alone (followed by the end or a comma); n is 0
// otherwise, including for "name=value" pairs.
func token68(s string) (tok string, n int) {
	i := 0
	for i < len(s) {
		c := s[i]
		if 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0 {
			i++
			continue
		}
		break
	}
	if i == 0 {
		return "", 0
	}
	for i < len(s) && s[i] == '=' {
		i++
	}
	e := skipSpace(s, i)
	if e < len(s) && s[e] != ',' {
		return "", 0
	}
	return s[:i], i
}

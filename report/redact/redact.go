// Package redact replaces what must not leave the company in a ladder or a
// message text: digest credentials, phone numbers and user names, and
// addresses. Each secret gets a stable pseudonym, assigned in order of first
// appearance, so one Redactor used for a whole diagram gives the same
// pseudonym in every label, every format and every raw message.
//
// Redaction is for display: a redacted message is not byte-exact (lengths
// change) and must never be parsed again.
package redact

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Options says what to replace.
type Options struct {
	// Auth masks digest nonces, cnonces and responses (Authorization,
	// WWW-Authenticate, Authentication-Info and their Proxy- forms).
	Auth bool
	// Users replaces SIP and tel URI user parts (phone numbers included),
	// digest user names and display names.
	Users bool
	// Addrs replaces IPv4 and IPv6 addresses with addresses from the
	// documentation ranges (RFC 5737, RFC 3849). Ports are kept.
	Addrs bool
}

// None reports whether o redacts nothing.
func (o Options) None() bool { return !o.Auth && !o.Users && !o.Addrs }

// Redactor applies Options with stable pseudonyms. It is not safe for
// concurrent use.
type Redactor struct {
	opts   Options
	users  map[string]string
	byLen  []string // learnt users, longest first, for free-text replacement
	names  map[string]string
	addrs  map[netip.Addr]string
	nonces map[string]string
	cnonce map[string]string
	n4, n6 int
}

// New returns a Redactor. A Redactor with zero Options returns text unchanged.
func New(o Options) *Redactor {
	return &Redactor{opts: o, users: map[string]string{}, names: map[string]string{},
		addrs: map[netip.Addr]string{}, nonces: map[string]string{}, cnonce: map[string]string{}}
}

// Options returns what r redacts.
func (r *Redactor) Options() Options { return r.opts }

var (
	// authParam matches the digest parameters that prove or seed a password.
	authParam = regexp.MustCompile(`(?i)\b(cnonce|nextnonce|nonce|response|rspauth)(\s*=\s*)("(?:[^"\\\r\n]|\\.)*"|[^,\s"]+)`)
	// sipUser matches the user part of a sip: or sips: URI (before '@').
	sipUser = regexp.MustCompile(`(?i)\b(sips?:)([^@\s;>"<,:?/]+)((?::[^@\s;>"<,]*)?@)`)
	// telUser matches the number of a tel: URI.
	telUser = regexp.MustCompile(`(?i)\b(tel:)(\+?[0-9A-Fa-f().\-*#]+)`)
	// digestUser matches the username parameter of digest credentials.
	digestUser = regexp.MustCompile(`(?i)\b(username\s*=\s*")((?:[^"\\\r\n]|\\.)+)(")`)
	// displayName matches a quoted display name before a URI in angle brackets,
	// or an unquoted one at the start of a From, To, Contact or identity header.
	quotedName   = regexp.MustCompile(`"((?:[^"\\\r\n]|\\.)+)"(\s*<)`)
	unquotedName = regexp.MustCompile(`(?im)^((?:from|to|f|t|contact|m|p-asserted-identity|p-preferred-identity|remote-party-id|diversion|referred-by|b)[ \t]*:[ \t]*)([^<"\r\n,;:]*[^<"\r\n,;: \t])([ \t]*<)`)
	ipv4         = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	ipv6         = regexp.MustCompile(`[0-9A-Fa-f]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*`)
)

// minFreeUser is the shortest user name also replaced outside URIs, so that
// a user "2" does not eat the "2" of "SIP/2.0".
const minFreeUser = 3

// Learn records the identities in s (URI users, digest user names, display
// names, addresses) and gives them pseudonyms without changing anything.
// Learning every text before redacting any makes a user seen first in a
// later message's URI also replaced where an earlier message mentions it
// outside a URI.
func (r *Redactor) Learn(s string) {
	if r.opts.Users {
		for _, m := range sipUser.FindAllStringSubmatch(s, -1) {
			r.User(m[2])
		}
		for _, m := range telUser.FindAllStringSubmatch(s, -1) {
			r.User(m[2])
		}
		for _, m := range digestUser.FindAllStringSubmatch(s, -1) {
			r.User(m[2])
		}
		for _, m := range quotedName.FindAllStringSubmatch(s, -1) {
			r.name(m[1])
		}
		for _, m := range unquotedName.FindAllStringSubmatch(s, -1) {
			r.name(m[2])
		}
	}
	if r.opts.Addrs {
		for _, m := range ipv4.FindAllString(s, -1) {
			r.addrString(m)
		}
		for _, m := range ipv6.FindAllString(s, -1) {
			r.addrString(m)
		}
	}
}

// Text returns s with everything Options asks for replaced.
func (r *Redactor) Text(s string) string {
	if r.opts.None() || s == "" {
		return s
	}
	r.Learn(s)
	if r.opts.Auth {
		s = authParam.ReplaceAllStringFunc(s, r.maskAuth)
	}
	if r.opts.Users {
		s = sipUser.ReplaceAllStringFunc(s, func(m string) string {
			g := sipUser.FindStringSubmatch(m)
			if g[3] != "@" {
				g[3] = ":redacted@" // a password in the URI (RFC 3261 §19.1.1 deprecates it)
			}
			return g[1] + r.User(g[2]) + g[3]
		})
		s = telUser.ReplaceAllStringFunc(s, func(m string) string {
			g := telUser.FindStringSubmatch(m)
			return g[1] + r.User(g[2])
		})
		s = digestUser.ReplaceAllStringFunc(s, func(m string) string {
			g := digestUser.FindStringSubmatch(m)
			return g[1] + r.User(g[2]) + g[3]
		})
		s = quotedName.ReplaceAllStringFunc(s, func(m string) string {
			g := quotedName.FindStringSubmatch(m)
			return `"` + r.name(g[1]) + `"` + g[2]
		})
		s = unquotedName.ReplaceAllStringFunc(s, func(m string) string {
			g := unquotedName.FindStringSubmatch(m)
			return g[1] + r.name(g[2]) + g[3]
		})
		s = r.freeUsers(s)
	}
	if r.opts.Addrs {
		s = ipv6.ReplaceAllStringFunc(s, r.replaceAddr)
		s = ipv4.ReplaceAllStringFunc(s, r.replaceAddr)
	}
	return s
}

func (r *Redactor) maskAuth(m string) string {
	g := authParam.FindStringSubmatch(m)
	name, eq, val := g[1], g[2], g[3]
	quoted := strings.HasPrefix(val, `"`)
	inner := strings.Trim(val, `"`)
	if inner == "" {
		return m // an empty nonce or response is itself the evidence
	}
	var masked string
	switch strings.ToLower(name) {
	case "nonce", "nextnonce":
		masked = r.pseudo(r.nonces, inner, "nonce-")
	case "cnonce":
		masked = r.pseudo(r.cnonce, inner, "cnonce-")
	default:
		masked = "redacted"
	}
	if quoted {
		masked = `"` + masked + `"`
	}
	return name + eq + masked
}

func (r *Redactor) pseudo(m map[string]string, key, prefix string) string {
	if p, ok := m[key]; ok {
		return p
	}
	p := prefix + strconv.Itoa(len(m)+1)
	m[key] = p
	return p
}

// User returns the pseudonym of a URI user part or digest user name,
// assigning the next one ("user1", "user2", ...) on first sight. Without
// Options.Users it returns u.
func (r *Redactor) User(u string) string {
	if !r.opts.Users || u == "" {
		return u
	}
	if p, ok := r.users[u]; ok {
		return p
	}
	p := "user" + strconv.Itoa(len(r.users)+1)
	r.users[u] = p
	if len(u) >= minFreeUser {
		i := len(r.byLen)
		for i > 0 && len(r.byLen[i-1]) < len(u) {
			i--
		}
		r.byLen = append(r.byLen, "")
		copy(r.byLen[i+1:], r.byLen[i:])
		r.byLen[i] = u
	}
	return p
}

func (r *Redactor) name(n string) string {
	if !r.opts.Users {
		return n
	}
	if p, ok := r.users[n]; ok {
		return p // a display name that is the user's number
	}
	return r.pseudo(r.names, n, "name")
}

// freeUsers replaces learnt user names wherever they stand as a whole token
// (not inside a longer run of letters and digits): in Subject, in
// P-Asserted-Identity without a URI, in headers we do not know.
func (r *Redactor) freeUsers(s string) string {
	if len(r.byLen) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		if i > 0 && isAlnum(s[i-1]) {
			i++
			continue
		}
		matched := ""
		for _, u := range r.byLen {
			if strings.HasPrefix(s[i:], u) && (i+len(u) == len(s) || !isAlnum(s[i+len(u)])) {
				matched = u
				break
			}
		}
		if matched == "" {
			i++
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(r.users[matched])
		i += len(matched)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z'
}

func (r *Redactor) addrString(s string) (string, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return s, false
	}
	return r.Addr(a), true
}

func (r *Redactor) replaceAddr(s string) string {
	out, _ := r.addrString(s)
	return out
}

// Addr returns the pseudonym of an address: 203.0.113.1, 203.0.113.2, ...
// then 198.51.100.x and 192.0.2.x for IPv4, 2001:db8::1, ... for IPv6,
// assigned on first sight. Without Options.Addrs it returns a.String().
func (r *Redactor) Addr(a netip.Addr) string {
	if !r.opts.Addrs || !a.IsValid() {
		return a.String()
	}
	a = a.Unmap()
	if p, ok := r.addrs[a]; ok {
		return p
	}
	var p string
	if a.Is4() {
		r.n4++
		p = fakeIPv4(r.n4)
	} else {
		r.n6++
		p = "2001:db8::" + strconv.FormatInt(int64(r.n6), 16)
	}
	r.addrs[a] = p
	return p
}

// fakeIPv4 returns the nth address of the RFC 5737 documentation networks,
// and a counter once the 762 of them are used up.
func fakeIPv4(n int) string {
	nets := [...]string{"203.0.113.", "198.51.100.", "192.0.2."}
	i := (n - 1) / 254
	if i >= len(nets) {
		return "ip-" + strconv.Itoa(n)
	}
	return nets[i] + strconv.Itoa((n-1)%254+1)
}

// AddrPort returns the pseudonym of an address with its port kept.
func (r *Redactor) AddrPort(ap netip.AddrPort) string {
	if !r.opts.Addrs || !ap.IsValid() {
		return ap.String()
	}
	a := r.Addr(ap.Addr())
	if strings.Contains(a, ":") {
		return "[" + a + "]:" + strconv.Itoa(int(ap.Port()))
	}
	return a + ":" + strconv.Itoa(int(ap.Port()))
}

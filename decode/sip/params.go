package sip

import (
	"iter"
	"strconv"
	"strings"
)

// Params are the parameters of a URI, an address (From, To, Contact, ...)
// or a Via, kept as written: the text after the first ';'. They are looked
// up when asked for instead of being put in a map at parse time. Every
// message has four or more parameter lists and most are never read, so a
// map each was a fifth of the memory a held message cost and a fifth of
// the parser's allocations.
//
// Names compare case-insensitively; values of header parameters (Via,
// From, To, Contact, ...) are unquoted, those of URI parameters are as
// written. When a name repeats, the first one counts. At most MaxParams
// names are kept: the text is cut before the first name past them.
type Params struct {
	raw    string // after the first ';', as written; cut after MaxParams names
	quoted bool   // header parameters: values may be quoted strings, ';' inside them does not split
}

// Raw returns the parameters as written, without the leading ';'.
func (p Params) Raw() string { return p.raw }

// Lookup returns the value of the parameter name and whether it is present
// ("lr" is present with the value "").
func (p Params) Lookup(name string) (string, bool) {
	for i := 0; i < len(p.raw); {
		n, v, next := p.segment(i)
		i = next
		if n != "" && equalFoldASCII(n, name) {
			return p.value(v), true
		}
	}
	return "", false
}

// Get returns the value of the parameter name, "" when it is absent.
func (p Params) Get(name string) string {
	v, _ := p.Lookup(name)
	return v
}

// Has reports whether the parameter name is present.
func (p Params) Has(name string) bool {
	_, ok := p.Lookup(name)
	return ok
}

// Len returns the number of distinct parameter names.
func (p Params) Len() int {
	n := 0
	for range p.All() {
		n++
	}
	return n
}

// All yields each parameter once, in the order written: the name
// lower-cased and the value as Get returns it.
func (p Params) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for i := 0; i < len(p.raw); {
			start := i
			n, v, next := p.segment(i)
			i = next
			if n == "" || p.seenBefore(start, n) {
				continue
			}
			if !yield(lowerASCII(n), p.value(v)) {
				return
			}
		}
	}
}

// Map returns the parameters as a map (lower-cased names), nil when there
// are none. It allocates; Get does not.
func (p Params) Map() map[string]string {
	var m map[string]string
	for k, v := range p.All() {
		if m == nil {
			m = make(map[string]string)
		}
		m[k] = v
	}
	return m
}

// seenBefore reports whether name appears in a segment before offset end.
func (p Params) seenBefore(end int, name string) bool {
	for i := 0; i < end; {
		n, _, next := p.segment(i)
		i = next
		if equalFoldASCII(n, name) {
			return true
		}
	}
	return false
}

// segment reads the parameter at i: its name and raw value, both trimmed
// (name "" for an empty or nameless segment), and the offset after the ';'
// that ends it.
func (p Params) segment(i int) (name, value string, next int) {
	name, value, next, _ = p.scan(i)
	return name, value, next
}

// scan is segment in one walk of the bytes, and also reports whether the
// quoted strings of the segment (header parameters only) are terminated;
// one that is not runs to the end of raw.
func (p Params) scan(i int) (name, value string, next int, ok bool) {
	s := p.raw
	j, eq := i, -1
	ok = true
	quote := false // a quoted string met before any '=' outside one
	for j < len(s) {
		for j < len(s) && !paramStop[s[j]] {
			j++
		}
		if j == len(s) || s[j] == ';' {
			break
		}
		if s[j] == '=' || !p.quoted { // '"' is a plain byte in URI parameters
			if s[j] == '=' && eq < 0 {
				eq = j
			}
			j++
			continue
		}
		n, closed := quoteEnd(s[j:])
		ok = ok && closed
		quote = quote || eq < 0
		j += n
	}
	if quote {
		// The name ends at the first '=', even one inside a quoted string
		// that comes before any other.
		if k := strings.IndexByte(s[i:j], '='); k >= 0 {
			eq = i + k
		}
	}
	if eq < 0 {
		return trimSpace(s[i:j]), "", j + 1, ok
	}
	return trimSpace(s[i:eq]), trimSpace(s[eq+1 : j]), j + 1, ok
}

// paramStop marks the bytes Params.scan stops at.
var paramStop = [256]bool{';': true, '=': true, '"': true}

// quoteEnd returns the length of the quoted-string at the start of s
// (s[0] == '"'), closing quote included, as quotedString counts it, and
// false when the closing quote is missing. It does not allocate.
func quoteEnd(s string) (n int, ok bool) {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return len(s), false
}

// value unquotes a header parameter's value.
func (p Params) value(v string) string {
	if p.quoted && v != "" && v[0] == '"' {
		v, _, _ = quotedString(v)
	}
	return v
}

// paramPicks receives, from parseParams, the values of the parameters the
// parser reads for every message, as Get gives them: one walk of the
// parameters checks them and finds these.
type paramPicks struct {
	tag, branch, received, rport string
	has                          pickBits
}

type pickBits uint8

const (
	pickTag pickBits = 1 << iota
	pickBranch
	pickReceived
	pickRPort
)

// pick records the value of a parameter the first time its name is met.
func (pk *paramPicks) pick(p Params, name, value string) {
	var bit pickBits
	var dst *string
	var want string
	switch len(name) { // the lengths tell the four names apart
	case 3:
		bit, dst, want = pickTag, &pk.tag, "tag"
	case 5:
		bit, dst, want = pickRPort, &pk.rport, "rport"
	case 6:
		bit, dst, want = pickBranch, &pk.branch, "branch"
	case 8:
		bit, dst, want = pickReceived, &pk.received, "received"
	default:
		return
	}
	if !equalFoldASCII(name, want) {
		return
	}
	if pk.has&bit == 0 {
		pk.has |= bit
		*dst = p.value(value)
	}
}

// parseParams checks parameters separated by ';' (s is the text after the
// first ';'): name ["=" value], values quoted strings when quoted is set
// (header parameters; URI parameters have no quoted strings). It reports
// the first problem, and cuts the list before the first name past
// MaxParams distinct ones.
func parseParams(s string, quoted bool) (Params, error) {
	return parseParamsPick(s, quoted, nil)
}

// parseParamsPick is parseParams that also gives pk, when not nil, the
// values of the parameters it picks, from the list as cut.
func parseParamsPick(s string, quoted bool, pk *paramPicks) (Params, error) {
	p := Params{raw: s, quoted: quoted}
	var err error
	names := 0
	for i := 0; i < len(s); {
		start := i
		name, value, next, ok := p.scan(i)
		if !ok && err == nil {
			// An unterminated quoted string runs to the end of s.
			err = errString("unterminated quoted parameter value")
		}
		i = next
		if name == "" {
			if seg := trimSpace(s[start:min(next-1, len(s))]); seg != "" && err == nil {
				err = errString("parameter without a name " + strconv.Quote(clip(seg)))
			}
			continue
		}
		if names++; names > MaxParams && !p.seenBefore(start, name) && distinct(p, start) >= MaxParams {
			if err == nil {
				err = errString("more than " + strconv.Itoa(MaxParams) + " parameters; the rest are ignored")
			}
			p.raw = strings.TrimRight(s[:max(start-1, 0)], " \t")
			break
		}
		if pk != nil {
			pk.pick(p, name, value)
		}
	}
	return p, err
}

// distinct counts the distinct names before offset end.
func distinct(p Params, end int) int {
	q := Params{raw: p.raw[:end], quoted: p.quoted}
	return q.Len()
}

// equalFoldASCII reports whether a and b are equal but for the case of
// ASCII letters; other bytes, invalid UTF-8 included, must be equal.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if c, d := a[i], b[i]; c != d {
			if c|0x20 != d|0x20 || c|0x20 < 'a' || c|0x20 > 'z' {
				return false
			}
		}
	}
	return true
}

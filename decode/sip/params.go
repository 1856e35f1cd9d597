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
		if n != "" && len(n) == len(name) && equalFoldASCII(n, name) {
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
		if len(n) == len(name) && equalFoldASCII(n, name) {
			return true
		}
	}
	return false
}

// segment reads the parameter at i: its name and raw value, both trimmed
// (name "" for an empty or nameless segment), and the offset after the ';'
// that ends it.
func (p Params) segment(i int) (name, value string, next int) {
	s := p.raw
	j := i
	if p.quoted {
		for j < len(s) && s[j] != ';' {
			if s[j] == '"' {
				_, n, _ := quotedString(s[j:])
				j += n
				continue
			}
			j++
		}
	} else if k := strings.IndexByte(s[i:], ';'); k >= 0 {
		j = i + k
	} else {
		j = len(s)
	}
	seg := s[i:j]
	n, v, _ := strings.Cut(seg, "=")
	return trimSpace(n), trimSpace(v), j + 1
}

// value unquotes a header parameter's value.
func (p Params) value(v string) string {
	if p.quoted && v != "" && v[0] == '"' {
		v, _, _ = quotedString(v)
	}
	return v
}

// parseParams checks parameters separated by ';' (s is the text after the
// first ';'): name ["=" value], values quoted strings when quoted is set
// (header parameters; URI parameters have no quoted strings). It reports
// the first problem, and cuts the list before the first name past
// MaxParams distinct ones.
func parseParams(s string, quoted bool) (Params, error) {
	p := Params{raw: s, quoted: quoted}
	var err error
	names := 0
	for i := 0; i < len(s); {
		start := i
		if quoted && err == nil {
			// An unterminated quoted string runs to the end of s.
			for j := i; j < len(s) && s[j] != ';'; j++ {
				if s[j] == '"' {
					_, n, ok := quotedString(s[j:])
					if !ok {
						err = errString("unterminated quoted parameter value")
					}
					j += n - 1
				}
			}
		}
		name, _, next := p.segment(i)
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

package sip

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"
)

// Parse parses one SIP message from the start of data, a datagram (a UDP
// payload or one WebSocket frame). Leading CR/LF keepalives are skipped.
//
// Content-Length bounds the body when it is present and fits; when it is
// absent the body is the rest of the datagram; when it is larger than what is
// there, or unparsable, the body is the rest of the datagram and a warning is
// added. Bytes after a body bounded by Content-Length are ignored (with a
// warning unless they are whitespace).
//
// Parse copies what it keeps: the Message does not refer to data. It returns
// an error wrapping ErrNotSIP when data does not start with a SIP start line,
// and one wrapping ErrMalformed, with the reason, when it does but the message
// cannot be parsed. Lesser problems, including missing mandatory headers, are
// recorded in Message.Warnings.
func Parse(data []byte) (*Message, error) {
	f, err := scanFrame(data, false)
	if err != nil {
		return nil, err
	}
	return buildWith(data, &f, nil)
}

// ParseStream parses one SIP message from the start of data, bytes read from a
// stream transport (TCP, TLS), and returns the number of bytes it used.
// Content-Length frames the body; when it is absent (or unparsable) the body
// is taken as empty, with a warning.
//
// It returns ErrIncomplete when the header block or the body is not complete
// yet; n then counts leading CR/LF keepalive bytes the caller may drop, and the
// caller should call again with more data. On an error wrapping ErrMalformed
// that concerns one message whose extent is known (a bad start line), n is
// that message's length, so the caller can skip it and go on; on other errors
// n is 0 and the stream cannot be resynchronised.
func ParseStream(data []byte) (msg *Message, n int, err error) {
	f, err := scanFrame(data, true)
	if err != nil {
		if err == ErrIncomplete {
			return nil, f.start, err
		}
		return nil, 0, err
	}
	msg, err = buildWith(data, &f, nil)
	return msg, f.end, err
}

// buildWith makes a Message of the framed bytes; p, when not nil, lends its
// caches of parsed header values.
func buildWith(data []byte, f *frame, p *Parser) (*Message, error) {
	src := data[f.start:f.end]
	raw := make([]byte, len(src)) // with the copy: one makeslicecopy, no zeroing
	copy(raw, src)
	hdrLen := f.bodyStart - f.start
	// The start line and headers, as a string sharing raw's memory: most
	// string fields of the Message are substrings of it and cost neither an
	// allocation nor a second copy of the header block (half of what a
	// message kept for correlation weighs). Raw is never written after this,
	// which is what makes sharing it sound; Message.Raw says so to callers.
	var text string
	if hdrLen > 0 {
		text = unsafe.String(&raw[0], hdrLen)
	}

	m := &Message{
		Raw:           raw,
		From:          noAddr,
		To:            noAddr,
		Expires:       -1,
		ContentLength: -1,
		MaxForwards:   -1,
		Warnings:      f.warnings,
	}
	if err := m.parseStartLine(text[:f.lineEnd-f.start]); err != nil {
		return nil, err
	}
	if f.bareLF {
		m.warn("bare LF line endings")
	}

	b := builder{m: m, text: text, p: p}
	it := lineIter{b: raw[:hdrLen], pos: f.hdrStart - f.start, final: true}
	if f.nHeaders > 0 {
		b.hdrs = make([]hdrRef, 0, min(f.nHeaders, MaxHeaders))
	}
	for n := 0; ; n++ {
		h, done, err := it.header()
		if done || err != nil { // err is impossible: scanFrame read these lines
			break
		}
		if n == MaxHeaders {
			m.warn("more than " + strconv.Itoa(MaxHeaders) + " header lines; the rest are ignored")
			break
		}
		b.add(h)
	}
	m.hdrs = b.hdrs
	if len(raw) > hdrLen {
		m.Body = raw[hdrLen:len(raw):len(raw)]
	}
	b.finish()
	return m, nil
}

func (m *Message) warn(s string) { m.Warnings = append(m.Warnings, s) }

// parseStartLine parses a request line (Method SP Request-URI SP SIP-Version)
// or a status line (SIP-Version SP Status-Code SP Reason-Phrase). Runs of
// spaces are tolerated; the reason phrase may be missing.
func (m *Message) parseStartLine(line string) error {
	if len(line) >= 4 && strings.EqualFold(line[:4], "SIP/") {
		i := spaceEnd(line, 0)
		if err := m.setVersion(line[:i]); err != nil {
			return err
		}
		rest := line[skipSpace(line, i):]
		j := spaceEnd(rest, 0)
		code := rest[:j]
		if code == "" {
			return fmt.Errorf("%w: start line: missing status code", ErrMalformed)
		}
		c, ok := parseDecimal(code)
		if !ok || len(code) != 3 || c < 100 || c > 699 {
			return fmt.Errorf("%w: start line: bad status code %q", ErrMalformed, clip(code))
		}
		m.StatusCode = c
		m.Reason = trimSpace(rest[j:])
		return nil
	}

	var fields [3]string
	n := 0
	for i := 0; i < len(line); {
		i = skipSpace(line, i)
		if i == len(line) {
			break
		}
		j := spaceEnd(line, i)
		if n < len(fields) {
			fields[n] = line[i:j]
		}
		n++
		i = j
	}
	switch {
	case n < 3:
		return fmt.Errorf("%w: start line: missing Request-URI in %q", ErrMalformed, clip(line))
	case n > 3:
		return fmt.Errorf("%w: start line: request line has %d fields, want 3", ErrMalformed, n)
	case !isToken(fields[0]):
		return fmt.Errorf("%w: start line: bad method %q", ErrMalformed, clip(fields[0]))
	}
	if err := m.setVersion(fields[2]); err != nil {
		return err
	}
	m.IsRequest = true
	m.Method, m.RequestURI = fields[0], fields[1]
	return nil
}

// setVersion checks "SIP/" 1*DIGIT "." 1*DIGIT and warns about versions other than 2.0.
func (m *Message) setVersion(v string) error {
	major, minor, ok := strings.Cut(v[min(4, len(v)):], ".")
	if _, okMajor := parseDecimal(major); !ok || !okMajor {
		return fmt.Errorf("%w: start line: bad version %q", ErrMalformed, clip(v))
	}
	if _, okMinor := parseDecimal(minor); !okMinor {
		return fmt.Errorf("%w: start line: bad version %q", ErrMalformed, clip(v))
	}
	if !strings.EqualFold(v, "SIP/2.0") {
		m.warn("SIP version " + strconv.Quote(v))
	}
	m.Version = v
	return nil
}

// builder stores headers and fills the typed fields of a Message.
type builder struct {
	m    *Message
	text string   // start line and header block; header values are substrings
	seen seenBits // singleton headers met so far
	cut  seenBits // lists cut at MaxListItems, already warned about
	p    *Parser  // caches of parsed values; nil for none
	// hdrs grows here, not in the Message: an append to a slice on the
	// stack stores no pointer into the heap, so it needs no write barrier.
	hdrs []hdrRef
}

type seenBits uint16

const (
	seenCallID seenBits = 1 << iota
	seenFrom
	seenTo
	seenCSeq
	seenVia
	seenContentLength
	seenContentType
	seenExpires
	seenMaxForwards
	seenContact
	seenRecordRoute
	seenRoute
)

// add stores one logical header line.
func (b *builder) add(h span) {
	m := b.m
	line := b.text[h.start:h.end]
	if isSpace(line[0]) {
		m.warn("continuation line without a header: " + strconv.Quote(clip(line)))
		return
	}
	// The usual line has a token and a colon right after it: one walk
	// finds both. Anything else takes the careful path.
	colon := tokenEnd(line, 0)
	name := line[:colon]
	if colon == 0 || colon == len(line) || line[colon] != ':' {
		first := line
		if h.folded {
			first = line[:strings.IndexByte(line, '\n')]
		}
		if colon = strings.IndexByte(first, ':'); colon < 0 {
			m.warn("header line without a colon: " + strconv.Quote(clip(first)))
			return
		}
		if name = trimSpace(line[:colon]); !isToken(name) {
			m.warn("bad header name " + strconv.Quote(clip(name)))
			return
		}
	}
	value := line[colon+1:]
	id := knownID(name)
	ref := hdrRef{nameOff: b.offset(name), nameLen: uint16(len(name)), key: id}
	if h.folded {
		value = unfold(value)
		ref.folded, ref.valOff = true, uint32(len(m.unfolded))
		m.unfolded = append(m.unfolded, value)
	} else {
		value = trimSpace(value)
		ref.valOff, ref.valLen = b.offset(value), uint32(len(value))
	}
	b.hdrs = append(b.hdrs, ref)
	if t := typedByID[id]; t != untyped {
		b.setTyped(t, knownNames[id-1], value)
	}
}

// offset returns where s, a substring of the header block, starts in it.
func (b *builder) offset(s string) uint32 {
	if s == "" {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.StringData(s))) - uintptr(unsafe.Pointer(unsafe.StringData(b.text))))
}

// unfold joins the lines of a folded header value with single spaces.
func unfold(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for s != "" {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if line = trimSpace(line); line == "" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(line)
	}
	return sb.String()
}

// once reports whether a singleton header is met for the first time, and
// warns about a repetition otherwise.
func (b *builder) once(bit seenBits, key string) bool {
	if b.seen&bit != 0 {
		b.m.warn("repeated " + key + " header; the first one is used")
		return false
	}
	b.seen |= bit
	return true
}

func (b *builder) warnErr(key string, err error) {
	if err != nil {
		b.m.warn(key + ": " + strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))
	}
}

// typedHeader names the headers that feed a typed field of Message.
type typedHeader uint8

const (
	untyped typedHeader = iota
	typedCallID
	typedFrom
	typedTo
	typedCSeq
	typedVia
	typedContact
	typedRecordRoute
	typedRoute
	typedExpires
	typedContentLength
	typedMaxForwards
	typedContentType
	typedUserAgent
	typedServer
)

// typedByID gives the typedHeader of each knownID (index 0: unknown
// names), so that add switches on a small integer, not on the name, and
// skips the known headers no typed field needs.
var typedByID = func() (t [len(knownNames) + 1]typedHeader) {
	for key, h := range map[string]typedHeader{
		"Call-ID": typedCallID, "From": typedFrom, "To": typedTo, "CSeq": typedCSeq,
		"Via": typedVia, "Contact": typedContact, "Record-Route": typedRecordRoute,
		"Route": typedRoute, "Expires": typedExpires, "Content-Length": typedContentLength,
		"Max-Forwards": typedMaxForwards, "Content-Type": typedContentType,
		"User-Agent": typedUserAgent, "Server": typedServer,
	} {
		t[knownIndex(key)+1] = h
	}
	return t
}()

// setTyped fills the typed field t of the header key with value v.
func (b *builder) setTyped(t typedHeader, key, v string) {
	m := b.m
	var err error
	switch t {
	case typedCallID:
		if b.once(seenCallID, key) {
			m.CallID = v
			if v == "" {
				m.warn("empty Call-ID")
			}
		}
	case typedFrom:
		if b.once(seenFrom, key) {
			m.From, err = b.p.nameAddrRef(v)
		}
	case typedTo:
		if b.once(seenTo, key) {
			m.To, err = b.p.nameAddrRef(v)
		}
	case typedCSeq:
		if b.once(seenCSeq, key) {
			m.CSeq, err = parseCSeq(v)
		}
	case typedVia:
		b.seen |= seenVia
		m.Via, err = b.p.vias(m.Via, v)
		err = b.listErr(seenVia, err)
	case typedContact:
		m.Contact, err = b.p.appendNameAddrs(m.Contact, v, true)
		err = b.listErr(seenContact, err)
	case typedRecordRoute:
		m.RecordRoute, err = b.p.appendNameAddrs(m.RecordRoute, v, false)
		err = b.listErr(seenRecordRoute, err)
	case typedRoute:
		m.Route, err = b.p.appendNameAddrs(m.Route, v, false)
		err = b.listErr(seenRoute, err)
	case typedExpires:
		if b.once(seenExpires, key) {
			m.Expires, err = parseNumber(v)
		}
	case typedContentLength:
		if b.once(seenContentLength, key) {
			// scanFrame has warned about a bad value already.
			m.ContentLength, _ = parseNumber(v)
		}
	case typedMaxForwards:
		if b.once(seenMaxForwards, key) {
			m.MaxForwards, err = parseNumber(v)
		}
	case typedContentType:
		if b.once(seenContentType, key) {
			t, _, _ := strings.Cut(v, ";")
			m.ContentType = lowerASCII(trimSpace(t))
		}
	case typedUserAgent:
		if m.UserAgent == "" {
			m.UserAgent = v
		}
	case typedServer:
		if m.Server == "" {
			m.Server = v
		}
	}
	b.warnErr(key, err)
}

// listErr passes err on, except a list cut already warned about for this
// message: a thousand Via lines past the limit make one warning.
func (b *builder) listErr(bit seenBits, err error) error {
	if !errors.Is(err, errListCut) {
		return err
	}
	if b.cut&bit != 0 {
		return nil
	}
	b.cut |= bit
	return err
}

// finish adds the warnings that need the whole header block.
func (b *builder) finish() {
	m := b.m
	for _, h := range [...]struct {
		bit  seenBits
		warn string
	}{
		{seenVia, "missing Via header"},
		{seenFrom, "missing From header"},
		{seenTo, "missing To header"},
		{seenCallID, "missing Call-ID header"},
		{seenCSeq, "missing CSeq header"},
	} {
		if b.seen&h.bit == 0 {
			m.warn(h.warn)
		}
	}
	if m.IsRequest && m.CSeq.Method != "" && m.CSeq.Method != m.Method {
		m.warn("CSeq method " + m.CSeq.Method + " differs from request method " + m.Method)
	}
}

// parseCSeq parses "1*DIGIT LWS Method".
func parseCSeq(v string) (CSeq, error) {
	i := spaceEnd(v, 0)
	if i == len(v) {
		return CSeq{}, fmt.Errorf("%w: bad value %q", ErrMalformed, clip(v))
	}
	n, ok := parseUint32(v[:i])
	method := trimSpace(v[i:])
	if !ok || !isToken(method) {
		return CSeq{}, fmt.Errorf("%w: bad value %q", ErrMalformed, clip(v))
	}
	return CSeq{Seq: n, Method: method}, nil
}

func parseUint32(s string) (uint32, bool) {
	if s == "" || len(s) > 10 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	if n > 1<<32-1 {
		return 0, false
	}
	return uint32(n), true
}

// parseNumber parses a header holding a non-negative integer; -1 and an
// error when it does not.
func parseNumber(v string) (int, error) {
	n, ok := parseDecimal(v)
	if !ok {
		return -1, fmt.Errorf("%w: bad value %q", ErrMalformed, clip(v))
	}
	return n, nil
}

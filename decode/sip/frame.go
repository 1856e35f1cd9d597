package sip

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Limits, like net/textproto's, so that no input can make the parser use
// unbounded memory or time.
const (
	// MaxMessageSize bounds a whole message: start line, headers and body.
	MaxMessageSize = 1 << 20
	// MaxLineLength bounds one line, and one header after unfolding.
	MaxLineLength = 64 << 10
	// MaxHeaders bounds the header lines read; past it the rest are ignored
	// with a warning.
	MaxHeaders = 1000
	// MaxListItems bounds the values kept in each typed list of a message
	// (Via, Contact, Route, Record-Route), and MaxParams the parameters kept
	// per URI or header value. Past them the rest are ignored with a warning:
	// a datagram of commas or semicolons would otherwise cost forty to
	// seventy times its size once parsed.
	MaxListItems = 128
	MaxParams    = 64
)

// Errors returned by Parse and ParseStream. ErrNotSIP and ErrMalformed are
// wrapped with the precise reason; test them with errors.Is.
var (
	// ErrNotSIP means the data does not start with a SIP request line or
	// status line.
	ErrNotSIP = errors.New("sip: not a SIP message")
	// ErrMalformed means the data looks like SIP but cannot be parsed.
	ErrMalformed = errors.New("sip: malformed")
	// ErrIncomplete means the header block or the body is not complete yet
	// (ParseStream only): call again when more data has arrived.
	ErrIncomplete = errors.New("sip: incomplete message")
)

// errLineTooLong is internal; callers wrap it into ErrMalformed with context.
var errLineTooLong = errors.New("line too long")

// lineIter walks the lines of a header block. It accepts CRLF and bare LF.
type lineIter struct {
	b      []byte
	pos    int  // start of the next physical line
	final  bool // the message ends where b ends (datagram); else more may come
	bareLF bool // some line ended with LF alone
	// terminated is set when header met the empty line ending the block.
	terminated bool
}

// readLine reads the physical line at pos: its content is b[start:end],
// line ending excluded. It returns ErrIncomplete when the line has no LF and
// more data may come, errLineTooLong past MaxLineLength.
func (it *lineIter) readLine() (start, end int, err error) {
	start = it.pos
	lim := len(it.b)
	if lim-start > MaxLineLength+2 {
		lim = start + MaxLineLength + 2 // content, CR, LF
	}
	i := bytes.IndexByte(it.b[start:lim], '\n')
	if i < 0 {
		if lim-start >= MaxLineLength+2 {
			return start, lim, errLineTooLong
		}
		if !it.final {
			return start, start, ErrIncomplete
		}
		end = len(it.b)
		it.pos = end
	} else {
		end = start + i
		it.pos = end + 1
		if end == start || it.b[end-1] != '\r' {
			it.bareLF = true
		}
	}
	if end > start && it.b[end-1] == '\r' {
		end--
	}
	if end-start > MaxLineLength {
		return start, end, errLineTooLong
	}
	return start, end, nil
}

// span is one logical header line: b[start:end] covers the first physical
// line and every continuation line, with their inner line endings.
type span struct {
	start, end int
	folded     bool
}

// header reads the next logical header line, gathering continuation lines
// (lines that begin with SP or HTAB). done is true at the empty line that
// ends the header block (pos is then the body's first byte) or, for a final
// block, at the end of data.
func (it *lineIter) header() (h span, done bool, err error) {
	if it.pos >= len(it.b) {
		if !it.final {
			return h, false, ErrIncomplete
		}
		return h, true, nil
	}
	start, end, err := it.readLine()
	if err != nil {
		return h, false, err
	}
	if end == start {
		it.terminated = true
		return h, true, nil
	}
	h = span{start: start, end: end}
	for {
		if it.pos >= len(it.b) {
			if !it.final {
				// The next line could still be a continuation.
				return h, false, ErrIncomplete
			}
			return h, false, nil
		}
		if c := it.b[it.pos]; c != ' ' && c != '\t' {
			return h, false, nil
		}
		_, e, err := it.readLine()
		if err != nil {
			return h, false, err
		}
		h.end, h.folded = e, true
		if h.end-h.start > MaxLineLength {
			return h, false, errLineTooLong
		}
	}
}

// frame is where one message lies in the input.
type frame struct {
	start      int  // first byte of the start line (leading CR/LF skipped)
	lineEnd    int  // end of the start line's content
	hdrStart   int  // first byte of the first header line
	bodyStart  int  // first byte after the empty line (end of data if there is none)
	end        int  // end of the message
	terminated bool // the header block ended with an empty line
	nHeaders   int  // logical header lines
	bareLF     bool
	warnings   []string
}

// Content-Length states in frame scanning besides a value >= 0.
const (
	clAbsent = -1
	clBad    = -2
)

// scanFrame locates one message at the start of data without allocating
// (except for warnings). stream selects stream framing: Content-Length
// bounds the body and missing data gives ErrIncomplete.
func scanFrame(data []byte, stream bool) (f frame, err error) {
	i := 0
	for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
		i++
	}
	f.start = i
	if i == len(data) {
		if stream {
			return f, ErrIncomplete
		}
		return f, fmt.Errorf("%w: empty", ErrNotSIP)
	}
	if !tokenTable[data[i]] {
		// Neither a method nor "SIP/": binary (RTP, TLS, STUN) stops here.
		return f, fmt.Errorf("%w: first byte 0x%02x", ErrNotSIP, data[i])
	}

	it := lineIter{b: data, pos: i, final: !stream}
	start, end, err := it.readLine()
	switch {
	case err == ErrIncomplete:
		return f, err
	case err != nil:
		return f, fmt.Errorf("%w: start line too long (limit %d bytes)", ErrMalformed, MaxLineLength)
	}
	if !startLineIsSIP(data[start:end]) {
		return f, fmt.Errorf("%w: first line %q", ErrNotSIP, clip(string(data[start:end])))
	}
	f.lineEnd, f.hdrStart = end, it.pos

	cl, clRaw := clAbsent, []byte(nil)
	for {
		h, done, err := it.header()
		if err == ErrIncomplete {
			return f, err
		}
		if err != nil {
			return f, fmt.Errorf("%w: header line %d too long (limit %d bytes)", ErrMalformed, f.nHeaders+1, MaxLineLength)
		}
		if it.pos-f.start > MaxMessageSize {
			return f, fmt.Errorf("%w: header block exceeds %d bytes", ErrMalformed, MaxMessageSize)
		}
		if done {
			break
		}
		f.nHeaders++
		if f.nHeaders <= MaxHeaders && cl == clAbsent {
			if v, ok := contentLengthValue(data[h.start:h.end]); ok {
				cl, clRaw = parseContentLength(v), v
			}
		}
	}
	f.bareLF, f.terminated = it.bareLF, it.terminated
	f.bodyStart = it.pos
	if !f.terminated && !stream {
		f.warnings = append(f.warnings, "header block not terminated by an empty line")
	}
	avail := len(data) - f.bodyStart

	if stream {
		n := cl
		switch cl {
		case clAbsent:
			n = 0
			f.warnings = append(f.warnings, "no Content-Length on a stream transport; assuming 0")
		case clBad:
			n = 0
			f.warnings = append(f.warnings, "bad Content-Length "+strconv.Quote(clip(string(clRaw)))+" on a stream transport; assuming 0")
		}
		if f.bodyStart-f.start+n > MaxMessageSize {
			return f, fmt.Errorf("%w: Content-Length %d exceeds the %d-byte message limit", ErrMalformed, n, MaxMessageSize)
		}
		if n > avail {
			return f, ErrIncomplete
		}
		f.end = f.bodyStart + n
		return f, nil
	}

	f.end = len(data)
	switch {
	case cl == clBad:
		f.warnings = append(f.warnings, "bad Content-Length "+strconv.Quote(clip(string(clRaw)))+"; body is the rest of the datagram")
	case cl > avail:
		f.warnings = append(f.warnings, "Content-Length "+strconv.Itoa(cl)+" exceeds body "+strconv.Itoa(avail))
	case cl >= 0:
		f.end = f.bodyStart + cl
		if extra := data[f.end:]; len(trimLWS(extra)) > 0 {
			f.warnings = append(f.warnings, strconv.Itoa(len(extra))+" bytes after the body ignored (Content-Length "+strconv.Itoa(cl)+")")
		}
	}
	if f.end-f.start > MaxMessageSize {
		return f, fmt.Errorf("%w: message of %d bytes exceeds %d", ErrMalformed, f.end-f.start, MaxMessageSize)
	}
	return f, nil
}

// startLineIsSIP tells a SIP start line from anything else: a status line
// begins with "SIP/", a request line ends with a "SIP/" version. Whether the
// rest of the line is well formed is for parseStartLine to say.
func startLineIsSIP(line []byte) bool {
	if hasPrefixFold(line, "SIP/") {
		return true
	}
	end := len(line)
	for end > 0 && isSpace(line[end-1]) {
		end--
	}
	i := end - 1
	for i > 0 && !isSpace(line[i]) {
		i--
	}
	return i > 0 && hasPrefixFold(line[i+1:end], "SIP/")
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if toLower(b[i]) != toLower(prefix[i]) {
			return false
		}
	}
	return true
}

// contentLengthValue returns the value of a Content-Length header line (long
// or compact name) without surrounding whitespace, and whether line is one.
func contentLengthValue(line []byte) ([]byte, bool) {
	// The first byte rules out most lines without a search for the colon
	// (white space can lead the name: trimLWS takes it away).
	if len(line) == 0 {
		return nil, false
	}
	switch line[0] {
	case 'c', 'C', 'l', 'L', ' ', '\t', '\r':
	default:
		return nil, false
	}
	colon := bytes.IndexByte(line, ':')
	if colon < 0 {
		return nil, false
	}
	name := trimLWS(line[:colon])
	if !(len(name) == 1 && toLower(name[0]) == 'l') && !(len(name) == 14 && hasPrefixFold(name, "Content-Length")) {
		return nil, false
	}
	return trimLWS(line[colon+1:]), true
}

// trimLWS is trimSpace for bytes.
func trimLWS(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isLWS(b[i]) {
		i++
	}
	for j > i && isLWS(b[j-1]) {
		j--
	}
	return b[i:j]
}

// parseContentLength returns the Content-Length value v, saturated at
// MaxInt32, or clBad.
func parseContentLength(v []byte) int {
	n, ok := parseDecimal(v)
	if !ok {
		return clBad
	}
	return n
}

// parseDecimal parses a non-empty run of ASCII digits, saturating at MaxInt32
// so that huge values stay huge without overflowing.
func parseDecimal[T string | []byte](s T) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < 1<<31-1 {
			n = n*10 + int(c-'0')
			if n > 1<<31-1 {
				n = 1<<31 - 1
			}
		}
	}
	return n, true
}

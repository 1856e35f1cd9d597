package sip

import (
	"net/textproto"
	"strings"
	"unsafe"
)

// knownNames lists header names with their conventional capitalization, which
// textproto's rule (upper-case after each hyphen) would get wrong for many of
// them (Call-ID, CSeq, WWW-Authenticate, RAck, ...).
var knownNames = [...]string{
	"Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language",
	"Accept-Resource-Priority", "Alert-Info", "Allow", "Allow-Events",
	"Answer-Mode", "Authentication-Info", "Authorization", "Call-ID",
	"Call-Info", "Contact", "Content-Disposition", "Content-Encoding",
	"Content-ID", "Content-Language", "Content-Length", "Content-Type", "CSeq",
	"Date", "Diversion", "Encryption", "Error-Info", "Event", "Expires",
	"Feature-Caps", "Flow-Timer", "From", "Geolocation", "Geolocation-Error",
	"Geolocation-Routing", "Hide", "History-Info", "Identity", "Identity-Info",
	"In-Reply-To", "Info-Package", "Join", "Max-Breadth", "Max-Forwards",
	"MIME-Version", "Min-Expires", "Min-SE", "Organization",
	"P-Access-Network-Info", "P-Answer-State", "P-Asserted-Identity",
	"P-Asserted-Service", "P-Associated-URI", "P-Called-Party-ID",
	"P-Charging-Function-Addresses", "P-Charging-Vector", "P-DCS-Billing-Info",
	"P-Early-Media", "P-Media-Authorization", "P-Preferred-Identity",
	"P-Preferred-Service", "P-Profile-Key", "P-Served-User",
	"P-User-Database", "P-Visited-Network-ID", "Path", "Permission-Missing",
	"Policy-Contact", "Policy-ID", "Priority", "Privacy", "Proxy-Authenticate",
	"Proxy-Authorization", "Proxy-Require", "RAck", "Reason", "Reason-Phrase",
	"Record-Route", "Recv-Info", "Refer-Events-At", "Refer-Sub", "Refer-To",
	"Referred-By", "Reject-Contact", "Remote-Party-ID", "Replaces", "Reply-To",
	"Request-Disposition", "Require", "Resource-Priority", "Response-Key",
	"Retry-After", "Route", "RSeq", "Security-Client", "Security-Server",
	"Security-Verify", "Server", "Service-Route", "Session-Expires",
	"Session-ID", "SIP-ETag", "SIP-If-Match", "Subject", "Subscription-State",
	"Supported", "Suppress-If-Match", "Target-Dialog", "Timestamp", "To",
	"Trigger-Consent", "Unsupported", "User-Agent", "User-to-User", "Via",
	"Warning", "WWW-Authenticate",
}

// compactForms maps the compact header names of RFC 3261 §7.3.3 and later
// RFCs (3265, 3515, 3841, 3892, 4028, 4474) to their long forms.
var compactForms = [...][2]string{
	{"a", "Accept-Contact"}, {"b", "Referred-By"}, {"c", "Content-Type"},
	{"d", "Request-Disposition"}, {"e", "Content-Encoding"}, {"f", "From"},
	{"i", "Call-ID"}, {"j", "Reject-Contact"}, {"k", "Supported"},
	{"l", "Content-Length"}, {"m", "Contact"}, {"n", "Identity-Info"},
	{"o", "Event"}, {"r", "Refer-To"}, {"s", "Subject"}, {"t", "To"},
	{"u", "Allow-Events"}, {"v", "Via"}, {"x", "Session-Expires"},
	{"y", "Identity"},
}

// knownByLen holds the indices in knownNames of the keys by name length,
// for lookups that neither hash nor allocate; compactByLetter the index of
// the long form of each compact name, plus one (0: none).
var (
	knownByLen      [maxKnownName + 1][]uint8
	compactByLetter [26]uint8
)

func init() {
	for i, n := range knownNames {
		knownByLen[len(n)] = append(knownByLen[len(n)], uint8(i))
	}
	for _, c := range compactForms {
		compactByLetter[c[0][0]-'a'] = uint8(knownIndex(c[1]) + 1)
	}
}

func knownIndex(key string) int {
	for i, n := range knownNames {
		if n == key {
			return i
		}
	}
	panic("sip: compact form of an unknown header " + key)
}

// maxKnownName is the length of the longest known name.
const maxKnownName = len("P-Charging-Function-Addresses")

// lookupKnown returns the canonical key of a known header name (long or
// compact, any case). It does not allocate.
func lookupKnown(name string) (string, bool) {
	if i := knownID(name); i > 0 {
		return knownNames[i-1], true
	}
	return "", false
}

// knownID returns the index in knownNames of a known header name (long or
// compact, any case) plus one, 0 for an unknown name.
func knownID(name string) uint8 {
	if len(name) == 1 {
		if c := name[0] | 0x20; 'a' <= c && c <= 'z' {
			return compactByLetter[c-'a']
		}
		return 0
	}
	if len(name) > maxKnownName {
		return 0
	}
	for _, i := range knownByLen[len(name)] {
		if k := knownNames[i]; k[0]|0x20 == name[0]|0x20 && (k == name || strings.EqualFold(k, name)) {
			return i + 1
		}
	}
	return 0
}

// CanonicalKey returns the canonical form of a header name: compact forms are
// expanded ("i" gives "Call-ID"), known names get their conventional
// capitalization ("cseq" gives "CSeq", "www-authenticate" gives
// "WWW-Authenticate"), and other names get textproto's canonicalization
// ("x-custom-header" gives "X-Custom-Header").
func CanonicalKey(name string) string {
	if k, ok := lookupKnown(name); ok {
		return k
	}
	return textproto.CanonicalMIMEHeaderKey(name)
}

// Header returns the value of the first header with the given key, and
// whether there is one. Keys are compared case-insensitively and compact
// forms are accepted: Header("i"), Header("call-id") and Header("Call-ID")
// are the same.
func (m *Message) Header(key string) (string, bool) {
	id := knownID(key)
	for i := range m.hdrs {
		if m.hdrMatches(&m.hdrs[i], key, id) {
			return m.hdrValue(&m.hdrs[i]), true
		}
	}
	return "", false
}

// HeaderValues returns the values of every header with the given key, in wire
// order, or nil if there is none. Keys are matched as by Header. A header
// line holding a comma-separated list gives one value.
func (m *Message) HeaderValues(key string) []string {
	id := knownID(key)
	var vs []string
	for i := range m.hdrs {
		if m.hdrMatches(&m.hdrs[i], key, id) {
			vs = append(vs, m.hdrValue(&m.hdrs[i]))
		}
	}
	return vs
}

// Headers returns the header fields in wire order, unfolded. The slice is
// made for the call; its strings share the message's memory.
func (m *Message) Headers() []Header {
	if len(m.hdrs) == 0 {
		return nil
	}
	hs := make([]Header, len(m.hdrs))
	for i := range m.hdrs {
		h := &m.hdrs[i]
		name := m.hdrName(h)
		key := CanonicalKey(name)
		if h.key > 0 {
			key = knownNames[h.key-1]
		}
		hs[i] = Header{Name: name, Key: key, Value: m.hdrValue(h)}
	}
	return hs
}

// NumHeaders returns the number of header fields, as Headers would.
func (m *Message) NumHeaders() int { return len(m.hdrs) }

// hdrRef is where one header field lies in Raw: 16 bytes, a sixth of the
// memory of a Header, and no allocation for the canonical key of an
// unknown name.
type hdrRef struct {
	nameOff        uint32
	valOff, valLen uint32 // in Raw; for a folded value, valOff indexes Message.unfolded
	nameLen        uint16 // a name ends before its line's last byte, so within MaxLineLength-1
	key            uint8  // knownID of the name, 0 when unknown
	folded         bool
}

// A header name must fit hdrRef.nameLen.
const _ = uint16(MaxLineLength - 1)

func (m *Message) hdrName(h *hdrRef) string {
	return rawString(m.Raw, h.nameOff, uint32(h.nameLen))
}

func (m *Message) hdrValue(h *hdrRef) string {
	if h.folded {
		return m.unfolded[h.valOff]
	}
	return rawString(m.Raw, h.valOff, h.valLen)
}

// hdrMatches reports whether a header has the key a caller gave (any case,
// long or compact; id is its knownID).
func (m *Message) hdrMatches(h *hdrRef, key string, id uint8) bool {
	if id > 0 || h.key > 0 {
		return id == h.key
	}
	// Unknown names: canonicalization changes only case.
	return strings.EqualFold(m.hdrName(h), key)
}

// rawString returns raw[off:off+n] as a string sharing raw's memory, which
// is sound because Raw is never written after parsing.
func rawString(raw []byte, off, n uint32) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&raw[off], int(n))
}

// tokenTable marks the bytes of an RFC 3261 token:
// alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~".
var tokenTable = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-.!%*_+`'~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenTable[s[i]] {
			return false
		}
	}
	return true
}

// tokenEnd returns the index of the first non-token byte of s at or after i.
func tokenEnd(s string, i int) int {
	for i < len(s) && tokenTable[s[i]] {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// trimSpace removes SP, HTAB, CR and LF from both ends of s.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isLWS(s[i]) {
		i++
	}
	for j > i && isLWS(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// spaceEnd returns the index of the first SP or HTAB of s at or after i, or len(s).
func spaceEnd(s string, i int) int {
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return i
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// lowerASCII returns s with ASCII letters lower-cased, other bytes (invalid
// UTF-8 included) as they are, allocating only when s has an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// upperASCII returns s with ASCII letters upper-cased, like lowerASCII.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// clip shortens s for quoting in an error or a warning.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

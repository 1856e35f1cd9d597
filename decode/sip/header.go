package sip

import (
	"net/textproto"
	"strings"
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

// knownByLen holds the canonical keys by name length, for lookups that
// neither hash nor allocate; compactByLetter the long forms of compact names.
var (
	knownByLen      [maxKnownName + 1][]string
	compactByLetter [26]string
)

func init() {
	for _, n := range knownNames {
		knownByLen[len(n)] = append(knownByLen[len(n)], n)
	}
	for _, c := range compactForms {
		compactByLetter[c[0][0]-'a'] = c[1]
	}
}

// maxKnownName is the length of the longest known name.
const maxKnownName = len("P-Charging-Function-Addresses")

// lookupKnown returns the canonical key of a known header name (long or
// compact, any case). It does not allocate.
func lookupKnown(name string) (string, bool) {
	if len(name) == 1 {
		if c := name[0] | 0x20; 'a' <= c && c <= 'z' && compactByLetter[c-'a'] != "" {
			return compactByLetter[c-'a'], true
		}
		return "", false
	}
	if len(name) > maxKnownName {
		return "", false
	}
	for _, k := range knownByLen[len(name)] {
		if k[0]|0x20 == name[0]|0x20 && (k == name || strings.EqualFold(k, name)) {
			return k, true
		}
	}
	return "", false
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

// keyMatches reports whether a canonical key k matches a key as given by a
// caller (any case, long or compact). known and canon come from lookupKnown(key).
func keyMatches(k, key, canon string, known bool) bool {
	if known {
		return k == canon
	}
	return strings.EqualFold(k, key)
}

// Header returns the value of the first header with the given key, and
// whether there is one. Keys are compared case-insensitively and compact
// forms are accepted: Header("i"), Header("call-id") and Header("Call-ID")
// are the same.
func (m *Message) Header(key string) (string, bool) {
	canon, known := lookupKnown(key)
	for i := range m.Headers {
		if keyMatches(m.Headers[i].Key, key, canon, known) {
			return m.Headers[i].Value, true
		}
	}
	return "", false
}

// HeaderValues returns the values of every header with the given key, in wire
// order, or nil if there is none. Keys are matched as by Header. A header
// line holding a comma-separated list gives one value.
func (m *Message) HeaderValues(key string) []string {
	canon, known := lookupKnown(key)
	var vs []string
	for i := range m.Headers {
		if keyMatches(m.Headers[i].Key, key, canon, known) {
			vs = append(vs, m.Headers[i].Value)
		}
	}
	return vs
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

// lowerASCII returns s lower-cased, allocating only when s has an upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// upperASCII returns s upper-cased, allocating only when s has a lower-case letter.
func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return strings.ToUpper(s)
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

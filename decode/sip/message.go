// Package sip is a tolerant parser for SIP messages (RFC 3261) as they appear
// on the wire, including the malformed ones real equipment sends.
//
// It keeps the raw bytes of every message and gives typed access to what
// correlation needs. It never panics on bad input and never allocates in
// proportion to anything but the input. It must never know about transactions,
// dialogs or calls: that is the correlate stage's business.
//
// Parse reads one message from a datagram (UDP, one WebSocket frame);
// ParseStream frames messages on a byte stream (TCP, TLS). LooksLikeSIP is the
// cheap test the decoder runs on every payload to recognise SIP on any port.
package sip

import (
	"bytes"
	"strconv"
	"strings"
)

// Message is one parsed SIP request or response.
//
// Raw holds a private copy of the message bytes (start line, headers and body
// as bounded by Content-Length), so a Message stays valid after the capture
// buffer it came from is reused. The string fields share Raw's memory: Raw
// must be treated as read-only (copy it to change it).
type Message struct {
	Raw []byte // the whole message as it was on the wire, leading keepalive CRLFs excluded; read-only

	// Start line. For a request Method and RequestURI are set; for a response
	// StatusCode and Reason (which may be empty).
	IsRequest  bool
	Method     string // as sent (methods are case-sensitive); unknown methods are kept
	RequestURI string
	Version    string // as sent, normally "SIP/2.0"
	StatusCode int
	Reason     string

	// The header fields in wire order, as offsets into Raw (see Headers,
	// Header and HeaderValues), and the values of folded ones, unfolded.
	hdrs     []hdrRef
	unfolded []string

	Body []byte // slice of Raw; nil when there is no body

	// Typed fields filled by Parse. Zero values mean "absent".
	CallID        string
	From          *NameAddr // never nil: an absent header gives an empty NameAddr
	To            *NameAddr // never nil, like From
	CSeq          CSeq
	Via           []Via      // every Via value, top first (comma lists split)
	Contact       []NameAddr // every Contact value (comma lists split); "*" has URI.Raw "*"
	RecordRoute   []NameAddr
	Route         []NameAddr
	Expires       int    // Expires header; -1 when absent or unparsable
	ContentType   string // media type without parameters, lower-cased
	ContentLength int    // value of Content-Length; -1 when absent or unparsable
	MaxForwards   int    // -1 when absent or unparsable
	UserAgent     string
	Server        string

	// Problems the parser tolerated (e.g. "Content-Length 651 exceeds body 120").
	Warnings []string
}

// noAddr is what From and To point to when the header is absent or cannot
// be parsed at all: a shared empty value, read-only like every part of a
// Message.
var noAddr = new(NameAddr)

// Header is one header field value, as Message.Headers gives it. A header line with a comma-separated list
// stays one Header here; the typed fields split lists where RFC 3261 allows.
type Header struct {
	Name  string // as written, e.g. "i" or "call-id"
	Key   string // canonical long form, e.g. "Call-ID"; see CanonicalKey
	Value string // unfolded, surrounding whitespace removed
}

// NameAddr is a From, To, Contact, Route or Record-Route value.
type NameAddr struct {
	Display string // display name, unquoted
	URI     URI    // the URI inside <> or the bare addr-spec
	Tag     string // the tag parameter (meaningful in From and To)
	Params  Params // header parameters after the URI (tag included)
	Raw     string // the value as written
}

// URI is a parsed sip:, sips: or tel: URI. Anything else keeps only Raw and Scheme.
type URI struct {
	Scheme string // lower-cased: "sip", "sips", "tel", ...
	User   string // user part without password; the number for tel:
	Host   string // IPv6 without brackets; "" for tel:
	Port   int    // 0 when absent
	Params Params // URI parameters
	Raw    string // the URI as written
}

// Via is one Via value.
type Via struct {
	Transport string // upper-cased: UDP, TCP, TLS, WS, WSS, SCTP
	Host      string // sent-by host, IPv6 without brackets
	Port      int    // sent-by port; 0 when absent
	Branch    string // branch parameter, "" when absent
	Received  string // received parameter, "" when absent; IPv6 without brackets
	RPort     int    // rport value; 0 when absent or empty
	HasRPort  bool   // rport parameter present (with or without a value)
	Params    Params // all parameters (branch, received and rport included)
	Raw       string // the value as written
}

// CSeq is the CSeq header.
type CSeq struct {
	Seq    uint32
	Method string
}

// FirstLine returns the start line as it was on the wire, without its line
// ending, e.g. "INVITE sip:bob@example.com SIP/2.0" or "SIP/2.0 200 OK".
func (m *Message) FirstLine() string {
	if len(m.Raw) > 0 {
		line := m.Raw
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return string(line)
	}
	if m.IsRequest {
		return m.Method + " " + m.RequestURI + " " + m.Version
	}
	return strings.TrimRight(m.Version+" "+strconv.Itoa(m.StatusCode)+" "+m.Reason, " ")
}

// Summary returns a short one-line description in the manner of Wireshark's
// Info column: "INVITE sip:1014@47.98.109.96" for a request, "200 OK" or
// "401 Unauthorized" for a response ("180" when there is no reason phrase).
func (m *Message) Summary() string {
	if m.IsRequest {
		return m.Method + " " + m.RequestURI
	}
	if m.Reason == "" {
		return strconv.Itoa(m.StatusCode)
	}
	return strconv.Itoa(m.StatusCode) + " " + m.Reason
}

// Package sdp is a tolerant reader for the parts of SDP (RFC 8866) that
// call analysis needs: where each media stream wants to receive (connection
// address and port, RTCP port), which codecs it offers and in which
// direction it flows.
//
// It reads what real equipment sends, malformed lines included: a line it
// cannot make sense of is skipped and noted in Warnings, never fatal. It must
// never know about SIP dialogs or calls.
package sdp

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// ErrNotSDP is returned when a body does not start with a version line.
var ErrNotSDP = errors.New("sdp: body does not start with v=")

// Session is a parsed session description.
type Session struct {
	Origin     string     // the o= line's address (often the private address of the sender)
	Connection netip.Addr // session-level c= address; invalid when absent or a host name
	Direction  string     // session-level sendrecv/sendonly/recvonly/inactive, "" when absent
	Media      []Media
	// Warnings lists the lines that were skipped, with why.
	Warnings []string
	// Lenient says why pion/sdp rejected the body, which was then read line
	// by line; "" when pion/sdp parsed it.
	Lenient string
}

// Media is one m= section.
type Media struct {
	Type       string     // audio, video, image, application, ...
	Port       int        // 0 means the stream is rejected or disabled
	Proto      string     // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, udptl, ...
	Formats    []string   // payload types (or format names) in order of preference
	Connection netip.Addr // media-level c= address, else the session's; invalid when neither
	// RTCPPort is the a=rtcp port, or Port+1 when absent (RFC 3550 §11);
	// equal to Port with a=rtcp-mux (and when Port+1 would overflow).
	RTCPPort  int
	RTCPMux   bool
	Direction string            // media direction, else the session's, else "sendrecv" (RFC 3264 §5.1)
	Codecs    map[string]string // payload type -> "PCMA/8000" from a=rtpmap; nil when none
}

// Addr returns where the stream wants its RTP: connection address and port.
// It is invalid when the address is missing or a host name.
func (m *Media) Addr() netip.AddrPort {
	if !m.Connection.IsValid() {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(m.Connection, uint16(m.Port))
}

// CodecNames returns the codec of each format, in order of preference:
// the a=rtpmap encoding name, or the static name RFC 3551 gives the payload
// type, or the format itself.
func (m *Media) CodecNames() []string {
	out := make([]string, 0, len(m.Formats))
	for _, f := range m.Formats {
		name := f
		if c, ok := m.Codecs[f]; ok {
			name, _, _ = strings.Cut(c, "/")
		} else if n, err := strconv.Atoi(f); err == nil && n >= 0 && n < len(staticPT) && staticPT[n] != "" {
			name = staticPT[n]
		}
		out = append(out, name)
	}
	return out
}

// staticPT holds the RFC 3551 static payload type names, for SDP that omits a=rtpmap.
var staticPT = [35]string{
	0: "PCMU", 3: "GSM", 4: "G723", 5: "DVI4", 6: "DVI4", 7: "LPC", 8: "PCMA", 9: "G722",
	10: "L16", 11: "L16", 12: "QCELP", 13: "CN", 14: "MPA", 15: "G728", 16: "DVI4",
	17: "DVI4", 18: "G729", 25: "CelB", 26: "JPEG", 28: "nv", 31: "H261", 32: "MPV",
	33: "MP2T", 34: "H263",
}

// maxMedia bounds the m= sections kept, so a hostile body cannot make the
// parser allocate without limit.
const maxMedia = 64

// Parse reads a session description. Lines may end in CRLF or LF. It fails
// only when the body is not SDP at all.
//
// pion/sdp parses it first; when pion rejects the body (it is strict about
// line order and syntax, and real equipment is not), the body is read line
// by line instead: bad lines are skipped and listed in Session.Warnings.
func Parse(body []byte) (*Session, error) {
	body = bytes.TrimLeft(body, " \t\r\n")
	if !bytes.HasPrefix(body, []byte("v=")) {
		return nil, ErrNotSDP
	}
	s, err := fromPion(body)
	if err == nil {
		return s, nil
	}
	s = parseLines(body)
	s.Lenient = err.Error()
	return s, nil
}

// parseLines is the tolerant reader: every line on its own.
func parseLines(body []byte) *Session {
	s := &Session{}
	var cur *Media
	rtcpSet := false
	finish := func() {
		if cur == nil {
			return
		}
		if !rtcpSet {
			cur.RTCPPort = cur.Port + 1
			if cur.RTCPMux || cur.Port == 0 || cur.Port == 65535 {
				cur.RTCPPort = cur.Port
			}
		}
		if !cur.Connection.IsValid() {
			cur.Connection = s.Connection
		}
		if cur.Direction == "" {
			cur.Direction = s.Direction
		}
		if cur.Direction == "" {
			cur.Direction = "sendrecv"
		}
	}
	for len(body) > 0 {
		var line []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			line, body = body, nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) < 2 || line[1] != '=' {
			if len(bytes.TrimSpace(line)) > 0 {
				s.warn("line without type=value", line)
			}
			continue
		}
		val := string(line[2:])
		switch line[0] {
		case 'o':
			if f := strings.Fields(val); len(f) >= 6 {
				s.Origin = f[5]
			}
		case 'c':
			addr, ok := parseConnection(val)
			if !ok {
				s.warn("bad connection line", line)
			}
			if cur != nil {
				cur.Connection = addr
			} else {
				s.Connection = addr
			}
		case 'm':
			finish()
			if len(s.Media) == maxMedia {
				s.warn("too many media sections", line)
				cur = nil
				continue
			}
			f := strings.Fields(val)
			if len(f) < 3 {
				s.warn("bad media line", line)
				cur = nil
				continue
			}
			port, _, _ := strings.Cut(f[1], "/") // "port/count"
			p, err := strconv.Atoi(port)
			if err != nil || p < 0 || p > 65535 {
				s.warn("bad media port", line)
				cur = nil
				continue
			}
			s.Media = append(s.Media, Media{Type: f[0], Port: p, Proto: f[2], Formats: f[3:]})
			cur = &s.Media[len(s.Media)-1]
			rtcpSet = false
		case 'a':
			name, value, _ := strings.Cut(val, ":")
			switch name {
			case "sendrecv", "sendonly", "recvonly", "inactive":
				if cur != nil {
					cur.Direction = name
				} else {
					s.Direction = name
				}
			case "rtcp-mux":
				if cur != nil {
					cur.RTCPMux = true
				}
			case "rtcp":
				if cur == nil {
					continue
				}
				f := strings.Fields(value)
				if len(f) == 0 {
					s.warn("bad rtcp attribute", line)
					continue
				}
				if p, err := strconv.Atoi(f[0]); err == nil && p >= 0 && p <= 65535 {
					cur.RTCPPort, rtcpSet = p, true
				} else {
					s.warn("bad rtcp attribute", line)
				}
			case "rtpmap":
				if cur == nil {
					continue
				}
				pt, enc, ok := strings.Cut(strings.TrimSpace(value), " ")
				if !ok || pt == "" {
					s.warn("bad rtpmap attribute", line)
					continue
				}
				if cur.Codecs == nil {
					cur.Codecs = make(map[string]string, len(cur.Formats))
				}
				if len(cur.Codecs) < len(cur.Formats)+8 {
					cur.Codecs[pt] = strings.TrimSpace(enc)
				}
			}
		}
	}
	finish()
	return s
}

// parseConnection reads "IN IP4 192.0.2.1" (a multicast "/ttl" suffix is
// dropped). A host name gives an invalid address and ok true: legal, but
// not an address we can match packets against.
func parseConnection(v string) (netip.Addr, bool) {
	f := strings.Fields(v)
	if len(f) < 3 || f[0] != "IN" {
		return netip.Addr{}, false
	}
	host, _, _ := strings.Cut(f[2], "/")
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, (f[1] == "IP4" || f[1] == "IP6") && strings.ContainsFunc(host, isLetter)
	}
	return a.Unmap(), true
}

func isLetter(r rune) bool { return 'a' <= r|0x20 && r|0x20 <= 'z' }

// maxWarnings bounds Session.Warnings.
const maxWarnings = 16

func (s *Session) warn(why string, line []byte) {
	if len(s.Warnings) >= maxWarnings {
		return
	}
	if len(line) > 64 {
		line = line[:64]
	}
	s.Warnings = append(s.Warnings, why+": "+strconv.Quote(string(line)))
}

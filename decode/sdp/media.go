// Package sdp reads session descriptions (RFC 4566, RFC 8866) from SIP
// bodies for what media correlation needs: where each side wants to receive
// RTP and RTCP, which payload types it accepts and in which direction media
// may flow.
//
// Parsing is done by pion/sdp; descriptions pion rejects (real equipment
// sends attributes before the t= line, stray blank lines, bare LF) are read
// again by a lenient line scanner and marked Lenient, so a badly formed SDP
// never hides a media address. The package never decides which call or
// stream a description belongs to: correlate does.
package sdp

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	pionsdp "github.com/pion/sdp/v3"

	"github.com/sipscope/sipscope/decode/rtp"
)

// ErrNoMedia is returned for a body with no m= line at all: not a session
// description sipscope can use.
var ErrNoMedia = errors.New("sdp: no m= line")

// MaxMedia bounds the m= lines read from one description, so a hostile body
// cannot make correlation register thousands of addresses.
const MaxMedia = 32

// Direction is a media direction attribute (RFC 3264 §5.1) as the side that
// wrote the description sees it.
type Direction uint8

// Directions; SendRecv is the default when none is given.
const (
	SendRecv Direction = iota
	SendOnly
	RecvOnly
	Inactive
)

var directionNames = [...]string{"sendrecv", "sendonly", "recvonly", "inactive"}

func (d Direction) String() string {
	if int(d) < len(directionNames) {
		return directionNames[d]
	}
	return "?"
}

// Sends reports whether the writer of the description will send media.
func (d Direction) Sends() bool { return d == SendRecv || d == SendOnly }

// Receives reports whether the writer of the description wants to receive media.
func (d Direction) Receives() bool { return d == SendRecv || d == RecvOnly }

// Session is one session description, reduced to its media.
type Session struct {
	// Origin is the o= line's username, session id and version: a
	// description repeated with the same origin describes no change
	// (RFC 3264 §8).
	Origin string
	Media  []MediaLine
	// Lenient is set when pion/sdp rejected the description and it was read
	// line by line instead; Warnings says why.
	Lenient  bool
	Warnings []string
}

// Codec is one payload type a media line offers, with what it stands for.
type Codec struct {
	PayloadType uint8
	rtp.Codec
}

// MediaLine is one m= line.
type MediaLine struct {
	Index int    // 0-based position among the m= lines: offer and answer pair by it
	Type  string // audio, video, image, ...
	Port  int    // 0 means the stream is rejected or disabled
	Proto string // RTP/AVP, RTP/SAVP, UDP/TLS/RTP/SAVPF, udptl, ...
	// Formats are the payload types of the m= line, in preference order;
	// non-numeric formats (t38) are left out.
	Formats []uint8
	// Host is the connection address as written (media level, else session
	// level); Addr is it parsed, invalid when Host is a name.
	Host string
	Addr netip.Addr
	// RTCP is where RTCP goes: a=rtcp (RFC 3605), else the RTP port plus
	// one, else the RTP address itself with rtcp-mux.
	RTCP      netip.AddrPort
	RTCPMux   bool
	Direction Direction
	Codecs    []Codec  // rtpmap attributes, plus static types listed without one
	SSRCs     []uint32 // a=ssrc identifiers, distinct, in order
	Ptime     int      // a=ptime in ms, 0 when absent
}

// RTP returns where the writer wants to receive RTP; invalid when the
// address is a name or the port is 0.
func (m *MediaLine) RTP() netip.AddrPort {
	if !m.Addr.IsValid() || m.Port <= 0 || m.Port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(m.Addr, uint16(m.Port))
}

// OnHold reports whether the line puts media on hold the RFC 2543 way:
// connection address 0.0.0.0 (or ::).
func (m *MediaLine) OnHold() bool { return m.Addr.IsValid() && m.Addr.IsUnspecified() }

// Codec returns what payload type pt stands for on this line: its rtpmap,
// else the static table for pt below 96.
func (m *MediaLine) Codec(pt uint8) (rtp.Codec, bool) {
	for _, c := range m.Codecs {
		if c.PayloadType == pt {
			return c.Codec, true
		}
	}
	return rtp.StaticCodec(pt)
}

// HasFormat reports whether pt is listed on the m= line.
func (m *MediaLine) HasFormat(pt uint8) bool {
	for _, f := range m.Formats {
		if f == pt {
			return true
		}
	}
	return false
}

// raw is a description cut into lines, by pion or by the lenient scanner.
type raw struct {
	origin      string
	host        string // session-level connection address
	attrs       []attr
	media       []rawMedia
	mediaCapped bool
}

type rawMedia struct {
	typ, proto string
	port       int
	formats    []string
	host       string // media-level connection address
	attrs      []attr
}

// attr is pion's attribute type, so that pion's attributes are read in
// place rather than copied.
type attr = pionsdp.Attribute

// Parse reads a session description. It fails only when the body has no
// usable m= line; anything odd but readable is noted in Warnings.
func Parse(body []byte) (*Session, error) {
	var s Session
	var r raw
	var sd pionsdp.SessionDescription
	if err := sd.Unmarshal(body); err == nil {
		r = fromPion(&sd)
	} else {
		s.Lenient = true
		s.Warnings = append(s.Warnings, "pion/sdp rejected it ("+err.Error()+"); read line by line")
		r = scan(body)
	}
	if len(r.media) == 0 {
		return nil, ErrNoMedia
	}
	if r.mediaCapped {
		s.Warnings = append(s.Warnings, "more than "+strconv.Itoa(MaxMedia)+" m= lines; the rest ignored")
	}
	s.Origin = r.origin
	sessionDir, _ := direction(r.attrs)
	s.Media = make([]MediaLine, 0, len(r.media))
	for i, rm := range r.media {
		m := MediaLine{Index: i, Type: rm.typ, Proto: rm.proto, Port: rm.port, Direction: sessionDir}
		for _, f := range rm.formats {
			if n, err := strconv.ParseUint(f, 10, 7); err == nil {
				if m.Formats == nil {
					m.Formats = make([]uint8, 0, len(rm.formats))
				}
				m.Formats = append(m.Formats, uint8(n))
			}
		}
		m.Host = rm.host
		if m.Host == "" {
			m.Host = r.host
		}
		m.Addr, _ = netip.ParseAddr(m.Host)
		m.Addr = m.Addr.Unmap()
		if d, ok := direction(rm.attrs); ok {
			m.Direction = d
		}
		m.readAttributes(rm.attrs, &s)
		s.Media = append(s.Media, m)
	}
	return &s, nil
}

// connAddress returns the address of a c= value "IN IP4 192.0.2.1/127/2".
func connAddress(c string) string {
	f := strings.Fields(c)
	if len(f) < 3 {
		return ""
	}
	addr, _, _ := strings.Cut(f[2], "/")
	return addr
}

func direction(attrs []attr) (Direction, bool) {
	for _, a := range attrs {
		for i, n := range directionNames {
			if a.Key == n {
				return Direction(i), true
			}
		}
	}
	return SendRecv, false
}

func (m *MediaLine) readAttributes(attrs []attr, s *Session) {
	rtcpPort := 0
	rtcpHost := ""
	for _, a := range attrs {
		switch a.Key {
		case "rtpmap":
			if c, ok := parseRtpmap(a.Value); ok {
				if m.Codecs == nil {
					m.Codecs = make([]Codec, 0, len(m.Formats))
				}
				m.Codecs = append(m.Codecs, c)
			} else {
				s.Warnings = append(s.Warnings, "unreadable a=rtpmap:"+a.Value)
			}
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) > 0 {
				rtcpPort, _ = strconv.Atoi(f[0])
			}
			if len(f) >= 4 {
				rtcpHost = f[3]
			}
		case "rtcp-mux":
			m.RTCPMux = true
		case "ptime":
			m.Ptime, _ = strconv.Atoi(strings.TrimSpace(a.Value))
		case "ssrc":
			id, _, _ := strings.Cut(a.Value, " ")
			if n, err := strconv.ParseUint(id, 10, 32); err == nil && !containsSSRC(m.SSRCs, uint32(n)) {
				m.SSRCs = append(m.SSRCs, uint32(n))
			}
		}
	}
	// Static payload types listed without an rtpmap still have a codec.
	for _, pt := range m.Formats {
		if _, ok := m.Codec(pt); !ok {
			continue
		}
		found := false
		for _, c := range m.Codecs {
			found = found || c.PayloadType == pt
		}
		if !found {
			c, _ := rtp.StaticCodec(pt)
			m.Codecs = append(m.Codecs, Codec{PayloadType: pt, Codec: c})
		}
	}
	rtcpAddr := m.Addr
	if rtcpHost != "" {
		if a, err := netip.ParseAddr(rtcpHost); err == nil {
			rtcpAddr = a.Unmap()
		}
	}
	switch {
	case !rtcpAddr.IsValid() || m.Port <= 0:
	case rtcpPort > 0 && rtcpPort <= 65535:
		m.RTCP = netip.AddrPortFrom(rtcpAddr, uint16(rtcpPort))
	case m.RTCPMux:
		m.RTCP = netip.AddrPortFrom(m.Addr, uint16(m.Port))
	case m.Port < 65535:
		m.RTCP = netip.AddrPortFrom(m.Addr, uint16(m.Port+1))
	}
}

func containsSSRC(s []uint32, v uint32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// parseRtpmap reads "96 opus/48000/2".
func parseRtpmap(v string) (Codec, bool) {
	ptText, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Codec{}, false
	}
	pt, err := strconv.ParseUint(ptText, 10, 7)
	if err != nil {
		return Codec{}, false
	}
	c := Codec{PayloadType: uint8(pt)}
	name, rest, hasRate := strings.Cut(strings.TrimSpace(rest), "/")
	c.Name = name
	if hasRate {
		rate, rest, hasChannels := strings.Cut(rest, "/")
		c.ClockRate, _ = strconv.Atoi(rate)
		if hasChannels {
			// A third slash and what follows it were ignored: keep it so.
			ch, _, _ := strings.Cut(rest, "/")
			c.Channels, _ = strconv.Atoi(ch)
		}
	}
	return c, c.Name != ""
}

func fromPion(sd *pionsdp.SessionDescription) raw {
	o := sd.Origin
	r := raw{attrs: sd.Attributes, host: pionHost(sd.ConnectionInformation)}
	var buf [64]byte
	origin := append(append(buf[:0], o.Username...), ' ')
	origin = append(strconv.AppendUint(origin, o.SessionID, 10), ' ')
	r.origin = string(strconv.AppendUint(origin, o.SessionVersion, 10))
	mds := sd.MediaDescriptions
	if len(mds) > MaxMedia {
		mds, r.mediaCapped = mds[:MaxMedia], true
	}
	r.media = make([]rawMedia, len(mds))
	for i, md := range mds {
		r.media[i] = rawMedia{typ: md.MediaName.Media, port: md.MediaName.Port.Value,
			proto: joinProtos(md.MediaName.Protos), formats: md.MediaName.Formats,
			host: pionHost(md.ConnectionInformation), attrs: md.Attributes}
	}
	return r
}

// pionHost returns the address of a connection line pion read, as
// connAddress reads it from the line's text.
func pionHost(c *pionsdp.ConnectionInformation) string {
	if c == nil {
		return ""
	}
	if c.Address == nil || !plainField(c.NetworkType) || !plainField(c.AddressType) || !plainField(c.Address.Address) {
		return connAddress(c.String())
	}
	addr, _, _ := strings.Cut(c.Address.Address, "/")
	return addr
}

// plainField reports whether s is one non-empty field of printable ASCII,
// which strings.Fields would not split.
func plainField(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// joinProtos returns the m= line's transport as written: the common ones
// without building a string.
func joinProtos(p []string) string {
	if len(p) == 2 && p[0] == "RTP" {
		switch p[1] {
		case "AVP":
			return "RTP/AVP"
		case "SAVP":
			return "RTP/SAVP"
		case "AVPF":
			return "RTP/AVPF"
		case "SAVPF":
			return "RTP/SAVPF"
		}
	}
	return strings.Join(p, "/")
}

// scan reads a description line by line, accepting any order, LF or CRLF,
// blank lines and unknown types.
func scan(body []byte) raw {
	var r raw
	var cur *rawMedia
	for line := range bytes.Lines(body) {
		line = bytes.TrimRight(line, "\r\n")
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		v := strings.TrimSpace(string(line[2:]))
		switch line[0] {
		case 'o':
			f := strings.Fields(v)
			if len(f) >= 3 {
				r.origin = strings.Join(f[:3], " ")
			}
		case 'c':
			if cur != nil {
				cur.host = connAddress(v)
			} else {
				r.host = connAddress(v)
			}
		case 'm':
			if len(r.media) == MaxMedia {
				r.mediaCapped = true
				return r
			}
			f := strings.Fields(v)
			if len(f) < 3 {
				cur = nil
				continue
			}
			port, _ := strconv.Atoi(strings.SplitN(f[1], "/", 2)[0])
			r.media = append(r.media, rawMedia{typ: f[0], port: port, proto: f[2], formats: f[3:]})
			cur = &r.media[len(r.media)-1]
		case 'a':
			k, val, _ := strings.Cut(v, ":")
			if cur != nil {
				cur.attrs = append(cur.attrs, attr{Key: k, Value: val})
			} else {
				r.attrs = append(r.attrs, attr{Key: k, Value: val})
			}
		}
	}
	return r
}

// CodecNames returns the codec name of each format, in preference order:
// its rtpmap encoding name, else the static name RFC 3551 gives it, else the
// payload type number.
func (m *MediaLine) CodecNames() []string {
	out := make([]string, 0, len(m.Formats))
	for _, pt := range m.Formats {
		if c, ok := m.Codec(pt); ok && c.Name != "" {
			out = append(out, c.Name)
		} else {
			out = append(out, strconv.Itoa(int(pt)))
		}
	}
	return out
}

package sdp

import (
	"net/netip"
	"strconv"
	"strings"

	pion "github.com/pion/sdp/v3"
)

// fromPion parses body with pion/sdp and maps it onto a Session, applying
// the same defaults as the line reader (media-level c= else the session's,
// direction else the session's else sendrecv, RTCP port per RFC 3605/3550).
func fromPion(body []byte) (*Session, error) {
	text := string(body)
	if !strings.Contains(text, "\r\n") {
		text = strings.ReplaceAll(text, "\n", "\r\n") // pion wants CRLF; bare LF is common on the wire
	}
	var sd pion.SessionDescription
	if err := sd.UnmarshalString(text); err != nil {
		return nil, err
	}
	s := &Session{Origin: sd.Origin.UnicastAddress}
	if ci := sd.ConnectionInformation; ci != nil && ci.Address != nil {
		s.Connection, _ = parseConnection(ci.NetworkType + " " + ci.AddressType + " " + ci.Address.Address)
	}
	for _, a := range sd.Attributes {
		if isDirection(a.Key) {
			s.Direction = a.Key
		}
	}
	for _, md := range sd.MediaDescriptions {
		if len(s.Media) == maxMedia {
			s.Warnings = append(s.Warnings, "too many media sections")
			break
		}
		m := Media{
			Type: md.MediaName.Media, Port: md.MediaName.Port.Value,
			Proto: strings.Join(md.MediaName.Protos, "/"), Formats: md.MediaName.Formats,
			Connection: s.Connection, Direction: s.Direction,
		}
		if ci := md.ConnectionInformation; ci != nil && ci.Address != nil {
			m.Connection, _ = parseConnection(ci.NetworkType + " " + ci.AddressType + " " + ci.Address.Address)
		}
		rtcpSet := false
		for _, a := range md.Attributes {
			switch {
			case isDirection(a.Key):
				m.Direction = a.Key
			case a.Key == "rtcp-mux":
				m.RTCPMux = true
			case a.Key == "rtcp":
				if f := strings.Fields(a.Value); len(f) > 0 {
					if p, err := strconv.Atoi(f[0]); err == nil && p >= 0 && p <= 65535 {
						m.RTCPPort, rtcpSet = p, true
					}
				}
			case a.Key == "rtpmap":
				pt, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
				if ok && pt != "" && len(m.Codecs) < len(m.Formats)+8 {
					if m.Codecs == nil {
						m.Codecs = make(map[string]string, len(m.Formats))
					}
					m.Codecs[pt] = strings.TrimSpace(enc)
				}
			}
		}
		if !rtcpSet {
			m.RTCPPort = m.Port + 1
			if m.RTCPMux || m.Port == 0 || m.Port == 65535 {
				m.RTCPPort = m.Port
			}
		}
		if m.Direction == "" {
			m.Direction = "sendrecv"
		}
		s.Media = append(s.Media, m)
	}
	return s, nil
}

func isDirection(k string) bool {
	return k == "sendrecv" || k == "sendonly" || k == "recvonly" || k == "inactive"
}

// OriginAddr returns the o= address when it is an IP literal.
func (s *Session) OriginAddr() netip.Addr {
	a, err := netip.ParseAddr(s.Origin)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

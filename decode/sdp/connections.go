// Package sdp reads session descriptions (RFC 8866) carried in SIP bodies,
// with pion/sdp doing the parsing. It extracts only what sipscope's later
// stages need and never knows about calls or dialogs.
package sdp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	pion "github.com/pion/sdp/v3"
)

// ErrMalformed is wrapped by every parse error.
var ErrMalformed = errors.New("sdp: malformed session description")

// Connections is where a session description says its media will be
// received: the addresses that NAT traversal and media binding care about.
type Connections struct {
	// Origin is the o= unicast address; invalid when it is not an IP literal.
	Origin netip.Addr
	// Session is the session-level c= address; invalid when absent or not an
	// IP literal (FQDNs are kept in SessionHost).
	Session     netip.Addr
	SessionHost string
	Media       []Media
}

// Media is one m= line with the connection address that applies to it.
type Media struct {
	Type string // audio, video, image, application, ...
	Port int    // 0 means the stream is rejected or disabled
	// Addr is the media-level c= address, else the session-level one;
	// invalid when neither is an IP literal.
	Addr netip.Addr
	// Host is the c= address as written (an FQDN when Addr is invalid).
	Host string
}

// AddrPort returns where the stream's RTP is to be sent, or an invalid value
// when the address is unknown or the port is 0.
func (m Media) AddrPort() netip.AddrPort {
	if !m.Addr.IsValid() || m.Port <= 0 || m.Port > 65535 {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(m.Addr, uint16(m.Port))
}

// ParseConnections reads the origin, connection and media lines of an SDP
// body. Line endings may be CRLF or bare LF, as real equipment sends both.
func ParseConnections(body []byte) (*Connections, error) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, fmt.Errorf("%w: empty body", ErrMalformed)
	}
	var sd pion.SessionDescription
	// pion wants CRLF; bodies with bare LF are common on the wire.
	text := string(body)
	if !strings.Contains(text, "\r\n") {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	if err := sd.UnmarshalString(text); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := &Connections{Origin: literal(sd.Origin.UnicastAddress)}
	if ci := sd.ConnectionInformation; ci != nil && ci.Address != nil {
		c.SessionHost, _, _ = strings.Cut(ci.Address.Address, "/")
		c.Session = literal(ci.Address.Address)
	}
	for _, md := range sd.MediaDescriptions {
		m := Media{Type: md.MediaName.Media, Port: md.MediaName.Port.Value, Addr: c.Session, Host: c.SessionHost}
		if ci := md.ConnectionInformation; ci != nil && ci.Address != nil {
			m.Host, _, _ = strings.Cut(ci.Address.Address, "/")
			m.Addr = literal(ci.Address.Address)
		}
		c.Media = append(c.Media, m)
	}
	return c, nil
}

// literal parses an IP address as SDP writes it: multicast addresses may
// carry "/ttl/count" suffixes, and IPv6 may be bracketed by sloppy writers.
func literal(s string) netip.Addr {
	s, _, _ = strings.Cut(s, "/")
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

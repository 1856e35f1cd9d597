// Package hepout mirrors the SIP messages and RTCP packets sipscope decodes
// to a HOMER server as HEPv3 over UDP, so that captures analysed on many
// hosts feed one central store. It sends what the decoder saw, with the
// addresses, ports and capture time of each packet; it never changes or
// analyses them.
package hepout

import (
	"fmt"
	"net"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/hep"
)

// Sender sends HEPv3 packets to one HOMER server. It is not safe for
// concurrent use: the decoder calls it from its one goroutine.
type Sender struct {
	// AgentID is the capture agent id HOMER shows for the packets.
	AgentID uint32
	// Password is the HEP authentication key, when the server wants one.
	Password string

	// Sent counts packets sent; Errors those that could not be encoded or
	// sent, the last reason in LastError. A HOMER server that is down must
	// not stop an analysis, so Send never fails.
	Sent, Errors int
	LastError    error

	conn net.Conn
	addr string
	buf  []byte
}

// Dial returns a Sender to the UDP address addr (HOST:PORT). UDP has no
// connection: a server that is not listening shows up as send errors.
func Dial(addr string) (*Sender, error) {
	conn, err := net.Dial("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("hepout: %w", err)
	}
	return &Sender{conn: conn, addr: addr, buf: make([]byte, 0, 4096)}, nil
}

// Addr returns the address the Sender sends to.
func (s *Sender) Addr() string { return s.addr }

// Tap is a decode.Decoder Tap: it sends every SIP message and RTCP packet
// the decoder finds.
func (s *Sender) Tap(m *decode.Meta, kind decode.TapKind, raw []byte) {
	p := hep.Packet{Src: m.Src, Dst: m.Dst, Time: m.Time, AgentID: s.AgentID, Password: s.Password, Payload: raw}
	switch m.Transport {
	case decode.UDP:
		p.Proto = hep.ProtoUDP
	case decode.SCTP:
		p.Proto = hep.ProtoSCTP
	default:
		p.Proto = hep.ProtoTCP
	}
	switch kind {
	case decode.TapSIP:
		p.Type = hep.TypeSIP
	case decode.TapRTCP:
		p.Type = hep.TypeRTCP
	default:
		return
	}
	s.Send(&p)
}

// Send encodes p as HEPv3 and sends it.
func (s *Sender) Send(p *hep.Packet) {
	b, err := hep.AppendV3(s.buf[:0], p)
	if err == nil {
		s.buf = b[:0]
		_, err = s.conn.Write(b)
	}
	if err != nil {
		s.Errors++
		s.LastError = fmt.Errorf("hepout: %s: %w", s.addr, err)
		return
	}
	s.Sent++
}

// Close closes the socket.
func (s *Sender) Close() error { return s.conn.Close() }

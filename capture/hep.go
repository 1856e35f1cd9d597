package capture

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// LinkTypeHEP marks frames whose Data is one HEP packet as a HOMER agent
// sent it, not a link-layer frame. It is not a pcap link type and never
// appears in files; the decoder opens such frames with its HEP reader.
const LinkTypeHEP layers.LinkType = 0xFFF0

// maxHEPPacket is the largest UDP datagram a HEP listener accepts.
const maxHEPPacket = 65535

// HEPListener receives HEP packets on a UDP socket and yields each as a
// Frame of LinkTypeHEP, numbered from 1 in arrival order and stamped with
// the time it arrived (the packet carries its own capture time, which the
// decoder uses).
type HEPListener struct {
	conn *net.UDPConn
	buf  []byte
	n    int
	f    Frame
}

// ListenHEP listens for HEP on the UDP address addr, such as ":9060" or
// "127.0.0.1:9060".
func ListenHEP(addr string) (*HEPListener, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("capture: HEP listen address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("capture: HEP listen: %w", err)
	}
	// Agents send in bursts; a larger socket buffer loses fewer of them.
	_ = conn.SetReadBuffer(4 << 20)
	return &HEPListener{conn: conn, buf: make([]byte, maxHEPPacket)}, nil
}

// Addr returns the address the listener is bound to.
func (l *HEPListener) Addr() net.Addr { return l.conn.LocalAddr() }

// Next waits for the next packet. The Frame and its Data are valid until
// the next call. After Close it returns net.ErrClosed.
func (l *HEPListener) Next() (*Frame, error) {
	n, _, err := l.conn.ReadFromUDP(l.buf)
	if err != nil {
		return nil, err
	}
	l.n++
	l.f = Frame{Number: l.n, Time: time.Now(), LinkType: LinkTypeHEP, Data: l.buf[:n], Length: n}
	return &l.f, nil
}

// SetDeadline makes Next return an error wrapping os.ErrDeadlineExceeded
// once t has passed; the zero time waits for ever.
func (l *HEPListener) SetDeadline(t time.Time) error { return l.conn.SetReadDeadline(t) }

// Close stops listening.
func (l *HEPListener) Close() error {
	if err := l.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

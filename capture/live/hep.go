package live

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// HEPSource receives HEP (HOMER encapsulation) packets from capture agents
// (heplify, Kamailio's siptrace, FreeSWITCH, sngrep -H, ...) on a UDP socket.
// Each packet becomes an Ethernet/IP/UDP frame carrying it as it arrived,
// from the agent's address to the listening one: the decoder opens HEP
// inside UDP as it does in a capture file, and frames written with -w are
// ordinary pcap that Wireshark decodes the same way.
type HEPSource struct {
	// Stamp, when set, returns the time the agent captured the payload of
	// a HEP packet, which the frame then carries instead of the time it
	// arrived: the analysis runs on the agents' clock, which is the clock
	// of the messages inside, so calls are not flushed early when an
	// agent's clock is behind ours, and written frames keep the times the
	// packets were captured. (HEP parsing is the decoder's: the command
	// that wires the stages sets it.)
	Stamp func(payload []byte) (time.Time, bool)

	conn    *net.UDPConn
	local   netip.AddrPort
	poll    time.Duration
	buf     []byte
	f       capture.Frame
	ipID    uint16
	packets uint64
}

// hepRoom is the room kept before the payload for the headers a frame gets:
// Ethernet (14) and IPv6 (40) or IPv4 (20), and UDP (8).
const hepRoom = 14 + 40 + 8

// maxUDPPayload is the largest UDP payload a socket can receive.
const maxUDPPayload = 65535 - 8

// ListenHEP listens for HEP on the UDP address addr, such as ":9060" or
// "127.0.0.1:9060". Next waits at most about a fifth of a second for a
// packet before returning ErrTimeout, as an interface does.
func ListenHEP(addr string) (*HEPSource, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("live: HEP listen address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("live: HEP listen: %w", err)
	}
	// Agents send in bursts; a larger socket buffer loses fewer of them.
	_ = conn.SetReadBuffer(4 << 20)
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	return &HEPSource{conn: conn, local: netip.AddrPortFrom(local.Addr().Unmap(), local.Port()),
		poll: 200 * time.Millisecond, buf: make([]byte, hepRoom+maxUDPPayload)}, nil
}

// Addr returns the address the source listens on.
func (s *HEPSource) Addr() netip.AddrPort { return s.local }

// Next returns the next HEP packet as a frame; see HEPSource. A packet from
// an IPv6 agent to a socket bound to an IPv4 address (or the reverse) gets
// the unspecified address of the agent's family as its destination.
func (s *HEPSource) Next() (*capture.Frame, error) {
	if err := s.conn.SetReadDeadline(time.Now().Add(s.poll)); err != nil {
		return nil, s.readErr(err)
	}
	n, from, err := s.conn.ReadFromUDPAddrPort(s.buf[hepRoom:])
	if err != nil {
		return nil, s.readErr(err)
	}
	s.packets++
	src := netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	dst := s.local
	if dst.Addr().Is4() != src.Addr().Is4() || !dst.Addr().IsValid() {
		unspec := netip.IPv4Unspecified()
		if !src.Addr().Is4() {
			unspec = netip.IPv6Unspecified()
		}
		dst = netip.AddrPortFrom(unspec, dst.Port())
	}
	at := time.Now()
	if s.Stamp != nil {
		if t, ok := s.Stamp(s.buf[hepRoom : hepRoom+n]); ok {
			at = t
		}
	}
	start := s.frame(src, dst, n)
	data := s.buf[start : hepRoom+n]
	s.f = capture.Frame{Time: at, LinkType: layers.LinkTypeEthernet, Data: data, Length: len(data)}
	return &s.f, nil
}

// frame writes the Ethernet, IP and UDP headers in front of the n payload
// bytes at s.buf[hepRoom:] and returns where the frame starts.
func (s *HEPSource) frame(src, dst netip.AddrPort, n int) int {
	b := s.buf
	udp := hepRoom - 8
	binary.BigEndian.PutUint16(b[udp:], src.Port())
	binary.BigEndian.PutUint16(b[udp+2:], dst.Port())
	binary.BigEndian.PutUint16(b[udp+4:], uint16(8+n))
	binary.BigEndian.PutUint16(b[udp+6:], 0)
	var ip int
	var etherType uint16
	if src.Addr().Is4() {
		ip, etherType = udp-20, 0x0800
		h := b[ip:udp]
		s.ipID++
		h[0], h[1] = 0x45, 0
		binary.BigEndian.PutUint16(h[2:], uint16(20+8+n))
		binary.BigEndian.PutUint16(h[4:], s.ipID)
		binary.BigEndian.PutUint16(h[6:], 0x4000) // don't fragment
		h[8], h[9] = 64, 17
		binary.BigEndian.PutUint16(h[10:], 0)
		sa, da := src.Addr().As4(), dst.Addr().As4()
		copy(h[12:16], sa[:])
		copy(h[16:20], da[:])
		binary.BigEndian.PutUint16(h[10:], ^fold(sum16(h, 0)))
		// UDP checksum 0: none, which IPv4 allows.
	} else {
		ip, etherType = udp-40, 0x86dd
		h := b[ip:udp]
		h[0], h[1], h[2], h[3] = 0x60, 0, 0, 0
		binary.BigEndian.PutUint16(h[4:], uint16(8+n))
		h[6], h[7] = 17, 64
		sa, da := src.Addr().As16(), dst.Addr().As16()
		copy(h[8:24], sa[:])
		copy(h[24:40], da[:])
		// IPv6 requires the UDP checksum: pseudo-header, header, payload.
		acc := sum16(h[8:40], 0)
		acc += uint32(8 + n)
		acc += 17
		acc = sum16(b[udp:hepRoom+n], acc)
		c := ^fold(acc)
		if c == 0 {
			c = 0xffff
		}
		binary.BigEndian.PutUint16(b[udp+6:], c)
	}
	eth := ip - 14
	copy(b[eth:], []byte{0x02, 0, 0, 0, 0x90, 0x60, 0x02, 0, 0, 0, 0x48, 0x45})
	binary.BigEndian.PutUint16(b[eth+12:], etherType)
	return eth
}

// sum16 adds b as big-endian 16-bit words to acc (odd length padded with 0).
func sum16(b []byte, acc uint32) uint32 {
	for len(b) >= 2 {
		acc += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint32(b[0]) << 8
	}
	return acc
}

func fold(acc uint32) uint16 {
	for acc > 0xffff {
		acc = acc>>16 + acc&0xffff
	}
	return uint16(acc)
}

func (s *HEPSource) readErr(err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ErrTimeout
	case errors.Is(err, net.ErrClosed):
		return io.EOF
	}
	return fmt.Errorf("live: HEP receive: %w", err)
}

// LinkType is Ethernet: every frame is built as one.
func (s *HEPSource) LinkType() layers.LinkType { return layers.LinkTypeEthernet }

// Stats counts the HEP packets received; the socket has no drop counter.
func (s *HEPSource) Stats() Stats { return Stats{Packets: s.packets} }

// Close stops listening.
func (s *HEPSource) Close() error {
	if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

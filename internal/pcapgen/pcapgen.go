// Package pcapgen writes deterministic pcap files for our own test captures:
// Ethernet frames carrying IPv4 or IPv6 with UDP (fragmented too), TCP or
// ICMP, built with gopacket and written as microsecond pcap.
//
// The same calls always produce the same bytes: MAC addresses derive from IP
// addresses, IPv4 identification fields come from a counter starting at 1,
// TTL and hop limit are 64, and nothing reads the clock. It exists for tests
// and golden captures; it must never be used to read captures.
package pcapgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Proto is the kind of packet a Packet describes.
type Proto uint8

const (
	// UDP is a UDP datagram from Src to Dst.
	UDP Proto = iota + 1
	// TCP is a TCP segment from Src to Dst with Seq, Ack and Flags.
	TCP
	// ICMPPortUnreachable is the error a host at Src.Addr() sends back when
	// the datagram Quote arrives for a port nobody listens on.
	ICMPPortUnreachable
)

// TCPFlags are the control bits of a TCP segment.
type TCPFlags uint8

// TCP control bits; combine them with |.
const (
	FIN TCPFlags = 1 << iota
	SYN
	RST
	PSH
	ACK
)

// Packet describes one packet to write. Which fields matter depends on Proto.
type Packet struct {
	Time     time.Time      // capture timestamp; must not be zero
	Src, Dst netip.AddrPort // both IPv4 or both IPv6; ports are ignored for ICMP
	Proto    Proto
	Payload  []byte

	Seq, Ack uint32   // TCP
	Flags    TCPFlags // TCP
	MTU      int      // UDP: when > 0, split into IP fragments for this MTU
	Quote    *Packet  // ICMPPortUnreachable: the offending datagram, written before
}

// Errors returned by the Writer.
var (
	// ErrZeroTime: pcapgo would stamp the frame with the current time.
	ErrZeroTime = errors.New("pcapgen: packet time is zero")
	// ErrAddress: the addresses are invalid or of different families.
	ErrAddress = errors.New("pcapgen: source and destination must both be IPv4 or both IPv6")
	// ErrNotWritten: an ICMP error quotes a datagram the Writer has not written.
	ErrNotWritten = errors.New("pcapgen: quoted packet was not written before")
)

// Linux quotes as much of the offending datagram as fits in a 576-byte
// ICMPv4 error (RFC 1812 §4.3.2.3) or a 1280-byte ICMPv6 error (RFC 4443
// §2.4(c)).
const (
	quoteMax4 = 576 - 20 - 8
	quoteMax6 = 1280 - 40 - 8
)

// Writer writes packets as Ethernet frames to a microsecond pcap file.
type Writer struct {
	pw   *pcapgo.Writer
	buf  gopacket.SerializeBuffer
	ipID uint16
	// ip6ID is the identification of the next IPv6 fragmented datagram.
	ip6ID uint32

	// last holds the most recent IP datagram written per flow, so an ICMP
	// error can quote it byte for byte, IP identification included.
	last map[flow][]byte
}

type flow struct {
	src, dst netip.AddrPort
	proto    Proto
}

var serializeOpts = gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}

// NewWriter writes a pcap file header (Ethernet, microsecond timestamps,
// snap length 262144) to w and returns a Writer for the frames.
func NewWriter(w io.Writer) (*Writer, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("pcapgen: %w", err)
	}
	return &Writer{pw: pw, buf: gopacket.NewSerializeBuffer(), last: make(map[flow][]byte)}, nil
}

// Write writes p according to its Proto.
func (w *Writer) Write(p Packet) error {
	switch p.Proto {
	case UDP:
		if p.MTU > 0 {
			return w.WriteUDPFragmented(p.Time, p.Src, p.Dst, p.Payload, p.MTU)
		}
		return w.WriteUDP(p.Time, p.Src, p.Dst, p.Payload)
	case TCP:
		return w.WriteTCP(p.Time, p.Src, p.Dst, p.Seq, p.Ack, p.Flags, p.Payload)
	case ICMPPortUnreachable:
		if p.Quote == nil {
			return fmt.Errorf("%w: ICMP packet without Quote", ErrNotWritten)
		}
		return w.WriteICMPPortUnreachable(p.Time, p.Src.Addr(), *p.Quote)
	}
	return fmt.Errorf("pcapgen: unknown protocol %d", p.Proto)
}

// WriteAll writes a pcap file holding pkts, in the order given.
func WriteAll(w io.Writer, pkts []Packet) error {
	pw, err := NewWriter(w)
	if err != nil {
		return err
	}
	for i, p := range pkts {
		if err := pw.Write(p); err != nil {
			return fmt.Errorf("packet %d: %w", i+1, err)
		}
	}
	return nil
}

// WriteUDP writes one UDP datagram, over IPv4 or IPv6 by address family.
func (w *Writer) WriteUDP(t time.Time, src, dst netip.AddrPort, payload []byte) error {
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	return w.writeIP(t, flow{src, dst, UDP}, src.Addr(), dst.Addr(), layers.IPProtocolUDP, udp, gopacket.Payload(payload))
}

// WriteTCP writes one TCP segment, over IPv4 or IPv6 by address family, with
// a fixed window of 65535 and no options.
func (w *Writer) WriteTCP(t time.Time, src, dst netip.AddrPort, seq, ack uint32, flags TCPFlags, payload []byte) error {
	tcp := &layers.TCP{
		SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
		Seq: seq, Ack: ack, Window: 65535,
		FIN: flags&FIN != 0, SYN: flags&SYN != 0, RST: flags&RST != 0, PSH: flags&PSH != 0, ACK: flags&ACK != 0,
	}
	return w.writeIP(t, flow{src, dst, TCP}, src.Addr(), dst.Addr(), layers.IPProtocolTCP, tcp, gopacket.Payload(payload))
}

// WriteICMPPortUnreachable writes the ICMP error that host from sends when
// the UDP datagram quoted arrives for a closed port: ICMPv4 type 3 code 3 or
// ICMPv6 type 1 code 4, addressed to quoted's source. Like Linux, it quotes
// the datagram as it was written, IP header first, up to 548 bytes (IPv4) or
// 1232 bytes (IPv6). quoted must have been written before with the same
// addresses and payload.
func (w *Writer) WriteICMPPortUnreachable(t time.Time, from netip.Addr, quoted Packet) error {
	if quoted.Proto == 0 {
		quoted.Proto = UDP
	}
	dgram, ok := w.last[flow{quoted.Src, quoted.Dst, quoted.Proto}]
	if !ok || !bytes.HasSuffix(dgram, quoted.Payload) {
		return fmt.Errorf("%w: %v %v -> %v", ErrNotWritten, quoted.Proto, quoted.Src, quoted.Dst)
	}
	to := quoted.Src.Addr()
	if from.Is4() {
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
		quote := dgram[:min(len(dgram), quoteMax4)]
		return w.writeIP(t, flow{}, from, to, layers.IPProtocolICMPv4, icmp, gopacket.Payload(quote))
	}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeDestinationUnreachable, layers.ICMPv6CodePortUnreachable)}
	// The 4 bytes after the ICMPv6 header are unused and zero.
	quote := append(make([]byte, 4, 4+quoteMax6), dgram[:min(len(dgram), quoteMax6)]...)
	return w.writeIP(t, flow{}, from, to, layers.IPProtocolICMPv6, icmp, gopacket.Payload(quote))
}

// WriteUDPFragmented writes one UDP datagram as IP fragments that fit in
// mtu bytes (IP header included), all with the same identification and
// timestamp: IPv4 fragments, or for IPv6 addresses packets with a fragment
// header (RFC 8200 §4.5). A datagram that fits is written whole, as WriteUDP
// would.
func (w *Writer) WriteUDPFragmented(t time.Time, src, dst netip.AddrPort, payload []byte, mtu int) error {
	v6 := src.Addr().Is6() && !src.Addr().Is4In6()
	hdr := 20
	if v6 {
		hdr = 40 + 8 // the fragment header is in every fragment
	}
	if mtu < hdr+8 {
		return fmt.Errorf("pcapgen: MTU %d is too small for fragments", mtu)
	}
	if hdr+8+len(payload) <= mtu {
		return w.WriteUDP(t, src, dst, payload)
	}
	// Build the whole UDP datagram first: its checksum covers all of it.
	var ip gopacket.NetworkLayer
	if v6 {
		if !dst.Addr().Is6() {
			return fmt.Errorf("%w: %v -> %v", ErrAddress, src, dst)
		}
		ip = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP,
			SrcIP: net.IP(src.Addr().AsSlice()), DstIP: net.IP(dst.Addr().AsSlice())}
	} else {
		if !dst.Addr().Unmap().Is4() {
			return fmt.Errorf("%w: %v -> %v", ErrAddress, src, dst)
		}
		ip = w.ipv4(src.Addr().Unmap(), dst.Addr().Unmap(), layers.IPProtocolUDP)
	}
	udp := &layers.UDP{SrcPort: layers.UDPPort(src.Port()), DstPort: layers.UDPPort(dst.Port())}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		return err
	}
	if err := gopacket.SerializeLayers(w.buf, serializeOpts, udp, gopacket.Payload(payload)); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	dgram := append([]byte(nil), w.buf.Bytes()...)
	step := (mtu - hdr) &^ 7 // fragment offsets count 8-byte units
	if v6 {
		w.ip6ID++
	}
	for off := 0; off < len(dgram); off += step {
		end := min(off+step, len(dgram))
		more := end < len(dgram)
		if v6 {
			frag := *ip.(*layers.IPv6)
			frag.NextHeader = layers.IPProtocolIPv6Fragment
			fh := make([]byte, 8, 8+end-off)
			fh[0] = byte(layers.IPProtocolUDP)
			binary.BigEndian.PutUint16(fh[2:], uint16(off/8)<<3)
			if more {
				fh[3] |= 1
			}
			binary.BigEndian.PutUint32(fh[4:], w.ip6ID)
			if err := w.writeFrame(t, flow{}, &frag, gopacket.Payload(append(fh, dgram[off:end]...))); err != nil {
				return err
			}
			continue
		}
		frag := *ip.(*layers.IPv4)
		frag.FragOffset = uint16(off / 8)
		frag.Flags = 0
		if more {
			frag.Flags = layers.IPv4MoreFragments
		}
		if err := w.writeFrame(t, flow{}, &frag, gopacket.Payload(dgram[off:end])); err != nil {
			return err
		}
	}
	return nil
}

// WriteRaw writes frame as it is, as an Ethernet frame.
func (w *Writer) WriteRaw(t time.Time, frame []byte) error {
	if t.IsZero() {
		return ErrZeroTime
	}
	ci := gopacket.CaptureInfo{Timestamp: t, CaptureLength: len(frame), Length: len(frame)}
	if err := w.pw.WritePacket(ci, frame); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	return nil
}

// ipv4 returns the next IPv4 header from src to dst.
func (w *Writer) ipv4(src, dst netip.Addr, proto layers.IPProtocol) *layers.IPv4 {
	w.ipID++
	return &layers.IPv4{
		Version: 4, IHL: 5, TTL: 64, Id: w.ipID, Protocol: proto,
		SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
	}
}

// writeIP writes transport (and payload) in an IP packet from src to dst.
func (w *Writer) writeIP(t time.Time, fl flow, src, dst netip.Addr, proto layers.IPProtocol, transport gopacket.SerializableLayer, payload gopacket.Payload) error {
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() || !src.IsValid() || !dst.IsValid() {
		return fmt.Errorf("%w: %v -> %v", ErrAddress, src, dst)
	}
	var ip gopacket.NetworkLayer
	if src.Is4() {
		v4 := w.ipv4(src, dst, proto)
		switch proto {
		case layers.IPProtocolICMPv4:
			v4.TOS = 0xc0 // Linux sends ICMP errors as internetwork control
		default:
			v4.Flags = layers.IPv4DontFragment // Linux path MTU discovery
		}
		ip = v4
	} else {
		ip = &layers.IPv6{
			Version: 6, HopLimit: 64, NextHeader: proto,
			SrcIP: net.IP(src.AsSlice()), DstIP: net.IP(dst.AsSlice()),
		}
	}
	if c, ok := transport.(interface {
		SetNetworkLayerForChecksum(gopacket.NetworkLayer) error
	}); ok {
		if err := c.SetNetworkLayerForChecksum(ip); err != nil {
			return fmt.Errorf("pcapgen: %w", err)
		}
	}
	return w.writeFrame(t, fl, ip.(gopacket.SerializableLayer), transport, payload)
}

// writeFrame serializes an Ethernet frame around the IP layers and writes
// it. When fl is set, the IP datagram is kept for quoting by ICMP errors.
func (w *Writer) writeFrame(t time.Time, fl flow, ipLayers ...gopacket.SerializableLayer) error {
	if t.IsZero() {
		return ErrZeroTime
	}
	eth := &layers.Ethernet{EthernetType: layers.EthernetTypeIPv4}
	var src, dst netip.Addr
	switch ip := ipLayers[0].(type) {
	case *layers.IPv4:
		src, dst = addr(ip.SrcIP), addr(ip.DstIP)
	case *layers.IPv6:
		src, dst = addr(ip.SrcIP), addr(ip.DstIP)
		eth.EthernetType = layers.EthernetTypeIPv6
	}
	eth.SrcMAC, eth.DstMAC = MAC(src), MAC(dst)
	if err := gopacket.SerializeLayers(w.buf, serializeOpts, append([]gopacket.SerializableLayer{eth}, ipLayers...)...); err != nil {
		return fmt.Errorf("pcapgen: %w", err)
	}
	frame := w.buf.Bytes()
	if fl != (flow{}) {
		// The datagram without the padding of short Ethernet frames.
		ip := frame[14:]
		if ip[0]>>4 == 4 {
			ip = ip[:binary.BigEndian.Uint16(ip[2:4])]
		} else {
			ip = ip[:40+int(binary.BigEndian.Uint16(ip[4:6]))]
		}
		w.last[fl] = append(w.last[fl][:0], ip...)
	}
	return w.WriteRaw(t, frame)
}

func addr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// MAC returns the MAC address pcapgen gives the host a, so a capture's MACs
// follow its IP addresses: locally administered 02, then the IPv4 address
// and 00, or the last five bytes of the IPv6 address.
func MAC(a netip.Addr) net.HardwareAddr {
	b := a.AsSlice()
	mac := net.HardwareAddr{0x02, 0, 0, 0, 0, 0}
	if len(b) > 5 {
		b = b[len(b)-5:]
	}
	copy(mac[1:], b)
	return mac
}

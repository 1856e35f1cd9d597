// Package hep reads and writes HEP, the Homer Encapsulation Protocol (also
// called EEP) that capture agents (heplify, captagent, Kamailio and
// OpenSIPS' sipcapture, FreeSWITCH, sngrep) use to send what they capture
// to a HOMER server: versions 2 and 3 are read, version 3 is written.
//
// A HEP packet carries one captured payload (a SIP message, an RTCP report,
// a log line) with the addresses, ports and time it was captured with. The
// package only converts bytes; it never opens sockets and knows nothing of
// SIP.
package hep

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Payload types of the HEPv3 chunk 0x000b (HEP3 specification, rev. 12).
const (
	TypeSIP  uint8 = 1
	TypeH323 uint8 = 2
	TypeSDP  uint8 = 3
	TypeRTP  uint8 = 4
	TypeRTCP uint8 = 5
	TypeLog  uint8 = 100
)

// IP protocol numbers of chunk 0x0002.
const (
	ProtoUDP  uint8 = 17
	ProtoTCP  uint8 = 6
	ProtoSCTP uint8 = 132
)

// Packet is one HEP packet.
type Packet struct {
	Version       int // 2 or 3
	Src, Dst      netip.AddrPort
	Proto         uint8     // IP protocol the payload travelled on: ProtoUDP, ProtoTCP, ...
	Time          time.Time // when the agent captured the payload
	Type          uint8     // payload type: TypeSIP, TypeRTCP, ...
	AgentID       uint32
	Password      string // authentication key chunk, when present
	CorrelationID string
	// Payload aliases the packet's bytes.
	Payload []byte
}

// Errors wrapped by Parse.
var (
	// ErrNotHEP: the data does not start with a HEP header.
	ErrNotHEP = errors.New("hep: not a HEP packet")
	// ErrMalformed: the header or a chunk is inconsistent or truncated.
	ErrMalformed = errors.New("hep: malformed packet")
)

// Magic is the start of every HEPv3 packet.
const Magic = "HEP3"

// chunk type ids of the generic vendor (0).
const (
	chFamily    = 0x0001
	chProto     = 0x0002
	chSrcIPv4   = 0x0003
	chDstIPv4   = 0x0004
	chSrcIPv6   = 0x0005
	chDstIPv6   = 0x0006
	chSrcPort   = 0x0007
	chDstPort   = 0x0008
	chTimeSec   = 0x0009
	chTimeUsec  = 0x000a
	chType      = 0x000b
	chAgentID   = 0x000c
	chAuthKey   = 0x000e
	chPayload   = 0x000f
	chGzip      = 0x0010
	chCorrelate = 0x0011
)

// Address families of chunk 0x0001 and of the HEPv2 header (Linux values).
const (
	afInet  = 2
	afInet6 = 10
)

// IsHEP reports whether b starts like a HEP packet of version 3 (its magic)
// or 2 (version byte, a header length and family that agree): the cheap test
// a decoder runs on UDP payloads. Version 2 has no magic, so callers should
// only trust it on the HEP port.
func IsHEP(b []byte) bool {
	if len(b) >= 6 && string(b[:4]) == Magic {
		return true
	}
	return isV2(b)
}

func isV2(b []byte) bool {
	if len(b) < 16 || b[0] != 2 {
		return false
	}
	switch b[2] {
	case afInet:
		return b[1] == 16 || b[1] == 28
	case afInet6:
		return b[1] == 40 || b[1] == 52
	}
	return false
}

// Parse decodes one HEP packet. The Packet's Payload aliases b.
func Parse(b []byte) (*Packet, error) {
	p := &Packet{}
	if err := p.Unmarshal(b); err != nil {
		return nil, err
	}
	return p, nil
}

// Unmarshal decodes one HEP packet into p. p.Payload aliases b.
func (p *Packet) Unmarshal(b []byte) error {
	*p = Packet{}
	if len(b) >= 4 && string(b[:4]) == Magic {
		return p.unmarshalV3(b)
	}
	if isV2(b) {
		return p.unmarshalV2(b)
	}
	return ErrNotHEP
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

func (p *Packet) unmarshalV3(b []byte) error {
	if len(b) < 6 {
		return malformed("%d bytes, shorter than the HEP3 header", len(b))
	}
	total := int(binary.BigEndian.Uint16(b[4:6]))
	if total < 6 || total > len(b) {
		return malformed("total length %d, packet of %d bytes", total, len(b))
	}
	p.Version = 3
	var (
		family            uint8
		src4, dst4        netip.Addr
		src6, dst6        netip.Addr
		sport, dport      uint16
		sec, usec         uint32
		haveTime, gzipped bool
	)
	for c := b[6:total]; len(c) > 0; {
		if len(c) < 6 {
			return malformed("chunk header truncated at %d bytes", len(c))
		}
		vendor, typ := binary.BigEndian.Uint16(c[0:2]), binary.BigEndian.Uint16(c[2:4])
		n := int(binary.BigEndian.Uint16(c[4:6]))
		if n < 6 || n > len(c) {
			return malformed("chunk 0x%04x of length %d, %d bytes left", typ, n, len(c))
		}
		v := c[6:n]
		c = c[n:]
		if vendor != 0 {
			continue // vendor chunks: not ours to read
		}
		want := 0
		switch typ {
		case chFamily, chProto, chType:
			want = 1
		case chSrcPort, chDstPort:
			want = 2
		case chSrcIPv4, chDstIPv4, chTimeSec, chTimeUsec, chAgentID:
			want = 4
		case chSrcIPv6, chDstIPv6:
			want = 16
		}
		if want > 0 && len(v) != want {
			return malformed("chunk 0x%04x holds %d bytes, want %d", typ, len(v), want)
		}
		switch typ {
		case chFamily:
			family = v[0]
		case chProto:
			p.Proto = v[0]
		case chSrcIPv4:
			src4 = netip.AddrFrom4([4]byte(v))
		case chDstIPv4:
			dst4 = netip.AddrFrom4([4]byte(v))
		case chSrcIPv6:
			src6 = netip.AddrFrom16([16]byte(v))
		case chDstIPv6:
			dst6 = netip.AddrFrom16([16]byte(v))
		case chSrcPort:
			sport = binary.BigEndian.Uint16(v)
		case chDstPort:
			dport = binary.BigEndian.Uint16(v)
		case chTimeSec:
			sec, haveTime = binary.BigEndian.Uint32(v), true
		case chTimeUsec:
			usec = binary.BigEndian.Uint32(v)
		case chType:
			p.Type = v[0]
		case chAgentID:
			p.AgentID = binary.BigEndian.Uint32(v)
		case chAuthKey:
			p.Password = string(v)
		case chCorrelate:
			p.CorrelationID = string(v)
		case chPayload:
			p.Payload = v
		case chGzip:
			p.Payload, gzipped = v, true
		}
	}
	src, dst := src4, dst4
	if family == afInet6 || (!src.IsValid() && src6.IsValid()) {
		src, dst = src6, dst6
	}
	if !src.IsValid() || !dst.IsValid() {
		return malformed("no source or destination address")
	}
	if p.Payload == nil {
		return malformed("no payload chunk")
	}
	if gzipped {
		return malformed("compressed payload (chunk 0x0010) is not supported")
	}
	p.Src, p.Dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	if haveTime {
		// A microseconds field of a second or more is out of range: keep its
		// fraction, so the time stays within what HEP's 32-bit seconds can
		// say (and re-encodes to the same packet).
		p.Time = time.Unix(int64(sec), int64(usec%1_000_000)*1000).UTC()
	}
	return nil
}

// unmarshalV2 reads the HEP version 1/2 layout, as captagent 4 and sngrep
// write it: version, header length, family, protocol, ports (network
// order), addresses, then for version 2 seconds, microseconds and a capture
// id in the sender's (little-endian) byte order, padded to 12 bytes.
func (p *Packet) unmarshalV2(b []byte) error {
	p.Version = 2
	p.Proto = b[3]
	sport, dport := binary.BigEndian.Uint16(b[4:6]), binary.BigEndian.Uint16(b[6:8])
	ipLen := 4
	if b[2] == afInet6 {
		ipLen = 16
	}
	off := 8 + 2*ipLen
	if len(b) < off+12 {
		return malformed("HEPv2 header truncated")
	}
	src, _ := netip.AddrFromSlice(b[8 : 8+ipLen])
	dst, _ := netip.AddrFromSlice(b[8+ipLen : off])
	p.Src, p.Dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
	sec, usec := binary.LittleEndian.Uint32(b[off:]), binary.LittleEndian.Uint32(b[off+4:])
	p.AgentID = uint32(binary.LittleEndian.Uint16(b[off+8:]))
	p.Time = time.Unix(int64(sec), int64(usec%1_000_000)*1000).UTC()
	p.Type = TypeSIP // version 2 carried SIP only
	p.Payload = b[off+12:]
	return nil
}

// AppendV3 appends p encoded as HEPv3 to b and returns the extended slice.
// It writes the chunks HOMER needs (family, protocol, addresses, ports,
// time unless it is zero, payload type, agent id, payload) plus the
// authentication key and correlation id when set. It fails when the addresses are not of one
// family or the packet would exceed 65535 bytes.
func AppendV3(b []byte, p *Packet) ([]byte, error) {
	src, dst := p.Src.Addr().Unmap(), p.Dst.Addr().Unmap()
	if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
		return b, fmt.Errorf("hep: addresses %v and %v are not of one family", p.Src, p.Dst)
	}
	start := len(b)
	b = append(b, Magic...)
	b = append(b, 0, 0) // total length, set below
	u8 := func(t uint16, v uint8) { b = append(chunkHeader(b, t, 1), v) }
	u16 := func(t uint16, v uint16) { b = binary.BigEndian.AppendUint16(chunkHeader(b, t, 2), v) }
	u32 := func(t uint16, v uint32) { b = binary.BigEndian.AppendUint32(chunkHeader(b, t, 4), v) }
	if src.Is4() {
		u8(chFamily, afInet)
	} else {
		u8(chFamily, afInet6)
	}
	u8(chProto, p.Proto)
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		b = appendChunk(b, chSrcIPv4, s[:])
		b = appendChunk(b, chDstIPv4, d[:])
	} else {
		s, d := src.As16(), dst.As16()
		b = appendChunk(b, chSrcIPv6, s[:])
		b = appendChunk(b, chDstIPv6, d[:])
	}
	u16(chSrcPort, p.Src.Port())
	u16(chDstPort, p.Dst.Port())
	if !p.Time.IsZero() {
		// Without them the server stamps the packet on arrival.
		u32(chTimeSec, uint32(p.Time.Unix()))
		u32(chTimeUsec, uint32(p.Time.Nanosecond()/1000))
	}
	u8(chType, p.Type)
	u32(chAgentID, p.AgentID)
	if p.Password != "" {
		b = appendChunk(b, chAuthKey, []byte(p.Password))
	}
	if p.CorrelationID != "" {
		b = appendChunk(b, chCorrelate, []byte(p.CorrelationID))
	}
	b = appendChunk(b, chPayload, p.Payload)
	total := len(b) - start
	if total > 0xffff {
		return b[:start], fmt.Errorf("hep: packet of %d bytes exceeds 65535", total)
	}
	binary.BigEndian.PutUint16(b[start+4:], uint16(total))
	return b, nil
}

func appendChunk(b []byte, typ uint16, v []byte) []byte {
	return append(chunkHeader(b, typ, len(v)), v...)
}

// chunkHeader appends the header of a generic (vendor 0) chunk holding n
// bytes.
func chunkHeader(b []byte, typ uint16, n int) []byte {
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, typ)
	return binary.BigEndian.AppendUint16(b, uint16(6+n))
}

package decode

import (
	"encoding/binary"
	"net/netip"
)

// ICMPError is an ICMP or ICMPv6 error that quotes a UDP or TCP packet: the
// evidence that a SIP or RTP packet was not delivered.
type ICMPError struct {
	Meta            // Src is the reporting host (port 0), Dst the sender of the offending packet
	Version     int // 4 or 6
	Type, Code  uint8
	Description string // "port unreachable", "fragmentation needed", ...
	// The offending packet, as quoted.
	OrigSrc, OrigDst netip.AddrPort
	OrigProto        uint8  // 17 UDP, 6 TCP
	Quoted           []byte // transport payload bytes quoted (a copy; often truncated)
}

func icmp4Description(typ, code uint8) string {
	switch typ {
	case 3:
		switch code {
		case 0:
			return "network unreachable"
		case 1:
			return "host unreachable"
		case 2:
			return "protocol unreachable"
		case 3:
			return "port unreachable"
		case 4:
			return "fragmentation needed"
		case 9, 10, 13:
			return "administratively prohibited"
		}
		return "destination unreachable"
	case 11:
		return "time exceeded"
	case 12:
		return "parameter problem"
	}
	return ""
}

func icmp6Description(typ, code uint8) string {
	switch typ {
	case 1:
		switch code {
		case 0:
			return "no route to destination"
		case 1:
			return "administratively prohibited"
		case 3:
			return "address unreachable"
		case 4:
			return "port unreachable"
		}
		return "destination unreachable"
	case 2:
		return "packet too big"
	case 3:
		return "time exceeded"
	case 4:
		return "parameter problem"
	}
	return ""
}

// icmpError decodes the quoted packet of an ICMP error. body is the ICMP
// message after its 8-byte (v4) or 4-byte (v6) header.
func (d *Decoder) icmpError(m *Meta, version int, typ, code uint8, body []byte) {
	var desc string
	if version == 4 {
		desc = icmp4Description(typ, code)
	} else {
		desc = icmp6Description(typ, code)
		if len(body) < 4 {
			return
		}
		body = body[4:] // unused / MTU / pointer word
	}
	if desc == "" {
		return // echo, neighbour discovery and the like: not errors
	}
	ev := &ICMPError{Meta: *m, Version: version, Type: typ, Code: code, Description: desc}
	var proto uint8
	var src, dst netip.Addr
	var rest []byte
	switch {
	case len(body) >= 20 && body[0]>>4 == 4:
		ihl := int(body[0]&0x0f) * 4
		if ihl < 20 || len(body) < ihl {
			return
		}
		proto = body[9]
		src = netip.AddrFrom4([4]byte(body[12:16]))
		dst = netip.AddrFrom4([4]byte(body[16:20]))
		rest = body[ihl:]
	case len(body) >= 40 && body[0]>>4 == 6:
		proto = body[6]
		src = netip.AddrFrom16([16]byte(body[8:24]))
		dst = netip.AddrFrom16([16]byte(body[24:40]))
		rest = body[40:]
	default:
		return
	}
	if (proto != 17 && proto != 6) || len(rest) < 4 {
		return
	}
	ev.OrigProto = proto
	ev.OrigSrc = netip.AddrPortFrom(src, binary.BigEndian.Uint16(rest[0:2]))
	ev.OrigDst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(rest[2:4]))
	hdr := 8
	if proto == 6 {
		hdr = 20
	}
	if len(rest) > hdr {
		ev.Quoted = append([]byte(nil), rest[hdr:]...)
	}
	d.Stats.ICMPErrors++
	d.interest |= InterestICMP
	d.h.HandleICMP(ev)
}

package decode

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// FlowHash returns a hash that is the same for every frame of a flow, in
// both directions, so that frames can be shared out among several Decoders
// without splitting the state one of them keeps (TCP streams, IP
// fragments): a decoder sees either all frames of a flow or none.
//
// The flow is the IP address pair, plus the ports for an unfragmented UDP
// datagram (the RTP and SIP that make up most captures, which need no state
// across datagrams, spread over all workers). TCP and every IP fragment hash
// by the address pair alone, since a fragment after the first has no ports
// and a reassembled segment must meet the rest of its stream; so do tunnels
// (GRE, IP-in-IP, and VXLAN, Geneve and GTP-U by their UDP ports), whose
// inner streams are found only by decoding. Frames it cannot read (unknown
// link types, HEP, MPLS, truncated headers, non-IP) hash to 0, all of them,
// which keeps them together too. It does not allocate.
func FlowHash(f *capture.Frame) uint64 {
	b := f.Data
	var typ uint16 // EtherType of what b starts with; 0 for raw IP
	switch f.LinkType {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return 0
		}
		typ, b = binary.BigEndian.Uint16(b[12:14]), b[14:]
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return 0
		}
		typ, b = binary.BigEndian.Uint16(b[14:16]), b[16:]
	case layers.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return 0
		}
		typ, b = binary.BigEndian.Uint16(b[0:2]), b[20:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return 0
		}
		b = b[4:]
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
	default:
		return 0
	}
	for hops := 0; typ != 0 && hops < 8; hops++ {
		switch typ {
		case 0x8100, 0x88a8, 0x9100: // VLAN tags
			if len(b) < 4 {
				return 0
			}
			typ, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
		case 0x8864: // PPPoE session
			if len(b) < 8 {
				return 0
			}
			switch binary.BigEndian.Uint16(b[6:8]) {
			case 0x0021, 0x0057:
				typ, b = 0, b[8:]
			default:
				return 0
			}
		case 0x0800, 0x86dd:
			typ = 0
		default:
			return 0
		}
	}
	if typ != 0 || len(b) == 0 {
		return 0
	}
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return 0
		}
		ihl := int(b[0]&0x0f) * 4
		pair := mix(uint64(binary.BigEndian.Uint32(b[12:16]))) + mix(uint64(binary.BigEndian.Uint32(b[16:20])))
		frag := binary.BigEndian.Uint16(b[6:8])&0x3fff != 0
		if b[9] != 17 || frag || ihl < 20 || len(b) < ihl+4 || tunnelPort(b[ihl:]) {
			return pair | 1
		}
		return withPorts(b[12:16], b[16:20], b[ihl:])
	case 6:
		if len(b) < 40 {
			return 0
		}
		pair := mix(fold16(b[8:24])) + mix(fold16(b[24:40]))
		if b[6] != 17 || len(b) < 44 || tunnelPort(b[40:]) { // extension headers, fragments included, hash by pair
			return pair | 1
		}
		return withPorts(b[8:24], b[24:40], b[40:])
	}
	return 0
}

// withPorts hashes a UDP flow: each endpoint (address and port) mixed on its
// own, then added, so both directions agree.
func withPorts(src, dst, udp []byte) uint64 {
	sp := uint64(binary.BigEndian.Uint16(udp[0:2]))
	dp := uint64(binary.BigEndian.Uint16(udp[2:4]))
	return (mix(fold(src)^sp<<48) + mix(fold(dst)^dp<<48)) | 1
}

func fold(a []byte) uint64 {
	if len(a) == 4 {
		return uint64(binary.BigEndian.Uint32(a))
	}
	return fold16(a)
}

func fold16(a []byte) uint64 {
	return binary.BigEndian.Uint64(a[0:8]) ^ binary.BigEndian.Uint64(a[8:16])*0x9e3779b97f4a7c15
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

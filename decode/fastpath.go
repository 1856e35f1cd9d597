package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// fastUDP decodes the frame nearly every capture is made of, an unfragmented
// UDP datagram in IPv4 without options or IPv6 without extension headers,
// over Ethernet (with at most one VLAN tag) or raw IP, without the
// DecodingLayerParser: its per-layer map lookups and interface calls cost
// more than everything else an RTP frame needs.
//
// It reports false, having changed nothing, for any other frame and for
// anything odd about this one (lengths that disagree, fragments, options),
// so that the general path decodes and counts it as it always did. A fuzz
// test checks that both paths give the same events and counts.
func (d *Decoder) fastUDP(f *capture.Frame) bool {
	if d.noFastPath {
		return false
	}
	b := f.Data
	switch f.LinkType {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		typ := binary.BigEndian.Uint16(b[12:14])
		b = b[14:]
		if typ == 0x8100 { // one 802.1Q tag
			if len(b) < 4 {
				return false
			}
			typ = binary.BigEndian.Uint16(b[2:4])
			b = b[4:]
		}
		if typ != 0x0800 && typ != 0x86dd {
			return false
		}
		if len(b) == 0 || (typ == 0x0800) != (b[0]>>4 == 4) {
			return false
		}
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if len(b) == 0 {
			return false
		}
		if v := b[0] >> 4; f.LinkType == layers.LinkTypeIPv4 && v != 4 || f.LinkType == layers.LinkTypeIPv6 && v != 6 {
			return false
		}
	default:
		return false
	}
	var m Meta
	var udp []byte
	var src, dst netip.Addr
	var hdr []byte
	v6 := false
	switch {
	case len(b) >= 20+8 && b[0] == 0x45: // IPv4, no options
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if b[9] != 17 || total < 28 || total > len(b) || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
			return false // not UDP, length odd, or a fragment
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		udp = b[20:total]
		hdr = b[:20]
		d.Stats.IPv4++
	case len(b) >= 40+8 && b[0]>>4 == 6:
		plen := int(binary.BigEndian.Uint16(b[4:6]))
		if b[6] != 17 || plen < 8 || 40+plen > len(b) {
			return false
		}
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		udp = b[40 : 40+plen]
		hdr, v6 = b[:40], true
		d.Stats.IPv6++
	default:
		return false
	}
	ulen := int(binary.BigEndian.Uint16(udp[4:6]))
	if ulen < 8 || ulen > len(udp) || tunnelPort(udp) {
		// Undo the count: the general path decodes this frame again (a
		// tunnel's inner packet too).
		if !v6 {
			d.Stats.IPv4--
		} else {
			d.Stats.IPv6--
		}
		return false
	}
	// The same duplicate check as the general path, on the same bytes.
	if d.duplicate(f.Time, hdr, v6, udp) {
		return true
	}
	d.Stats.UDP++
	m.File, m.Frame, m.Time = f.File, f.Number, f.Time
	m.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(udp[0:2]))
	m.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(udp[2:4]))
	m.Transport = UDP
	d.udpPayload(&m, udp[8:ulen])
	return true
}

// tunnelPort reports whether a UDP datagram goes to or from a port whose
// payload the general path decodes as a tunnel (VXLAN, Geneve, GTP-U).
func tunnelPort(udp []byte) bool {
	return isTunnel(layers.UDPPort(binary.BigEndian.Uint16(udp[0:2]))) ||
		isTunnel(layers.UDPPort(binary.BigEndian.Uint16(udp[2:4])))
}

func isTunnel(p layers.UDPPort) bool {
	switch p.LayerType() {
	case layers.LayerTypeVXLAN, layers.LayerTypeGeneve, layers.LayerTypeGTPv1U:
		return true
	}
	return false
}

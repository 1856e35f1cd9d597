package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// Tunnels whose gopacket layers are not DecodingLayers, or do not cover
// every variant seen on mirror ports, are decoded here as DecodingLayers so
// the one parser walks through them. The others (802.1Q/QinQ, VXLAN,
// Geneve, GTP-U, IP-in-IP) are gopacket's own.

var (
	errShortMPLS   = errors.New("MPLS label stack truncated")
	errShortGRE    = errors.New("GRE header truncated")
	errShortERSPAN = errors.New("ERSPAN header truncated")
)

// mplsStack decodes a whole MPLS label stack in one step and guesses what is
// below it, as routers' mirror ports deliver it: IPv4 or IPv6 by the first
// nibble, or an Ethernet pseudowire behind a zero control word (RFC 4448).
type mplsStack struct {
	layers.BaseLayer
	next gopacket.LayerType
}

func (s *mplsStack) LayerType() gopacket.LayerType { return layers.LayerTypeMPLS }

func (s *mplsStack) CanDecode() gopacket.LayerClass { return layers.LayerTypeMPLS }

func (s *mplsStack) NextLayerType() gopacket.LayerType { return s.next }

func (s *mplsStack) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	i := 0
	for {
		if len(data) < i+4 {
			df.SetTruncated()
			return errShortMPLS
		}
		bottom := data[i+2]&0x01 != 0
		i += 4
		if bottom {
			break
		}
	}
	s.next = gopacket.LayerTypeZero
	rest := data[i:]
	if len(rest) > 0 {
		switch rest[0] >> 4 {
		case 4:
			s.next = layers.LayerTypeIPv4
		case 6:
			s.next = layers.LayerTypeIPv6
		case 0:
			// Pseudowire control word, then the customer's Ethernet frame.
			if len(rest) >= 4+14 {
				i += 4
				s.next = layers.LayerTypeEthernet
			}
		}
	}
	s.BaseLayer = layers.BaseLayer{Contents: data[:i], Payload: data[i:]}
	return nil
}

// GRE protocol types that carry mirrored traffic.
const (
	greERSPAN2     = 0x88BE // ERSPAN type I (no sequence number) and II
	greERSPAN3     = 0x22EB
	greEthBridging = 0x6558 // transparent Ethernet bridging (NVGRE, gretap)
)

// greTunnel decodes a GRE header (RFC 2784, RFC 2890 key and sequence
// number, RFC 2637 enhanced GRE's acknowledgment) and, for ERSPAN, the
// ERSPAN header behind it: type I has none, type II 8 bytes, type III 12
// bytes plus an 8-byte platform sub-header when its O flag is set.
type greTunnel struct {
	layers.BaseLayer
	next gopacket.LayerType
}

func (g *greTunnel) LayerType() gopacket.LayerType { return layers.LayerTypeGRE }

func (g *greTunnel) CanDecode() gopacket.LayerClass { return layers.LayerTypeGRE }

func (g *greTunnel) NextLayerType() gopacket.LayerType { return g.next }

func (g *greTunnel) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 4 {
		df.SetTruncated()
		return errShortGRE
	}
	flags, version := data[0], data[1]&0x07
	proto := binary.BigEndian.Uint16(data[2:4])
	n := 4
	if flags&0xC0 != 0 { // checksum or routing present: checksum and offset word
		n += 4
	}
	if flags&0x20 != 0 { // key
		n += 4
	}
	seq := flags&0x10 != 0
	if seq {
		n += 4
	}
	if version == 1 && data[1]&0x80 != 0 { // enhanced GRE acknowledgment
		n += 4
	}
	if len(data) < n {
		df.SetTruncated()
		return errShortGRE
	}
	g.next = gopacket.LayerTypeZero
	if flags&0x40 != 0 {
		// Source routing (RFC 1701) is obsolete and unseen on mirror
		// ports; what follows is not decoded.
		g.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
		return nil
	}
	switch proto {
	case greERSPAN2:
		if seq {
			if len(data) < n+8 {
				df.SetTruncated()
				return errShortERSPAN
			}
			n += 8
		}
		g.next = layers.LayerTypeEthernet
	case greERSPAN3:
		if len(data) < n+12 {
			df.SetTruncated()
			return errShortERSPAN
		}
		o := data[n+11]&0x01 != 0
		n += 12
		if o {
			if len(data) < n+8 {
				df.SetTruncated()
				return errShortERSPAN
			}
			n += 8
		}
		g.next = layers.LayerTypeEthernet
	case greEthBridging:
		g.next = layers.LayerTypeEthernet
	default:
		g.next = layers.EthernetType(proto).LayerType()
	}
	g.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
	return nil
}

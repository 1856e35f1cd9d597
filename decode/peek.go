package decode

import (
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// Endpoints is what Peek reads of a frame: where it went, over what.
type Endpoints struct {
	Src, Dst netip.AddrPort // ports are 0 for ICMP
	Proto    uint8          // IP protocol: 17 UDP, 6 TCP, 1 ICMP, 58 ICMPv6; 0 when not IP
	Payload  int            // transport payload length
	Fragment bool           // an IP fragment (ports unknown unless the first)
}

// Peeker reads the addresses of frames without decoding what they carry:
// what the pcap export needs to pick a call's RTP and TCP frames on a
// second pass over the capture. It reuses preallocated layers like the
// Decoder and does not allocate per frame.
type Peeker struct {
	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	udp     layers.UDP
	tcp     layers.TCP
	pppoe   pppoeSession
	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType
}

// NewPeeker returns a Peeker for every link type the Decoder reads.
func NewPeeker() *Peeker {
	p := &Peeker{decoded: make([]gopacket.LayerType, 0, 12), parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)}
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	} {
		dp := gopacket.NewDecodingLayerParser(first,
			&p.eth, &p.dot1q, &p.sll, &p.sll2, &p.loop, &p.ip4, &p.ip6, &p.udp, &p.tcp, &p.pppoe)
		dp.IgnoreUnsupported = true
		p.parsers[first] = dp
	}
	return p
}

// Peek returns the frame's endpoints; ok is false when the frame is not IP
// or too damaged to say.
func (p *Peeker) Peek(f *capture.Frame) (e Endpoints, ok bool) {
	// firstLayer reads only the frame, never the Decoder.
	dp := p.parsers[(*Decoder)(nil).firstLayer(f)]
	if dp == nil {
		return e, false
	}
	_ = dp.DecodeLayers(f.Data, &p.decoded) // errors leave what was decoded
	var src, dst netip.Addr
	for _, lt := range p.decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			src, _ = netip.AddrFromSlice(p.ip4.SrcIP)
			dst, _ = netip.AddrFromSlice(p.ip4.DstIP)
			src, dst = src.Unmap(), dst.Unmap()
			e.Proto, ok = uint8(p.ip4.Protocol), true
			e.Fragment = p.ip4.Flags&layers.IPv4MoreFragments != 0 || p.ip4.FragOffset != 0
			e.Src, e.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		case layers.LayerTypeIPv6:
			src, _ = netip.AddrFromSlice(p.ip6.SrcIP)
			dst, _ = netip.AddrFromSlice(p.ip6.DstIP)
			e.Proto, ok = uint8(p.ip6.NextHeader), true
			e.Fragment = p.ip6.NextHeader == layers.IPProtocolIPv6Fragment
			e.Src, e.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		case layers.LayerTypeUDP:
			e.Src = netip.AddrPortFrom(src, uint16(p.udp.SrcPort))
			e.Dst = netip.AddrPortFrom(dst, uint16(p.udp.DstPort))
			e.Payload = len(p.udp.Payload)
			return e, ok
		case layers.LayerTypeTCP:
			e.Src = netip.AddrPortFrom(src, uint16(p.tcp.SrcPort))
			e.Dst = netip.AddrPortFrom(dst, uint16(p.tcp.DstPort))
			e.Payload = len(p.tcp.Payload)
			return e, ok
		}
	}
	return e, ok
}

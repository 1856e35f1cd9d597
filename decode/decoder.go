package decode

import (
	"errors"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode/sip"
)

// Decoder walks frames down to their transport payloads and hands SIP
// messages to a Handler. It decodes into preallocated gopacket layers: no
// gopacket.NewPacket, no allocation per frame on the common path.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	h     Handler
	Stats Stats

	eth   layers.Ethernet
	dot1q layers.Dot1Q
	sll   layers.LinuxSLL
	sll2  layers.LinuxSLL2
	loop  layers.Loopback
	ip4   layers.IPv4
	ip6   layers.IPv6
	udp   layers.UDP
	tcp   layers.TCP
	icmp4 layers.ICMPv4
	icmp6 layers.ICMPv6
	pppoe pppoeSession

	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	tcpStreams *tcpStreams
}

// NewDecoder returns a Decoder that sends what it finds to h.
func NewDecoder(h Handler) *Decoder {
	d := &Decoder{h: h, decoded: make([]gopacket.LayerType, 0, 12)}
	d.Stats.Undecoded = make(map[string]int)
	d.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
	for _, first := range []gopacket.LayerType{
		layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
		layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	} {
		p := gopacket.NewDecodingLayerParser(first,
			&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.udp, &d.tcp, &d.icmp4, &d.icmp6, &d.pppoe)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.tcpStreams = newTCPStreams()
	return d
}

// Undecoded reasons, the keys of Stats.Undecoded.
const (
	ReasonLinkType   = "unsupported link type"
	ReasonTruncated  = "truncated or malformed packet"
	ReasonNotIP      = "not IP"
	ReasonFragment   = "IP fragment not reassembled"
	ReasonSIPParse   = "malformed SIP message"
	ReasonSIPPartial = "incomplete SIP message"
)

func (d *Decoder) firstLayer(f *capture.Frame) gopacket.LayerType {
	switch f.LinkType {
	case layers.LinkTypeEthernet:
		return layers.LayerTypeEthernet
	case layers.LinkTypeLinuxSLL:
		return layers.LayerTypeLinuxSLL
	case layers.LinkTypeLinuxSLL2:
		return layers.LayerTypeLinuxSLL2
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return layers.LayerTypeLoopback
	case layers.LinkTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.LinkTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.LinkTypeRaw, 12, 14:
		if len(f.Data) > 0 && f.Data[0]>>4 == 6 {
			return layers.LayerTypeIPv6
		}
		return layers.LayerTypeIPv4
	}
	return gopacket.LayerTypeZero
}

// Decode decodes one frame. It never panics on bad input: what it cannot
// decode is counted in Stats with the frame number.
func (d *Decoder) Decode(f *capture.Frame) {
	d.Stats.Frames++
	first := d.firstLayer(f)
	p := d.parsers[first]
	if p == nil {
		d.Stats.problem(f.File, f.Number, ReasonLinkType, ReasonLinkType+" "+f.LinkType.String())
		return
	}
	err := p.DecodeLayers(f.Data, &d.decoded)
	var (
		m       Meta
		haveIP  bool
		srcAddr netip.Addr
		dstAddr netip.Addr
	)
	m.File, m.Frame, m.Time = f.File, f.Number, f.Time
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			d.Stats.IPv4++
			haveIP = true
			srcAddr, _ = netip.AddrFromSlice(d.ip4.SrcIP)
			dstAddr, _ = netip.AddrFromSlice(d.ip4.DstIP)
			srcAddr, dstAddr = srcAddr.Unmap(), dstAddr.Unmap()
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				d.Stats.problem(f.File, f.Number, ReasonFragment, "")
				return
			}
		case layers.LayerTypeIPv6:
			d.Stats.IPv6++
			haveIP = true
			srcAddr, _ = netip.AddrFromSlice(d.ip6.SrcIP)
			dstAddr, _ = netip.AddrFromSlice(d.ip6.DstIP)
			if d.ip6.NextHeader == layers.IPProtocolIPv6Fragment {
				d.Stats.problem(f.File, f.Number, ReasonFragment, "")
				return
			}
		case layers.LayerTypeUDP:
			d.Stats.UDP++
			m.Src = netip.AddrPortFrom(srcAddr, uint16(d.udp.SrcPort))
			m.Dst = netip.AddrPortFrom(dstAddr, uint16(d.udp.DstPort))
			m.Transport = UDP
			if n := int(d.udp.Length) - 8; n > len(d.udp.Payload) && d.cutDatagram(&m, d.udp.Payload, n) {
				return
			}
			d.udpPayload(&m, d.udp.Payload)
			return
		case layers.LayerTypeTCP:
			d.Stats.TCP++
			m.Src = netip.AddrPortFrom(srcAddr, uint16(d.tcp.SrcPort))
			m.Dst = netip.AddrPortFrom(dstAddr, uint16(d.tcp.DstPort))
			m.Transport = TCP
			d.tcpSegment(&m, &d.tcp)
			return
		case layers.LayerTypeICMPv4:
			m.Src, m.Dst = netip.AddrPortFrom(srcAddr, 0), netip.AddrPortFrom(dstAddr, 0)
			tc := d.icmp4.TypeCode
			d.icmpError(&m, 4, tc.Type(), tc.Code(), d.icmp4.Payload)
			return
		case layers.LayerTypeICMPv6:
			m.Src, m.Dst = netip.AddrPortFrom(srcAddr, 0), netip.AddrPortFrom(dstAddr, 0)
			tc := d.icmp6.TypeCode
			d.icmpError(&m, 6, tc.Type(), tc.Code(), d.icmp6.Payload)
			return
		}
	}
	if err != nil {
		var unsupported gopacket.UnsupportedLayerType
		if !errors.As(err, &unsupported) {
			d.Stats.problem(f.File, f.Number, ReasonTruncated, ReasonTruncated+": "+err.Error())
			return
		}
	}
	if !haveIP {
		// ARP, LLDP, STP and the like: not ours, not an error.
		return
	}
}

// udpPayload handles one UDP datagram.
func (d *Decoder) udpPayload(m *Meta, payload []byte) {
	if !sip.LooksLikeSIP(payload) {
		d.nonSIPDatagram(m, payload)
		return
	}
	msg, err := sip.Parse(payload)
	if err != nil {
		d.Stats.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
		return
	}
	d.emitSIP(m, msg)
}

func (d *Decoder) emitSIP(m *Meta, msg *sip.Message) {
	d.Stats.SIPMessages++
	d.h.HandleSIP(&SIPMessage{Meta: *m, Message: msg})
}

// Flush tells the decoder the input has ended; buffered stream data that
// never completed a message is counted.
func (d *Decoder) Flush() {
	d.tcpStreams.flush(d)
}

package decode

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode/sip"
)

// Decoder walks frames down to their transport payloads and hands SIP
// messages to a Handler. It decodes into preallocated gopacket layers: no
// gopacket.NewPacket, no allocation per frame on the common path.
//
// Tunnels (802.1Q/QinQ, MPLS, GRE, ERSPAN I-III, VXLAN, Geneve, GTP-U,
// IP-in-IP) are walked through to the innermost IP packet, which is the one
// analysed. IP fragments are reassembled, TCP streams are framed (SIP and
// SIP over WebSocket), HEP packets are opened.
//
// A Decoder is not safe for concurrent use.
type Decoder struct {
	h     Handler
	Stats Stats

	// DuplicateWindow is how close in time an identical IP packet must
	// follow another to be dropped as a capture duplicate (the same packet
	// seen on two interfaces with -i any). Zero keeps every copy.
	DuplicateWindow time.Duration

	// Tap, when set, sees the raw bytes of every SIP message and RTCP packet
	// the decoder finds, with where they were seen: the hook for mirroring
	// them elsewhere (HEP). raw is valid only during the call.
	Tap func(m *Meta, kind TapKind, raw []byte)

	eth     layers.Ethernet
	dot1q   layers.Dot1Q
	sll     layers.LinuxSLL
	sll2    layers.LinuxSLL2
	loop    layers.Loopback
	ip4     layers.IPv4
	ip6     layers.IPv6
	ip6ext  layers.IPv6ExtensionSkipper
	ip6frag layers.IPv6Fragment
	udp     layers.UDP
	tcp     layers.TCP
	sctp    layers.SCTP
	icmp4   layers.ICMPv4
	icmp6   layers.ICMPv6
	pppoe   pppoeSession
	mpls    mplsStack
	gre     greTunnel
	vxlan   layers.VXLAN
	geneve  layers.Geneve
	gtp     layers.GTPv1U

	parsers map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded []gopacket.LayerType

	tcpStreams *tcpStreams

	media     MediaHandler // h, when it wants RTP and RTCP
	rtpPacket RTPPacket    // reused for every RTP packet
	frags     *reassembler
	dups      duplicates

	interest       Interest // what the current frame carried, see Interest
	countedAtStart int      // Stats.counted when the current frame started

	sipParser  *sip.Parser // shares the parsed header values a dialog repeats
	noFastPath bool        // tests: decode every frame the general way

	problems ProblemHandler // h, when it wants problems as they come
	ticks    uint64         // frames seen, decoded or advanced over
	pos      Position       // see Position
	sweepAt  time.Time      // when advance next sweeps TCP holes or fragments
}

// DefaultDuplicateWindow is the DuplicateWindow of a new Decoder: copies of
// one packet on bridged interfaces arrive microseconds apart, while a SIP
// retransmission comes 500 ms (T1) after the original at the earliest.
const DefaultDuplicateWindow = 5 * time.Millisecond

// TapKind says what a Tap receives.
type TapKind uint8

// Kinds of payload a Tap receives.
const (
	TapSIP TapKind = iota + 1
	TapRTCP
)

// firstLayers are the layers a parse can start from: the link types, and the
// transports a reassembled IP datagram continues with.
var firstLayers = []gopacket.LayerType{
	layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL, layers.LayerTypeLinuxSLL2,
	layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6,
	layers.LayerTypeUDP, layers.LayerTypeTCP, layers.LayerTypeSCTP, layers.LayerTypeGRE,
	layers.LayerTypeICMPv4, layers.LayerTypeICMPv6,
}

// NewDecoder returns a Decoder that sends what it finds to h.
func NewDecoder(h Handler) *Decoder {
	d := &Decoder{h: h, decoded: make([]gopacket.LayerType, 0, 16), DuplicateWindow: DefaultDuplicateWindow}
	d.Stats.Undecoded = make(map[string]int)
	d.parsers = make(map[gopacket.LayerType]*gopacket.DecodingLayerParser)
	for _, first := range firstLayers {
		// The extension skipper comes before ip6frag, which takes the
		// fragment header back from it.
		p := gopacket.NewDecodingLayerParser(first,
			&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ip6ext, &d.ip6frag,
			&d.udp, &d.tcp, &d.sctp, &d.icmp4, &d.icmp6, &d.pppoe,
			&d.mpls, &d.gre, &d.vxlan, &d.geneve, &d.gtp)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.tcpStreams = newTCPStreams()
	d.frags = newReassembler()
	d.media, _ = h.(MediaHandler)
	d.problems, _ = h.(ProblemHandler)
	d.sipParser = sip.NewParser()
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
	ReasonTCPGap     = "TCP bytes missing from the capture"
	ReasonHEP        = "malformed HEP packet"
	ReasonSCTP       = "SCTP message not decoded"
	ReasonWebSocket  = "malformed WebSocket frame"
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
	d.interest, d.countedAtStart = 0, d.Stats.counted
	d.decode(f)
	d.advance(f.Time)
}

func (d *Decoder) decode(f *capture.Frame) {
	if f.LinkType != capture.LinkTypeHEP && d.fastUDP(f) {
		return
	}
	m := Meta{File: f.File, Frame: f.Number, Time: f.Time}
	if f.LinkType == capture.LinkTypeHEP {
		d.hepPacket(&m, f.Data)
		return
	}
	first := d.firstLayer(f)
	if d.parsers[first] == nil {
		d.problem(f.File, f.Number, ReasonLinkType, ReasonLinkType+" "+f.LinkType.String())
		return
	}
	d.walk(&m, first, f.Data, netip.Addr{}, netip.Addr{})
}

// walk decodes data from layer first through any tunnels to the innermost IP
// packet and hands its transport payload on. src and dst are the IP
// addresses when data starts above IP (a reassembled datagram).
func (d *Decoder) walk(m *Meta, first gopacket.LayerType, data []byte, src, dst netip.Addr) {
	err := d.parsers[first].DecodeLayers(data, &d.decoded)
	if err != nil {
		var unsupported gopacket.UnsupportedLayerType
		if n := len(d.decoded); !errors.As(err, &unsupported) && (n == 0 || d.decoded[n-1] != layers.LayerTypeUDP || !tunnelPort(d.udp.Contents)) {
			// A layer that failed may have left its struct half written:
			// nothing decoded is trusted.
			d.problem(m.File, m.Frame, ReasonTruncated, ReasonTruncated+": "+err.Error())
			return
		}
		// Otherwise what failed was a tunnel header above UDP on a tunnel's
		// port (GTP-U 2152, VXLAN 4789, Geneve 6081): an RTP port range
		// takes in those ports too, so the datagram is taken as it is.
	}
	// The layer structs hold the innermost instance of each layer type:
	// find the innermost IP layer and the transport directly above it.
	network, transport, frag6 := gopacket.LayerTypeZero, gopacket.LayerTypeZero, false
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeIPv4, layers.LayerTypeIPv6:
			network, transport, frag6 = lt, gopacket.LayerTypeZero, false
		case layers.LayerTypeIPv6Fragment:
			frag6 = true
		case layers.LayerTypeUDP, layers.LayerTypeTCP, layers.LayerTypeSCTP, layers.LayerTypeICMPv4, layers.LayerTypeICMPv6:
			if transport == gopacket.LayerTypeZero {
				transport = lt
			}
		}
	}
	switch network {
	case layers.LayerTypeIPv4:
		d.Stats.IPv4++
		src, dst = addrOf(d.ip4.SrcIP), addrOf(d.ip4.DstIP)
		if d.duplicate(m.Time, d.ip4.Contents, false, d.ip4.Payload) {
			return
		}
		if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
			d.fragment4(m, &d.ip4)
			return
		}
	case layers.LayerTypeIPv6:
		d.Stats.IPv6++
		src, dst = addrOf(d.ip6.SrcIP), addrOf(d.ip6.DstIP)
		if d.duplicate(m.Time, d.ip6.Contents, true, d.ip6.Payload) {
			return
		}
		if frag6 && (d.ip6frag.FragmentOffset != 0 || d.ip6frag.MoreFragments) {
			d.fragment6(m, &d.ip6, &d.ip6frag)
			return
		}
	}
	if !src.IsValid() {
		// ARP, LLDP, STP and the like: not ours, not an error.
		return
	}
	switch transport {
	case layers.LayerTypeUDP:
		d.Stats.UDP++
		m.Src = netip.AddrPortFrom(src, uint16(d.udp.SrcPort))
		m.Dst = netip.AddrPortFrom(dst, uint16(d.udp.DstPort))
		m.Transport = UDP
		// A datagram cut by the snap length: SIP in it is counted, and
		// parsed as far as it goes when its header block is whole.
		if n := int(d.udp.Length) - 8; n > len(d.udp.Payload) && d.cutDatagram(m, d.udp.Payload, n) {
			return
		}
		d.udpPayload(m, d.udp.Payload)
	case layers.LayerTypeTCP:
		d.Stats.TCP++
		m.Src = netip.AddrPortFrom(src, uint16(d.tcp.SrcPort))
		m.Dst = netip.AddrPortFrom(dst, uint16(d.tcp.DstPort))
		m.Transport = TCP
		d.tcpSegment(m, &d.tcp)
	case layers.LayerTypeSCTP:
		m.Src = netip.AddrPortFrom(src, uint16(d.sctp.SrcPort))
		m.Dst = netip.AddrPortFrom(dst, uint16(d.sctp.DstPort))
		m.Transport = SCTP
		d.sctpPacket(m, d.sctp.Payload)
	case layers.LayerTypeICMPv4:
		m.Src, m.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		tc := d.icmp4.TypeCode
		d.icmpError(m, 4, tc.Type(), tc.Code(), d.icmp4.Payload)
	case layers.LayerTypeICMPv6:
		m.Src, m.Dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		tc := d.icmp6.TypeCode
		d.icmpError(m, 6, tc.Type(), tc.Code(), d.icmp6.Payload)
	}
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// udpPayload handles one UDP datagram.
func (d *Decoder) udpPayload(m *Meta, payload []byte) {
	if d.hepDatagram(m, payload) {
		return
	}
	if !sip.LooksLikeSIP(payload) {
		if d.Tap != nil && looksLikeRTCP(payload) {
			d.tap(m, TapRTCP, payload)
		}
		d.nonSIPDatagram(m, payload)
		return
	}
	msg, err := d.sipParser.Parse(payload)
	if err != nil {
		d.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
		return
	}
	d.emitSIP(m, msg)
}

// looksLikeRTCP is the cheap test for the Tap: RTP version 2 and a packet
// type in the RTCP range (RFC 3550, RFC 5761 §4).
func looksLikeRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223
}

// tap hands the Tap a copy of m: m itself stays on the stack of Decode, so
// frames that reach no Tap cost no allocation.
func (d *Decoder) tap(m *Meta, kind TapKind, raw []byte) {
	c := *m
	d.Tap(&c, kind, raw)
}

func (d *Decoder) emitSIP(m *Meta, msg *sip.Message) {
	d.interest |= InterestSIP
	d.Stats.SIPMessages++
	if d.Tap != nil {
		d.tap(m, TapSIP, msg.Raw)
	}
	d.h.HandleSIP(&SIPMessage{Meta: *m, Message: msg})
}

// Flush tells the decoder the input has ended; buffered stream data that
// never completed a message, and fragments that never completed a datagram,
// are counted.
func (d *Decoder) Flush() {
	d.tcpStreams.flush(d)
	d.frags.flush(d)
	d.pos = Position{}
}

package decode

import (
	"net/netip"
	"time"

	"github.com/sipscope/sipscope/decode/sip"
)

// Transport is the transport a SIP message travelled on.
type Transport uint8

// Transports, as Via names them.
const (
	UDP Transport = iota
	TCP
	TLS
	WS
	WSS
	SCTP
)

var transportNames = [...]string{"UDP", "TCP", "TLS", "WS", "WSS", "SCTP"}

func (t Transport) String() string {
	if int(t) < len(transportNames) {
		return transportNames[t]
	}
	return "?"
}

// Meta says where and when a protocol event was seen.
type Meta struct {
	File      int       // index of the capture file (0-based), as capture.Frame.File
	Frame     int       // 1-based frame number in that file; for a reassembled message, its last frame
	Time      time.Time // capture time of that frame
	Src, Dst  netip.AddrPort
	Transport Transport
	// Fragments is the number of IP fragments the datagram was reassembled
	// from; 0 when it was not fragmented.
	Fragments int
	// Encapsulation names what the packet arrived in when it was not on the
	// wire itself: "HEP" for a packet a HOMER agent sent. Tunnels walked
	// through (GRE, VXLAN, ...) are not named: the inner packet is the one
	// that travelled.
	Encapsulation string
}

// SIPMessage is a SIP message with where it was seen.
type SIPMessage struct {
	Meta
	*sip.Message
}

// Handler receives the events the decoder produces, in capture order.
// Slices inside events are private copies the handler may keep.
type Handler interface {
	HandleSIP(m *SIPMessage)
	HandleICMP(e *ICMPError)
}

// Problem is a frame or message the decoder could not make sense of.
type Problem struct {
	File   int
	Frame  int
	Reason string
}

// Stats counts what the decoder saw.
type Stats struct {
	Frames      int
	IPv4, IPv6  int
	UDP, TCP    int
	SIPMessages int
	ICMPErrors  int
	// Duplicates counts IP packets dropped as capture duplicates (the same
	// packet seen again within Decoder.DuplicateWindow).
	Duplicates int
	// Reassembled counts IP datagrams reassembled from fragments.
	Reassembled int
	// TCPRetransmissions counts TCP segments whose bytes had all been seen:
	// dropped before SIP framing, so they never count as SIP retransmissions.
	TCPRetransmissions int
	// HEPPackets counts HEP packets opened (from captures or a listener).
	HEPPackets int
	// EncryptedFlows lists the TLS flows on SIP ports (SIP over TLS, not
	// decrypted), the first MaxEncryptedFlows of them.
	EncryptedFlows []EncryptedFlow
	// RTP and RTCP count datagrams that parsed as RTP or RTCP, on any
	// flow: correlation decides which are media of a call.
	RTP, RTCP int
	// Undecoded counts frames or messages that could not be decoded, by reason.
	Undecoded map[string]int
	// Problems lists the first MaxProblems undecodable frames with their reason.
	Problems []Problem

	counted int // every problem counted, for Decoder.Interest
}

// MaxProblems bounds Stats.Problems; Undecoded keeps counting past it.
const MaxProblems = 1000

// Add adds o's counts to s: every counter, Undecoded by reason. The lists
// are appended, o's after s's, up to their bounds (MaxProblems,
// MaxEncryptedFlows): a caller merging the Stats of Decoders that shared a
// capture by flow puts them in capture order itself.
func (s *Stats) Add(o *Stats) {
	s.Frames += o.Frames
	s.IPv4 += o.IPv4
	s.IPv6 += o.IPv6
	s.UDP += o.UDP
	s.TCP += o.TCP
	s.SIPMessages += o.SIPMessages
	s.ICMPErrors += o.ICMPErrors
	s.Duplicates += o.Duplicates
	s.Reassembled += o.Reassembled
	s.TCPRetransmissions += o.TCPRetransmissions
	s.HEPPackets += o.HEPPackets
	s.RTP += o.RTP
	s.RTCP += o.RTCP
	s.counted += o.counted
	if len(o.Undecoded) > 0 && s.Undecoded == nil {
		s.Undecoded = make(map[string]int, len(o.Undecoded))
	}
	for k, v := range o.Undecoded {
		s.Undecoded[k] += v
	}
	s.EncryptedFlows = append(s.EncryptedFlows, o.EncryptedFlows[:min(len(o.EncryptedFlows), max(0, MaxEncryptedFlows-len(s.EncryptedFlows)))]...)
	s.Problems = append(s.Problems, o.Problems[:min(len(o.Problems), max(0, MaxProblems-len(s.Problems)))]...)
}

// problem counts a problem and reports whether it was kept in Problems.
func (s *Stats) problem(file, frame int, reason, detail string) bool {
	if s.Undecoded == nil {
		s.Undecoded = make(map[string]int)
	}
	s.Undecoded[reason]++
	s.counted++
	if len(s.Problems) >= MaxProblems {
		return false
	}
	if detail == "" {
		detail = reason
	}
	s.Problems = append(s.Problems, Problem{File: file, Frame: frame, Reason: detail})
	return true
}

// EncryptedFlow is a TCP connection carrying TLS on a SIP port: SIP the
// decoder cannot read, reported so its absence from the calls is explained.
type EncryptedFlow struct {
	File           int
	FirstFrame     int // 1-based frame of the first TLS record seen
	Client, Server netip.AddrPort
	ServerName     string // SNI of the ClientHello, when seen
	Frames         int    // segments with payload, both directions
	Bytes          int    // TCP payload bytes, both directions
}

// MaxEncryptedFlows bounds Stats.EncryptedFlows.
const MaxEncryptedFlows = 1000

package correlate

import (
	"net/netip"
	"time"

	"github.com/sipscope/sipscope/decode/sdp"
)

// Roles of the two sides of a call: the caller sent the first INVITE (its
// From tag), the callee answered it.
const (
	RoleCaller = "caller"
	RoleCallee = "callee"
)

// roleIndex numbers the roles: 0 for the caller, 1 for the callee.
func roleIndex(r string) int {
	if r == RoleCaller {
		return 0
	}
	return 1
}

func otherRole(r string) string {
	if r == RoleCaller {
		return RoleCallee
	}
	return RoleCaller
}

// CallMedia is what a call's signalling said about media and what media
// flowed: session descriptions, offer/answer exchanges, RTP streams and
// DTMF.
type CallMedia struct {
	SDPs         []*SDP         // every description in the call's messages, in order
	Negotiations []*Negotiation // offer/answer exchanges, in order
	Streams      []*Stream      // RTP streams bound to the call, in order of their first packet
	// Flows says, per m= line and direction, what the SDP let flow and
	// what did.
	Flows []*MediaFlow
	DTMF  []*DTMF // RFC 4733 events and SIP INFO digits, in order
	// RTCP holds reception reports from the call's RTCP flows about a
	// stream the capture does not hold (it never passed the capture point).
	RTCP []UnmatchedReport

	callerTag  string
	pending    *Negotiation
	lastOrigin [2]string // o= line of the last description of each role (roleIndex)
	// lastBody is the last session description parsed, lastSession what it
	// said: a 200 OK repeating its 183's SDP is not parsed again.
	lastBody    []byte
	lastSession *sdp.Session
	// endpoints are the addresses the call's SDP bound, for flushMedia.
	endpoints []netip.AddrPort
}

// SDP is one session description in a call's signalling.
type SDP struct {
	Message *Message // the message that carried it
	Session *sdp.Session
	Role    string // who wrote it: RoleCaller or RoleCallee
	// Offer is set for an offer, clear for an answer (RFC 3264).
	Offer bool
	// Repeat is set when the description has the same o= line as the
	// writer's previous one: no change (RFC 3264 §8), e.g. a 200 OK
	// repeating the 183's SDP.
	Repeat bool
}

// Negotiation is one offer/answer exchange. Answer is nil while the offer
// is pending (or when the capture missed the answer).
type Negotiation struct {
	Offer, Answer *SDP
}

// mediaLine returns the i-th m= line of an SDP, or nil.
func (s *SDP) mediaLine(i int) *sdp.MediaLine {
	if s == nil || i < 0 || i >= len(s.Session.Media) {
		return nil
	}
	return &s.Session.Media[i]
}

// MediaFlow is one direction of one m= line of a call: from the side that
// sends to the side that receives.
type MediaFlow struct {
	Media    int    // m= line index
	From, To string // roles
	// Expected is set when an offer/answer exchange let From send and To
	// receive (direction attributes, port not 0, address not 0.0.0.0).
	Expected bool
	// Target is where To's description said to send: the address this flow
	// should reach. TargetSDP is that description.
	Target    netip.AddrPort
	TargetSDP *SDP
	// Source is the address From's description announced: with symmetric
	// RTP (RFC 4961) From also sends from there.
	Source  netip.AddrPort
	Streams []*Stream // the streams of this direction
	Packets int
	// First is the first packet of the flow; zero when none.
	FirstTime        time.Time
	FirstFile, First int
}

// Stream is one RTP stream: the packets from Src to Dst with one SSRC, the
// unit Wireshark's RTP Streams lists and measures.
type Stream struct {
	Src, Dst netip.AddrPort
	SSRC     uint32
	// Call is the call whose SDP announced Src or Dst; nil for a stream
	// found by the heuristic alone (Heuristic set).
	Call      *Call
	Heuristic bool
	flushed   bool // handed over with its call; compacted out of mediaState.streams

	// SDP is the description that announced Announced, the address the
	// stream was matched on (Dst, or Src for symmetric RTP to an address
	// no SDP gave); Media is the m= line.
	SDP       *SDP
	Media     int
	Announced netip.AddrPort
	From, To  string // roles of sender and receiver, "" when unbound
	// ExpectedSrc is the address the sender's own SDP announced, where
	// symmetric RTP comes from; invalid when unknown. Src differs from it
	// behind NAT or with asymmetric RTP.
	ExpectedSrc netip.AddrPort

	PayloadType  uint8   // of the first packet
	Codec        string  // encoding name of PayloadType ("PCMA", "opus"), "" when unknown
	ClockRate    int     // RTP clock of PayloadType in Hz, 0 when unknown
	PayloadTypes []uint8 // every payload type seen, in order of first appearance
	// Unexpected lists payload types the answer in force did not list,
	// with the frame each was first seen in.
	Unexpected []UnexpectedPT

	// Figures per Wireshark's RTP stream analysis (tap-rtp-analysis);
	// times in milliseconds.
	Packets    int // packets received, duplicates included
	Expected   int // highest - lowest extended sequence number + 1
	Lost       int // Expected minus distinct packets; never negative
	Duplicates int // packets whose sequence number was already seen
	SeqErrors  int // packets out of sequence: lost before, late or duplicated
	Bytes      int // payload octets

	MinDeltaMS, MeanDeltaMS, MaxDeltaMS    float64
	MaxDeltaFile, MaxDeltaFrame            int
	MinJitterMS, MeanJitterMS, MaxJitterMS float64 // RFC 3550 interarrival jitter
	MaxSkewMS                              float64 // signed: positive when timestamps run ahead of arrival
	// Start and End are the capture times of the first and last packet.
	Start, End            time.Time
	FirstFile, FirstFrame int
	LastFile, LastFrame   int

	RTCP    RTCPSummary
	Quality Quality

	stats        rtpStats
	cache        ptCache    // the current payload type
	known        [4]ptCache // the last payload types resolved
	nextKnown    int
	negotiations int       // len(Call.Media.Negotiations) when known was filled
	seenPT       [2]uint64 // bitset of payload types seen
	dtmf         *DTMF     // the RFC 4733 event in progress
}

// Duration is the time from the first packet to the last.
func (s *Stream) Duration() time.Duration { return s.End.Sub(s.Start) }

// LossPercent is Lost over Expected, in percent.
func (s *Stream) LossPercent() float64 {
	if s.Expected <= 0 {
		return 0
	}
	return float64(s.Lost) * 100 / float64(s.Expected)
}

// CallID returns the Call-ID of the stream's call, "" when unbound.
func (s *Stream) CallID() string {
	if s.Call == nil {
		return ""
	}
	return s.Call.CallID
}

// UnexpectedPT is a payload type a stream carried that the SDP answer in
// force did not list.
type UnexpectedPT struct {
	PayloadType uint8
	File, Frame int
	Answer      []uint8 // the formats the answer listed
	AnswerSDP   *SDP
}

// RTCPSummary is what RTCP said about a stream: the receiver's reports
// about it and the sender's own reports.
type RTCPSummary struct {
	Reports         int     // reception report blocks about the stream
	FractionLostPct float64 // in the last report
	CumulativeLost  int32   // in the last report
	JitterMS        float64 // in the last report, converted with the stream's clock
	MaxJitterMS     float64
	// RTT is the round trip from the capture point to the receiver and
	// back, from SR capture time, LSR and DLSR; RTTSamples counts the
	// reports it could be computed for.
	LastRTTMS, MaxRTTMS float64
	RTTSamples          int
	SenderReports       int // SRs the stream's sender sent about itself
	LastReportFile      int
	LastReportFrame     int
	// VoIP is the receiver's last RFC 3611 VoIP metrics block, nil when none.
	VoIP *VoIPSummary
}

// VoIPSummary is an RFC 3611 VoIP metrics block in plain units.
type VoIPSummary struct {
	LossPct, DiscardPct float64
	RoundTripMS         int
	RFactor             int     // -1 when the endpoint did not say
	MOSLQ, MOSCQ        float64 // 0 when the endpoint did not say
}

// UnmatchedReport is an RTCP reception report whose source SSRC matches no
// stream of the capture.
type UnmatchedReport struct {
	File, Frame     int
	Time            time.Time
	Src, Dst        netip.AddrPort
	Reporter        uint32
	Source          uint32
	FractionLostPct float64
	CumulativeLost  int32
}

// DTMF is one key press: an RFC 4733 telephone-event or a SIP INFO digit.
type DTMF struct {
	Digit    string // "0"-"9", "*", "#", "A"-"D", "flash"
	Source   string // DTMFRFC4733 or DTMFSIPInfo
	Time     time.Time
	Duration time.Duration // 0 when unknown
	Volume   int           // -dBm0, RFC 4733 only
	File     int
	Frame    int            // first packet of the event, or the INFO
	Src, Dst netip.AddrPort // of the RTP stream or the INFO
	Stream   *Stream        // RFC 4733 only
	Ended    bool           // RFC 4733: the end bit was seen

	ts uint32
}

// DTMF sources.
const (
	DTMFRFC4733 = "RFC 4733"
	DTMFSIPInfo = "SIP INFO"
)

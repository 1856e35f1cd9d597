package decode

import (
	"github.com/sipscope/sipscope/decode/rtp"
)

// RTPPacket is one RTP packet with where it was seen.
//
// The decoder reuses a single RTPPacket for every packet and Payload aliases
// the capture buffer: both are valid only during the HandleRTP call. Copy
// what you keep. This is what keeps the media path free of allocation.
type RTPPacket struct {
	Meta
	rtp.Header
	Payload []byte // without padding
}

// RTCPPacket is one compound RTCP packet with where it was seen. Unlike
// RTPPacket it is allocated per packet and may be kept: RTCP is a few
// packets every few seconds.
type RTCPPacket struct {
	Meta
	*rtp.RTCP
}

// MediaHandler is what a Handler also implements to receive RTP and RTCP.
// It is a separate interface so that handlers interested in signalling only
// need not care; the decoder checks for it once, in NewDecoder.
//
// The decoder hands over every UDP datagram that looks like RTP or RTCP,
// whatever its ports: it cannot know which flows the SDP announced, so
// deciding what is media is the handler's business. Each method reports
// whether the packet belongs to media the handler knows (a stream the SDP
// announced, or one the heuristic accepted): a capture writer keeps those.
type MediaHandler interface {
	HandleRTP(p *RTPPacket) (known bool)
	HandleRTCP(p *RTCPPacket) (known bool)
}

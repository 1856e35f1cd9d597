package rtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtcp"
)

// Errors returned by ParseRTCP.
var (
	ErrRTCPTooShort = errors.New("rtcp: shorter than a 4-byte header")
	ErrRTCPVersion  = errors.New("rtcp: version is not 2")
	ErrRTCPLength   = errors.New("rtcp: length field runs past the datagram")
	ErrRTCPEmpty    = errors.New("rtcp: no sender, receiver or extended report in the compound packet")
)

// RTCP packet types (RFC 3550 §12.1, RFC 3611).
const (
	typeSR   = 200
	typeRR   = 201
	typeSDES = 202
	typeBYE  = 203
	typeXR   = 207
)

// RTCP is what a compound RTCP packet reports, flattened: media statistics
// need the reports, not the packet structure. Every slice is a private copy.
type RTCP struct {
	Senders     []SenderInfo      // one per SR
	Reports     []ReceptionReport // the report blocks of every SR and RR
	VoIP        []VoIPMetrics     // RFC 3611 VoIP metrics blocks of every XR
	Bye         []uint32          // SSRCs that said goodbye
	Types       []uint8           // packet types in the compound, in order
	Unreadable  int               // sub-packets that could not be parsed and were skipped
	FirstReason string            // why the first unreadable sub-packet was skipped
}

// SenderInfo is the sender information of an SR (RFC 3550 §6.4.1).
type SenderInfo struct {
	SSRC        uint32
	NTPTime     uint64 // 32.32 fixed point seconds since 1900
	RTPTime     uint32
	PacketCount uint32
	OctetCount  uint32
}

// LSR is the middle 32 bits of the NTP timestamp: the value a receiver
// echoes in the LSR field of its report blocks about this sender.
func (s SenderInfo) LSR() uint32 { return uint32(s.NTPTime >> 16) }

// ReceptionReport is one report block (RFC 3550 §6.4.1): what Reporter
// says about the RTP it receives from Source.
type ReceptionReport struct {
	Reporter       uint32 // SSRC of the SR or RR sender
	Source         uint32 // SSRC of the stream reported on
	FractionLost   uint8  // fixed point, binary point at the left: lost/expected * 256 since the last report
	CumulativeLost int32  // 24-bit signed: duplicates can make it negative
	HighestSeq     uint32 // extended highest sequence number received
	Jitter         uint32 // interarrival jitter in RTP timestamp units
	LSR            uint32 // middle 32 bits of the last SR's NTP time, 0 if none
	DLSR           uint32 // delay since that SR in 1/65536 s
}

// FractionLostPercent converts FractionLost to a percentage.
func (r ReceptionReport) FractionLostPercent() float64 { return float64(r.FractionLost) * 100 / 256 }

// DelaySinceLastSR converts DLSR to a duration.
func (r ReceptionReport) DelaySinceLastSR() time.Duration {
	return time.Duration(uint64(r.DLSR) * uint64(time.Second) / 65536)
}

// VoIPMetrics is an RFC 3611 §4.7 VoIP metrics report block: the
// receiving endpoint's own view of call quality.
type VoIPMetrics struct {
	Reporter       uint32
	Source         uint32
	LossRate       uint8  // fraction lost, binary point at the left (x/256)
	DiscardRate    uint8  // fraction discarded by the jitter buffer (x/256)
	RoundTripDelay uint16 // ms
	EndSystemDelay uint16 // ms
	RFactor        uint8  // 0-100, 127 when unavailable
	MOSLQ          uint8  // MOS x10, 127 when unavailable
	MOSCQ          uint8  // MOS x10, 127 when unavailable
	JBNominal      uint16 // ms
	JBMaximum      uint16 // ms
}

// ParseRTCP reads a compound RTCP packet. Each sub-packet is checked and
// parsed on its own, so that one damaged or unknown packet (a vendor's APP,
// a malformed SDES) does not hide the reports next to it; those are counted
// in Unreadable. It fails when the datagram is not RTCP at all or holds no
// report worth keeping.
func ParseRTCP(b []byte) (*RTCP, error) {
	if len(b) < 4 {
		return nil, ErrRTCPTooShort
	}
	out := &RTCP{}
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, ErrRTCPTooShort
		}
		if b[0]>>6 != 2 {
			return nil, ErrRTCPVersion
		}
		n := (int(binary.BigEndian.Uint16(b[2:])) + 1) * 4
		if n > len(b) {
			return nil, ErrRTCPLength
		}
		pkt := b[:n]
		b = b[n:]
		typ := pkt[1]
		out.Types = append(out.Types, typ)
		if err := out.add(typ, pkt); err != nil {
			out.Unreadable++
			if out.FirstReason == "" {
				out.FirstReason = fmt.Sprintf("packet type %d: %v", typ, err)
			}
		}
	}
	if len(out.Senders) == 0 && len(out.Reports) == 0 && len(out.VoIP) == 0 && len(out.Bye) == 0 {
		return nil, ErrRTCPEmpty
	}
	return out, nil
}

func (out *RTCP) add(typ uint8, pkt []byte) error {
	switch typ {
	case typeSR:
		var sr rtcp.SenderReport
		if err := sr.Unmarshal(pkt); err != nil {
			return err
		}
		out.Senders = append(out.Senders, SenderInfo{SSRC: sr.SSRC, NTPTime: sr.NTPTime, RTPTime: sr.RTPTime,
			PacketCount: sr.PacketCount, OctetCount: sr.OctetCount})
		out.addReports(sr.SSRC, sr.Reports)
	case typeRR:
		var rr rtcp.ReceiverReport
		if err := rr.Unmarshal(pkt); err != nil {
			return err
		}
		out.addReports(rr.SSRC, rr.Reports)
	case typeXR:
		var xr rtcp.ExtendedReport
		if err := xr.Unmarshal(pkt); err != nil {
			return err
		}
		for _, blk := range xr.Reports {
			if v, ok := blk.(*rtcp.VoIPMetricsReportBlock); ok {
				out.VoIP = append(out.VoIP, VoIPMetrics{
					Reporter: xr.SenderSSRC, Source: v.SSRC, LossRate: v.LossRate, DiscardRate: v.DiscardRate,
					RoundTripDelay: v.RoundTripDelay, EndSystemDelay: v.EndSystemDelay,
					RFactor: v.RFactor, MOSLQ: v.MOSLQ, MOSCQ: v.MOSCQ,
					JBNominal: v.JBNominal, JBMaximum: v.JBMaximum,
				})
			}
		}
	case typeBYE:
		var bye rtcp.Goodbye
		if err := bye.Unmarshal(pkt); err != nil {
			return err
		}
		out.Bye = append(out.Bye, bye.Sources...)
	}
	// SDES, APP and feedback packets carry nothing media statistics use.
	return nil
}

func (out *RTCP) addReports(reporter uint32, rs []rtcp.ReceptionReport) {
	for _, r := range rs {
		lost := int32(r.TotalLost & 0xffffff)
		if lost&0x800000 != 0 {
			lost -= 1 << 24 // 24-bit two's complement
		}
		out.Reports = append(out.Reports, ReceptionReport{
			Reporter: reporter, Source: r.SSRC, FractionLost: r.FractionLost, CumulativeLost: lost,
			HighestSeq: r.LastSequenceNumber, Jitter: r.Jitter, LSR: r.LastSenderReport, DLSR: r.Delay,
		})
	}
}

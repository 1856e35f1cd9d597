package decode

// Interest says what the last decoded frame carried that an analysis needs.
// A capture writer that keeps only such frames (sipscope live -w) produces
// files that, read again, give the same calls, and in which every frame
// number the analysis cited is the frame it meant.
type Interest uint8

// Interests; a frame may carry several.
const (
	// InterestSIP: a SIP message, a TCP segment appended to a stream that
	// carries SIP, or SIP-looking data (kept even when it fails to parse,
	// as evidence).
	InterestSIP Interest = 1 << iota
	// InterestICMP: an ICMP error quoting a UDP or TCP packet.
	InterestICMP
	// InterestFragment: an IP fragment, whose datagram may be SIP.
	InterestFragment
	// InterestProblem: the frame was counted as undecodable; a report
	// cites its number.
	InterestProblem
	// InterestMedia: RTP or RTCP, set by the media dissectors. Whether the
	// stream belongs to a known call is correlation's business, not
	// decode's: a writer that keeps "RTP of known calls" asks correlate.
	InterestMedia
)

// Interest returns what the last frame given to Decode carried; zero when
// nothing in it matters to the analysis.
func (d *Decoder) Interest() Interest {
	if d.Stats.counted != d.countedAtStart {
		return d.interest | InterestProblem
	}
	return d.interest
}

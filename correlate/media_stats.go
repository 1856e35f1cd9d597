package correlate

import (
	"math"
	"time"
)

// rtpStats measures one stream the way Wireshark 4.0's RTP stream analysis
// (ui/tap-rtp-analysis.c, rtppacket_analyse) does, so that the figures an
// engineer compares with Wireshark agree:
//
//   - times are in milliseconds; the first packet only initialises;
//   - a packet is "in time sequence" when its RTP timestamp is not before
//     the first packet's; only those move the reference time and feed
//     delta, jitter and skew;
//   - jitter is RFC 3550 §6.4.1's J += (|D| - J)/16 with D the difference
//     between arrival spacing and timestamp spacing, computed only when the
//     payload type has a known clock rate (none for telephone-event);
//   - min/max/mean delta and jitter count only "regular" packets: not the
//     first, not marked, not comfort noise nor the packet after it, not
//     out of time sequence. Means use Wireshark's running formula
//     (mean*(n-1) + x)/n with n all packets so far;
//   - sequence errors count packets that are not the successor of the
//     previous in-sequence one (a gap, a late or a repeated packet).
//
// Where Wireshark has a defect we do not copy it, and say so:
//
//   - lost is never negative: duplicates are counted apart (a bitmap of the
//     last 1024 sequence numbers) and expected is the span of extended
//     sequence numbers seen, so a repeated packet is a duplicate, not a
//     packet found;
//   - RTP timestamps that wrap past 2^32 stay in sequence (Wireshark 4.0
//     treats every packet after a wrap as out of sequence);
//   - a telephone-event packet (clock rate 0 for jitter) does not move the
//     jitter reference: Wireshark compares the next audio packet's arrival
//     with the event's and reports the whole key press as jitter;
//   - the clock rate is divided by 1000 exactly (Wireshark's integer
//     division makes 44.1 kHz into 44 kHz).
type rtpStats struct {
	started bool
	start   time.Time // capture time of the first packet: times are ms since
	// start in Unix seconds and nanoseconds, for since; startPlain is
	// false when start has a monotonic clock reading, which Sub would use,
	// or lies beyond sinceRange.
	startSec   int64
	startNsec  int
	startPlain bool

	// Wireshark's sequence state: start_seq_nr, stop_seq_nr, seq_num,
	// seq_cycles and under.
	startSeq, stopSeq, seqNum uint16
	cycles                    int
	under                     bool
	seqErrors                 int

	// Timestamps, extended past wraps: prevTS/prevTSExt are the last
	// packet's raw and extended timestamp, relative to the first packet.
	prevTS    uint32
	prevTSExt int64

	lastTime    float64 // statinfo->time: arrival of the last in-sequence packet
	jitRefTime  float64 // arrival of the last in-sequence packet with a clock rate
	lastNominal float64 // its timestamp in ms since the first packet
	delta       float64
	jitter      float64
	pt          uint8

	minDelta, maxDelta, meanDelta    float64
	maxDeltaFile, maxDeltaFrame      int
	minJitter, maxJitter, meanJitter float64
	maxSkew                          float64
	totalNr                          int

	// Our own accounting of distinct sequence numbers: extended numbers
	// relative to the highest seen, and a 1024-packet window of those seen.
	maxExt, minExt int64
	window         [16]uint64
	duplicates     int
}

const seqWindow = 1024

// add measures one packet. clock is the RTP clock rate of its payload type
// for jitter purposes, 0 when unknown or a telephone-event.
func (s *rtpStats) add(t time.Time, file, frame int, seq uint16, ts uint32, pt uint8, marker bool, clock int) {
	s.countDistinct(seq)
	if !s.started {
		s.started = true
		s.start = t
		s.startSec, s.startNsec = t.Unix(), t.Nanosecond()
		s.startPlain = t == t.Round(0) && s.startSec > -sinceRange && s.startSec < sinceRange
		s.startSeq, s.stopSeq, s.seqNum = seq, seq, seq
		s.prevTS = ts
		s.pt = pt
		s.minDelta, s.minJitter = -1, -1
		s.totalNr = 1
		return
	}
	now := float64(s.since(t)) / float64(time.Millisecond)

	ext := s.prevTSExt + int64(int32(ts-s.prevTS))
	s.prevTS, s.prevTSExt = ts, ext
	inTime := ext >= 0

	switch {
	case seq < s.startSeq && inTime && !s.under:
		s.cycles++
		s.under = true
	case seq == 0 && s.stopSeq == 65535 && inTime && !s.under:
		s.cycles++
		s.under = true
	case seq > s.startSeq && inTime && s.under:
		s.under = false
	}

	sn, q := int(s.seqNum), int(seq)
	switch {
	case inTime && (sn+1 == q || sn == 65535 && q == 0):
		s.seqNum = seq
	case inTime && (sn+1 < q || sn-q > 0xFF00):
		s.seqNum = seq
		s.seqErrors++
	case sn+1 > q:
		s.seqErrors++
	}

	cn := isCN(pt)
	followCN := isCN(s.pt)
	s.pt = pt

	var jitter float64
	if inTime {
		if clock != 0 {
			nominal := float64(ext) * 1000 / float64(clock)
			expected := s.jitRefTime + (nominal - s.lastNominal)
			s.jitter = (15*s.jitter + math.Abs(now-expected)) / 16
			s.lastNominal = nominal
			s.jitRefTime = now
			if skew := nominal - now; math.Abs(skew) > math.Abs(s.maxSkew) {
				s.maxSkew = skew
			}
		}
		s.delta = now - s.lastTime
		jitter = s.jitter
	}

	if !marker && !cn && inTime && !followCN {
		if s.delta > s.maxDelta {
			s.maxDelta, s.maxDeltaFile, s.maxDeltaFrame = s.delta, file, frame
		}
		if s.minDelta == -1 || s.delta < s.minDelta {
			s.minDelta = s.delta
		}
		n := float64(s.totalNr)
		s.meanDelta = (s.meanDelta*(n-1) + s.delta) / n
		if clock != 0 {
			s.maxJitter = max(s.maxJitter, jitter)
			s.meanJitter = (s.meanJitter*(n-1) + jitter) / n
			if s.minJitter == -1 || jitter < s.minJitter {
				s.minJitter = jitter
			}
		}
	}
	if inTime {
		s.lastTime = now
	}
	s.stopSeq = seq
	s.totalNr++
}

// sinceRange bounds the Unix seconds since handles itself: two times
// within it are less than 292 years apart, what a Duration holds.
const sinceRange = 4_500_000_000 // year 2112

// since returns t.Sub(s.start). Sub checks for overflow at more cost than
// the rest of add; between two plain times within sinceRange there is none.
func (s *rtpStats) since(t time.Time) time.Duration {
	if sec := t.Unix(); s.startPlain && sec > -sinceRange && sec < sinceRange {
		return time.Duration(sec-s.startSec)*time.Second + time.Duration(t.Nanosecond()-s.startNsec)
	}
	return t.Sub(s.start)
}

// countDistinct tracks the span of extended sequence numbers and the
// packets seen twice.
func (s *rtpStats) countDistinct(seq uint16) {
	if !s.started {
		s.maxExt, s.minExt = int64(seq), int64(seq)
		word, bit := s.slot(s.maxExt)
		*word |= bit
		return
	}
	ext := s.maxExt + int64(int16(seq-uint16(s.maxExt)))
	if ext > s.maxExt {
		if ext-s.maxExt >= seqWindow {
			s.window = [16]uint64{}
		} else {
			for e := s.maxExt + 1; e <= ext; e++ {
				word, bit := s.slot(e)
				*word &^= bit
			}
		}
		s.maxExt = ext
	}
	s.minExt = min(s.minExt, ext)
	if s.maxExt-ext >= seqWindow {
		return // too old to tell
	}
	word, bit := s.slot(ext)
	if *word&bit != 0 {
		s.duplicates++
		return
	}
	*word |= bit
}

// slot returns the window word and bit of an extended sequence number,
// which may be negative when packets older than the first arrive late.
func (s *rtpStats) slot(ext int64) (*uint64, uint64) {
	i := uint64(ext) % seqWindow
	return &s.window[i/64], 1 << (i % 64)
}

// expected is the number of packets the sequence numbers span.
func (s *rtpStats) expected() int { return int(s.maxExt - s.minExt + 1) }

func isCN(pt uint8) bool { return pt == 13 || pt == 19 }

// fill copies the figures into the stream.
func (s *rtpStats) fill(st *Stream) {
	st.Expected = s.expected()
	st.Duplicates = s.duplicates
	st.Lost = max(0, st.Expected-(st.Packets-s.duplicates))
	st.SeqErrors = s.seqErrors
	st.MinDeltaMS, st.MeanDeltaMS, st.MaxDeltaMS = max(0, s.minDelta), s.meanDelta, s.maxDelta
	st.MaxDeltaFile, st.MaxDeltaFrame = s.maxDeltaFile, s.maxDeltaFrame
	st.MinJitterMS, st.MeanJitterMS, st.MaxJitterMS = max(0, s.minJitter), s.meanJitter, s.maxJitter
	st.MaxSkewMS = s.maxSkew
}

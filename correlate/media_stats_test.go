package correlate

import (
	"math"
	"testing"
	"time"
)

// pkt is one packet fed to rtpStats: arrival in ms, sequence number,
// timestamp, payload type, marker and the clock rate the caller resolved.
type pkt struct {
	at     float64
	seq    uint16
	ts     uint32
	pt     uint8
	marker bool
	clock  int
}

// steady returns n G.711 packets 20 ms apart from seq and ts, arriving at
// start+20*i ms plus jitter[i] when given.
func steady(n int, start float64, seq uint16, ts uint32, jitter ...float64) []pkt {
	out := make([]pkt, n)
	for i := range out {
		j := 0.0
		if i < len(jitter) {
			j = jitter[i]
		}
		out[i] = pkt{at: start + 20*float64(i) + j, seq: seq + uint16(i), ts: ts + 160*uint32(i), pt: 8, clock: 8000}
	}
	return out
}

type statsWant struct {
	packets, expected, lost, dups, seqErrors int
	minDelta, meanDelta, maxDelta            float64
	maxJitter, meanJitter                    float64
}

// TestStats checks the Wireshark 4.0 figures on small streams whose
// values can be worked out by hand (see each case), and the places where
// we differ from Wireshark on purpose.
func TestStats(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	lostOne := append(steady(4, 0, 100, 0), steady(5, 100, 105, 800)...) // seq 104 missing
	dup := steady(5, 0, 10, 1600)
	dup = append(dup[:3], append([]pkt{{at: 41, seq: 12, ts: 1920, pt: 8, clock: 8000}}, dup[3:]...)...)
	reordered := steady(6, 0, 7, 0)
	reordered[2].seq, reordered[3].seq = 10, 9
	reordered[2].ts, reordered[3].ts = 480, 320
	// 500 ms of silence: timestamps jump as much as arrival times, D = 0.
	talkspurt := append(steady(3, 0, 1, 0), steady(3, 540, 4, 4320)...)
	marked := append(steady(3, 0, 1, 0), steady(3, 540, 4, 4320)...)
	marked[3].marker = true
	// Comfort noise at 60 ms, then audio again at 300 ms: the CN packet and
	// the one after it are not regular, so the 240 ms gap is no delta.
	cn := append(steady(3, 0, 1, 0), pkt{at: 60, seq: 4, ts: 480, pt: 13, clock: 8000})
	cn = append(cn, steady(2, 300, 5, 2400)...)
	// A telephone-event (clock 0 for jitter) at 45 ms between audio packets.
	event := steady(5, 0, 1, 0)
	event[2] = pkt{at: 45, seq: 3, ts: 320, pt: 101}
	for _, tt := range []struct {
		name string
		in   []pkt
		want statsWant
	}{
		{"steady", steady(10, 0, 1000, 5000),
			statsWant{packets: 10, expected: 10, minDelta: 20, maxDelta: 20}},
		// D = |21-20| = 1 on the third packet: J = 1/16. Mean jitter is
		// Wireshark's running (mean*(n-1)+J)/n: 0 at n=1, (0+1/16)/2 at n=2.
		{"one late arrival", steady(3, 0, 1, 0, 0, 0, 1),
			statsWant{packets: 3, expected: 3, minDelta: 20, maxDelta: 21,
				maxJitter: 1.0 / 16, meanJitter: 1.0 / 32}},
		{"sequence gap", lostOne,
			statsWant{packets: 9, expected: 10, lost: 1, seqErrors: 1, minDelta: 20, maxDelta: 40}},
		// Wireshark: lost = 5 expected - 6 received = -1. Here: a duplicate.
		// It is in time sequence, so it moves the jitter: D = 1 for it and
		// for the next packet, J = 1/16 then (15/16 + 1)/16.
		{"duplicate", dup,
			statsWant{packets: 6, expected: 5, dups: 1, seqErrors: 1, minDelta: 1, maxDelta: 20,
				maxJitter: 0.12109375, meanJitter: 0.059423828125}},
		// 10 before 9: D = 20 (10 early), 40 (9 late), 20 (11 against 9):
		// J = 1.25, 3.671875, 4.6923828125. Two sequence errors.
		{"reordered", reordered,
			statsWant{packets: 6, expected: 6, seqErrors: 2, minDelta: 20, maxDelta: 20,
				maxJitter: 4.6923828125, meanJitter: 2.80267333984375}},
		{"sequence wrap", steady(6, 0, 65533, 0),
			statsWant{packets: 6, expected: 6, minDelta: 20, maxDelta: 20}},
		// RTP timestamps wrapping past 2^32 stay in time sequence.
		{"timestamp wrap", steady(6, 0, 1, math.MaxUint32-400),
			statsWant{packets: 6, expected: 6, minDelta: 20, maxDelta: 20}},
		{"silence without marker", talkspurt,
			statsWant{packets: 6, expected: 6, minDelta: 20, maxDelta: 500}},
		{"silence with marker", marked,
			statsWant{packets: 6, expected: 6, minDelta: 20, maxDelta: 20}},
		{"comfort noise", cn,
			statsWant{packets: 6, expected: 6, minDelta: 20, maxDelta: 20}},
		// Deltas count the event (20, 25, 15, 20), jitter does not: the
		// audio packet at 60 ms is compared with the one at 20 ms, D = 0.
		// Wireshark compares it with the event: D = 25, J = 1.5625.
		{"telephone-event between audio", event,
			statsWant{packets: 5, expected: 5, minDelta: 15, maxDelta: 25}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var s rtpStats
			st := &Stream{}
			for i, p := range tt.in {
				st.Packets++
				s.add(t0.Add(time.Duration(p.at*float64(time.Millisecond))), 0, i+1, p.seq, p.ts, p.pt, p.marker, p.clock)
			}
			s.fill(st)
			got := statsWant{st.Packets, st.Expected, st.Lost, st.Duplicates, st.SeqErrors,
				st.MinDeltaMS, st.MeanDeltaMS, st.MaxDeltaMS, st.MaxJitterMS, st.MeanJitterMS}
			if tt.name == "steady" || tt.name == "one late arrival" {
				// Means follow Wireshark's running formula; check them exactly.
				if !near(got.meanDelta, meanDelta(tt.in)) {
					t.Errorf("mean delta %v, want %v", got.meanDelta, meanDelta(tt.in))
				}
			}
			got.meanDelta = 0
			if !nearStats(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// meanDelta is Wireshark's running mean over the regular packets of a
// steady stream, where every packet after the first is regular.
func meanDelta(in []pkt) float64 {
	m := 0.0
	for n := 1; n < len(in); n++ {
		m = (m*float64(n-1) + in[n].at - in[n-1].at) / float64(n)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func nearStats(a, b statsWant) bool {
	return a.packets == b.packets && a.expected == b.expected && a.lost == b.lost && a.dups == b.dups &&
		a.seqErrors == b.seqErrors && near(a.minDelta, b.minDelta) && near(a.maxDelta, b.maxDelta) &&
		near(a.maxJitter, b.maxJitter) && near(a.meanJitter, b.meanJitter)
}

// The skew is the timestamp clock minus arrival time, signed, at its
// largest.
func TestStatsSkew(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var s rtpStats
	for i, p := range steady(5, 0, 1, 0, 0, 0, 3, -2, 1) {
		s.add(t0.Add(time.Duration(p.at*float64(time.Millisecond))), 0, i+1, p.seq, p.ts, p.pt, p.marker, p.clock)
	}
	if !near(s.maxSkew, -3) {
		t.Errorf("max skew %v, want -3 (packet 3 arrived 3 ms after its timestamp)", s.maxSkew)
	}
}

// FuzzStreamStats feeds arbitrary packet sequences: five bytes a packet
// (sequence step, timestamp step, arrival step, payload type, marker).
// Whatever arrives, loss is never negative, distinct packets never exceed
// the span, and no figure is NaN.
func FuzzStreamStats(f *testing.F) {
	f.Add([]byte{1, 160, 20, 8, 0, 1, 160, 20, 8, 0, 0, 0, 1, 8, 0, 255, 96, 3, 13, 1})
	f.Add([]byte{1, 0, 20, 101, 1, 1, 0, 20, 101, 0, 200, 200, 200, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		var s rtpStats
		st := &Stream{}
		seq, ts, at := uint16(65530), uint32(math.MaxUint32-1000), t0
		for i := 0; i+5 <= len(b); i += 5 {
			seq += uint16(int8(b[i]))
			ts += uint32(int32(int8(b[i+1])) * 40)
			at = at.Add(time.Duration(b[i+2]) * time.Millisecond)
			pt := b[i+3] & 0x7f
			clock := 8000
			if pt >= 96 {
				clock = 0
			}
			st.Packets++
			s.add(at, 0, i/5+1, seq, ts, pt, b[i+4]&1 == 1, clock)
		}
		s.fill(st)
		if st.Lost < 0 || st.Packets-st.Duplicates > st.Expected && st.Packets > 0 {
			t.Fatalf("packets %d, duplicates %d, expected %d, lost %d", st.Packets, st.Duplicates, st.Expected, st.Lost)
		}
		for _, v := range []float64{st.MeanDeltaMS, st.MaxDeltaMS, st.MeanJitterMS, st.MaxJitterMS, st.MaxSkewMS} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("figure %v", v)
			}
		}
	})
}

// since is t.Sub(start) for every pair of times, those it computes itself
// and those it leaves to Sub: monotonic readings, times too far apart for a
// Duration, times far from now.
func TestRTPStatsSince(t *testing.T) {
	base := time.Date(2026, 1, 5, 9, 0, 0, 999_999_999, time.UTC)
	mono := time.Now()
	times := []time.Time{
		base, base.Add(time.Nanosecond), base.Add(-time.Nanosecond), base.Add(20 * time.Millisecond),
		base.Add(-3 * time.Second), base.Add(100 * 365 * 24 * time.Hour), time.Unix(0, 0), time.Unix(-1, 1),
		time.Unix(4_499_999_999, 999_999_999), time.Unix(4_500_000_000, 0), time.Unix(-4_499_999_999, 0),
		time.Unix(1<<40, 5), time.Unix(-1<<40, 5), time.Unix(1<<62, 0), time.Unix(-1<<62, 7),
		time.Unix(math.MaxInt64, 999_999_999), time.Unix(math.MinInt64, 0), {},
		mono, mono.Add(20 * time.Millisecond), mono.Round(0), base.In(time.FixedZone("x", 3600)),
	}
	for _, start := range times {
		var s rtpStats
		s.add(start, 0, 1, 1, 0, 8, false, 8000)
		for _, at := range times {
			if got, want := s.since(at), at.Sub(start); got != want {
				t.Errorf("since %v for %v: %v, want %v", start, at, got, want)
			}
		}
	}
}

package correlate

import (
	"math"
	"testing"
)

// Reference values computed from the G.107 formulas by hand (a desk
// calculation, not this code).
func TestEModel(t *testing.T) {
	for _, tt := range []struct {
		r, mos float64
	}{{93.2, 4.409285824}, {80, 4.024}, {50, 2.575}, {0, 1}, {-5, 1}, {100, 4.5}, {120, 4.5}} {
		if got := mosFromR(tt.r); math.Abs(got-tt.mos) > 1e-9 {
			t.Errorf("mosFromR(%v) = %v, want %v", tt.r, got, tt.mos)
		}
	}
	for _, tt := range []struct {
		ta, idd float64
	}{{50, 0}, {100, 0}, {150, 0.16353119}, {200, 3.04441422}, {400, 24.07008922}} {
		if got := delayImpairment(tt.ta); math.Abs(got-tt.idd) > 1e-6 {
			t.Errorf("delayImpairment(%v) = %v, want %v", tt.ta, got, tt.idd)
		}
	}
}

func TestEstimateQuality(t *testing.T) {
	for _, tt := range []struct {
		name      string
		s         Stream
		r, mos    float64
		assumeLen int
	}{
		// G.711, 1% random loss, 20 ms packets, no jitter: Ie,eff =
		// 95*1/(1+25.1), R = 89.56.
		{"G.711 with 1% loss", Stream{Codec: "PCMA", Expected: 1000, Lost: 10, MeanDeltaMS: 20}, 89.56015326, 4.32807538, 4},
		// G.729A, 5% loss, one-way delay 300 ms: half the 560 ms round trip,
		// 5 ms packets, 15 ms frame and look-ahead, no jitter.
		{"G.729 on a long path", Stream{Codec: "G729", Expected: 100, Lost: 5, MeanDeltaMS: 5,
			RTCP: RTCPSummary{RTTSamples: 1, LastRTTMS: 560}}, 49.93930529, 2.57181379, 4},
		{"unknown codec", Stream{Codec: "x-foo", Expected: 10, MeanDeltaMS: 20}, 93.2, 4.409285824, 5},
	} {
		q := estimateQuality(&tt.s)
		if math.Abs(q.RFactor-tt.r) > 1e-6 || math.Abs(q.MOS-tt.mos) > 1e-6 || len(q.Assumptions) != tt.assumeLen {
			t.Errorf("%s: R %v MOS %v (%d assumptions %q), want R %v MOS %v", tt.name, q.RFactor, q.MOS, len(q.Assumptions), q.Assumptions, tt.r, tt.mos)
		}
	}
}

package correlate

import (
	"fmt"
	"math"
	"strings"
)

// Quality is a stream's estimated listening quality: the ITU-T G.107
// E-model R-factor and the MOS it maps to, with the inputs used and what
// had to be assumed. A capture sees loss and jitter at one point of the
// path, so this is an estimate for that point, not the listener's ear.
type Quality struct {
	RFactor float64
	MOS     float64
	// Inputs: equipment impairment and packet-loss robustness of the codec
	// (ITU-T G.113 Appendix I), packet loss in percent and the one-way
	// mouth-to-ear delay in ms.
	Ie, Bpl, LossPct, DelayMS float64
	// Assumptions says what the figures rest on, in plain words.
	Assumptions []string
}

// codecImpairment holds G.113 Appendix I values: Ie, Bpl and the
// algorithmic delay (frame plus look-ahead) in ms.
type codecImpairment struct {
	ie, bpl, lookahead float64
}

// codecImpairments are from ITU-T G.113 (2007) Appendix I, tables I.1 and
// I.3. G.711's Bpl is the one with packet loss concealment (25.1): every
// current phone conceals loss.
var codecImpairments = map[string]codecImpairment{
	"PCMU":    {0, 25.1, 0},
	"PCMA":    {0, 25.1, 0},
	"G729":    {11, 19.0, 15}, // G.729A with VAD, 10 ms frame + 5 ms look-ahead
	"G723":    {15, 16.1, 37.5},
	"G726-32": {7, 25.1, 0},
	"G728":    {7, 25.1, 0.625},
	"GSM":     {20, 10, 20},
	"GSM-EFR": {5, 10, 20},
	"ILBC":    {10, 25.1, 20},
}

// Default E-model figures (ITU-T G.107 §7.7 defaults, R0 - Is, no
// advantage factor).
const (
	eModelBase = 93.2
	// BurstR 1 is random loss: a capture does not show loss bursts the
	// receiver would see after its jitter buffer.
	burstRatio = 1.0
)

// estimateQuality rates a stream.
func estimateQuality(s *Stream) Quality {
	name := strings.ToUpper(s.Codec)
	ci, known := codecImpairments[name]
	q := Quality{LossPct: s.LossPercent()}
	if !known {
		ci = codecImpairments["PCMA"]
		what := "unknown"
		if s.Codec != "" {
			what = s.Codec
		}
		q.Assumptions = append(q.Assumptions, fmt.Sprintf("codec %s has no G.113 values: rated as G.711 (Ie 0, Bpl 25.1)", what))
	}
	if name == "G722" || name == "OPUS" {
		q.Assumptions = append(q.Assumptions, s.Codec+" is wideband: rated on the narrowband E-model scale as if G.711")
	}
	q.Ie, q.Bpl = ci.ie, ci.bpl

	// One-way delay: network (half the RTCP round trip when known), a
	// jitter buffer twice the mean jitter, one packet interval and the
	// codec's own delay.
	network := 0.0
	if s.RTCP.RTTSamples > 0 {
		network = s.RTCP.LastRTTMS / 2
		q.Assumptions = append(q.Assumptions, "network delay is half the RTCP round trip")
	} else {
		q.Assumptions = append(q.Assumptions, "network delay unknown (no RTCP round trip): taken as 0")
	}
	jb := 2 * s.MeanJitterMS
	q.DelayMS = network + jb + s.MeanDeltaMS + ci.lookahead
	q.Assumptions = append(q.Assumptions,
		"jitter buffer of twice the mean jitter",
		"loss as seen at the capture point, random (BurstR 1)",
		"echo fully cancelled, default G.107 values otherwise")

	ieEff := q.Ie + (95-q.Ie)*q.LossPct/(q.LossPct/burstRatio+q.Bpl)
	q.RFactor = eModelBase - delayImpairment(q.DelayMS) - ieEff
	q.MOS = mosFromR(q.RFactor)
	return q
}

// delayImpairment is G.107's Idd for an absolute delay Ta in ms (§7.5),
// with echo impairments left out.
func delayImpairment(ta float64) float64 {
	if ta <= 100 {
		return 0
	}
	x := math.Log(ta/100) / math.Log(2)
	return 25 * (math.Pow(1+math.Pow(x, 6), 1.0/6) - 3*math.Pow(1+math.Pow(x/3, 6), 1.0/6) + 2)
}

// mosFromR is G.107 Annex B's mapping of R to MOS.
func mosFromR(r float64) float64 {
	switch {
	case r <= 0:
		return 1
	case r >= 100:
		return 4.5
	}
	return 1 + 0.035*r + r*(r-60)*(100-r)*7e-6
}

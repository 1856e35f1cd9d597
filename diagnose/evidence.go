package diagnose

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/correlate"
)

// MaxEvidenceFrames bounds Evidence.Frames: a finding about a long call or a
// flood names the first frames and counts the rest in the "frames_total"
// fact, so that output stays readable and bounded.
const MaxEvidenceFrames = 50

// frameSet collects evidence frame numbers without duplicates.
type frameSet map[int]struct{}

func (s frameSet) add(frames ...int) {
	for _, f := range frames {
		if f > 0 {
			s[f] = struct{}{}
		}
	}
}

func (s frameSet) msgs(ms ...*correlate.Message) {
	for _, m := range ms {
		if m != nil {
			s.add(m.Frame)
		}
	}
}

// evidence returns the frames in order, capped, with facts; facts gets
// "frames_total" when frames were left out.
func (s frameSet) evidence(facts map[string]any) Evidence {
	frames := make([]int, 0, len(s))
	for f := range s {
		frames = append(frames, f)
	}
	sort.Ints(frames)
	if len(frames) > MaxEvidenceFrames {
		if facts == nil {
			facts = map[string]any{}
		}
		facts["frames_total"] = len(frames)
		frames = frames[:MaxEvidenceFrames]
	}
	return Evidence{Frames: frames, Facts: facts}
}

func frameNumbers(ms []*correlate.Message) []int {
	out := make([]int, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Frame)
	}
	return out
}

func icmpFrames(ics []*correlate.ICMP) []int {
	out := make([]int, 0, len(ics))
	for _, ic := range ics {
		out = append(out, ic.Frame)
	}
	return out
}

// millis expresses d in milliseconds with 0.1 ms precision, for facts.
func millis(d time.Duration) float64 {
	return float64(d.Round(100*time.Microsecond)) / float64(time.Millisecond)
}

func millisList(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = millis(d)
	}
	return out
}

// seconds formats d for a sentence: "500 ms" below a second, "1.5 s" above.
func seconds(d time.Duration) string {
	if d >= 0 && d < time.Millisecond {
		return "under 1 ms"
	}
	if d < time.Second && d > -time.Second {
		return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// durationList formats intervals for a sentence: "500 ms, 1000 ms".
func durationList(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + " ms"
	}
	return strings.Join(parts, ", ")
}

// count formats n with a noun, plural when n != 1: "1 ACK", "3 ACKs".
func count(n int, noun string) string {
	s := strconv.Itoa(n) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}

// icmpCount formats a number of ICMP errors: "3 ICMP port unreachable errors".
func icmpCount(n int, description string) string {
	return count(n, "ICMP "+description+" error")
}

// times formats a repetition count: "once", "2 times".
func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// intervals returns the gaps between successive messages.
func intervals(ms []*correlate.Message) []time.Duration {
	if len(ms) < 2 {
		return nil
	}
	out := make([]time.Duration, 0, len(ms)-1)
	for i := 1; i < len(ms); i++ {
		out = append(out, ms[i].Time.Sub(ms[i-1].Time))
	}
	return out
}

// uniqueStrings returns ss without repeats, in first-seen order.
func uniqueStrings(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// agent returns what a message says about the software that sent it.
func agent(m *correlate.Message) string {
	if m == nil {
		return ""
	}
	if m.UserAgent != "" {
		return m.UserAgent
	}
	return m.Server
}

// messageName names a message in a sentence: the method of a request, the
// status line of a response ("200 OK").
func messageName(m *correlate.Message) string {
	if m.IsRequest {
		return m.Method
	}
	return m.Summary()
}

// verb picks the singular or plural form for n.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// methodCount formats a number of requests: "1 ACK", "3 ACKs", "2 OPTIONS",
// "2 PUBLISHes".
func methodCount(n int, method string) string {
	s := strconv.Itoa(n) + " " + method
	switch {
	case n == 1 || strings.HasSuffix(method, "S"):
	case strings.HasSuffix(method, "SH"):
		s += "es"
	default:
		s += "s"
	}
	return s
}

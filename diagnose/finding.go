// Package diagnose reads the correlated model and says what went wrong:
// each rule is a small function that emits findings with a stable id, a
// severity, one plain sentence, the evidence (frame numbers and rule-specific
// facts) and what to change.
//
// Rules never re-parse packets and never import the report stage.
package diagnose

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose/auth"
)

// Severity ranks findings.
type Severity int

// Severities, least severe first.
const (
	Info Severity = iota
	Warning
	Error
)

var severityNames = [...]string{"info", "warning", "error"}

func (s Severity) String() string {
	if s >= 0 && int(s) < len(severityNames) {
		return severityNames[s]
	}
	return "unknown"
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if string(b) == n {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("diagnose: unknown severity %q", b)
}

// Evidence is what a finding rests on: the frames to look at in Wireshark and
// rule-specific facts (addresses, counts, timings). In JSON the facts sit
// beside "frames" in one object.
type Evidence struct {
	Frames []int
	Facts  map[string]any
}

// MarshalJSON flattens Facts next to frames.
func (e Evidence) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(e.Facts)+1)
	for k, v := range e.Facts {
		m[k] = v
	}
	frames := e.Frames
	if frames == nil {
		frames = []int{}
	}
	m["frames"] = frames
	return json.Marshal(m)
}

// Finding is one problem found, with its evidence and what to change.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	CallID   string   `json:"call_id"`
	Summary  string   `json:"summary"`
	Evidence Evidence `json:"evidence"`
	Advice   string   `json:"advice"`
}

// Input is what rules read.
type Input struct {
	Model *correlate.Model
	// Auth is the digest authentication audit the auth.* rules read. When
	// nil, the first auth rule to run computes it with the default options
	// (each username's obvious variants, no wordlist) and stores it here.
	Auth *auth.Result
}

// Rule inspects calls, or the whole capture, and returns findings. Most rules
// are per call (Call), so that they can run as soon as a call is complete when
// sipscope streams; rules that must see several calls at once (a nonce reused
// across Call-IDs, ICMP errors that quote no known call) use Capture.
type Rule struct {
	// Name is the id, or id prefix ("nat."), the rule emits.
	Name    string
	Call    func(c *correlate.Call, in *Input) []Finding
	Capture func(in *Input) []Finding
}

var rules []Rule

// Register adds a rule; rule files call it from init.
func Register(r Rule) { rules = append(rules, r) }

// Rules returns the registered rules, sorted by name.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Run applies every rule and returns the findings, worst first, then in
// order of their first frame.
func Run(in *Input) []Finding {
	var all []Finding
	rs := Rules()
	for _, c := range in.Model.Calls {
		all = append(all, RunCall(rs, c, in)...)
	}
	for _, r := range rs {
		if r.Capture != nil {
			all = append(all, r.Capture(in)...)
		}
	}
	Sort(all)
	return all
}

// RunCall applies the per-call rules of rs to one call.
func RunCall(rs []Rule, c *correlate.Call, in *Input) []Finding {
	var out []Finding
	for _, r := range rs {
		if r.Call != nil {
			out = append(out, r.Call(c, in)...)
		}
	}
	return out
}

// Sort orders findings worst first, then by first frame, then by id.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int { return compare(&a, &b) })
}

// Less reports whether a comes before b in the order Sort puts findings
// in: worst first, then by first frame, then by id.
func Less(a, b *Finding) bool { return compare(a, b) < 0 }

func compare(a, b *Finding) int {
	if a.Severity != b.Severity {
		return cmp.Compare(b.Severity, a.Severity)
	}
	if c := cmp.Compare(firstFrame(a), firstFrame(b)); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func firstFrame(f *Finding) int {
	if len(f.Evidence.Frames) == 0 {
		return 1 << 30
	}
	return f.Evidence.Frames[0]
}

// ForCall returns the findings about one Call-ID.
func ForCall(fs []Finding, callID string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.CallID == callID {
			out = append(out, f)
		}
	}
	return out
}

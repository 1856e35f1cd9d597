package sipscope_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

func findingKeys(fs []diagnose.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %v %s", f.ID, f.CallID, f.Evidence.Frames, f.Summary))
	}
	slices.Sort(out)
	return out
}

// A capture streamed call by call (more calls than HoldCalls) gives the
// same calls, states and findings as the same capture held whole, when its
// calls have nothing to do with each other, as a carrier's mostly have;
// the overview lists the first calls by start and counts them all.
func TestAnalyzeOverviewStreamsLikeOffline(t *testing.T) {
	path, st := carrier.TempFile(t, carrier.Config{Calls: 120, Seed: 3, CallsPerSecond: 1})
	whole, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(whole.Model.Calls); n != st.Calls+st.Registrations+st.Options {
		t.Fatalf("offline: %d calls, the corpus has %d", n, st.Calls+st.Registrations+st.Options)
	}
	states := map[string]int{}
	for _, c := range whole.Model.Calls {
		states[c.Kind+" "+c.State]++
	}
	for _, hold := range []int{1, 10, 100000} {
		t.Run(fmt.Sprint("hold ", hold), func(t *testing.T) {
			res, tally, err := sipscope.AnalyzeOverview(sipscope.Options{Files: []string{path}, HoldCalls: hold}, 7)
			if err != nil {
				t.Fatal(err)
			}
			if streamed := hold < 100; res.Streamed != streamed {
				t.Errorf("Streamed %v, want %v", res.Streamed, streamed)
			}
			if tally.Calls != len(whole.Model.Calls) || tally.Registrations != st.Registrations || fmt.Sprint(tally.States) != fmt.Sprint(states) {
				t.Errorf("tally %d calls, %d registrations, %v; want %d, %d, %v",
					tally.Calls, tally.Registrations, tally.States, len(whole.Model.Calls), st.Registrations, states)
			}
			// Every finding is counted; a streamed overview keeps the worst 7.
			wantFindings := whole.Findings
			if res.Streamed {
				wantFindings = wantFindings[:7]
			}
			if got, want := findingKeys(res.Findings), findingKeys(wantFindings); !slices.Equal(got, want) {
				t.Errorf("findings differ from the offline analysis:\n got %d: %q\nwant %d: %q", len(got), got, len(want), want)
			}
			byID := map[string]int{}
			for _, f := range whole.Findings {
				byID[f.ID]++
			}
			if tally.Findings != len(whole.Findings) || fmt.Sprint(tally.FindingsByID) != fmt.Sprint(byID) {
				t.Errorf("tally of findings %d %v, want %d %v", tally.Findings, tally.FindingsByID, len(whole.Findings), byID)
			}
			// With no limit, a streamed analysis keeps every finding.
			all, _, err := sipscope.AnalyzeOverview(sipscope.Options{Files: []string{path}, HoldCalls: hold}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := findingKeys(all.Findings), findingKeys(whole.Findings); !slices.Equal(got, want) {
				t.Errorf("findings without a limit differ from the offline analysis:\n got %d: %q\nwant %d: %q", len(got), got, len(want), want)
			}
			// The first 7 registrations and the first 7 other calls, by start.
			var regs, others []*correlate.Call
			for _, c := range whole.Model.Calls {
				if c.Kind == correlate.KindRegistration {
					regs = append(regs, c)
				} else {
					others = append(others, c)
				}
			}
			want := map[string]bool{}
			for _, c := range append(regs[:7], others[:7]...) {
				want[c.CallID] = true
			}
			if len(res.Model.Calls) != 14 {
				t.Fatalf("%d calls listed, want 14", len(res.Model.Calls))
			}
			for i, c := range res.Model.Calls {
				if !want[c.CallID] {
					t.Errorf("listed %s (start %v), not among the first", c.CallID, c.Start)
				}
				if i > 0 && correlate.ByStart(c, res.Model.Calls[i-1]) {
					t.Errorf("calls not in order of start at %d", i)
				}
			}
		})
	}
}

package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

// On a capture with more calls than --limit, analyze lists the first ones,
// gives the totals in the titles and says how many it left out, whether it
// held the capture whole or streamed it.
func TestAnalyzeLimit(t *testing.T) {
	path, st := carrier.TempFile(t, carrier.Config{Calls: 80, Seed: 2, CallsPerSecond: 1})
	var outs []string
	for _, hold := range []string{"1000", "1"} {
		out, _, err := run(t, "analyze", "--limit", "5", "--hold-calls", hold, path)
		if err != nil {
			t.Fatal(err)
		}
		others := st.Calls + st.Options
		for _, want := range []string{
			"Registrations (" + strconv.Itoa(st.Registrations) + ")",
			"... " + strconv.Itoa(st.Registrations-5) + " more not listed (--limit)",
			"Calls and other dialogs (" + strconv.Itoa(others) + ")",
			"... " + strconv.Itoa(others-5) + " more not listed (--limit)",
			"call completed " + strconv.Itoa(st.Completed),
			"more findings not listed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("--hold-calls %s: output lacks %q:\n%s", hold, want, out)
			}
		}
		if rows := strings.Count(out, "│ call ") + strings.Count(out, "│ options "); rows != 5 {
			t.Errorf("--hold-calls %s: %d call rows listed, want 5", hold, rows)
		}
		if streamed := strings.Contains(out, "(streamed: "); streamed != (hold == "1") {
			t.Errorf("--hold-calls %s: streamed note %v", hold, streamed)
		}
		outs = append(outs, strings.Join(slicesWithout(strings.Split(out, "\n"), "(streamed: "), "\n"))
	}
	if outs[0] != outs[1] {
		t.Errorf("held and streamed overviews differ:\n%s\n----\n%s", outs[0], outs[1])
	}
}

func slicesWithout(lines []string, substr string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// analyze --format json lists every call and finding, held or streamed.
func TestAnalyzeJSONStreamed(t *testing.T) {
	path, st := carrier.TempFile(t, carrier.Config{Calls: 40, Seed: 4, CallsPerSecond: 0.5})
	held, _, err := run(t, "analyze", "--format", "json", path)
	if err != nil {
		t.Fatal(err)
	}
	streamed, _, err := run(t, "analyze", "--format", "json", "--hold-calls", "1", path)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Calls    []json.RawMessage `json:"calls"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(held), &rep); err != nil {
		t.Fatal(err)
	}
	if want := st.Calls + st.Registrations + st.Options; len(rep.Calls) != want || len(rep.Findings) == 0 {
		t.Errorf("%d calls, %d findings; want %d calls and some findings", len(rep.Calls), len(rep.Findings), want)
	}
	if held != streamed {
		t.Errorf("streamed JSON differs from held JSON (%d vs %d bytes)", len(streamed), len(held))
	}
	calls, _, err := run(t, "calls", "--format", "json", path)
	if err != nil {
		t.Fatal(err)
	}
	if calls != held {
		t.Errorf("calls --format json differs from analyze --format json (%d vs %d bytes)", len(calls), len(held))
	}
}

// calls lists every call whether it holds the capture whole or streams it
// (one row kept per call), in the same order, as a table and as CSV.
func TestCallsStreamed(t *testing.T) {
	path, st := carrier.TempFile(t, carrier.Config{Calls: 60, Seed: 5, CallsPerSecond: 0.5})
	for _, format := range []string{"table", "csv"} {
		held, _, err := run(t, "calls", "--format", format, path)
		if err != nil {
			t.Fatal(err)
		}
		streamed, _, err := run(t, "calls", "--format", format, "--hold-calls", "1", path)
		if err != nil {
			t.Fatal(err)
		}
		if held != streamed {
			t.Errorf("--format %s: streamed listing differs from the held one:\n%s\n----\n%s", format, streamed, held)
		}
		if format == "csv" {
			if rows := strings.Count(held, "\n") - 1; rows != st.Calls+st.Registrations+st.Options {
				t.Errorf("%d CSV rows, want %d", rows, st.Calls+st.Registrations+st.Options)
			}
		}
	}
}

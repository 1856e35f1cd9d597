package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
)

const seedCapturePath = "../../testdata/freeswitch-nat.pcap"

// runSipscope runs sipscope with args and returns what it wrote to stdout.
func runSipscope(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestDiagnoseTable(t *testing.T) {
	out, err := runSipscope(t, "diagnose", seedCapturePath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "diagnose-freeswitch-nat.txt", out)
	if !strings.Contains(out, "Findings (9): 1 error, 5 warnings, 3 info\nERROR   ack.misrouted") {
		t.Errorf("the error does not come first:\n%s", out)
	}
}

func TestDiagnoseJSON(t *testing.T) {
	out, err := runSipscope(t, "diagnose", seedCapturePath, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Capture  map[string]any   `json:"capture"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Capture["frames"] != float64(315) {
		t.Errorf("capture.frames = %v, want 315", doc.Capture["frames"])
	}
	if len(doc.Findings) == 0 {
		t.Fatal("no findings")
	}
	f := doc.Findings[0]
	var keys []string
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"advice", "call_id", "evidence", "id", "severity", "summary"}; !slices.Equal(keys, want) {
		t.Errorf("finding keys %v, want %v", keys, want)
	}
	if f["id"] != "ack.misrouted" || f["severity"] != "error" || f["call_id"] != "dda811eb-0664-dae3-31bb-8b8e12741336" {
		t.Errorf("first finding %v %v %v", f["id"], f["severity"], f["call_id"])
	}
	ev := f["evidence"].(map[string]any)
	frames := ev["frames"].([]any)
	if len(frames) != 9 || frames[2] != float64(11) {
		t.Errorf("evidence.frames %v", frames)
	}
	if ev["retransmissions"] != float64(2) || ev["response_source"] != "47.98.109.96:5060" {
		t.Errorf("evidence facts %v", ev)
	}
}

func TestDiagnoseCallFilter(t *testing.T) {
	out, err := runSipscope(t, "diagnose", seedCapturePath, "--call", "f7724003", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Findings []struct {
			ID     string `json:"id"`
			CallID string `json:"call_id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	// nat.private-contact, nat.via-mismatch and auth.weak-password (the
	// password is the username).
	if len(doc.Findings) != 3 {
		t.Fatalf("%d findings for the registration, want 3: %+v", len(doc.Findings), doc.Findings)
	}
	for _, f := range doc.Findings {
		if f.CallID != "f7724003-7111-8ddc-deba-133107508dc6" {
			t.Errorf("finding %s about %s leaked through --call", f.ID, f.CallID)
		}
	}
	if _, err := runSipscope(t, "diagnose", seedCapturePath, "--call", "nosuchcall"); err == nil || !strings.Contains(err.Error(), "no call with Call-ID") {
		t.Errorf("unknown call: err = %v", err)
	}
	if _, err := runSipscope(t, "diagnose", seedCapturePath, "--format", "xml"); err == nil {
		t.Error("--format xml was accepted")
	}
}

// analyze shows the same findings under the calls, worst first.
func TestAnalyzeShowsFindings(t *testing.T) {
	out, err := runSipscope(t, "analyze", seedCapturePath)
	if err != nil {
		t.Fatal(err)
	}
	calls := strings.Index(out, "Calls and other dialogs")
	findings := strings.Index(out, "Findings (9)")
	first := strings.Index(out, "ERROR   ack.misrouted")
	if calls < 0 || findings < calls || first < findings || strings.Index(out, "WARNING") < first {
		t.Errorf("analyze does not list the findings under the calls, worst first:\n%s", out)
	}
}

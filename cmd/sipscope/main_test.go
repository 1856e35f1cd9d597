package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// run executes the CLI with args and returns stdout, stderr and the error.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/sipscope -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cmd/sipscope -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

var seed = testenv.Testdata("freeswitch-nat.pcap")

func TestAnalyzeGolden(t *testing.T) {
	out, _, err := run(t, "analyze", seed)
	if err != nil {
		t.Fatal(err)
	}
	// The golden file holds the path as the test passes it; make it stable.
	out = strings.ReplaceAll(out, seed, "testdata/freeswitch-nat.pcap")
	golden(t, "analyze-freeswitch-nat.txt", out)
}

func TestShowGolden(t *testing.T) {
	out, _, err := run(t, "show", seed, "--call", "dda811eb")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "show-freeswitch-nat.txt", out)
}

// jsonReport is the part of the JSON contract these tests read.
type jsonReport struct {
	Capture struct {
		Files       []string       `json:"files"`
		Frames      int            `json:"frames"`
		SIPMessages int            `json:"sip_messages"`
		Undecoded   map[string]int `json:"undecoded"`
	} `json:"capture"`
	Calls []struct {
		CallID          string  `json:"call_id"`
		Kind            string  `json:"kind"`
		FromUser        string  `json:"from_user"`
		ToUser          string  `json:"to_user"`
		State           string  `json:"state"`
		StartTime       string  `json:"start_time"`
		DurationMS      float64 `json:"duration_ms"`
		MessageCount    int     `json:"message_count"`
		Retransmissions int     `json:"retransmissions"`
		Registration    *struct {
			Challenges int  `json:"challenges"`
			Registered bool `json:"registered"`
		} `json:"registration"`
		Messages []struct {
			Frame          int    `json:"frame"`
			File           string `json:"file"`
			Time           string `json:"time"`
			Src            string `json:"src"`
			Dst            string `json:"dst"`
			Transport      string `json:"transport"`
			Summary        string `json:"summary"`
			Retransmission bool   `json:"retransmission"`
		} `json:"messages"`
	} `json:"calls"`
}

// The acceptance: one registration, registered after one challenge,
// and one answered call whose 200 OK shows two retransmissions.
func TestAnalyzeSeedJSON(t *testing.T) {
	out, _, err := run(t, "analyze", "--format", "json", seed)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Capture.Frames != 315 || r.Capture.SIPMessages != 12 || len(r.Capture.Undecoded) != 0 {
		t.Errorf("capture %+v, want 315 frames, 12 SIP messages, nothing undecoded", r.Capture)
	}
	if len(r.Calls) != 2 {
		t.Fatalf("%d calls, want a registration and a call", len(r.Calls))
	}
	reg, call := r.Calls[0], r.Calls[1]
	if reg.Kind != "registration" || reg.State != "registered" || reg.Registration == nil || reg.Registration.Challenges != 1 {
		t.Errorf("registration: %+v", reg)
	}
	if call.Kind != "call" || call.State != "answered" || call.FromUser != "1011" || call.ToUser != "1014" {
		t.Errorf("call: kind %q state %q from %q to %q", call.Kind, call.State, call.FromUser, call.ToUser)
	}
	if call.StartTime != "2018-08-28T10:14:21.236540000Z" {
		t.Errorf("start_time %q", call.StartTime)
	}
	var oks, okRetrans int
	for _, m := range call.Messages {
		if m.Summary == "200 OK" {
			oks++
			if m.Retransmission {
				okRetrans++
			}
		}
	}
	if oks != 3 || okRetrans != 2 || call.Retransmissions != 2 {
		t.Errorf("%d 200 OKs with %d retransmissions (call total %d), want 3 with 2", oks, okRetrans, call.Retransmissions)
	}
	first := call.Messages[0]
	if first.Frame != 5 || first.Src != "112.25.222.170:28555" || first.Dst != "47.98.109.96:5060" || first.Transport != "UDP" {
		t.Errorf("first message %+v", first)
	}
}

func TestNoSIPSaysSo(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pcap")
	// A valid pcap header with no records.
	hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}
	if err := os.WriteFile(empty, hdr, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"analyze", "calls"} {
		out, _, err := run(t, cmd, empty)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if !strings.Contains(out, "No SIP messages in 0 frames") {
			t.Errorf("%s printed %q", cmd, out)
		}
	}
}

func TestUnreadableFileIsAnError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(bad, []byte("not a capture at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{bad, filepath.Join(dir, "missing.pcap")} {
		_, _, err := run(t, "analyze", path)
		if err == nil {
			t.Fatalf("%s: no error", path)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
			t.Errorf("error %q should be one line naming %s", msg, path)
		}
	}
}

func TestShowUnknownCall(t *testing.T) {
	if _, _, err := run(t, "show", seed, "--call", "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v, want one naming the Call-ID", err)
	}
}

// The README's example is the real output: a change to analyze's output
// must update both (go test ./cmd/sipscope -update rewrites the golden
// file; copy it into the README).
func TestReadmeExampleIsCurrent(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "analyze-freeswitch-nat.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimRight(string(want), "\n")) {
		t.Error("README.md does not show the current output of analyze on testdata/freeswitch-nat.pcap")
	}
}

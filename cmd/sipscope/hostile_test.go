package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/report"
)

// hostileInvite is an INVITE whose Call-ID, From display name and
// User-Agent carry what an attacker would put there.
func hostileInvite(callID, display, ua string) string {
	return strings.ReplaceAll("INVITE sip:bob@10.0.0.2 SIP/2.0\n"+
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-"+strings.Map(func(r rune) rune {
		if r < 'a' || r > 'z' {
			return 'x'
		}
		return r
	}, callID)+"\n"+
		`From: "`+display+`" <sip:alice@10.0.0.1>;tag=1`+"\n"+
		"To: <sip:bob@10.0.0.2>\nCall-ID: "+callID+"\nCSeq: 1 INVITE\n"+
		"User-Agent: "+ua+"\nContent-Length: 0\n\n", "\n", "\r\n")
}

// hostileCapture writes a capture of INVITEs crafted against terminals and
// spreadsheets, and returns its path and the Call-ID prefixes to show.
func hostileCapture(t *testing.T) (string, []string) {
	t.Helper()
	msgs := []struct{ prefix, callID, display, ua string }{
		{"ansi", "ansi\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07Mallory", "\x1b[2J\x1b[HSIPVicious"},
		{"ctl", "ctl\rcr\x00nul", "Bob\x7f\x1b[1A", "UA\xc2\x9b31m"},
		{"bidi", "bidi\u202egnp.exe", "\u202eecilA", "friendly-scanner\u2066"},
		{"utf8", "utf8\xff\xfe", "\xc3\x28", "\xf0\x28\x8c\x28"},
		{"=cmd", "=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil\")", "@SUM(1+1)"},
	}
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	src, dst := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("10.0.0.2:5060")
	var prefixes []string
	for i, m := range msgs {
		at := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
		if err := w.WriteUDP(at, src, dst, []byte(hostileInvite(m.callID, m.display, m.ua))); err != nil {
			t.Fatal(err)
		}
		prefixes = append(prefixes, m.prefix)
	}
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, prefixes
}

// Every text output path escapes what came from the wire: a crafted
// Call-ID, From display name or User-Agent with ANSI escapes, CR, NUL, DEL,
// C1 controls, bidi overrides or invalid UTF-8 never reaches the terminal
// raw, yet is shown (escaped), and CSV cells never start a formula.
func TestHostileTextIsEscaped(t *testing.T) {
	path, prefixes := hostileCapture(t)
	// live, replaying the capture, in both its formats.
	for _, format := range []string{"text", "ndjson"} {
		var out, errOut bytes.Buffer
		opts := &liveOptions{Format: format, RingSize: "1MiB", Snaplen: 65535, source: replaySource(t, path), now: epoch,
			Interface: "replay", AllEvents: true}
		if err := runLive(context.Background(), &streams{Out: &out, Err: &errOut}, opts); err != nil {
			t.Fatal(err)
		}
		for name, s := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
			if err := report.CheckTerminal(s); err != nil {
				t.Errorf("live --format %s %s: %v in\n%s", format, name, err, s)
			}
		}
	}
	cmds := [][]string{
		{"analyze", path},
		{"calls", path},
		{"calls", "--format", "csv", path},
		{"analyze", "--format", "json", path},
	}
	for _, p := range prefixes {
		cmds = append(cmds, []string{"show", path, "--call", p}, []string{"show", path, "--call", p, "--raw"},
			[]string{"show", path, "--call", p, "--raw", "--format", "json"})
	}
	for _, args := range cmds {
		out, errOut, err := run(t, args...)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		for name, s := range map[string]string{"stdout": out, "stderr": errOut} {
			if err := report.CheckTerminal(s); err != nil {
				t.Errorf("%q %s: %v in\n%s", args, name, err, s)
			}
		}
		if len(args) > 1 && args[len(args)-1] == "--raw" && args[len(args)-2] == "ansi" {
			// Shown, escaped: not dropped.
			for _, want := range []string{`\x1b[31mred`, `\x1b]0;pwned\x07Mallory`, `User-Agent: \x1b[2J\x1b[HSIPVicious`} {
				if !strings.Contains(out, want) {
					t.Errorf("--raw does not show %q escaped:\n%s", want, out)
				}
			}
		}
		if args[1] == "--format" && args[2] == "csv" {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) != len(prefixes)+1 {
				t.Fatalf("csv: %v, %d rows", err, len(rows))
			}
			for _, row := range rows[1:] {
				for _, cell := range row {
					if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsAny(c[:1], "=+-@\t\r") {
						t.Errorf("csv cell starts a formula: %q", cell)
					}
				}
			}
		}
	}
	// An unknown Call-ID given on the command line is quoted in the error.
	_, _, err := run(t, "show", path, "--call", "\x1b[31mnone")
	if err == nil || report.CheckTerminal(err.Error()) != nil {
		t.Errorf("error %q", err)
	}
}

// The limit flags reach the analysis and the report says what they cut.
func TestLimitFlags(t *testing.T) {
	path, prefixes := hostileCapture(t)
	out, _, err := run(t, "analyze", "--max-calls", "2", path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("limits reached: %d calls evicted (--max-calls 2)", len(prefixes)-2)
	if !strings.Contains(out, want) {
		t.Errorf("analyze --max-calls 2 does not say %q:\n%s", want, out)
	}
	js, _, err := run(t, "calls", "--format", "json", "--max-calls", "2", "--max-icmp", "7", "--max-call-messages", "9", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"calls_evicted": 3`, `"max_calls": 2`, `"max_icmp": 7`, `"max_call_messages": 9`} {
		if !strings.Contains(js, want) {
			t.Errorf("JSON lacks %s:\n%s", want, js)
		}
	}
	if _, _, err := run(t, "calls", "--max-calls", "0", path); err == nil || !strings.Contains(err.Error(), "--max-calls 0") {
		t.Errorf("--max-calls 0: err %v", err)
	}
	help, _, _ := run(t, "calls", "--help")
	for _, want := range []string{"--max-calls int", "(default 200000)", "--max-call-messages int", "(default 10000)", "--max-icmp int"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

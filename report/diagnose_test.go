package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/diagnose"
)

func TestDiagnoseText(t *testing.T) {
	fs := []diagnose.Finding{
		{ID: "ack.misrouted", Severity: diagnose.Error, CallID: "c1", Summary: "ACK went astray", Evidence: diagnose.Evidence{Frames: []int{7, 10}}, Advice: "fix it"},
		// Packet text reaches summaries (URIs, Reason headers): it must not
		// drive the terminal.
		{ID: "call.failed", Severity: diagnose.Warning, CallID: "c\x1b[31m2", Summary: "rejected (Reason: \x1b]0;pwned\x07)"},
		{ID: "nat.via-mismatch", Severity: diagnose.Info, CallID: "c1", Summary: "behind NAT"},
		{ID: "nat.private-sdp", Severity: diagnose.Info, CallID: "c1", Summary: "private SDP"},
	}
	var b bytes.Buffer
	DiagnoseText(&b, fs, 2)
	out := b.String()
	if !strings.HasPrefix(out, "Findings (4): 1 error, 1 warning, 2 info\nERROR   ack.misrouted  ACK went astray\n        call: c1\n        frames: 7, 10\n        fix: fix it\n") {
		t.Errorf("unexpected text:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters reached the terminal: %q", out)
	}
	if !strings.Contains(out, `c\x1b[31m2`) || !strings.Contains(out, `\x1b]0;pwned\x07`) {
		t.Errorf("escapes not shown as text: %q", out)
	}

	b.Reset()
	DiagnoseText(&b, nil, 1)
	if got := b.String(); got != "No findings: no rule found a problem in 1 call.\n" {
		t.Errorf("empty: %q", got)
	}
}

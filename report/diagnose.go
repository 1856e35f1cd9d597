package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
)

// DiagnoseJSON is what `sipscope diagnose --format json` writes.
// Field names are a contract: add fields, never rename them.
type DiagnoseJSON struct {
	Capture  *JSONCapture       `json:"capture,omitempty"`
	Findings []diagnose.Finding `json:"findings"`
}

// FindingsFor returns the findings about the given calls, worst first; when
// calls is every call of the result, findings about no call in particular
// are kept too.
func FindingsFor(res *sipscope.Result, calls []*correlate.Call) []diagnose.Finding {
	out := []diagnose.Finding{}
	for _, c := range calls {
		out = append(out, diagnose.ForCall(res.Findings, c.CallID)...)
	}
	if len(calls) == len(res.Model.Calls) {
		out = append(out, diagnose.ForCall(res.Findings, "")...)
	}
	diagnose.Sort(out)
	return out
}

// BuildDiagnoseJSON converts a result into the diagnose JSON report.
func BuildDiagnoseJSON(res *sipscope.Result, calls []*correlate.Call) *DiagnoseJSON {
	return &DiagnoseJSON{Capture: buildCapture(&res.Capture), Findings: FindingsFor(res, calls)}
}

// DiagnoseText writes findings for a terminal: a count by severity, then
// each finding with its frames and advice.
func DiagnoseText(w io.Writer, fs []diagnose.Finding, calls int) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "No findings: no rule found a problem in %s.\n", plural(calls, "call"))
		return
	}
	var n [3]int
	for _, f := range fs {
		if f.Severity >= diagnose.Info && f.Severity <= diagnose.Error {
			n[f.Severity]++
		}
	}
	var parts []string
	for _, s := range []diagnose.Severity{diagnose.Error, diagnose.Warning, diagnose.Info} {
		if n[s] > 0 {
			parts = append(parts, plural(n[s], s.String()))
		}
	}
	fmt.Fprintf(w, "Findings (%d): %s\n", len(fs), strings.Join(parts, ", "))
	FindingsText(w, fs)
}

func plural(n int, noun string) string {
	s := itoa(n) + " " + noun
	if n != 1 && noun != "info" {
		s += "s"
	}
	return s
}

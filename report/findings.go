package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sipscope/sipscope/diagnose"
)

// FindingsText writes findings worst first: severity, id and summary on one
// line, then the evidence frames and the advice.
func FindingsText(w io.Writer, fs []diagnose.Finding) {
	for i, f := range fs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%-7s %s  %s\n", strings.ToUpper(f.Severity.String()), Clean(f.ID, false), Clean(f.Summary, false))
		if f.CallID != "" {
			fmt.Fprintf(w, "        call: %s\n", Clean(f.CallID, false))
		}
		if len(f.Evidence.Frames) > 0 {
			fmt.Fprintf(w, "        frames: %s\n", frameList(f.Evidence.Frames))
		}
		if f.Advice != "" {
			fmt.Fprintf(w, "        fix: %s\n", Clean(f.Advice, false))
		}
	}
}

func frameList(frames []int) string {
	parts := make([]string, len(frames))
	for i, n := range frames {
		parts[i] = itoa(n)
	}
	return strings.Join(parts, ", ")
}

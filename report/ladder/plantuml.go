package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/sipscope/sipscope/report"
)

// PlantUML writes the ladder as a PlantUML sequence diagram: solid arrows
// for messages, dashed for retransmissions, lost-message arrows (->x) for
// ICMP errors, thin arrows for media, notes for the header and findings.
func PlantUML(w io.Writer, d *Diagram) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("@startuml\n")
	for i, c := range d.Columns {
		label := plantText(c.Addr)
		if c.Name != "" {
			label += "\\n" + plantText(c.Name)
		}
		fmt.Fprintf(bw, "participant \"%s\" as C%d\n", label, i+1)
	}
	if len(d.Columns) > 0 {
		fmt.Fprintf(bw, "note across: %s\n", strings.Join(mapStrings(headerLines(d), plantText), "\\n"))
	}
	for i := range d.Items {
		it := &d.Items[i]
		arrow := "->"
		switch {
		case it.Kind == KindICMP:
			arrow = "->x"
		case it.Kind == KindMedia:
			arrow = "->>"
		case it.Retransmission:
			arrow = "-->"
		}
		lines := mapStrings(itemLines(d, it), plantText)
		fmt.Fprintf(bw, "C%d %s C%d : %s\n", it.From+1, arrow, it.To+1, strings.Join(lines, "\\n"))
		for _, f := range it.Notes {
			fmt.Fprintf(bw, "note over %s : %s\n", strings.ReplaceAll(noteSpan("C", it), ",", ", "), plantText(findingLine(d, f)))
		}
	}
	bw.WriteString("@enduml\n")
	return bw.Flush()
}

// plantText escapes packet text for a PlantUML label: creole markup
// (**, //, --, __, ~, <tags>, [[links]]), backslash escapes and quotes all
// become numeric character references (&#60;), which PlantUML shows as the
// character itself.
func plantText(s string) string {
	return entityEscape(report.Clean(s, false), "&#", ";", func(r, prev, next rune) bool {
		// A single - / _ is plain text; doubled, it is creole markup.
		return strings.ContainsRune("-/_", r) && prev != r && next != r
	})
}

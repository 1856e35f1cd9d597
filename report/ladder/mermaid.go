package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sipscope/sipscope/report"
)

// Mermaid writes the ladder as a Mermaid sequenceDiagram, which GitHub and
// GitLab render in Markdown inside a ```mermaid block. Solid arrows are
// messages, dotted ones retransmissions, crossed ones ICMP errors, open
// ones media; findings are notes under the arrow they point at.
func Mermaid(w io.Writer, d *Diagram) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("sequenceDiagram\n")
	for i, c := range d.Columns {
		label := mermaidText(c.Addr)
		if c.Name != "" {
			label += "<br/>" + mermaidText(c.Name)
		}
		fmt.Fprintf(bw, "    participant C%d as %s\n", i+1, label)
	}
	if len(d.Columns) > 0 {
		over := "C1"
		if len(d.Columns) > 1 {
			over += ",C" + strconv.Itoa(len(d.Columns))
		}
		fmt.Fprintf(bw, "    Note over %s: %s\n", over, strings.Join(mapStrings(headerLines(d), mermaidText), "<br/>"))
	}
	for i := range d.Items {
		it := &d.Items[i]
		arrow := "->>"
		switch {
		case it.Kind == KindICMP:
			arrow = "-x"
		case it.Kind == KindMedia:
			arrow = "-)"
		case it.Retransmission:
			arrow = "-->>"
		}
		lines := mapStrings(itemLines(d, it), mermaidText)
		fmt.Fprintf(bw, "    C%d%sC%d: %s\n", it.From+1, arrow, it.To+1, strings.Join(lines, "<br/>"))
		for _, f := range it.Notes {
			fmt.Fprintf(bw, "    Note over %s: %s\n", noteSpan("C", it), mermaidText(findingLine(d, f)))
		}
	}
	return bw.Flush()
}

// headerLines are the call summary and findings list shared by the
// Mermaid, PlantUML and SVG headers.
func headerLines(d *Diagram) []string {
	var out []string
	for _, l := range d.Legs {
		out = append(out, fmt.Sprintf("%s: Call-ID %s", l.Name, l.CallID),
			fmt.Sprintf("%s -> %s, %s, %d messages, %s", l.From, l.To, l.State, l.Messages, formatDuration(l.Duration)))
	}
	if len(d.Findings) == 0 {
		out = append(out, "Findings: none")
	}
	for i := range d.Findings {
		out = append(out, findingLine(d, i))
	}
	if r := redactedNote(d); r != "" {
		out = append(out, "Redacted: "+r)
	}
	return out
}

func findingLine(d *Diagram, i int) string {
	f := &d.Findings[i]
	return "[!" + strconv.Itoa(i+1) + "] " + strings.ToUpper(f.Severity) + " " + f.ID + ": " + f.Summary
}

// itemLines are an arrow's label lines: frame, time and text, then SDP and
// notes.
func itemLines(d *Diagram, it *Item) []string {
	return append([]string{itemHead(d, it, true)}, it.Details()...)
}

// itemHead is an arrow's first label line: with the leg's name when there
// are several, finding markers and, withTime, frame and time.
func itemHead(d *Diagram, it *Item, withTime bool) string {
	head := it.Text()
	if len(d.Legs) > 1 && it.Leg >= 0 {
		head = d.Legs[it.Leg].Name + ": " + head
	}
	for _, f := range it.Findings {
		head = "[!" + strconv.Itoa(f+1) + "] " + head
	}
	switch fl := d.FrameLabel(it); {
	case !withTime:
	case fl != "":
		head = "#" + fl + " " + formatDuration(it.Rel) + " (" + delta(it) + ") " + head
	default:
		head = formatDuration(it.Rel) + " " + head
	}
	return head
}

func noteSpan(prefix string, it *Item) string {
	a, b := min(it.From, it.To), max(it.From, it.To)
	if a == b {
		return prefix + strconv.Itoa(a+1)
	}
	return prefix + strconv.Itoa(a+1) + "," + prefix + strconv.Itoa(b+1)
}

func mapStrings(s []string, f func(string) string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// mermaidText escapes packet text for a Mermaid label: anything but
// letters, digits and plain punctuation becomes an entity code (#60;), so
// no text can end the statement, open a comment or inject markup.
func mermaidText(s string) string {
	return entityEscape(report.Clean(s, false), "#", ";", func(r rune, _, _ rune) bool {
		return strings.ContainsRune("-/_~[]", r) // plain text in a Mermaid message
	})
}

// entityEscape writes every rune outside a conservative safe set, and
// those extra does not allow (given the runes before and after), as
// prefix+decimal code+suffix.
func entityEscape(s, prefix, suffix string, extra func(r, prev, next rune) bool) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		var prev, next rune
		if i > 0 {
			prev = rs[i-1]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if r < 0x80 && safeLabel[r] || extra(r, prev, next) {
			b.WriteRune(r)
			continue
		}
		b.WriteString(prefix + strconv.Itoa(int(r)) + suffix)
	}
	return b.String()
}

var safeLabel = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range " .,:()+=@?!'" {
		t[c] = true
	}
	return t
}()

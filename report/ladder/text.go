package ladder

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/sipscope/sipscope/report"
)

// TextOptions says how to lay out a text ladder.
type TextOptions struct {
	Width int  // columns available; DefaultWidth when 0
	ASCII bool // pure ASCII: no box drawing, non-ASCII packet text escaped
}

// DefaultWidth is the width of a text ladder when none is given: what fits
// a ticket's code block without wrapping.
const DefaultWidth = 120

// Column spacing bounds for the text ladder: below minSpacing arrows and
// names are unreadable; above maxSpacing the diagram only gets wider.
const (
	minSpacing = 8
	maxSpacing = 40
)

// ErrTooNarrow is wrapped by Text when the columns cannot fit the width.
var ErrTooNarrow = fmt.Errorf("ladder: too many columns for the width")

// width measures terminal cells the same way whatever the locale, so golden
// files do not depend on the environment.
var width = &runewidth.Condition{EastAsianWidth: false}

type glyphs struct {
	life, msg, retrans, icmp, media, right, left, ellipsis, selfOut, selfIn string
}

var (
	asciiGlyphs   = glyphs{"|", "-", ".", "~", "=", ">", "<", "...", "--.", "<-'"}
	unicodeGlyphs = glyphs{"│", "─", "╌", "~", "═", "►", "◄", "…", "──╮", "◄─╯"}
)

// Text writes the ladder as plain text that fits o.Width terminal columns:
// a header with the calls and findings, one lifeline per column, and for
// each item its labels above an arrow, frame and time in the left margin.
func Text(w io.Writer, d *Diagram, o TextOptions) error {
	if o.Width == 0 {
		o.Width = DefaultWidth
	}
	t := &textLayout{d: d, o: o, g: unicodeGlyphs}
	if o.ASCII {
		t.g = asciiGlyphs
	}
	if err := t.layout(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	t.w = bw
	t.header()
	t.columnsHeader()
	t.lifelines()
	for i := range d.Items {
		t.item(i)
	}
	t.lifelines()
	return bw.Flush()
}

type textLayout struct {
	d       *Diagram
	o       TextOptions
	g       glyphs
	w       *bufio.Writer
	gutter  int   // cells before the first column's area
	centers []int // x of each lifeline
	spacing int
	fw, tw  int // frame and time widths in the gutter
	dw      int // delta width
}

func (t *textLayout) layout() error {
	for i := range t.d.Items {
		it := &t.d.Items[i]
		t.fw = max(t.fw, len(t.d.FrameLabel(it)))
		t.tw = max(t.tw, len(formatDuration(it.Rel)))
		t.dw = max(t.dw, len(delta(it)))
	}
	// "frame  rel  +delta " then the columns.
	t.gutter = t.fw + 2 + t.tw + 2 + t.dw + 1
	n := len(t.d.Columns)
	if n == 0 {
		return nil
	}
	// The first lifeline stands right after the gutter (its name may reach
	// into the gutter, which is blank on header lines); the last leaves
	// half a spacing for its name.
	t.spacing = min(maxSpacing, (t.o.Width-t.gutter-2)*2/(2*n-1))
	if t.spacing < minSpacing {
		return fmt.Errorf("%w: %d columns need at least %d; use --by-host or a larger --width", ErrTooNarrow, n, t.gutter+2+(2*n-1)*minSpacing/2)
	}
	for i := 0; i < n; i++ {
		t.centers = append(t.centers, t.gutter+1+i*t.spacing)
	}
	return nil
}

// esc makes packet text safe and, with ASCII, pure ASCII.
func (t *textLayout) esc(s string) string {
	s = report.Clean(s, false)
	if !t.o.ASCII {
		return s
	}
	return asciiOnly(s)
}

// asciiOnly escapes every non-ASCII rune as \u or \U, as Go would quote it.
func asciiOnly(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			q := strconv.QuoteToASCII(s)
			q = q[1 : len(q)-1]
			// QuoteToASCII also escapes quotes and backslashes; undo that,
			// Clean already made the text safe.
			return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(q)
		}
	}
	return s
}

// fit truncates s to n cells with an ellipsis.
func (t *textLayout) fit(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if width.StringWidth(s) <= n {
		return s
	}
	if n <= len(t.g.ellipsis) {
		return width.Truncate(s, n, "")
	}
	return width.Truncate(s, n, t.g.ellipsis)
}

func (t *textLayout) line(s string) {
	t.w.WriteString(strings.TrimRight(t.fit(s, t.o.Width), " "))
	t.w.WriteByte('\n')
}

func (t *textLayout) header() {
	d := t.d
	for _, l := range d.Legs {
		t.line(t.esc(fmt.Sprintf("%s  Call-ID %s", l.Name, l.CallID)))
		t.line(t.esc(fmt.Sprintf("   %s -> %s, %s, %d messages, %s from %s UTC", l.From, l.To,
			l.State, l.Messages, formatDuration(l.Duration), report.TimeOfDay(l.Start))))
	}
	if len(d.Findings) == 0 {
		t.line("Findings: none")
	} else {
		t.line("Findings:")
		for i, f := range d.Findings {
			t.line(t.esc(fmt.Sprintf("  [%d] %s %s: %s (frames %s)", i+1, strings.ToUpper(f.Severity), f.ID, f.Summary, frameList(f.Frames))))
			if f.Advice != "" {
				t.line(t.esc("      fix: " + f.Advice))
			}
		}
	}
	if r := redactedNote(d); r != "" {
		t.line("Redacted: " + r)
	}
	t.line("")
}

func redactedNote(d *Diagram) string {
	var parts []string
	if d.Redacted.Auth {
		parts = append(parts, "digest nonces and responses")
	}
	if d.Redacted.Users {
		parts = append(parts, "users and phone numbers")
	}
	if d.Redacted.Addrs {
		parts = append(parts, "IP addresses")
	}
	return strings.Join(parts, ", ")
}

func frameList(frames []int) string {
	parts := make([]string, len(frames))
	for i, f := range frames {
		parts[i] = strconv.Itoa(f)
	}
	return strings.Join(parts, ", ")
}

// canvas is one output line as cells; a wide rune's second cell is "".
type canvas []string

func (t *textLayout) canvas() canvas {
	c := make(canvas, t.o.Width)
	for i := range c {
		c[i] = " "
	}
	for _, x := range t.centers {
		if x < len(c) {
			c[x] = t.g.life
		}
	}
	return c
}

// put writes s from cell x, clipped at the right edge.
func (c canvas) put(x int, s string) {
	for _, r := range s {
		w := width.RuneWidth(r)
		if w == 0 {
			w = 1 // Clean left no control runes; combining marks take a cell here
		}
		if x < 0 || x+w > len(c) {
			return
		}
		c[x] = string(r)
		if w == 2 {
			c[x+1] = ""
		}
		x += w
	}
}

func (t *textLayout) emit(c canvas) { t.line(strings.Join(c, "")) }

func (t *textLayout) columnsHeader() {
	addr, name := t.canvas(), t.canvas()
	for i := range addr {
		addr[i], name[i] = " ", " "
	}
	for i, col := range t.d.Columns {
		t.centered(addr, t.centers[i], t.esc(col.Addr))
		t.centered(name, t.centers[i], t.esc(col.Name))
	}
	t.emit(addr)
	t.emit(name)
}

func (t *textLayout) centered(c canvas, x int, s string) {
	s = t.fit(s, t.spacing-1)
	c.put(max(0, x-width.StringWidth(s)/2), s)
}

func (t *textLayout) lifelines() { t.emit(t.canvas()) }

// label writes a label line for an arrow between columns a and b: from just
// right of the leftmost lifeline, moved left (not into the gutter) when it
// would pass the right edge, and truncated when still too long.
func (t *textLayout) label(a, b int, s string) {
	c := t.canvas()
	x := t.centers[min(a, b)] + 2
	n := width.StringWidth(s)
	if x+n > t.o.Width {
		x = max(t.gutter, t.o.Width-n)
	}
	c.put(x, t.fit(s, t.o.Width-x))
	t.emit(c)
}

func (t *textLayout) item(i int) {
	d := t.d
	it := &d.Items[i]
	text := it.Text()
	if len(d.Legs) > 1 && it.Leg >= 0 {
		text = d.Legs[it.Leg].Name + ": " + text
	}
	for _, f := range it.Findings {
		text = "[!" + strconv.Itoa(f+1) + "] " + text
	}
	t.label(it.From, it.To, t.esc(text))
	for _, s := range it.Details() {
		t.label(it.From, it.To, t.esc(s))
	}
	c := t.canvas()
	gutter := fmt.Sprintf("%*s  %*s  %-*s", t.fw, d.FrameLabel(it), t.tw, formatDuration(it.Rel), t.dw, delta(it))
	c.put(0, gutter)
	fill := t.g.msg
	switch {
	case it.Kind == KindICMP:
		fill = t.g.icmp
	case it.Kind == KindMedia:
		fill = t.g.media
	case it.Retransmission:
		fill = t.g.retrans
	}
	a, b := t.centers[it.From], t.centers[it.To]
	switch {
	case a < b:
		for x := a + 1; x < b-1; x++ {
			c[x] = fill
		}
		c[b-1] = t.g.right
	case a > b:
		c[b+1] = t.g.left
		for x := b + 2; x < a; x++ {
			c[x] = fill
		}
	default:
		// A message from a column to itself (two ports of one host with
		// --by-host): a small loop on the lifeline.
		c.put(a+1, t.g.selfOut)
		t.emit(c)
		c = t.canvas()
		c.put(a+1, t.g.selfIn)
	}
	t.emit(c)
	for _, f := range it.Notes {
		fd := &d.Findings[f]
		c := t.canvas()
		x := t.centers[min(it.From, it.To)] + 2
		s := t.esc("[!" + strconv.Itoa(f+1) + "] " + strings.ToUpper(fd.Severity) + " " + fd.ID + ": " + fd.Summary)
		if n := width.StringWidth(s); x+n > t.o.Width {
			x = max(t.gutter, t.o.Width-n)
		}
		c.put(x, t.fit(s, t.o.Width-x))
		t.emit(c)
	}
}

func delta(it *Item) string {
	if it.Kind == KindMedia {
		return ""
	}
	return "+" + strconv.FormatFloat(it.Delta.Seconds(), 'f', 3, 64)
}

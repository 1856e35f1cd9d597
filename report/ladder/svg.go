package ladder

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/sipscope/sipscope/report"
)

// SVG geometry, in pixels. Text is monospace at fontSize, so a cell of
// text is charWidth wide whatever font the viewer picks.
const (
	fontSize   = 12
	charWidth  = 7.3
	lineHeight = 16
	svgMargin  = 12
	svgGutter  = 190 // frame and time, left of the first lifeline
	minColumn  = 170
	maxColumn  = 520
	headBox    = 40 // column header box height
)

// SVG writes the ladder as a standalone SVG image: no external fonts,
// scripts or images, every packet text escaped. Each arrow is a group with
// id "item-N" and a tooltip holding the frame and time.
func SVG(w io.Writer, d *Diagram) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	writeSVG(bw, d, true)
	return bw.Flush()
}

type svgLayout struct {
	spacing float64
	centers []float64
	width   float64
	height  float64
	header  []string
}

func layoutSVG(d *Diagram, withHeader bool) *svgLayout {
	l := &svgLayout{spacing: minColumn}
	for i := range d.Items {
		it := &d.Items[i]
		span := float64(max(1, abs(it.To-it.From)))
		for _, s := range svgLines(d, it) {
			l.spacing = max(l.spacing, textWidth(s)/span+24)
		}
	}
	l.spacing = min(l.spacing, maxColumn)
	for i := range d.Columns {
		l.centers = append(l.centers, svgMargin+svgGutter+l.spacing/2+float64(i)*l.spacing)
	}
	l.width = svgMargin*2 + svgGutter + float64(max(1, len(d.Columns)))*l.spacing
	// Labels longer than their span run on to the right: make room.
	for i := range d.Items {
		it := &d.Items[i]
		left := l.centers[min(it.From, it.To)] + 8
		lines := svgLines(d, it)
		for _, f := range it.Notes {
			lines = append(lines, findingLine(d, f))
		}
		for _, s := range lines {
			l.width = max(l.width, left+textWidth(s)+svgMargin)
		}
	}
	if withHeader {
		l.header = headerLines(d)
		for _, s := range l.header {
			l.width = max(l.width, svgMargin*2+textWidth(s))
		}
	}
	l.height = l.top(d) + l.itemsHeight(d) + lineHeight + svgMargin
	return l
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func textWidth(s string) float64 {
	return float64(width.StringWidth(report.Clean(s, false))) * charWidth
}

// top is where the column boxes start.
func (l *svgLayout) top(d *Diagram) float64 {
	return svgMargin + float64(len(l.header))*lineHeight + headBox + lineHeight
}

// svgLines are an arrow's label lines; frame and time are in the gutter.
func svgLines(d *Diagram, it *Item) []string {
	return append([]string{itemHead(d, it, false)}, it.Details()...)
}

func itemHeight(d *Diagram, it *Item) float64 {
	n := len(svgLines(d, it)) + len(it.Notes)
	if it.From == it.To {
		n++
	}
	return float64(n)*lineHeight + 14
}

func (l *svgLayout) itemsHeight(d *Diagram) float64 {
	h := 0.0
	for i := range d.Items {
		h += itemHeight(d, &d.Items[i])
	}
	return h
}

// svgText escapes text for XML: control characters are already escapes
// after Clean, and the two non-characters XML forbids are replaced.
func svgText(s string) string {
	s = report.Clean(s, false)
	s = strings.NewReplacer("\uFFFE", `\ufffe`, "\uFFFF", `\uffff`).Replace(s)
	return html.EscapeString(s)
}

func writeSVG(w *bufio.Writer, d *Diagram, withHeader bool) {
	l := layoutSVG(d, withHeader)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="monospace" font-size="%d">`+"\n",
		l.width, l.height, l.width, l.height, fontSize)
	w.WriteString(`<defs>` +
		`<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker>` +
		`<marker id="cross" viewBox="0 0 10 10" refX="5" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto"><path d="M1,1 L9,9 M9,1 L1,9" stroke="#c62828" stroke-width="2"/></marker>` +
		"</defs>\n")
	w.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>` + "\n")
	y := float64(svgMargin)
	for _, s := range l.header {
		y += lineHeight
		fmt.Fprintf(w, `<text x="%d" y="%.0f" fill="#202020">%s</text>`+"\n", svgMargin, y-4, svgText(s))
	}
	top := l.top(d) - headBox - lineHeight/2
	bottom := l.height - svgMargin
	for i, c := range d.Columns {
		x := l.centers[i]
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9e9e9e" stroke-width="1"/>`+"\n", x, top+headBox, x, bottom)
		bw := l.spacing - 16
		fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" rx="4" fill="#eef3fb" stroke="#5c7fb8"/>`+"\n", x-bw/2, top, bw, headBox)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`+"\n", x, top+16, svgText(fitPixels(c.Addr, bw-8)))
		if c.Name != "" {
			fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#404040">%s</text>`+"\n", x, top+32, svgText(fitPixels(c.Name, bw-8)))
		}
	}
	y = l.top(d)
	for i := range d.Items {
		it := &d.Items[i]
		y = writeSVGItem(w, d, l, i, it, y)
	}
	w.WriteString("</svg>\n")
}

// fitPixels truncates s to about px pixels of monospace text.
func fitPixels(s string, px float64) string {
	n := int(px / charWidth)
	if width.StringWidth(s) <= n {
		return s
	}
	return width.Truncate(s, max(1, n), "…")
}

func writeSVGItem(w *bufio.Writer, d *Diagram, l *svgLayout, i int, it *Item, y float64) float64 {
	lines := svgLines(d, it)
	color := "#1a1a1a"
	switch {
	case len(it.Findings) > 0:
		color = "#c62828"
	case it.Kind == KindICMP:
		color = "#c62828"
	case it.Kind == KindMedia:
		color = "#2e7d32"
	case it.Retransmission:
		color = "#6d6d6d"
	}
	title := "frame " + d.FrameLabel(it) + " at " + formatDuration(it.Rel)
	if it.Kind == KindMedia {
		title = "media from " + formatDuration(it.Rel)
	}
	fmt.Fprintf(w, `<g class="item" id="item-%d" data-frame="%s" data-title="%s">`, i, svgText(d.FrameLabel(it)), svgText(title+": "+it.Text()))
	fmt.Fprintf(w, `<title>%s</title>`+"\n", svgText(title))
	a, b := l.centers[it.From], l.centers[it.To]
	left := min(a, b)
	h := itemHeight(d, it)
	// A transparent band makes the whole row clickable in the HTML page.
	fmt.Fprintf(w, `<rect class="hit" x="%d" y="%.1f" width="%.1f" height="%.1f" fill="transparent"/>`+"\n", svgMargin, y, l.width-2*svgMargin, h)
	ty := y
	for k, s := range lines {
		ty += lineHeight
		weight := ""
		if k == 0 {
			weight = ` font-weight="bold"`
		}
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" fill="%s"%s>%s</text>`+"\n", left+8, ty-4, color, weight, svgText(s))
	}
	ay := ty + 8
	gut := d.FrameLabel(it)
	if gut != "" {
		gut += "  "
	}
	gut += formatDuration(it.Rel) + "  " + delta(it)
	fmt.Fprintf(w, `<text x="%d" y="%.1f" fill="#505050">%s</text>`+"\n", svgMargin, ay+4, svgText(gut))
	stroke := `stroke-width="1.5"`
	marker := `marker-end="url(#head)"`
	switch {
	case it.Kind == KindICMP:
		stroke = `stroke-width="1.5" stroke-dasharray="2 3"`
		marker = `marker-end="url(#cross)"`
	case it.Kind == KindMedia:
		stroke = `stroke-width="3"`
	case it.Retransmission:
		stroke = `stroke-width="1.5" stroke-dasharray="6 4"`
	}
	if a == b {
		fmt.Fprintf(w, `<path d="M%.1f,%.1f h40 v%d h-38" fill="none" stroke="%s" %s %s/>`+"\n", a, ay, lineHeight, color, stroke, marker)
		ay += lineHeight
	} else {
		x2 := b - 2
		if b < a {
			x2 = b + 2
		}
		fmt.Fprintf(w, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" %s %s/>`+"\n", a, ay, x2, ay, color, stroke, marker)
	}
	fy := ay
	for _, f := range it.Notes {
		fy += lineHeight
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" fill="#c62828">%s</text>`+"\n", left+8, fy-2, svgText(findingLine(d, f)))
	}
	w.WriteString("</g>\n")
	return y + h
}

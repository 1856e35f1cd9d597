package browser

import (
	"html"
	"slices"
	"strings"
	"testing"
)

// The harness must be able to fail: every payload, put raw into a page,
// runs; escaped, none does. An HTML page and an SVG image are both checked.
func TestPayloadsRunOnlyWhenNotEscaped(t *testing.T) {
	all := make([]int, len(Payloads))
	for i := range all {
		all[i] = i
	}
	page := func(escape func(string) string) []byte {
		var b strings.Builder
		b.WriteString("<!doctype html><html><head><title>report</title></head><body>\n")
		for _, p := range Payloads {
			b.WriteString("<p>" + escape(p) + "</p>\n")
		}
		b.WriteString("</body></html>\n")
		return []byte(b.String())
	}
	if ran := Ran(t, page(func(s string) string { return s }), ".html"); !slices.Equal(ran, all) {
		t.Errorf("raw HTML: payloads %v ran, want all %v", ran, all)
	}
	if ran := Ran(t, page(html.EscapeString), ".html"); len(ran) != 0 {
		t.Errorf("escaped HTML: payloads ran:%s", Describe(ran))
	}

	svg := func(text string) []byte {
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="0" y="20">` +
			text + `</text></svg>`)
	}
	if ran := Ran(t, svg(Payloads[0]), ".svg"); !slices.Equal(ran, []int{0}) {
		t.Errorf("raw SVG: payloads %v ran, want [0]", ran)
	}
	var esc strings.Builder
	for _, p := range Payloads {
		esc.WriteString(html.EscapeString(p) + " ")
	}
	if ran := Ran(t, svg(esc.String()), ".svg"); len(ran) != 0 {
		t.Errorf("escaped SVG: payloads ran:%s", Describe(ran))
	}
}

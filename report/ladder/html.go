package ladder

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/sipscope/sipscope/report"
)

// htmlScript shows the text of the clicked arrow's message, and the
// message a "#frame-N" link points at. It marks the document
// data-ladder="ready" once set up, or "error" when a script error fires:
// what the browser test reads.
const htmlScript = `(function () {
  var root = document.documentElement;
  window.addEventListener("error", function () { root.setAttribute("data-ladder", "error"); });
  var title = document.getElementById("raw-title");
  var text = document.getElementById("raw-text");
  function show(g) {
    var src = document.getElementById("msg-" + g.id.slice(5));
    if (!src) { return; }
    var sel = document.querySelectorAll("g.item.selected");
    for (var k = 0; k < sel.length; k++) { sel[k].classList.remove("selected"); }
    g.classList.add("selected");
    title.textContent = g.getAttribute("data-title");
    text.textContent = src.textContent;
  }
  var items = document.querySelectorAll("g.item");
  for (var i = 0; i < items.length; i++) {
    items[i].addEventListener("click", function (ev) { show(ev.currentTarget); });
  }
  var m = /^#frame-(.+)$/.exec(decodeURIComponent(location.hash));
  if (m) {
    for (var j = 0; j < items.length; j++) {
      if (items[j].getAttribute("data-frame") === m[1]) { show(items[j]); items[j].scrollIntoView(); break; }
    }
  }
  if (root.getAttribute("data-ladder") !== "error") { root.setAttribute("data-ladder", "ready"); }
})();`

const htmlStyle = `body { font-family: system-ui, sans-serif; margin: 1em; color: #202020; background: #fff; }
h1 { font-size: 1.2em; margin: 0 0 .5em; }
table.legs { border-collapse: collapse; margin-bottom: .8em; }
table.legs td, table.legs th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; font-family: monospace; }
ul.findings { margin: 0 0 .8em; padding-left: 1.2em; }
li.error { color: #b71c1c; } li.warning { color: #8a5300; }
.note { color: #555; margin: 0 0 .8em; }
.ladder-wrap { overflow-x: auto; border: 1px solid #ddd; }
g.item { cursor: pointer; }
g.item:hover rect.hit { fill: #f3f7ff; }
g.item.selected rect.hit { fill: #fff4c4; }
#raw { margin-top: 1em; }
#raw-text { background: #f6f6f6; border: 1px solid #ddd; padding: .6em; white-space: pre-wrap; overflow-wrap: anywhere; min-height: 3em; }
`

// HTML writes one self-contained page that works offline: a header with
// the calls and findings, the ladder as inline SVG, and below it the text
// of the message whose arrow was last clicked ("#frame-10" in the address
// opens frame 10). A Content-Security-Policy that allows only this page's
// own script (by hash) means that even text that escaped escaping could
// neither run script nor load anything.
func HTML(w io.Writer, d *Diagram) error {
	bw := bufio.NewWriter(w)
	sum := sha256.Sum256([]byte(htmlScript))
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	title := "sipscope ladder"
	if len(d.Legs) > 0 {
		title += ": " + d.Legs[0].CallID
	}
	bw.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	fmt.Fprintf(bw, "<meta http-equiv=\"Content-Security-Policy\" content=\"%s\">\n", html.EscapeString(csp))
	fmt.Fprintf(bw, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", svgText(title), htmlStyle)
	fmt.Fprintf(bw, "<h1>%s</h1>\n", svgText(title))
	bw.WriteString("<table class=\"legs\">\n<tr><th>leg</th><th>Call-ID</th><th>from</th><th>to</th><th>state</th><th>messages</th><th>duration</th><th>start (UTC)</th></tr>\n")
	for _, l := range d.Legs {
		fmt.Fprintf(bw, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td></tr>\n",
			svgText(l.Name), svgText(l.CallID), svgText(l.From), svgText(l.To), svgText(l.State), l.Messages,
			formatDuration(l.Duration), report.TimeOfDay(l.Start))
	}
	bw.WriteString("</table>\n")
	if len(d.Findings) == 0 {
		bw.WriteString("<p class=\"note\">Findings: none.</p>\n")
	} else {
		bw.WriteString("<ul class=\"findings\">\n")
		for i, f := range d.Findings {
			fmt.Fprintf(bw, "<li class=\"%s\"><b>[!%d] %s %s</b>: %s (frames %s)", svgText(f.Severity), i+1,
				svgText(strings.ToUpper(f.Severity)), svgText(f.ID), svgText(f.Summary), frameList(f.Frames))
			if f.Advice != "" {
				fmt.Fprintf(bw, "<br>fix: %s", svgText(f.Advice))
			}
			bw.WriteString("</li>\n")
		}
		bw.WriteString("</ul>\n")
	}
	if r := redactedNote(d); r != "" {
		fmt.Fprintf(bw, "<p class=\"note\">Redacted: %s.</p>\n", svgText(r))
	}
	bw.WriteString("<p class=\"note\">Click an arrow to see its message.</p>\n<div class=\"ladder-wrap\">\n")
	writeSVG(bw, d, false)
	bw.WriteString("</div>\n<section id=\"raw\">\n<h2 id=\"raw-title\">No message selected</h2>\n<pre id=\"raw-text\"></pre>\n</section>\n<div hidden>\n")
	for i := range d.Items {
		it := &d.Items[i]
		text := it.Raw
		if text == "" {
			text = strings.Join(itemLines(d, it), "\n")
		}
		fmt.Fprintf(bw, "<pre id=\"msg-%d\">%s</pre>\n", i, html.EscapeString(strings.ReplaceAll(report.Clean(text, true), "\uFFFE", `\ufffe`)))
	}
	fmt.Fprintf(bw, "</div>\n<script>%s</script>\n</body>\n</html>\n", htmlScript)
	return bw.Flush()
}

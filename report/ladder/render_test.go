package ladder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"html"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/internal/testenv"
)

// These tests render the outputs with the real tools: PlantUML, and
// Chromium for the HTML page and for Mermaid (installed from npm at test
// time). They skip on a laptop without the tools and fail under CI.

// toolTimeout bounds every external tool run; it is a guard against a hung
// browser, not an assertion.
const toolTimeout = 2 * time.Minute

func runTool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func TestPlantUMLRenders(t *testing.T) {
	plantuml := testenv.RequireTool(t, "plantuml")
	dir := t.TempDir()
	cases := map[string]*Diagram{"annotated": seedDiagrams(t)["annotated"], "crafted": craftedDiagram(t)}
	for name, d := range cases {
		var b bytes.Buffer
		if err := PlantUML(&b, d); err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(dir, name+".puml")
		if err := os.WriteFile(src, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		runTool(t, plantuml, "-tsvg", "-failfast2", "-nbthread", "1", src)
		svg, err := os.ReadFile(filepath.Join(dir, name+".svg"))
		if err != nil {
			t.Fatal(err)
		}
		text := html.UnescapeString(string(svg))
		if strings.Contains(text, "Syntax Error") {
			t.Fatalf("%s: plantuml reports a syntax error", name)
		}
		want := []string{"#10 1.245s (+0.041) [!1] ACK", "ICMP port unreachable", "FreeSWITCH-mod_sofia/1.6.19~64bit"}
		if name == "crafted" {
			// The hostile text is shown as text, creole and all.
			want = []string{`<script>alert("ua")</script>`, "**bold** --strike--", "[[http://evil.example/x]]"}
		}
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("%s: plantuml's drawing lacks %q", name, s)
			}
		}
	}
}

// chromium runs headless Chromium with a throwaway profile and no network
// use of its own.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testenv.RequireTool(t, "chromium")
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1400,1000"}
	return runTool(t, bin, append(base, args...)...)
}

// checkScreenshot decodes a PNG and fails when it is (nearly) blank.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	ink := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xe000 || cg < 0xe000 || cb < 0xe000 {
				ink++
			}
		}
	}
	// A rendered ladder inks a few percent of the page; a blank or
	// error page far less.
	if min := r.Dx() * r.Dy() / 100; ink < min {
		t.Errorf("screenshot %s looks blank: %d inked pixels, want at least %d", path, ink, min)
	}
}

func TestHTMLRendersInChromium(t *testing.T) {
	testenv.RequireTool(t, "chromium")
	dir := t.TempDir()
	for name, d := range map[string]*Diagram{"annotated": seedDiagrams(t)["annotated"], "crafted": craftedDiagram(t)} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := HTML(&b, d); err != nil {
				t.Fatal(err)
			}
			page := filepath.Join(dir, name+".html")
			if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			// "#frame-N" runs the same code as a click on that arrow.
			frame := "10"
			if name == "crafted" {
				frame = "2"
			}
			dom := string(chromium(t, "--dump-dom", "file://"+page+"#frame-"+frame))
			if !strings.Contains(dom, `data-ladder="ready"`) {
				t.Fatalf("page did not finish its script without error:\n%.600s", dom)
			}
			raw := between(dom, `<pre id="raw-text">`, "</pre>")
			want := "ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0"
			if name == "crafted" {
				want = `SIP/2.0 200 OK"&gt;&lt;img src=x onerror=alert(1)&gt;\x1b[31mred\u202egnp.exe`
			}
			if !strings.Contains(raw, want) {
				t.Errorf("after selecting frame %s the raw panel shows %.300q, want it to contain %q", frame, raw, want)
			}
			if strings.Contains(dom, "<img") {
				t.Error("the packet's <img> became an element")
			}
			shot := filepath.Join(dir, name+".png")
			chromium(t, "--screenshot="+shot, "file://"+page)
			checkScreenshot(t, shot)
		})
	}
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(rest, end)
	return in
}

// mermaidVersion is the Mermaid release the test renders with, pinned so
// the test does not change under us.
const mermaidVersion = "12.3.0"

// mermaidScript fetches Mermaid's browser bundle from npm into dir and
// returns its path: only the package tarball, not its dependencies, which
// the bundle already contains.
func mermaidScript(t *testing.T, dir string) string {
	t.Helper()
	npm := testenv.RequireTool(t, "npm")
	runTool(t, npm, "pack", "--silent", "mermaid@"+mermaidVersion, "--pack-destination", dir)
	f, err := os.Open(filepath.Join(dir, "mermaid-"+mermaidVersion+".tgz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatal("mermaid package has no dist/mermaid.min.js")
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "package/dist/mermaid.min.js" {
			continue
		}
		out := filepath.Join(dir, "mermaid.min.js")
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// mermaidPage renders a diagram source with Mermaid and sets the title to
// "RENDERED" only when parsing and rendering succeeded and no script error
// fired.
const mermaidPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>pending</title><script src="mermaid.min.js"></script></head>
<body><pre id="src" hidden>{{SOURCE}}</pre><div id="out"></div><div id="end"></div>
<script>
var failed = false;
window.onerror = function () { failed = true; document.title = "ERROR script"; };
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
var text = document.getElementById("src").textContent;
mermaid.parse(text).then(function () { return mermaid.render("ladder", text); }).then(function (r) {
  document.getElementById("out").innerHTML = r.svg;
  var n = document.querySelectorAll("#out svg text").length;
  if (!failed && n > 5) { document.title = "RENDERED " + n; }
}).catch(function (e) { document.title = "ERROR " + e; });
</script></body></html>
`

func TestMermaidRendersInChromium(t *testing.T) {
	testenv.RequireTool(t, "chromium")
	dir := t.TempDir()
	mermaidScript(t, dir)
	for name, d := range map[string]*Diagram{"annotated": seedDiagrams(t)["annotated"], "crafted": craftedDiagram(t)} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Mermaid(&b, d); err != nil {
				t.Fatal(err)
			}
			page := filepath.Join(dir, name+".html")
			doc := strings.Replace(mermaidPage, "{{SOURCE}}", html.EscapeString(b.String()), 1)
			if err := os.WriteFile(page, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			// Mermaid renders asynchronously: the virtual time budget lets
			// its promises settle before the DOM is dumped.
			dom := string(chromium(t, "--virtual-time-budget=20000", "--dump-dom", "file://"+page))
			title := between(dom, "<title>", "</title>")
			if !strings.HasPrefix(title, "RENDERED") {
				t.Fatalf("mermaid did not render: title %q", title)
			}
			want := []string{"#10 1.245s (+0.041) [!1] ACK", "ICMP port unreachable"}
			if name == "crafted" {
				want = []string{"&lt;script&gt;alert(\"ua\")&lt;/script&gt;"}
			}
			svg := between(dom, `<div id="out">`, `<div id="end">`)
			for _, s := range want {
				if !strings.Contains(svg, s) {
					t.Errorf("rendered diagram lacks %q", s)
				}
			}
			if strings.Contains(svg, "<script") || strings.Contains(svg, "<img") {
				t.Error("packet markup became elements in the rendered diagram")
			}
			shot := filepath.Join(dir, name+".png")
			chromium(t, "--virtual-time-budget=20000", "--screenshot="+shot, "file://"+page)
			checkScreenshot(t, shot)
		})
	}
}

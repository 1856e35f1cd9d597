package ladder

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/report/redact"
)

// Hostile text a peer can put in a capture: markup for each output format,
// a terminal escape and a bidi override.
const (
	evilUA      = `<script>alert("ua")</script> %%{init: {"theme":"dark"}}%% ; #35; [[http://evil.example/x]] <img:http://evil.example/x.png> **bold** --strike-- \n`
	evilReason  = `OK"><img src=x onerror=alert(1)>` + "\x1b[31mred\u202egnp.exe"
	evilDisplay = `</pre><script>alert('name')</script>`
)

// craftedCall writes a capture with an INVITE and a 200 OK full of hostile
// text and returns the correlated call.
func craftedCall(t *testing.T) *correlate.Call {
	t.Helper()
	a, b := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("10.0.0.2:5060")
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	invite := "INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\n" +
		"From: \"" + strings.ReplaceAll(evilDisplay, `"`, `'`) + "\" <sip:alice@10.0.0.1>;tag=1\r\nTo: <sip:bob@10.0.0.2>\r\n" +
		"Call-ID: <b>crafted</b>;#\r\nCSeq: 1 INVITE\r\nUser-Agent: " + evilUA + "\r\nContent-Length: 0\r\n\r\n"
	ok := "SIP/2.0 200 " + evilReason + "\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1\r\n" +
		"From: <sip:alice@10.0.0.1>;tag=1\r\nTo: <sip:bob@10.0.0.2>;tag=2\r\nCall-ID: <b>crafted</b>;#\r\nCSeq: 1 INVITE\r\n" +
		"Server: " + evilUA + "\r\nContent-Length: 0\r\n\r\n"
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUDP(t0, a, b, []byte(invite)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUDP(t0.Add(time.Second), b, a, []byte(ok)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crafted.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Calls) != 1 || len(res.Model.Calls[0].Messages) != 2 {
		t.Fatalf("crafted capture: %d calls", len(res.Model.Calls))
	}
	return res.Model.Calls[0]
}

func craftedDiagram(t *testing.T) *Diagram {
	c := craftedCall(t)
	f := diagnose.Finding{ID: "x.<b>evil</b>", Severity: diagnose.Warning, CallID: c.CallID,
		Summary: evilUA, Advice: evilReason, Evidence: diagnose.Evidence{Frames: []int{2}}}
	return Build([]*correlate.Call{c}, []diagnose.Finding{f}, nil, Options{Redact: redact.Options{Auth: true}})
}

func TestCraftedTextEscaped(t *testing.T) {
	d := craftedDiagram(t)
	var b bytes.Buffer
	if err := Text(&b, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\u202e") {
		t.Errorf("terminal escape or bidi override passed through:\n%q", out)
	}
	if !strings.Contains(out, `\x1b[31mred\u202egnp.exe`) {
		t.Errorf("escapes not shown:\n%s", out)
	}
}

// TestCraftedMarkupEscaped checks that no packet text can become markup in
// SVG or HTML, a statement in Mermaid or creole in PlantUML.
func TestCraftedMarkupEscaped(t *testing.T) {
	d := craftedDiagram(t)
	render := func(f func(*bytes.Buffer) error) string {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	svg := render(func(b *bytes.Buffer) error { return SVG(b, d) })
	page := render(func(b *bytes.Buffer) error { return HTML(b, d) })
	for name, out := range map[string]string{"svg": svg, "html": page} {
		for _, bad := range []string{"<script>alert", "<img", "<b>crafted", "<b>evil", "</pre><script", "\x1b", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s output contains %q", name, bad)
			}
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("HTML has %d script elements, want only its own", n)
	}
	if err := wellFormed(svg); err != nil {
		t.Errorf("SVG is not well-formed XML: %v", err)
	}

	mmd := render(func(b *bytes.Buffer) error { return Mermaid(b, d) })
	for i, line := range strings.Split(strings.TrimSpace(mmd), "\n")[1:] {
		// The text is what follows "as " in a participant, ": " elsewhere.
		_, text, ok := strings.Cut(line, ": ")
		if strings.HasPrefix(strings.TrimSpace(line), "participant ") {
			_, text, ok = strings.Cut(line, " as ")
		}
		if !ok {
			t.Errorf("mermaid line %d has no text: %q", i+2, line)
		}
		text = entityRE.ReplaceAllString(strings.ReplaceAll(text, "<br/>", ""), "")
		if strings.ContainsAny(text, ";<>\"{}%`\\#&") {
			t.Errorf("mermaid line %d has raw markup: %q", i+2, line)
		}
	}
	puml := render(func(b *bytes.Buffer) error { return PlantUML(b, d) })
	for i, line := range strings.Split(puml, "\n") {
		stripped := entityRE.ReplaceAllString(strings.ReplaceAll(line, `\n`, ""), "")
		if strings.Contains(stripped, "[[") || strings.Contains(stripped, "**") || strings.Contains(stripped, "--") && !strings.Contains(line, " --> ") ||
			strings.Count(stripped, `"`) > 2 || strings.ContainsAny(stripped, "<~\\") && !strings.Contains(line, "@") {
			t.Errorf("plantuml line %d has raw markup: %q", i+1, line)
		}
	}
}

func wellFormed(doc string) error {
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

var entityRE = regexp.MustCompile(`&?#[0-9]+;`)

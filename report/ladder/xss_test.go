package ladder

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/browser"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/report/redact"
)

// A capture whose User-Agent, Server, display name, reason phrase and raw
// text carry every attack of browser.Payloads: loaded in headless Chromium,
// the HTML and SVG ladders run none of them (a ticket attachment cannot run
// script). browser's own test shows the same payloads do run when pasted raw.
func TestPayloadsDoNotRunInChromium(t *testing.T) {
	all := strings.Join(browser.Payloads, " ")
	a, b := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("10.0.0.2:5060")
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	invite := "INVITE sip:bob@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x\r\n" +
		"From: " + strings.ReplaceAll(browser.Payloads[1], `"`, `'`) + " <sip:alice@10.0.0.1>;tag=1\r\nTo: <sip:bob@10.0.0.2>\r\n" +
		"Call-ID: xss-1\r\nCSeq: 1 INVITE\r\nUser-Agent: " + all + "\r\nX-Note: " + all + "\r\nContent-Length: 0\r\n\r\n"
	ok := "SIP/2.0 200 " + all + "\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-x\r\n" +
		"From: <sip:alice@10.0.0.1>;tag=1\r\nTo: <sip:bob@10.0.0.2>;tag=2\r\nCall-ID: xss-1\r\nCSeq: 1 INVITE\r\n" +
		"Server: " + all + "\r\nContent-Length: 0\r\n\r\n"
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
	path := filepath.Join(t.TempDir(), "xss.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Calls) != 1 {
		t.Fatalf("%d calls, want 1", len(res.Model.Calls))
	}
	c := res.Model.Calls[0]
	f := diagnose.Finding{ID: "x.test", Severity: diagnose.Warning, CallID: c.CallID,
		Summary: all, Advice: all, Evidence: diagnose.Evidence{Frames: []int{2}}}
	d := Build([]*correlate.Call{c}, []diagnose.Finding{f}, nil, Options{Redact: redact.Options{Auth: true}})
	for _, out := range []struct {
		ext    string
		render func(*bytes.Buffer) error
	}{
		{".html", func(b *bytes.Buffer) error { return HTML(b, d) }},
		{".svg", func(b *bytes.Buffer) error { return SVG(b, d) }},
	} {
		var page bytes.Buffer
		if err := out.render(&page); err != nil {
			t.Fatal(err)
		}
		if ran := browser.Ran(t, page.Bytes(), out.ext); len(ran) > 0 {
			t.Errorf("%s ladder ran packet script:%s", out.ext, browser.Describe(ran))
		}
	}
}

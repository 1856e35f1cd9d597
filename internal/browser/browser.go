// Package browser proves in a real browser that HTML and SVG reports do not
// run script that came from packets: it loads a page in headless Chromium
// and reports which of the Payloads ran.
//
// A report test puts Payloads into the packet fields it renders (User-Agent,
// display names, Call-IDs, reason phrases), renders the page, and asserts
// that Ran finds none. It exists for tests only and never touches the
// network: pages are loaded from a temporary file.
package browser

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/sipscope/sipscope/internal/testenv"
)

// mark is the script every payload runs: it sets data-pwnedN="yes" on the
// document element, which the dumped DOM then shows.
func mark(n int) string {
	return "document.documentElement.dataset.pwned" + strconv.Itoa(n) + "='yes'"
}

// Payloads are attacks on the usual places packet text lands in a report:
// an HTML text node, double- and single-quoted attributes, an embedded
// <script> (JSON data), a comment, SVG CDATA. Each fits in one SIP header
// value (no CR or LF). Payload i marks the page with data-pwned<i> when it
// runs.
var Payloads = []string{
	"<script>" + mark(0) + "</script>",
	`<img src=x onerror="` + mark(1) + `">`,
	`"><svg onload="` + mark(2) + `">`,
	`'><svg onload="` + mark(3) + `">`,
	"</script><script>" + mark(4) + "</script>",
	"--><script>" + mark(5) + "</script>",
	"]]><script>" + mark(6) + "</script>",
	"</title></textarea></style><img src=x onerror=\"" + mark(7) + "\">",
}

var ranRE = regexp.MustCompile(`data-pwned(\d+)="yes"`)

// Ran loads page, an HTML document (ext ".html") or a standalone SVG image
// (ext ".svg"), in headless Chromium and returns the indexes in Payloads of
// the payloads whose script ran, sorted. It skips the test when Chromium is
// not installed (fails under CI).
func Ran(t testing.TB, page []byte, ext string) []int {
	t.Helper()
	chromium := testenv.RequireTool(t, "chromium")
	path := filepath.Join(t.TempDir(), "page"+ext)
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	// --dump-dom prints the DOM once the page has loaded, after inline
	// scripts and load/error handlers: what an attacker's script changed
	// is in it. No sandbox: tests run as root.
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-extensions", "--user-data-dir="+t.TempDir(), "--dump-dom", "file://"+path)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium on %s: %v", path, err)
	}
	seen := map[int]bool{}
	for _, m := range ranRE.FindAllSubmatch(out, -1) {
		n, _ := strconv.Atoi(string(m[1]))
		seen[n] = true
	}
	ran := make([]int, 0, len(seen))
	for n := range seen {
		ran = append(ran, n)
	}
	sort.Ints(ran)
	return ran
}

// Describe names the payloads of ran, for a test's failure message.
func Describe(ran []int) string {
	s := ""
	for _, n := range ran {
		s += fmt.Sprintf("\n  payload %d: %s", n, Payloads[n])
	}
	return s
}

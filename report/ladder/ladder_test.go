package ladder

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/scenario"
	"github.com/sipscope/sipscope/internal/testenv"
	"github.com/sipscope/sipscope/report/redact"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// seedCallID is the INVITE dialog of testdata/freeswitch-nat.pcap.
const seedCallID = "dda811eb-0664-dae3-31bb-8b8e12741336"

var (
	seedOnce sync.Once
	seedRes  *sipscope.Result
	seedErr  error
)

func seed(t testing.TB) (*sipscope.Result, *correlate.Call) {
	t.Helper()
	seedOnce.Do(func() {
		seedRes, seedErr = sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata("freeswitch-nat.pcap")}})
	})
	if seedErr != nil {
		t.Fatal(seedErr)
	}
	calls := seedRes.Model.Find(seedCallID)
	if len(calls) != 1 {
		t.Fatalf("%d calls with Call-ID %s", len(calls), seedCallID)
	}
	return seedRes, calls[0]
}

// seedFinding is made by hand: the rule that emits it is written elsewhere;
// what is tested here is that the ladder draws a finding where its frames are.
func seedFinding() diagnose.Finding {
	return diagnose.Finding{ID: "ack.misrouted", Severity: diagnose.Error, CallID: seedCallID,
		Summary:  "ACK sent to 47.98.109.96:50620 (the 200 OK's Contact) answered by ICMP port unreachable",
		Evidence: diagnose.Evidence{Frames: []int{10, 63, 166}},
		Advice:   "make the server's Contact carry the port it listens on (5060)"}
}

// seedMedia is what RTP analysis reports for the seed case (150 packets
// each way, no loss), made by hand for the same reason.
func seedMedia(c *correlate.Call) []Media {
	start := c.AnswerTime.Add(10 * time.Millisecond)
	return []Media{
		{Src: scenario.FSPhoneRTP, Dst: scenario.FSServerRTP, Start: start, End: start.Add(3 * time.Second),
			Proto: "RTP", Codec: "PCMA", Packets: 150, Jitter: 1200 * time.Microsecond},
		{Src: scenario.FSServerRTP, Dst: scenario.FSPhoneRTP, Start: start.Add(time.Millisecond), End: start.Add(3 * time.Second),
			Proto: "RTP", Codec: "PCMA", Packets: 150, Jitter: 300 * time.Microsecond},
	}
}

type render func(*Diagram) ([]byte, error)

func textRender(o TextOptions) render {
	return func(d *Diagram) ([]byte, error) {
		var b bytes.Buffer
		err := Text(&b, d, o)
		return b.Bytes(), err
	}
}

func plain(f func(w *bytes.Buffer, d *Diagram) error) render {
	return func(d *Diagram) ([]byte, error) {
		var b bytes.Buffer
		err := f(&b, d)
		return b.Bytes(), err
	}
}

var formats = map[string]render{
	".txt":       textRender(TextOptions{}),
	".ascii.txt": textRender(TextOptions{ASCII: true}),
	".mmd":       plain(func(w *bytes.Buffer, d *Diagram) error { return Mermaid(w, d) }),
	".puml":      plain(func(w *bytes.Buffer, d *Diagram) error { return PlantUML(w, d) }),
	".svg":       plain(func(w *bytes.Buffer, d *Diagram) error { return SVG(w, d) }),
	".html":      plain(func(w *bytes.Buffer, d *Diagram) error { return HTML(w, d) }),
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ladder -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./report/ladder -update to accept):\n%s", path, got)
	}
}

// seedDiagrams are the golden cases, every one on testdata/freeswitch-nat.pcap.
func seedDiagrams(t *testing.T) map[string]*Diagram {
	res, c := seed(t)
	calls := []*correlate.Call{c}
	auth := redact.Options{Auth: true}
	return map[string]*Diagram{
		// What `sipscope ladder` draws today: no rule fires, no RTP analysis.
		"seed": Build(calls, res.Findings, nil, Options{Redact: auth}),
		// With a finding and media lines, and retransmissions collapsed.
		"annotated": Build(calls, []diagnose.Finding{seedFinding()}, seedMedia(c), Options{Redact: auth, CollapseRetrans: true}),
		// For sharing outside: users and addresses replaced.
		"redacted": Build(calls, []diagnose.Finding{seedFinding()}, seedMedia(c), Options{Redact: redact.Options{Auth: true, Users: true, Addrs: true}}),
		// One column per host, named by alias where given.
		"byhost": Build(calls, nil, seedMedia(c), Options{Redact: auth, ByHost: true, Aliases: map[string]string{"47.98.109.96": "FreeSWITCH"}}),
	}
}

func TestGolden(t *testing.T) {
	for name, d := range seedDiagrams(t) {
		for ext, r := range formats {
			t.Run(name+ext, func(t *testing.T) {
				got, err := r(d)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, name+ext, got)
			})
		}
	}
}

// arrowColumn returns the cell where the arrowhead of a text arrow line is.
var findingMarks = regexp.MustCompile(`\[!\d+\] `)

func arrowColumn(line string) int {
	cells := []rune(line)
	for i, r := range cells {
		if r == '►' || r == '>' {
			return i
		}
	}
	return -1
}

// TestTextSeedFacts checks, beyond the golden file, the facts the seed case
// is about: three 200 OKs, three ACKs, and the ACKs drawn to another
// column (47.98.109.96:50620) than the INVITE (47.98.109.96:5060).
func TestTextSeedFacts(t *testing.T) {
	d := seedDiagrams(t)["seed"]
	var b bytes.Buffer
	if err := Text(&b, d, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "200 OK (INVITE)"); n != 3 {
		t.Errorf("%d 200 OK labels, want 3:\n%s", n, out)
	}
	lines := strings.Split(out, "\n")
	var invite, acks []int
	for i, l := range lines {
		// Finding markers ([!1]) may stand before the label.
		label := strings.Join(strings.Fields(strings.NewReplacer("│", " ", "|", " ").Replace(findingMarks.ReplaceAllString(l, ""))), " ")
		arrow := -1
		if i+1 < len(lines) {
			arrow = arrowColumn(lines[i+1])
		}
		switch label {
		case "INVITE":
			invite = append(invite, arrowColumn(lines[i+2])) // SDP line between
		case "ACK":
			acks = append(acks, arrow)
		}
	}
	if len(invite) != 1 || len(acks) != 3 {
		t.Fatalf("found %d INVITE and %d ACK arrows, want 1 and 3:\n%s", len(invite), len(acks), out)
	}
	for _, a := range acks {
		if a <= invite[0] {
			t.Errorf("ACK arrowhead at cell %d, INVITE's at %d: the ACK must end at a column right of the INVITE's\n%s", a, invite[0], out)
		}
	}
	header := -1
	for i, l := range lines {
		if strings.Contains(l, "112.25.222.170:28555") && strings.Contains(l, "47.98.109.96:5060") && strings.Contains(l, "47.98.109.96:50620") {
			header = i
			break
		}
	}
	if header < 0 {
		t.Errorf("no column header names the phone and the two server addresses:\n%s", out)
	}
}

func TestTextWidth(t *testing.T) {
	for name, d := range seedDiagrams(t) {
		for _, w := range []int{64, 80, 120, 200} {
			for _, ascii := range []bool{false, true} {
				var b bytes.Buffer
				if err := Text(&b, d, TextOptions{Width: w, ASCII: ascii}); err != nil {
					t.Fatalf("%s width %d: %v", name, w, err)
				}
				for _, l := range strings.Split(b.String(), "\n") {
					if n := width.StringWidth(l); n > w {
						t.Errorf("%s width %d ascii %v: line of %d cells: %q", name, w, ascii, n, l)
					}
					if ascii {
						for _, r := range l {
							if r >= utf8.RuneSelf {
								t.Fatalf("%s: --ascii output has %q in %q", name, r, l)
							}
						}
					}
				}
			}
		}
	}
}

func TestTextTooNarrow(t *testing.T) {
	d := seedDiagrams(t)["seed"]
	var b bytes.Buffer
	if err := Text(&b, d, TextOptions{Width: 30}); err == nil {
		t.Errorf("3 columns in 30 cells: no error, got\n%s", b.String())
	}
}

func TestCollapseRetrans(t *testing.T) {
	d := seedDiagrams(t)["annotated"]
	var oks []*Item
	for i := range d.Items {
		if d.Items[i].Label == "200 OK" {
			oks = append(oks, &d.Items[i])
		}
	}
	if len(oks) != 1 || oks[0].Copies() != 3 || oks[0].Text() != "200 OK (INVITE) x3" {
		t.Fatalf("collapsed 200 OKs: %+v", oks)
	}
	if got := oks[0].Frames; len(got) != 3 || got[0] != 7 || got[1] != 58 || got[2] != 161 {
		t.Errorf("collapsed frames %v, want [7 58 161]", got)
	}
}

func TestFindingsAndMediaPlaced(t *testing.T) {
	d := seedDiagrams(t)["annotated"]
	if len(d.Findings) != 1 {
		t.Fatalf("%d findings", len(d.Findings))
	}
	var marked []int
	for i := range d.Items {
		if len(d.Items[i].Findings) > 0 {
			marked = append(marked, d.Items[i].Frame)
		}
	}
	if len(marked) != 3 || marked[0] != 10 || marked[1] != 63 || marked[2] != 166 {
		t.Errorf("finding drawn at frames %v, want the three ACKs [10 63 166]", marked)
	}
	var media []*Item
	for i := range d.Items {
		if d.Items[i].Kind == KindMedia {
			media = append(media, &d.Items[i])
		}
	}
	if len(media) != 2 || media[0].Label != "RTP PCMA 150 pkts, 0 lost, jitter 1.2 ms" {
		t.Fatalf("media items %+v", media)
	}
	// RTP ports are not SIP columns: the lines join the hosts' first columns.
	if media[0].From != 0 || media[0].To != 1 {
		t.Errorf("media drawn between columns %d and %d, want 0 and 1", media[0].From, media[0].To)
	}
}

// A finding about another call, or one whose frames are not drawn, is left out.
func TestFindingsFiltered(t *testing.T) {
	res, c := seed(t)
	other := diagnose.Finding{ID: "x.other", CallID: "someone-else", Evidence: diagnose.Evidence{Frames: []int{10}}}
	global := diagnose.Finding{ID: "x.global", Evidence: diagnose.Evidence{Frames: []int{11}}}
	unplaced := diagnose.Finding{ID: "x.global-elsewhere", Evidence: diagnose.Evidence{Frames: []int{300}}}
	_ = res
	d := Build([]*correlate.Call{c}, []diagnose.Finding{other, global, unplaced}, nil, Options{})
	if len(d.Findings) != 1 || d.Findings[0].ID != "x.global" {
		t.Errorf("findings kept: %+v", d.Findings)
	}
}

func TestRedactedEverywhere(t *testing.T) {
	d := seedDiagrams(t)["redacted"]
	for ext, r := range formats {
		out, err := r(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"47.98.109.96", "112.25.222.170", "192.168.1.107", "1011", "1014", "b54499e4", "e55ca998"} {
			if bytes.Contains(out, []byte(secret)) {
				t.Errorf("%s output still contains %q", ext, secret)
			}
		}
	}
	// The same pseudonyms in the labels and in the raw text of the HTML page.
	var html bytes.Buffer
	if err := HTML(&html, d); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"203.0.113.2:5060", "INVITE sip:user1@203.0.113.2 SIP/2.0", "ACK sip:user1@203.0.113.2:50620", "<td>user2</td><td>user1</td>"} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
}

func TestSelfArrowAndLegs(t *testing.T) {
	// With --by-host, a message between two ports of one host loops back.
	res, c := seed(t)
	_ = res
	reg := seedRes.Model.Find("f7724003")[0]
	d := Build([]*correlate.Call{reg, c}, nil, nil, Options{ByHost: true})
	if len(d.Legs) != 2 || d.Legs[1].Name != "B" {
		t.Fatalf("legs %+v", d.Legs)
	}
	var b bytes.Buffer
	if err := Text(&b, d, TextOptions{ASCII: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "B: INVITE") || !strings.Contains(b.String(), "A: REGISTER") {
		t.Errorf("legs not named on arrows:\n%s", b.String())
	}
	// The seed's ACK goes from the phone to the server host: with --by-host
	// it lands on the same column as the INVITE.
	var inv, ack *Item
	for i := range d.Items {
		switch d.Items[i].Frame {
		case 5:
			inv = &d.Items[i]
		case 10:
			ack = &d.Items[i]
		}
	}
	if inv.To != ack.To {
		t.Errorf("--by-host: ACK to column %d, INVITE to %d", ack.To, inv.To)
	}
}

func TestMediaLabel(t *testing.T) {
	tests := []struct {
		m    Media
		want string
	}{
		{Media{Packets: 10}, "RTP 10 pkts, 0 lost"},
		{Media{Proto: "SRTP", Codec: "opus", Packets: 5, Lost: 2, Jitter: 250 * time.Microsecond}, "SRTP opus 5 pkts, 2 lost, jitter 0.2 ms"},
	}
	for _, tt := range tests {
		if got := tt.m.Label(); got != tt.want {
			t.Errorf("Label() = %q, want %q", got, tt.want)
		}
	}
}

func BenchmarkBuildAndText(b *testing.B) {
	b.ReportAllocs()
	res, c := seed(b)
	calls := []*correlate.Call{c}
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		d := Build(calls, res.Findings, nil, Options{Redact: redact.Options{Auth: true}})
		if err := Text(&out, d, TextOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHTMLRedacted(b *testing.B) {
	b.ReportAllocs()
	res, c := seed(b)
	calls := []*correlate.Call{c}
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		d := Build(calls, res.Findings, nil, Options{Redact: redact.Options{Auth: true, Users: true, Addrs: true}})
		if err := HTML(&out, d); err != nil {
			b.Fatal(err)
		}
	}
}

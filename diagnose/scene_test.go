package diagnose_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// captureScene builds a capture packet by packet, writes it with pcapgen and runs
// the whole pipeline on it, so that rule tests exercise real decoding and
// correlation. Frame numbers are the order packets are added in (1-based),
// and packets must be added in time order.
type captureScene struct {
	t      *testing.T
	start  time.Time
	pkts   []pcapgen.Packet
	frames map[int][]byte // frames written as they are, by frame number
}

func newCaptureScene(t *testing.T) *captureScene {
	return &captureScene{t: t, start: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (s *captureScene) add(p pcapgen.Packet) int {
	s.t.Helper()
	if n := len(s.pkts); n > 0 && p.Time.Before(s.pkts[n-1].Time) {
		s.t.Fatalf("packet %d at %v is before the previous one", n+1, p.Time)
	}
	s.pkts = append(s.pkts, p)
	return len(s.pkts)
}

// udp adds a UDP datagram carrying a SIP message written with "\n" line ends.
func (s *captureScene) udp(at time.Duration, src, dst, text string) int {
	s.t.Helper()
	return s.add(pcapgen.Packet{
		Time: s.start.Add(at), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Proto: pcapgen.UDP, Payload: wireSIP(text),
	})
}

// tcp adds a TCP segment carrying a SIP message; seq must grow per direction.
func (s *captureScene) tcp(at time.Duration, src, dst string, seq uint32, text string) int {
	s.t.Helper()
	return s.add(pcapgen.Packet{
		Time: s.start.Add(at), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Proto: pcapgen.TCP, Seq: seq, Ack: 1, Flags: pcapgen.PSH | pcapgen.ACK, Payload: wireSIP(text),
	})
}

// raw adds a UDP datagram with an arbitrary payload (RTP).
func (s *captureScene) raw(at time.Duration, src, dst string, payload []byte) int {
	s.t.Helper()
	return s.add(pcapgen.Packet{
		Time: s.start.Add(at), Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst),
		Proto: pcapgen.UDP, Payload: payload,
	})
}

// unreachable adds the ICMP port unreachable that the destination of frame
// sends back 100 µs after it.
func (s *captureScene) unreachable(frame int) int {
	s.t.Helper()
	q := s.pkts[frame-1]
	return s.add(pcapgen.Packet{Time: q.Time.Add(100 * time.Microsecond), Src: q.Dst, Proto: pcapgen.ICMPPortUnreachable, Quote: &q})
}

func (s *captureScene) analyze() *sipscope.Result {
	s.t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		s.t.Fatal(err)
	}
	for i, p := range s.pkts {
		if frame, ok := s.frames[i+1]; ok {
			err = w.WriteRaw(p.Time, frame)
		} else {
			err = w.Write(p)
		}
		if err != nil {
			s.t.Fatalf("frame %d: %v", i+1, err)
		}
	}
	path := filepath.Join(s.t.TempDir(), "scene.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		s.t.Fatal(err)
	}
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		s.t.Fatal(err)
	}
	if len(res.Capture.Undecoded) > 0 {
		s.t.Fatalf("scene has undecodable frames: %v %v", res.Capture.Undecoded, res.Capture.Problems)
	}
	return res
}

// wireSIP turns a message written with "\n" line ends into wire form:
// CRLF line ends and a Content-Length that fits the body (after the first
// blank line).
func wireSIP(text string) []byte {
	text = strings.TrimLeft(text, "\n")
	head, body, _ := strings.Cut(text, "\n\n")
	head = strings.TrimRight(head, "\n")
	body = strings.ReplaceAll(body, "\n", "\r\n")
	return []byte(strings.ReplaceAll(head, "\n", "\r\n") + fmt.Sprintf("\r\nContent-Length: %d\r\n\r\n", len(body)) + body)
}

// findingsWithID returns the findings with the given id.
func findingsWithID(fs []diagnose.Finding, id string) []diagnose.Finding {
	var out []diagnose.Finding
	for _, f := range fs {
		if f.ID == id {
			out = append(out, f)
		}
	}
	return out
}

// oneFinding returns the only finding with id, failing the test otherwise.
func oneFinding(t *testing.T, fs []diagnose.Finding, id string) diagnose.Finding {
	t.Helper()
	got := findingsWithID(fs, id)
	if len(got) != 1 {
		t.Fatalf("%d %s findings, want 1; all findings:\n%s", len(got), id, describeFindings(fs))
	}
	return got[0]
}

// noFinding fails the test if any finding has an id starting with prefix.
func noFinding(t *testing.T, fs []diagnose.Finding, prefix string) {
	t.Helper()
	for _, f := range fs {
		if strings.HasPrefix(f.ID, prefix) {
			t.Errorf("unexpected %s finding: %s", f.ID, f.Summary)
		}
	}
}

func describeFindings(fs []diagnose.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s %s %v: %s\n", f.Severity, f.ID, f.Evidence.Frames, f.Summary)
	}
	return b.String()
}

func wantEvidenceFrames(t *testing.T, f diagnose.Finding, want ...int) {
	t.Helper()
	if !slices.Equal(f.Evidence.Frames, want) {
		t.Errorf("%s frames %v, want %v", f.ID, f.Evidence.Frames, want)
	}
}

func wantSummaryParts(t *testing.T, f diagnose.Finding, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(f.Summary, p) {
			t.Errorf("%s summary lacks %q:\n%s", f.ID, p, f.Summary)
		}
	}
}

func factOf[T any](t *testing.T, f diagnose.Finding, key string) T {
	t.Helper()
	v, ok := f.Evidence.Facts[key]
	if !ok {
		t.Fatalf("%s has no fact %q; facts: %v", f.ID, key, f.Evidence.Facts)
	}
	x, ok := v.(T)
	if !ok {
		t.Fatalf("%s fact %q is %T, not %T", f.ID, key, v, x)
	}
	return x
}

// Addresses of the scenes: documentation ranges stand for public addresses.
const (
	uacAddr   = "198.51.100.10:5060" // a UA with a public address
	uasAddr   = "203.0.113.20:5060"  // the UAS
	proxyAddr = "203.0.113.1:5060"
	natAddr   = "198.51.100.77:40123" // the NAT's public side of a phone at 192.168.1.50:5060
	phoneLAN  = "192.168.1.50:5060"
)

// dialogMsg fills a message of the call "c1" between alice and bob.
// start is the request line or status line; branch, cseq and toTag vary.
func dialogMsg(start, branch string, cseq int, method, toTag string, extra ...string) string {
	to := "<sip:bob@b.example>"
	if toTag != "" {
		to += ";tag=" + toTag
	}
	hdr := []string{
		start,
		"Via: SIP/2.0/UDP 198.51.100.10:5060;branch=" + branch,
		"From: <sip:alice@a.example>;tag=a1",
		"To: " + to,
		"Call-ID: c1",
		fmt.Sprintf("CSeq: %d %s", cseq, method),
	}
	return strings.Join(append(hdr, extra...), "\n") + "\n"
}

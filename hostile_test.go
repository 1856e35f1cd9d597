package sipscope_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

var (
	hostT0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	phone  = netip.MustParseAddrPort("10.0.0.1:5060")
	pbx    = netip.MustParseAddrPort("10.0.0.2:5060")
)

// options returns an OPTIONS request with the given Call-ID and extra
// header lines (each ending in CRLF) before Content-Length.
func options(callID, extra string) string {
	return "OPTIONS sip:pbx@10.0.0.2 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-" + callID + "\r\n" +
		"From: <sip:phone@10.0.0.1>;tag=1\r\nTo: <sip:pbx@10.0.0.2>\r\n" +
		"Call-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\n" + extra + "Content-Length: 0\r\n\r\n"
}

// withContentLength returns an OPTIONS whose Content-Length is cl and whose
// body is body.
func withContentLength(callID, cl, body string) string {
	return strings.Replace(options(callID, ""), "Content-Length: 0", "Content-Length: "+cl, 1) + body
}

// writePcap writes a capture built by build to a temporary file.
func writePcap(t *testing.T, build func(w *pcapgen.Writer)) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	build(w)
	return writeFile(t, "hostile.pcap", buf.Bytes())
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// at returns the time of the i-th packet of a test capture.
func at(i int) time.Time { return hostT0.Add(time.Duration(i) * time.Millisecond) }

// tcpSegments writes stream as TCP segments of at most size bytes from
// phone to pbx, starting at sequence number seq, and returns the next
// sequence number. skip names segments (0-based) not written: lost.
func tcpSegments(t *testing.T, w *pcapgen.Writer, stream string, seq uint32, size int, skip ...int) uint32 {
	t.Helper()
	for i, off := 0, 0; off < len(stream); i, off = i+1, off+size {
		end := min(off+size, len(stream))
		if !slices.Contains(skip, i) {
			must(t, w.WriteTCP(at(int(seq)+off), phone, pbx, seq+uint32(off), 1, pcapgen.ACK|pcapgen.PSH, []byte(stream[off:end])))
		}
	}
	return seq + uint32(len(stream))
}

// hostileCase is a capture with bad input and what sipscope must make of it.
type hostileCase struct {
	name      string
	build     func(t *testing.T, w *pcapgen.Writer)
	messages  int            // SIP messages analysed
	undecoded map[string]int // exactly these counts
	frames    []int          // frames the problems name, in order
	check     func(t *testing.T, res *sipscope.Result)
}

func TestHostileInput(t *testing.T) {
	huge := strings.Repeat("X: 1\r\n", 10000)
	longHeaders := ""
	for i := range 10000 {
		longHeaders += fmt.Sprintf("X-Header-%d: value %d\r\n", i, i)
	}
	const mb = 1 << 20
	tests := []hostileCase{
		{
			name: "zero-length frame",
			build: func(t *testing.T, w *pcapgen.Writer) {
				must(t, w.WriteRaw(at(0), []byte{}))
				must(t, w.WriteUDP(at(1), phone, pbx, []byte(options("after-empty", ""))))
			},
			messages: 1, undecoded: map[string]int{decode.ReasonTruncated: 1}, frames: []int{1},
		},
		{
			name: "256 KiB frame",
			build: func(t *testing.T, w *pcapgen.Writer) {
				frame := udpFrame(t, []byte(options("jumbo", "")))
				// Ethernet trailer up to the largest record a capture may hold.
				frame = append(frame, make([]byte, capture.MaxRecordLength-len(frame))...)
				must(t, w.WriteRaw(at(0), frame))
			},
			messages: 1, undecoded: map[string]int{},
		},
		{
			name: "Content-Length huge, negative and past the packet over UDP",
			build: func(t *testing.T, w *pcapgen.Writer) {
				must(t, w.WriteUDP(at(0), phone, pbx, []byte(withContentLength("cl-huge", "99999999999999999999999", "body"))))
				must(t, w.WriteUDP(at(1), phone, pbx, []byte(withContentLength("cl-negative", "-5", "body"))))
				must(t, w.WriteUDP(at(2), phone, pbx, []byte(withContentLength("cl-past", "1000", "0123456789"))))
			},
			messages: 3, undecoded: map[string]int{},
			check: func(t *testing.T, res *sipscope.Result) {
				for _, c := range res.Model.Calls {
					m := c.Messages[0]
					if string(m.Body) != strings.TrimPrefix(string(m.Raw), string(m.Raw[:len(m.Raw)-len(m.Body)])) || len(m.Warnings) == 0 {
						t.Errorf("%s: body %q, warnings %q; want the rest of the datagram and a warning", c.CallID, m.Body, m.Warnings)
					}
				}
			},
		},
		{
			name: "Content-Length huge over TCP, then a good message",
			build: func(t *testing.T, w *pcapgen.Writer) {
				seq := tcpSegments(t, w, withContentLength("tcp-huge", "4294967296", "x"), 1000, 1400)
				tcpSegments(t, w, options("tcp-after-huge", ""), seq, 1400)
			},
			messages: 1, undecoded: map[string]int{decode.ReasonSIPParse: 1}, frames: []int{1},
		},
		{
			name: "Content-Length past the end of a TCP stream",
			build: func(t *testing.T, w *pcapgen.Writer) {
				seq := tcpSegments(t, w, withContentLength("tcp-past", "1000", "0123456789"), 1000, 1400)
				must(t, w.WriteTCP(at(5000), phone, pbx, seq, 1, pcapgen.ACK|pcapgen.FIN, nil))
			},
			messages: 0, undecoded: map[string]int{decode.ReasonSIPPartial: 1}, frames: []int{1},
		},
		{
			name: "10,000 headers in one datagram",
			build: func(t *testing.T, w *pcapgen.Writer) {
				must(t, w.WriteUDP(at(0), phone, pbx, []byte(options("many-headers", huge))))
			},
			messages: 1, undecoded: map[string]int{},
			check: func(t *testing.T, res *sipscope.Result) { wantHeaderLimit(t, res, "many-headers") },
		},
		{
			name: "10,000 headers over TCP",
			build: func(t *testing.T, w *pcapgen.Writer) {
				tcpSegments(t, w, options("many-headers-tcp", longHeaders), 1, 1400)
			},
			messages: 1, undecoded: map[string]int{},
			check: func(t *testing.T, res *sipscope.Result) { wantHeaderLimit(t, res, "many-headers-tcp") },
		},
		{
			name: "1 MB header line over TCP, then a good message",
			build: func(t *testing.T, w *pcapgen.Writer) {
				seq := tcpSegments(t, w, options("long-line", "X-Long: "+strings.Repeat("a", mb)+"\r\n"), 1, 1400)
				tcpSegments(t, w, options("after-long-line", ""), seq, 1400)
			},
			messages: 1, undecoded: map[string]int{decode.ReasonSIPParse: 1}, frames: []int{47}, // where the line passes 64 KiB
			check: func(t *testing.T, res *sipscope.Result) { wantCalls(t, res, "after-long-line") },
		},
		{
			name: "TCP stream with a lost segment inside a message",
			build: func(t *testing.T, w *pcapgen.Writer) {
				seq := tcpSegments(t, w, options("before-gap", ""), 1, 100)
				seq = tcpSegments(t, w, options("gap", ""), seq, 100, 1) // second segment lost
				tcpSegments(t, w, options("after-gap", ""), seq, 100)
			},
			// The hole is reported where the next segment shows it (frame 5),
			// and the message it broke as incomplete (frame 4).
			messages: 2, undecoded: map[string]int{decode.ReasonTCPGap: 1, decode.ReasonSIPPartial: 1}, frames: []int{5, 4},
			check: func(t *testing.T, res *sipscope.Result) { wantCalls(t, res, "before-gap", "after-gap") },
		},
		{
			name: "TCP capture starting inside a message",
			build: func(t *testing.T, w *pcapgen.Writer) {
				msg := options("cut-start", "")
				seq := tcpSegments(t, w, msg[50:], 50, 1400)
				tcpSegments(t, w, options("first-whole", ""), seq, 1400)
			},
			messages: 1, undecoded: map[string]int{},
			check: func(t *testing.T, res *sipscope.Result) { wantCalls(t, res, "first-whole") },
		},
		{
			name: "NUL bytes and invalid UTF-8",
			build: func(t *testing.T, w *pcapgen.Writer) {
				for i, p := range hostileSIP {
					must(t, w.WriteUDP(at(i), phone, pbx, []byte(p)))
				}
				must(t, w.WriteUDP(at(10), phone, pbx, []byte(options("nul-body", "")+"\x00\x00\xff\xfe")))
				must(t, w.WriteUDP(at(11), phone, pbx, []byte("\x00INVITE sip:x SIP/2.0\r\n\r\n"))) // not SIP: ignored
			},
			messages: len(hostileSIP) + 1, undecoded: map[string]int{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writePcap(t, func(w *pcapgen.Writer) { tc.build(t, w) })
			res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res, tc.messages, tc.undecoded, tc.frames)
			if tc.check != nil {
				tc.check(t, res)
			}
			checkOutputs(t, res)
		})
	}
}

// checkResult compares what the capture summary counted.
func checkResult(t *testing.T, res *sipscope.Result, messages int, undecoded map[string]int, frames []int) {
	t.Helper()
	cs := res.Capture
	if cs.SIPMessages != messages {
		t.Errorf("%d SIP messages, want %d", cs.SIPMessages, messages)
	}
	if !maps.Equal(cs.Undecoded, undecoded) {
		t.Errorf("undecoded %v, want %v", cs.Undecoded, undecoded)
	}
	var got []int
	for _, p := range cs.Problems {
		got = append(got, p.Frame)
	}
	if !slices.Equal(got, frames) {
		t.Errorf("problems %+v, want frames %v", cs.Problems, frames)
	}
}

func wantCalls(t *testing.T, res *sipscope.Result, ids ...string) {
	t.Helper()
	var got []string
	for _, c := range res.Model.Calls {
		got = append(got, c.CallID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("calls %q, want %q", got, ids)
	}
}

func wantHeaderLimit(t *testing.T, res *sipscope.Result, id string) {
	t.Helper()
	wantCalls(t, res, id)
	if len(res.Model.Calls) != 1 {
		return
	}
	m := res.Model.Calls[0].Messages[0]
	if len(m.Headers()) != 1000 || !slices.Contains(m.Warnings, "more than 1000 header lines; the rest are ignored") {
		t.Errorf("%d headers, warnings %q", len(m.Headers()), m.Warnings)
	}
}

// Damaged files: what is before the damage is analysed, the damage is
// counted with its frame, and a file that is no capture at all is an error
// naming it.
func TestHostileFiles(t *testing.T) {
	var good bytes.Buffer
	w, err := pcapgen.NewWriter(&good)
	must(t, err)
	for i := range 3 {
		must(t, w.WriteUDP(at(i), phone, pbx, []byte(options(fmt.Sprintf("f%d", i), ""))))
	}
	whole := good.Bytes()
	ng, err := os.ReadFile(testenv.PublicCapture(t, "sip-auth-failure.pcapng"))
	must(t, err)

	// Snap length 96: every frame cut, as old tcpdump defaults did.
	var snap bytes.Buffer
	pw := pcapgo.NewWriter(&snap)
	must(t, pw.WriteFileHeader(96, layers.LinkTypeEthernet))
	for i := range 2 {
		frame := udpFrame(t, []byte(options(fmt.Sprintf("s%d", i), "")))
		must(t, pw.WritePacket(gopacket.CaptureInfo{Timestamp: at(i), CaptureLength: 96, Length: len(frame)}, frame[:96]))
	}

	// A record one byte over the limit.
	var big bytes.Buffer
	w, err = pcapgen.NewWriter(&big)
	must(t, err)
	must(t, w.WriteUDP(at(0), phone, pbx, []byte(options("before-big", ""))))
	must(t, w.WriteRaw(at(1), make([]byte, capture.MaxRecordLength+1)))
	must(t, w.WriteUDP(at(2), phone, pbx, []byte(options("after-big", ""))))

	tests := []struct {
		name      string
		data      []byte
		messages  int
		undecoded map[string]int
		frames    []int
		reason    string
	}{
		{"pcap truncated mid-record", whole[:len(whole)-30], 2,
			map[string]int{sipscope.ReasonDamagedFile: 1}, []int{3}, "truncated record"},
		{"pcapng truncated mid-block", ng[:len(ng)-100], 7,
			map[string]int{sipscope.ReasonDamagedFile: 1}, []int{8}, "truncated record"},
		{"snap length 96", snap.Bytes(), 0,
			map[string]int{decode.ReasonSIPCut: 2}, []int{1, 2}, decode.ReasonSIPCut + ": 54 of 193 bytes captured"},
		{"record over 256 KiB", big.Bytes(), 1,
			map[string]int{sipscope.ReasonDamagedFile: 1}, []int{2}, "record too large: 262145 bytes, limit 262144"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := sipscope.Analyze(sipscope.Options{Files: []string{writeFile(t, "damaged", tc.data)}})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res, tc.messages, tc.undecoded, tc.frames)
			if len(res.Capture.Problems) > 0 && res.Capture.Problems[0].Reason != tc.reason {
				t.Errorf("reason %q, want %q", res.Capture.Problems[0].Reason, tc.reason)
			}
			checkOutputs(t, res)
		})
	}

	for _, bad := range []struct {
		name string
		data []byte
		err  error
	}{
		{"bad magic", []byte("\x1b[31mthis is no capture\x1b[0m, but it is long enough"), capture.ErrUnknownFormat},
		{"empty", nil, capture.ErrEmptyFile},
		{"pcap header cut", whole[:10], capture.ErrBadHeader},
		{"gzip of garbage", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3}, capture.ErrUnknownFormat},
	} {
		t.Run(bad.name, func(t *testing.T) {
			path := writeFile(t, "bad.pcap", bad.data)
			_, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
			if !errors.Is(err, bad.err) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want %v naming %s", err, bad.err, path)
			}
		})
	}
}

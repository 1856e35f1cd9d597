package diagnose_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

// mediaCall writes a call with SDP and RTP as a capture and runs the whole
// pipeline on it: alice (caller) at 198.51.100.10 calls bob (callee) at
// 203.0.113.20; packets may be added in any order, they are sorted by time.
type mediaCall struct {
	t      *testing.T
	start  time.Time
	pkts   []pcapgen.Packet
	offer  string // SDP body lines after m=, e.g. "a=sendonly\n"
	answer string
	// addresses the SDP announces
	aliceRTP, bobRTP netip.AddrPort
	heuristic        bool
}

var (
	mcAliceSIP = netip.MustParseAddrPort("198.51.100.10:5060")
	mcBobSIP   = netip.MustParseAddrPort("203.0.113.20:5060")
)

func newMediaCall(t *testing.T) *mediaCall {
	return &mediaCall{t: t, start: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC),
		aliceRTP: netip.MustParseAddrPort("198.51.100.10:4000"), bobRTP: netip.MustParseAddrPort("203.0.113.20:30000")}
}

func mcSDP(addr netip.AddrPort, extra string) string {
	return fmt.Sprintf("v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio %d RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\n%s",
		addr.Addr(), addr.Addr(), addr.Port(), extra)
}

func (c *mediaCall) sip(at time.Duration, src, dst netip.AddrPort, head, body string) {
	head = strings.TrimLeft(head, "\n")
	if body != "" {
		body = strings.ReplaceAll(body, "\n", "\r\n")
		head = strings.Replace(head, "Content-Length: 0\n", fmt.Sprintf("Content-Type: application/sdp\nContent-Length: %d\n", len(body)), 1)
	}
	msg := strings.ReplaceAll(head, "\n", "\r\n") + body
	c.pkts = append(c.pkts, pcapgen.Packet{Time: c.start.Add(at), Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: []byte(msg)})
}

const mcHeaders = `Via: SIP/2.0/UDP %s;branch=%s
From: <sip:alice@a.example>;tag=a1
To: <sip:bob@b.example>%s
Call-ID: media-1
CSeq: %d %s
Content-Length: 0

`

// answered sets up INVITE (offer), 200 OK (answer) at 100 ms, ACK, and a
// BYE from alice at bye (none when 0).
func (c *mediaCall) answered(bye time.Duration) {
	c.sip(0, mcAliceSIP, mcBobSIP, "INVITE sip:bob@203.0.113.20 SIP/2.0\n"+fmt.Sprintf(mcHeaders, mcAliceSIP, "z9hG4bK1", "", 1, "INVITE"), mcSDP(c.aliceRTP, c.offer))
	c.sip(100*time.Millisecond, mcBobSIP, mcAliceSIP, "SIP/2.0 200 OK\n"+fmt.Sprintf(mcHeaders, mcAliceSIP, "z9hG4bK1", ";tag=b1", 1, "INVITE"), mcSDP(c.bobRTP, c.answer))
	c.sip(110*time.Millisecond, mcAliceSIP, mcBobSIP, "ACK sip:bob@203.0.113.20 SIP/2.0\n"+fmt.Sprintf(mcHeaders, mcAliceSIP, "z9hG4bK2", ";tag=b1", 1, "ACK"), "")
	if bye > 0 {
		c.sip(bye, mcAliceSIP, mcBobSIP, "BYE sip:bob@203.0.113.20 SIP/2.0\n"+fmt.Sprintf(mcHeaders, mcAliceSIP, "z9hG4bK3", ";tag=b1", 2, "BYE"), "")
		c.sip(bye+10*time.Millisecond, mcBobSIP, mcAliceSIP, "SIP/2.0 200 OK\n"+fmt.Sprintf(mcHeaders, mcAliceSIP, "z9hG4bK3", ";tag=b1", 2, "BYE"), "")
	}
}

// rtp adds n packets of payload type pt 20 ms apart from start, skipping
// the sequence numbers in lost and adding jitter(i) to each arrival.
func (c *mediaCall) rtp(start time.Duration, n int, src, dst netip.AddrPort, ssrc uint32, pt uint8, lost map[int]bool, jitter func(i int) time.Duration) {
	for i := range n {
		if lost[i] {
			continue
		}
		b := make([]byte, 12+160)
		b[0], b[1] = 0x80, pt
		binary.BigEndian.PutUint16(b[2:], uint16(1000+i))
		binary.BigEndian.PutUint32(b[4:], uint32(160*i))
		binary.BigEndian.PutUint32(b[8:], ssrc)
		at := start + time.Duration(i)*20*time.Millisecond
		if jitter != nil {
			at += jitter(i)
		}
		c.pkts = append(c.pkts, pcapgen.Packet{Time: c.start.Add(at), Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: b})
	}
}

func (c *mediaCall) analyze() *sipscope.Result {
	c.t.Helper()
	sort.SliceStable(c.pkts, func(i, j int) bool { return c.pkts[i].Time.Before(c.pkts[j].Time) })
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, c.pkts); err != nil {
		c.t.Fatal(err)
	}
	path := filepath.Join(c.t.TempDir(), "call.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		c.t.Fatal(err)
	}
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, HeuristicRTP: c.heuristic})
	if err != nil {
		c.t.Fatal(err)
	}
	return res
}

// mediaIDs returns the media.* findings as "id severity" strings.
func mediaIDs(fs []diagnose.Finding) []string {
	var out []string
	for _, f := range fs {
		if strings.HasPrefix(f.ID, "media.") {
			out = append(out, f.ID+" "+f.Severity.String())
		}
	}
	sort.Strings(out)
	return out
}

func mediaFinding(t *testing.T, fs []diagnose.Finding, id string) diagnose.Finding {
	t.Helper()
	var found []diagnose.Finding
	for _, f := range fs {
		if f.ID == id {
			found = append(found, f)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s findings, want 1: %v", len(found), id, mediaIDs(fs))
	}
	return found[0]
}

// The generated one-way audio case: only the phone's RTP is captured. The
// finding names the silent direction (callee to caller) and the address
// the caller's SDP gave in frame 1, which is private.
func TestMediaOneWayCapture(t *testing.T) {
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata("one-way-audio.pcap")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mediaIDs(res.Findings); fmt.Sprint(got) != "[media.one-way error]" {
		t.Fatalf("media findings %v", got)
	}
	f := mediaFinding(t, res.Findings, "media.one-way")
	facts := f.Evidence.Facts
	if facts["silent_from"] != "callee" || facts["silent_to"] != "caller" || facts["expected_at"] != "192.168.1.20:16384" ||
		facts["sdp_frame"] != 1 || facts["packets_other_way"] != 250 || facts["private_target"] != true {
		t.Errorf("facts %v", facts)
	}
	for _, want := range []string{"no RTP reached the caller (1012) at 192.168.1.20:16384", "from the callee (2001)", "250 packets"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("summary %q lacks %q", f.Summary, want)
		}
	}
	if !strings.Contains(f.Advice, "private address") || fmt.Sprint(f.Evidence.Frames) != "[1 6]" {
		t.Errorf("advice %q, frames %v", f.Advice, f.Evidence.Frames)
	}
}

func TestMediaPresence(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(c *mediaCall)
		want  []string
	}{
		{"both ways", func(c *mediaCall) {
			c.answered(5 * time.Second)
			c.rtp(150*time.Millisecond, 200, c.aliceRTP, c.bobRTP, 1, 0, nil, nil)
			c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
		}, nil},
		// The caller's RTP never shows; a public target gets the generic advice.
		{"caller silent", func(c *mediaCall) {
			c.answered(5 * time.Second)
			c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
		}, []string{"media.one-way error"}},
		{"no RTP, other RTP in the capture", func(c *mediaCall) {
			c.answered(5 * time.Second)
			c.rtp(160*time.Millisecond, 20, netip.MustParseAddrPort("192.0.2.1:7000"), netip.MustParseAddrPort("192.0.2.2:7002"), 9, 0, nil, nil)
		}, []string{"media.none error"}},
		{"no RTP in the capture at all", func(c *mediaCall) { c.answered(5 * time.Second) }, []string{"media.none info"}},
		{"hung up within a second", func(c *mediaCall) { c.answered(800 * time.Millisecond) }, nil},
		// recvonly offer, sendonly answer: one way by design.
		{"one way by SDP", func(c *mediaCall) {
			c.offer, c.answer = "a=recvonly\n", "a=sendonly\n"
			c.answered(5 * time.Second)
			c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
		}, nil},
		{"on hold with 0.0.0.0", func(c *mediaCall) {
			c.bobRTP = netip.MustParseAddrPort("0.0.0.0:30000")
			c.answered(5 * time.Second)
		}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newMediaCall(t)
			tt.setup(c)
			if got := mediaIDs(c.analyze().Findings); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("media findings %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMediaOneWayPublicTarget(t *testing.T) {
	c := newMediaCall(t)
	c.answered(5 * time.Second)
	c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
	f := mediaFinding(t, c.analyze().Findings, "media.one-way")
	if f.Evidence.Facts["expected_at"] != "203.0.113.20:30000" || f.Evidence.Facts["silent_from"] != "caller" ||
		!strings.Contains(f.Advice, "firewall") || f.Evidence.Facts["private_target"] != nil {
		t.Errorf("finding %+v", f)
	}
}

func TestMediaSourceMismatch(t *testing.T) {
	nat := netip.MustParseAddrPort("192.0.2.99:61000")
	for _, tt := range []struct {
		name    string
		latched bool
		want    diagnose.Severity
	}{{"far end latches", true, diagnose.Info}, {"far end sends to the SDP address", false, diagnose.Warning}} {
		t.Run(tt.name, func(t *testing.T) {
			c := newMediaCall(t)
			c.answered(5 * time.Second)
			c.rtp(150*time.Millisecond, 200, nat, c.bobRTP, 1, 0, nil, nil)
			back := c.aliceRTP
			if tt.latched {
				back = nat
			}
			c.rtp(160*time.Millisecond, 200, c.bobRTP, back, 2, 0, nil, nil)
			f := mediaFinding(t, c.analyze().Findings, "media.source-mismatch")
			if f.Severity != tt.want || f.Evidence.Facts["src"] != nat.String() || f.Evidence.Facts["announced"] != c.aliceRTP.String() ||
				f.Evidence.Facts["latched"] != tt.latched || fmt.Sprint(f.Evidence.Frames) != "[1 4]" {
				t.Errorf("finding %+v", f)
			}
		})
	}
}

func TestMediaLateStart(t *testing.T) {
	c := newMediaCall(t)
	c.answered(8 * time.Second)
	c.rtp(150*time.Millisecond, 300, c.aliceRTP, c.bobRTP, 1, 0, nil, nil)
	c.rtp(3100*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil) // 3 s after the 200 OK
	f := mediaFinding(t, c.analyze().Findings, "media.late-start")
	if f.Evidence.Facts["from"] != "callee" || f.Evidence.Facts["delay_ms"] != int64(3000) || f.Evidence.Facts["answer_frame"] != 2 {
		t.Errorf("finding %+v", f)
	}
}

func TestMediaLossAndJitter(t *testing.T) {
	every := func(n int) map[int]bool {
		m := map[int]bool{}
		for i := 5; i < 200; i += n {
			m[i] = true
		}
		return m
	}
	for _, tt := range []struct {
		name   string
		lost   map[int]bool
		jitter func(i int) time.Duration
		want   []string
	}{
		{"clean", nil, nil, nil},
		{"0.5% lost", map[int]bool{100: true}, nil, nil},
		{"2.5% lost", every(40), nil, []string{"media.loss warning"}},
		{"10% lost", every(10), nil, []string{"media.loss error"}},
		// A burst: for 20 packets every other one is 100 ms late.
		{"jitter burst", nil, func(i int) time.Duration {
			if i >= 50 && i < 70 && i%2 == 0 {
				return 100 * time.Millisecond
			}
			return 0
		}, []string{"media.jitter warning"}},
		// Arrivals swing by 90 ms all the time.
		{"constant jitter", nil, func(i int) time.Duration { return time.Duration(i%2) * 90 * time.Millisecond }, []string{"media.jitter error"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newMediaCall(t)
			c.answered(6 * time.Second)
			c.rtp(150*time.Millisecond, 200, c.aliceRTP, c.bobRTP, 1, 0, tt.lost, tt.jitter)
			c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
			if got := mediaIDs(c.analyze().Findings); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("media findings %v, want %v", got, tt.want)
			}
		})
	}
}

// A stream the heuristic found without SDP is judged too, with no call.
func TestMediaLossUnboundStream(t *testing.T) {
	c := newMediaCall(t)
	c.heuristic = true
	c.rtp(0, 100, netip.MustParseAddrPort("192.0.2.1:7000"), netip.MustParseAddrPort("192.0.2.2:7002"), 9, 0, map[int]bool{50: true, 60: true, 70: true}, nil)
	f := mediaFinding(t, c.analyze().Findings, "media.loss")
	if f.CallID != "" || f.Evidence.Facts["lost"] != 3 {
		t.Errorf("finding %+v", f)
	}
}

func TestMediaCodecMismatch(t *testing.T) {
	c := newMediaCall(t)
	c.answered(5 * time.Second)
	c.rtp(150*time.Millisecond, 200, c.aliceRTP, c.bobRTP, 1, 8, nil, nil) // PCMA; the answer has 0 and 101
	c.rtp(160*time.Millisecond, 200, c.bobRTP, c.aliceRTP, 2, 0, nil, nil)
	f := mediaFinding(t, c.analyze().Findings, "media.codec-mismatch")
	if f.Evidence.Facts["payload_type"] != uint8(8) || f.Evidence.Facts["answer_frame"] != 2 ||
		!strings.Contains(f.Summary, "payload type 8 (PCMA)") || !strings.Contains(f.Summary, "allows only 0 101") {
		t.Errorf("finding %+v", f)
	}
}

// On the shared public captures, all real calls that worked, no media rule
// complains beyond information; the generated FreeSWITCH case notes the
// NAT'ed phone whose RTP FreeSWITCH latches onto.
func TestMediaQuietOnPublicCaptures(t *testing.T) {
	dir := testenv.PublicCaptures(t)
	paths, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
	paths = append(paths, testenv.Testdata("freeswitch-nat.pcap"))
	for _, path := range paths {
		res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if strings.HasPrefix(f.ID, "media.") && f.Severity > diagnose.Info {
				t.Errorf("%s: %s %s: %s", filepath.Base(path), f.Severity, f.ID, f.Summary)
			}
		}
		if filepath.Base(path) == "freeswitch-nat.pcap" {
			f := mediaFinding(t, res.Findings, "media.source-mismatch")
			if f.Evidence.Facts["src"] != "112.25.222.170:28556" || f.Evidence.Facts["announced"] != "192.168.1.107:54898" {
				t.Errorf("freeswitch-nat: %+v", f)
			}
		}
	}
}

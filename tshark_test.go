package sipscope_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/internal/testenv"
)

var sipStatCount = regexp.MustCompile(`Number of SIP messages: (\d+)`)

// tsharkSIPCount returns the message count of tshark's `-z sip,stat`.
func tsharkSIPCount(t *testing.T, path string) int {
	t.Helper()
	tshark := testenv.RequireTool(t, "tshark")
	out, err := exec.Command(tshark, "-n", "-r", path, "-q", "-z", "sip,stat").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark on %s: %v\n%s", path, err, out)
	}
	m := sipStatCount.FindSubmatch(out)
	if m == nil {
		t.Fatalf("tshark on %s printed no SIP message count:\n%s", path, out)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// The SIP message count of every UDP capture among the public samples equals
// tshark's: none missed, none invented. (TCP, fragments and WebSocket have
// their own comparison in decode.)
func TestSIPCountMatchesTshark(t *testing.T) {
	for _, name := range []string{
		"rtp_rtcp_sip_ipv4_udp.pcap", // 14 messages, 3 Call-IDs
		"sip-rtp-g711.pcap",          // 10 messages
		"sip-rtp-g722.pcap",
		"register-invite-reinvite-bye.pcap",
		"sip-auth-failure.pcapng",
		"sip-proxy.pcap",
		"DTMFsipinfo.pcap", // PPPoE: 32 messages
		"sip_ipv6_udp.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			path := testenv.PublicCapture(t, name)
			want := tsharkSIPCount(t, path)
			res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Capture.SIPMessages != want {
				t.Errorf("sipscope found %d SIP messages, tshark %d", res.Capture.SIPMessages, want)
			}
			if len(res.Capture.Undecoded) != 0 {
				t.Errorf("undecoded on a clean capture: %v", res.Capture.Undecoded)
			}
		})
	}
}

// Every public capture is analysed without error.
func TestPublicCapturesRunClean(t *testing.T) {
	dir := testenv.PublicCaptures(t)
	pcaps, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	pcapngs, _ := filepath.Glob(filepath.Join(dir, "*.pcapng"))
	matches := append(pcaps, pcapngs...)
	if len(matches) < 10 {
		t.Fatalf("found only %d captures in %s", len(matches), dir)
	}
	for _, path := range matches {
		res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if res.Capture.Frames == 0 {
			t.Errorf("%s: no frames read", path)
		}
	}
}

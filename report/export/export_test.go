package export

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/testenv"
)

// exportCall writes the frames of call id in files to a new pcap (or
// pcapng) in a temporary directory and returns its path.
func exportCall(t *testing.T, files []string, id string, f Format) (string, Stats, *correlate.Call) {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	calls := res.Model.Find(id)
	if len(calls) != 1 {
		t.Fatalf("%d calls match %q", len(calls), id)
	}
	var buf bytes.Buffer
	st, err := Write(files, Select(res.Model, calls), &buf, f)
	if err != nil {
		t.Fatal(err)
	}
	name := "call.pcap"
	if f == PCAPNG {
		name = "call.pcapng"
	}
	out := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out, st, calls[0]
}

// summaries lists a call's messages as frame-independent lines.
func summaries(c *correlate.Call) []string {
	var out []string
	for _, m := range c.Messages {
		out = append(out, m.Time.UTC().Format("15:04:05.000000")+" "+m.Src.String()+">"+m.Dst.String()+" "+m.Summary())
	}
	return out
}

// reread analyses the exported file and checks it holds exactly the call.
func reread(t *testing.T, path string, want *correlate.Call) *sipscope.Result {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Calls) != 1 {
		var ids []string
		for _, c := range res.Model.Calls {
			ids = append(ids, c.CallID)
		}
		t.Fatalf("exported file holds calls %q, want only %q", ids, want.CallID)
	}
	got := res.Model.Calls[0]
	if got.CallID != want.CallID || got.State != want.State {
		t.Errorf("re-read call %q %s, want %q %s", got.CallID, got.State, want.CallID, want.State)
	}
	if g, w := strings.Join(summaries(got), "\n"), strings.Join(summaries(want), "\n"); g != w {
		t.Errorf("re-read messages:\n%s\nwant:\n%s", g, w)
	}
	// A call exported from a TCP connection shared with other calls has
	// holes where their bytes were: those, and only those, are expected.
	for reason, n := range res.Capture.Undecoded {
		if reason != decode.ReasonTCPGap {
			t.Errorf("re-read has %d undecodable frames: %s", n, reason)
		}
	}
	return res
}

// tsharkCallIDs returns the Call-ID of every SIP message tshark finds
// (not counting those quoted inside ICMP errors).
func tsharkCallIDs(t *testing.T, path string, extra ...string) []string {
	t.Helper()
	tshark := testenv.RequireTool(t, "tshark")
	args := append([]string{"-n", "-r", path}, extra...)
	args = append(args, "-Y", "sip && !icmp && !icmpv6", "-T", "fields", "-e", "sip.Call-ID")
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			ids = append(ids, l)
		}
	}
	return ids
}

func tsharkCount(t *testing.T, path, filter string) int {
	t.Helper()
	tshark := testenv.RequireTool(t, "tshark")
	out, err := exec.Command(tshark, "-n", "-r", path, "-Y", filter, "-T", "fields", "-e", "frame.number").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	return len(strings.Fields(string(out)))
}

func onlyCallID(t *testing.T, ids []string, want string, n int) {
	t.Helper()
	if len(ids) != n {
		t.Errorf("tshark sees %d SIP messages, want %d", len(ids), n)
	}
	for _, id := range ids {
		if id != want {
			t.Errorf("tshark sees Call-ID %q in the export of %q", id, want)
		}
	}
}

// The seed case: the INVITE dialog without the REGISTERs before it, with
// its 300 RTP packets and the three ICMP errors.
func TestExportSeed(t *testing.T) {
	for _, f := range []Format{PCAP, PCAPNG} {
		path, st, call := exportCall(t, []string{testenv.Testdata("freeswitch-nat.pcap")}, "dda811eb", f)
		want := Stats{Frames: 311, SIP: 8, Media: 300, ICMP: 3}
		if st != want {
			t.Errorf("format %d: stats %+v, want %+v", f, st, want)
		}
		res := reread(t, path, call)
		if len(res.Model.ICMP) != 3 || len(res.Model.Calls[0].ICMP) != 3 {
			t.Errorf("re-read ICMP errors: %d (%d linked), want 3", len(res.Model.ICMP), len(res.Model.Calls[0].ICMP))
		}
		onlyCallID(t, tsharkCallIDs(t, path), call.CallID, 8)
		if n := tsharkCount(t, path, "udp && !sip && !icmp"); n != 300 {
			t.Errorf("tshark sees %d media frames, want 300", n)
		}
		if n := tsharkCount(t, path, "icmp"); n != 3 {
			t.Errorf("tshark sees %d ICMP frames, want 3", n)
		}
	}
}

// Timestamps and bytes are the originals: the exported frames are the
// same as those tshark shows for the call in the original capture.
func TestExportOriginalBytes(t *testing.T) {
	src := testenv.Testdata("freeswitch-nat.pcap")
	path, _, _ := exportCall(t, []string{src}, "dda811eb", PCAP)
	tshark := testenv.RequireTool(t, "tshark")
	dump := func(file, filter string) string {
		out, err := exec.Command(tshark, "-n", "-r", file, "-Y", filter, "-T", "fields",
			"-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.md5_hash", "-o", "frame.generate_md5_hash:TRUE").Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		return string(out)
	}
	orig := dump(src, "!(frame.number <= 4)") // the REGISTER flow is frames 1-4
	if got := dump(path, "frame"); got != orig {
		t.Errorf("exported frames differ from the originals:\n%s\nwant\n%s", got, orig)
	}
}

// SIP over TCP between two proxies carrying several calls: the export of
// one call takes the segments of its messages and no other call's.
func TestExportTCPTrunk(t *testing.T) {
	file := testenv.PublicCapture(t, "sip_ipv4_tcp_fragmented.pcap")
	path, st, call := exportCall(t, []string{file}, "61ab465a", PCAP)
	if st.SIP != len(call.Messages) {
		t.Errorf("%d SIP frames, want %d", st.SIP, len(call.Messages))
	}
	reread(t, path, call)
	onlyCallID(t, tsharkCallIDs(t, path, "-d", "tcp.port==6060,sip"), call.CallID, len(call.Messages))
}

// Two calls one after the other reuse the same media ports (SIPp): each
// export keeps its own RTP only.
func TestExportMediaPortReuse(t *testing.T) {
	file := testenv.PublicCapture(t, "sip-rtp-g711.pcap")
	counts := map[string]int{}
	for _, id := range []string{"1-1966@10.0.2.20", "1-1968@10.0.2.20"} {
		path, st, call := exportCall(t, []string{file}, id, PCAP)
		reread(t, path, call)
		onlyCallID(t, tsharkCallIDs(t, path), call.CallID, len(call.Messages))
		counts[id] = st.Media
	}
	total := tsharkCount(t, file, "udp && !sip")
	if counts["1-1966@10.0.2.20"] == 0 || counts["1-1966@10.0.2.20"]+counts["1-1968@10.0.2.20"] > total {
		t.Errorf("media frames per call %v, %d non-SIP UDP frames in all", counts, total)
	}
}

func TestMixedLinkTypes(t *testing.T) {
	// freeswitch-nat is Ethernet, DTMFsipinfo is PPPoE over Ethernet too; a
	// Linux cooked capture would need pcapng. Check the guard directly.
	w := &writer{w: &bytes.Buffer{}, format: PCAP}
	a := testFrame(1)
	b := testFrame(113) // LINKTYPE_LINUX_SLL
	if err := w.write(a); err != nil {
		t.Fatal(err)
	}
	if err := w.write(b); err == nil {
		t.Error("a pcap took two link types")
	}
	ng := &writer{w: &bytes.Buffer{}, format: PCAPNG}
	for _, f := range []int{1, 113, 1} {
		if err := ng.write(testFrame(f)); err != nil {
			t.Fatal(err)
		}
	}
	if len(ng.ifaces) != 2 {
		t.Errorf("pcapng interfaces %v, want 2", ng.ifaces)
	}
	keys := make([]int, 0)
	for lt := range ng.ifaces {
		keys = append(keys, int(lt))
	}
	sort.Ints(keys)
	if keys[0] != 1 || keys[1] != 113 {
		t.Errorf("interfaces for link types %v", keys)
	}
}

func testFrame(lt int) *capture.Frame {
	return &capture.Frame{Number: 1, Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), LinkType: layers.LinkType(lt), Data: make([]byte, 60), Length: 60}
}

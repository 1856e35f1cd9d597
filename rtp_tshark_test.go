package sipscope_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/internal/testenv"
)

// streamKey names an RTP stream as tshark's -z rtp,streams does.
type streamKey struct {
	src, dst string // address:port
	ssrc     uint32
}

func (k streamKey) String() string { return fmt.Sprintf("%s -> %s 0x%08X", k.src, k.dst, k.ssrc) }

// tsharkStream is one line of tshark's -z rtp,streams.
type tsharkStream struct {
	payload                         string
	packets, lost                   int
	maxDelta, maxJitter, meanJitter float64
}

// rtpStreamsLine matches a stream line of tshark 4.0's -z rtp,streams:
// start, end, source address and port, destination address and port,
// SSRC, payload names (may hold ", "), packets, "lost (pct%)", then min,
// mean and max delta, min, mean and max jitter, and the problem mark.
var rtpStreamsLine = regexp.MustCompile(`^\s*[\d.]+\s+[\d.]+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)\s+0x([0-9A-F]+)\s+(.+?)\s+(\d+)\s+(-?\d+) \([-\d.]+%\)\s+[-\d.]+\s+[-\d.]+\s+([-\d.]+)\s+[-\d.]+\s+([-\d.]+)\s+([-\d.]+)\s*X?$`)

// tsharkStreams runs tshark's RTP stream statistics on a capture. With
// heuristic, tshark also takes RTP on flows no SDP set up.
func tsharkStreams(t *testing.T, path string, heuristic bool) map[streamKey]tsharkStream {
	t.Helper()
	tshark := testenv.RequireTool(t, "tshark")
	args := []string{"-n", "-r", path, "-q", "-z", "rtp,streams"}
	if heuristic {
		args = append(args, "-o", "rtp.heuristic_rtp:TRUE")
	}
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	streams := map[streamKey]tsharkStream{}
	inTable := false
	for line := range strings.Lines(string(out)) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.Contains(line, "Src IP addr"):
			inTable = true
			continue
		case strings.HasPrefix(line, "====="):
			continue
		case !inTable || strings.TrimSpace(line) == "":
			continue
		}
		m := rtpStreamsLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("tshark printed a stream line we cannot read:\n%s", line)
		}
		ssrc, _ := strconv.ParseUint(m[5], 16, 32)
		num := func(i int) float64 { f, _ := strconv.ParseFloat(m[i], 64); return f }
		packets, _ := strconv.Atoi(m[7])
		lost, _ := strconv.Atoi(m[8])
		k := streamKey{net.JoinHostPort(m[1], m[2]), net.JoinHostPort(m[3], m[4]), uint32(ssrc)}
		streams[k] = tsharkStream{payload: m[6], packets: packets, lost: lost,
			maxDelta: num(9), meanJitter: num(10), maxJitter: num(11)}
	}
	return streams
}

func ourStreams(t *testing.T, path string, heuristic bool) map[streamKey]*correlate.Stream {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, HeuristicRTP: heuristic})
	if err != nil {
		t.Fatal(err)
	}
	out := map[streamKey]*correlate.Stream{}
	for _, s := range res.Model.Streams {
		out[streamKey{s.Src.String(), s.Dst.String(), s.SSRC}] = s
	}
	return out
}

// difference is a way sipscope and tshark disagree on purpose.
type difference int

const (
	// onlyTshark: tshark has the stream, sipscope does not.
	onlyTshark difference = iota + 1
	// negativeLoss: tshark counts repeated packets as negative loss;
	// sipscope counts them as duplicates (lost = 0).
	negativeLoss
)

// compareStreams checks that sipscope and tshark see the same streams with
// the same packet and loss counts, and max delta, max and mean jitter
// within 0.01 ms; known lists the expected differences, each of which must
// show up exactly as described.
func compareStreams(t *testing.T, path string, heuristic bool, known map[streamKey]difference) {
	t.Helper()
	theirs := tsharkStreams(t, path, heuristic)
	ours := ourStreams(t, path, heuristic)
	keys := map[streamKey]bool{}
	for k := range theirs {
		keys[k] = true
	}
	for k := range ours {
		keys[k] = true
	}
	sorted := make([]streamKey, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].String() < sorted[j].String() })
	for _, k := range sorted {
		w, inTshark := theirs[k]
		s, inOurs := ours[k]
		diff := known[k]
		switch {
		case inTshark && !inOurs && diff == onlyTshark:
			continue
		case diff == onlyTshark:
			t.Errorf("%s: expected only tshark to have it (tshark %v, sipscope %v)", k, inTshark, inOurs)
			continue
		case !inOurs:
			t.Errorf("%s: tshark has it (%s, %d packets), sipscope does not", k, w.payload, w.packets)
			continue
		case !inTshark:
			t.Errorf("%s: sipscope has it (%s, %d packets), tshark does not", k, s.Codec, s.Packets)
			continue
		}
		if s.Packets != w.packets {
			t.Errorf("%s: %d packets, tshark %d", k, s.Packets, w.packets)
		}
		switch {
		case diff == negativeLoss:
			if w.lost >= 0 || s.Lost != 0 || s.Duplicates != -w.lost {
				t.Errorf("%s: tshark lost %d, sipscope lost %d with %d duplicates; want tshark's negative loss to be our duplicates", k, w.lost, s.Lost, s.Duplicates)
			}
		case s.Lost != w.lost:
			t.Errorf("%s: %d lost, tshark %d", k, s.Lost, w.lost)
		}
		for _, f := range []struct {
			name        string
			ours, their float64
		}{{"max delta", s.MaxDeltaMS, w.maxDelta}, {"max jitter", s.MaxJitterMS, w.maxJitter}, {"mean jitter", s.MeanJitterMS, w.meanJitter}} {
			if math.Abs(f.ours-f.their) > 0.01 {
				t.Errorf("%s: %s %.3f ms, tshark %.3f ms", k, f.name, f.ours, f.their)
			}
		}
	}
	t.Logf("sipscope %d streams, tshark %d, %d known differences", len(ours), len(theirs), len(known))
}

// mgcpStream is set up by the SDP of an MGCP CRCX (frame 2945 of
// rtp_rtcp_sip_ipv4_udp.pcap), which tshark dissects and sipscope, a SIP
// tool, does not read. With the heuristic both find it.
var mgcpStream = streamKey{"200.57.7.202:30000", "200.57.7.196:40362", 0x00002E3D}

// TestRTPStreamsMatchTshark compares sipscope's RTP streams with tshark's
// -z rtp,streams for every shared public capture and our generated ones,
// first with streams found through SDP only (both tools' default), then
// with the RTP heuristic on in both.
//
// What tshark 4.0.17 finds, for the record: rtp_rtcp_sip_ipv4_udp 3 G.711A
// streams by SDP (one from MGCP) and 5 with the heuristic (a relay's second
// leg); sip_ipv4_tcp 2 (G.711A with CN); sip-rtp-g711 2 and sip-rtp-g722 1,
// one way each as their SDP says (recvonly offer, sendonly answer);
// register-invite-reinvite-bye 4 (G.711U, then opus after the re-INVITE);
// freeswitch-nat 2 of 150 packets; the others none.
func TestRTPStreamsMatchTshark(t *testing.T) {
	dir := testenv.PublicCaptures(t)
	pcaps, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	pcapngs, _ := filepath.Glob(filepath.Join(dir, "*.pcapng"))
	paths := append(append(pcaps, pcapngs...), testenv.Testdata("freeswitch-nat.pcap"), testenv.Testdata("one-way-audio.pcap"))
	if len(paths) < 12 {
		t.Fatalf("only %d captures", len(paths))
	}
	known := map[string]map[streamKey]difference{
		"rtp_rtcp_sip_ipv4_udp.pcap": {mgcpStream: onlyTshark},
	}
	for _, path := range paths {
		name := filepath.Base(path)
		for _, heuristic := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/heuristic=%v", name, heuristic), func(t *testing.T) {
				k := known[name]
				if heuristic {
					k = nil
				}
				compareStreams(t, path, heuristic, k)
			})
		}
	}
}

// TestRTPStreamsMatchTsharkSipp makes a call between two sipp instances on
// 127.0.0.1 (uac_pcap plays sipp's G.711 A-law recording and an RFC 4733
// '1' to a uas that echoes RTP), captures it on lo and compares sipscope's
// streams with tshark's.
//
// The one difference: sipp's telephone-event recording sends the end of
// the event three times with one sequence number (RFC 4733 §2.5.1.4
// permits it); tshark counts the two repeats as -2 lost, sipscope as two
// duplicates and none lost.
func TestRTPStreamsMatchTsharkSipp(t *testing.T) {
	path := sippCall(t)
	ours := ourStreams(t, path, false)
	if len(ours) != 4 {
		t.Fatalf("sipscope found %d streams, want 4: audio and DTMF, each way", len(ours))
	}
	known := map[streamKey]difference{}
	for k, s := range ours {
		if s.Codec == "telephone-event" {
			known[k] = negativeLoss
			known[streamKey{k.dst, k.src, k.ssrc}] = negativeLoss
		}
	}
	if len(known) != 2 {
		t.Fatalf("%d telephone-event streams, want 2", len(known))
	}
	compareStreams(t, path, false, known)
}

// sippRecordings are the files uac_pcap plays, from Debian's sip-tester.
var sippRecordings = []string{"g711a.pcap", "dtmf_2833_1.pcap"}

// sippCall runs the call and returns the capture's path. Ports are random
// free high ports, so that tests running at the same time on the machine
// do not meet.
func sippCall(t *testing.T) string {
	testenv.RequireRoot(t)
	sipp := testenv.RequireTool(t, "sipp")
	tcpdump := testenv.RequireTool(t, "tcpdump")
	testenv.RequireTool(t, "tshark")
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pcap"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range sippRecordings {
		b, err := os.ReadFile(filepath.Join("/usr/share/sip-tester", f))
		if err != nil {
			testenv.Unavailable(t, "sipp's recording "+f+" is missing (apt-get install sip-tester)")
		}
		if err := os.WriteFile(filepath.Join(dir, "pcap", f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := freePortBlock(t, 24)
	uasSIP, uacSIP, uasMedia, uacMedia := base, base+1, base+10, base+20
	capPath := filepath.Join(dir, "sipp.pcap")

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dump := exec.CommandContext(ctx, tcpdump, "-i", "lo", "-n", "-U", "-w", capPath,
		fmt.Sprintf("udp and host 127.0.0.1 and portrange %d-%d", base, base+23))
	stderr, err := dump.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = dump.Process.Kill() }()
	waitForLine(t, stderr, "listening on", 20*time.Second)

	uas := exec.CommandContext(ctx, sipp, "-sn", "uas", "-rtp_echo", "-i", "127.0.0.1",
		"-p", strconv.Itoa(uasSIP), "-mp", strconv.Itoa(uasMedia), "-m", "1", "-timeout", "40s")
	uas.Dir = dir
	uasOut, err := os.Create(filepath.Join(dir, "uas.log"))
	if err != nil {
		t.Fatal(err)
	}
	uas.Stdout, uas.Stderr = uasOut, uasOut
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = uas.Process.Kill() }()

	uac := exec.CommandContext(ctx, sipp, "-sn", "uac_pcap", fmt.Sprintf("127.0.0.1:%d", uasSIP), "-i", "127.0.0.1",
		"-p", strconv.Itoa(uacSIP), "-mp", strconv.Itoa(uacMedia), "-m", "1", "-timeout", "40s")
	uac.Dir = dir
	if out, err := uac.CombinedOutput(); err != nil {
		t.Fatalf("sipp uac: %v\n%s", err, tail(out))
	}
	if err := uas.Wait(); err != nil {
		log, _ := os.ReadFile(uasOut.Name())
		t.Fatalf("sipp uas: %v\n%s", err, tail(log))
	}
	_ = dump.Process.Signal(syscall.SIGINT)
	_ = dump.Wait()
	return capPath
}

// freePortBlock finds n consecutive UDP ports on 127.0.0.1 that nothing
// uses, starting at a random high port.
func freePortBlock(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		base := 20000 + rand.IntN(40000)
		free := true
		for p := base; p < base+n && free; p++ {
			c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			c.Close()
		}
		if free {
			return base
		}
	}
	t.Fatal("no free block of UDP ports")
	return 0
}

// waitForLine reads r until a line contains want; it gives up after limit,
// which bounds a hung tool, not a measurement.
func waitForLine(t *testing.T, r interface{ Read([]byte) (int, error) }, want string, limit time.Duration) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if strings.Contains(sc.Text(), want) {
				found <- true
				for sc.Scan() {
				}
				return
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("tool exited before printing %q", want)
		}
	case <-time.After(limit):
		t.Fatalf("no %q after %v", want, limit)
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

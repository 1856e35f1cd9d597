package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture/live"
	"github.com/sipscope/sipscope/internal/testenv"
)

func replaySource(t *testing.T, path string) *live.Replay {
	t.Helper()
	r, err := live.OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var epoch = func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// The live text output of the seed capture, replayed: one line per event,
// then the same report as analyze.
func TestLiveTextGolden(t *testing.T) {
	var out, errOut bytes.Buffer
	opts := &liveOptions{Format: "text", RingSize: "1MiB", Snaplen: 65535, source: replaySource(t, seed), now: epoch, Interface: "replay"}
	if err := runLive(context.Background(), &streams{Out: &out, Err: &errOut}, opts); err != nil {
		t.Fatal(err)
	}
	golden(t, "live-freeswitch-nat.txt", out.String())
}

// The NDJSON stream: every line is one JSON object with a type, events
// before the final report, which carries the same calls as analyze.
func TestLiveNDJSON(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	opts := &liveOptions{Format: "ndjson", RingSize: "1MiB", Snaplen: 65535, source: replaySource(t, seed), now: epoch,
		Interface: "replay", AllEvents: true, WriteDir: dir, RotateSize: "0"}
	if err := runLive(context.Background(), &streams{Out: &out, Err: &errOut}, opts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	types := map[string]int{}
	var events []string
	for i, l := range lines {
		var v struct {
			Type  string `json:"type"`
			Event string `json:"event"`
			Frame int    `json:"frame"`
			File  string `json:"file"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, l)
		}
		types[v.Type]++
		if v.Type == "event" {
			events = append(events, v.Event)
			if v.Event != "finished" && (v.Frame == 0 || filepath.Dir(v.File) != dir) {
				t.Errorf("line %d: event without its frame in the written file: %s", i+1, l)
			}
		}
		if v.Type == "report" && i != len(lines)-1 {
			t.Errorf("report on line %d of %d", i+1, len(lines))
		}
	}
	if types["report"] != 1 || types["event"] == 0 {
		t.Errorf("line types %v", types)
	}
	// The registration and the call start; the call is answered (the seed
	// has no 18x); both are flushed at the end of the input.
	want := "new new answered finished finished"
	if got := strings.Join(events, " "); got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	r := lastLiveReport(t, lines)
	if len(r.Calls) != 2 || r.Calls[1].State != "answered" || r.Live.Frames != 315 || r.Live.Written != 315 || len(r.Live.Files) != 1 {
		t.Errorf("report: %d calls, live %+v", len(r.Calls), r.Live)
	}
}

// freePorts returns the first of n consecutive free UDP ports on 127.0.0.1.
func freePorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if base < 1024 || base+n > 65535 {
			continue
		}
		var held []net.PacketConn
		for p := base; p < base+n; p++ {
			c, err := net.ListenPacket("udp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				break
			}
			held = append(held, c)
		}
		for _, c := range held {
			c.Close()
		}
		if len(held) == n {
			return base
		}
	}
	t.Fatal("no free range of UDP ports")
	return 0
}

// sippStats reads the last line of a sipp -trace_stat CSV file.
func sippStats(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("sipp stats %s: %q", path, b)
	}
	head, last := strings.Split(lines[0], ";"), strings.Split(lines[len(lines)-1], ";")
	m := map[string]string{}
	for i, h := range head {
		if i < len(last) {
			m[h] = last[i]
		}
	}
	return m
}

// The acceptance test: sipscope live on lo, on a free port range,
// sees exactly the calls sipp made, in the state sipp reported, and the
// files it wrote give the same calls offline.
func TestLiveSipp(t *testing.T) {
	testenv.RequireRoot(t)
	sipp := testenv.RequireTool(t, "sipp")
	const calls = 5
	base := freePorts(t, 10)
	dir := t.TempDir()
	work := t.TempDir()

	pr, pw := io.Pipe()
	var errOut bytes.Buffer
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := &liveOptions{
		Interface: "lo", PortRanges: []string{fmt.Sprintf("%d-%d", base, base+9)},
		Format: "ndjson", WriteDir: dir, RotateSize: "4KB", Keep: 0,
		RingSize: "4MiB", Snaplen: live.DefaultSnaplen, AllEvents: true, ReportCalls: 100,
		ready: func() { close(ready) },
	}
	done := make(chan error, 1)
	go func() {
		err := runLive(ctx, &streams{Out: pw, Err: &errOut}, opts)
		pw.Close()
		done <- err
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("live did not start: %v\n%s", err, errOut.String())
	}
	// Read the output as it comes, as an operator's terminal would: a
	// reader that stops reading stalls the capture.
	marker := fmt.Sprintf("marker-%d@127.0.0.1", base)
	type event struct {
		Type   string `json:"type"`
		Event  string `json:"event"`
		CallID string `json:"call_id"`
	}
	events := map[string][]string{}
	var last string
	var badLine error
	sawMarker, readDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			last = sc.Text()
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil && badLine == nil {
				badLine = fmt.Errorf("not JSON: %v\n%s", err, last)
			}
			if e.Type == "event" {
				events[e.CallID] = append(events[e.CallID], e.Event)
				if e.CallID == marker && e.Event == "new" {
					close(sawMarker)
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	// The peers: sipp's UAS answers, its UAC makes the calls and stops.
	uas := exec.Command(sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", strconv.Itoa(base),
		"-m", strconv.Itoa(calls), "-nostdin", "-timeout", "60s")
	uas.Dir = work
	if err := uas.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = uas.Process.Kill(); _ = uas.Wait() }()
	msgFile := filepath.Join(work, "uac-messages.log")
	statFile := filepath.Join(work, "uac-stats.csv")
	uac := exec.Command(sipp, "-sn", "uac", fmt.Sprintf("127.0.0.1:%d", base), "-i", "127.0.0.1", "-p", strconv.Itoa(base+1),
		"-m", strconv.Itoa(calls), "-r", strconv.Itoa(calls), "-nostdin", "-timeout", "60s", "-timeout_error",
		"-trace_msg", "-message_file", msgFile, "-trace_stat", "-stf", statFile)
	uac.Dir = work
	if out, err := uac.CombinedOutput(); err != nil {
		t.Fatalf("sipp uac: %v\n%s", err, out)
	}
	st := sippStats(t, statFile)
	if st["SuccessfulCall(C)"] != strconv.Itoa(calls) || st["FailedCall(C)"] != "0" {
		t.Fatalf("sipp reports %s successful and %s failed calls, want %d and 0", st["SuccessfulCall(C)"], st["FailedCall(C)"], calls)
	}
	msgs, err := os.ReadFile(msgFile)
	if err != nil {
		t.Fatal(err)
	}
	sippCalls := map[string]bool{}
	for _, l := range strings.Split(string(msgs), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Call-ID:"); ok {
			sippCalls[strings.TrimSpace(v)] = true
		}
	}
	if len(sippCalls) != calls {
		t.Fatalf("sipp's message log holds %d Call-IDs, want %d", len(sippCalls), calls)
	}

	// A marker sent after sipp is done: once sipscope shows it, it has
	// read every packet before it (sipp received its last reply only after
	// the kernel had handed that reply to the capture).
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opt := "OPTIONS sip:marker@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKmarker\r\n" +
		"From: <sip:test@127.0.0.1>;tag=1\r\nTo: <sip:marker@127.0.0.1>\r\nCall-ID: " + marker + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.WriteTo([]byte(opt), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: base + 5}); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	select {
	case <-sawMarker:
	case err := <-done:
		t.Fatalf("live ended before the marker: %v\n%s", err, errOut.String())
	case <-time.After(time.Minute):
		// Bounds a hang; sipscope shows the marker within a second.
		t.Fatalf("marker not seen in a minute\n%s", errOut.String())
	}
	cancel() // the SIGINT of the test
	if err := <-done; err != nil {
		t.Fatalf("live: %v\n%s", err, errOut.String())
	}
	<-readDone
	if badLine != nil {
		t.Fatal(badLine)
	}
	var rep struct {
		Type string `json:"type"`
		jsonReport
	}
	if err := json.Unmarshal([]byte(last), &rep); err != nil || rep.Type != "report" {
		t.Fatalf("last line is not the report: %v\n%s", err, last)
	}

	got := map[string]string{}
	for _, c := range rep.Calls {
		if c.Kind == "call" {
			got[c.CallID] = c.State
		}
	}
	if len(got) != calls {
		t.Errorf("sipscope saw %d calls, sipp made %d: %v", len(got), calls, got)
	}
	for id := range sippCalls {
		if got[id] != "completed" {
			t.Errorf("call %s: state %q, sipp completed it", id, got[id])
		}
		if e := strings.Join(events[id], " "); e != "new ringing answered ended finished" {
			t.Errorf("call %s: events %q", id, e)
		}
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil || len(files) < 2 {
		t.Fatalf("written files %v (%v); the 4KB rotation should give several", files, err)
	}
	sort.Strings(files)
	offline, err := sipscope.Analyze(sipscope.Options{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	type sum struct {
		state string
		msgs  int
	}
	liveCalls, offCalls := map[string]sum{}, map[string]sum{}
	for _, c := range rep.Calls {
		liveCalls[c.CallID] = sum{c.State, c.MessageCount}
	}
	for _, c := range offline.Model.Calls {
		offCalls[c.CallID] = sum{c.State, len(c.Messages)}
	}
	if len(liveCalls) != len(offCalls) {
		t.Errorf("live reported %d Call-IDs, the written files give %d", len(liveCalls), len(offCalls))
	}
	for id, s := range liveCalls {
		if offCalls[id] != s {
			t.Errorf("%s: live %+v, from the files %+v", id, s, offCalls[id])
		}
	}

	// A second opinion on the written files: tshark finds as many SIP
	// messages in them as sipscope does (not counting the SIP that ICMP
	// errors quote).
	tshark := testenv.RequireTool(t, "tshark")
	sipFrames := 0
	for _, f := range files {
		out, err := exec.Command(tshark, "-r", f, "-n", "-Y", "sip && !icmp",
			"-d", fmt.Sprintf("udp.port==%d,sip", base), "-d", fmt.Sprintf("udp.port==%d,sip", base+1),
			"-d", fmt.Sprintf("udp.port==%d,sip", base+5), "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("tshark %s: %v", f, err)
		}
		sipFrames += len(strings.Fields(string(out)))
	}
	if sipFrames != offline.Capture.SIPMessages || sipFrames != rep.Capture.SIPMessages {
		t.Errorf("SIP messages: tshark %d in the files, sipscope %d in them and %d live", sipFrames, offline.Capture.SIPMessages, rep.Capture.SIPMessages)
	}
}

// liveReport is the last NDJSON line of `live --format json`: the analysis
// report with what the capture itself did.
type liveReport struct {
	jsonReport
	Live struct {
		Frames  int      `json:"frames"`
		Written int      `json:"frames_written"`
		Files   []string `json:"files_kept"`
	} `json:"live"`
}

// lastLiveReport decodes the report on the last of live's output lines.
func lastLiveReport(t *testing.T, lines []string) liveReport {
	t.Helper()
	var r liveReport
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

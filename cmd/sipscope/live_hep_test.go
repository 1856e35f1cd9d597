package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
)

// live --hep-listen receives what a HOMER agent sends: here analyze
// --hep-send mirrors the seed capture's SIP as HEPv3 to it over 127.0.0.1.
// The live report has the seed's calls with their states and message
// counts, and the frames written with -w are pcap that analyze reads back
// to the same calls.
func TestLiveHEPListen(t *testing.T) {
	// How many packets the mirror sends: a first run to a socket that only
	// drains them.
	_, offline := mirrorSeed(t)
	sent := offline.Capture.HEPSent
	if sent == 0 || offline.Capture.HEPErrors != 0 {
		t.Fatalf("mirror sent %d packets, %d errors", sent, offline.Capture.HEPErrors)
	}

	port := freePorts(t, 1)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan struct{})
	var out, errOut bytes.Buffer
	opts := &liveOptions{Format: "ndjson", RingSize: "1MiB", Snaplen: 65535, HEPListen: fmt.Sprintf("127.0.0.1:%d", port),
		Count: sent, WriteDir: dir, RotateSize: "0", AllEvents: true, ready: func() { close(ready) }}
	done := make(chan error, 1)
	go func() { done <- runLive(ctx, &streams{Out: &out, Err: &errOut}, opts) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("live ended before it was ready: %v\n%s", err, errOut.String())
	}
	mirrored, err := sipscope.Analyze(sipscope.Options{Files: []string{seed}, HEPSend: opts.HEPListen})
	if err != nil {
		t.Fatal(err)
	}
	if mirrored.Capture.HEPSent != sent {
		t.Fatalf("second mirror sent %d packets, the first %d", mirrored.Capture.HEPSent, sent)
	}
	if err := <-done; err != nil {
		t.Fatalf("live: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "receiving HEP on udp 127.0.0.1:") {
		t.Errorf("stderr lacks the listening line:\n%s", errOut.String())
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	r := lastLiveReport(t, lines)
	want := map[string]string{}
	for _, c := range offline.Model.Calls {
		want[c.CallID] = fmt.Sprintf("%s %s %d", c.Kind, c.State, len(c.Messages))
	}
	got := map[string]string{}
	for _, c := range r.Calls {
		got[c.CallID] = fmt.Sprintf("%s %s %d", c.Kind, c.State, c.MessageCount)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("live over HEP found %v, the capture has %v", got, want)
	}
	if r.Live.Frames != sent || r.Live.Written == 0 || len(r.Live.Files) != 1 {
		t.Fatalf("live: %d frames (want %d), %d written, files %v", r.Live.Frames, sent, r.Live.Written, r.Live.Files)
	}

	back, err := sipscope.Analyze(sipscope.Options{Files: r.Live.Files})
	if err != nil {
		t.Fatal(err)
	}
	again := map[string]string{}
	for _, c := range back.Model.Calls {
		again[c.CallID] = fmt.Sprintf("%s %s %d", c.Kind, c.State, len(c.Messages))
	}
	if fmt.Sprint(again) != fmt.Sprint(want) || back.Capture.HEPPackets == 0 {
		t.Errorf("the written capture gives %v (%d HEP packets), want %v", again, back.Capture.HEPPackets, want)
	}
}

// --hep-listen replaces the interface and its filters.
func TestLiveHEPListenFlags(t *testing.T) {
	_, _, err := run(t, "live", "--hep-listen", "127.0.0.1:0", "-i", "lo")
	if err == nil || !strings.Contains(err.Error(), "--hep-listen receives HEP instead of capturing") {
		t.Errorf("-i with --hep-listen: %v", err)
	}
	_, _, err = run(t, "live")
	if err == nil || !strings.Contains(err.Error(), "--hep-listen ADDR") {
		t.Errorf("neither -i nor --hep-listen: %v", err)
	}
}

// live --hep-send mirrors what it captures to a HOMER server as it goes:
// replaying the seed capture sends what analyze --hep-send sends for it.
func TestLiveHEPSend(t *testing.T) {
	sink, offline := mirrorSeed(t)
	want := offline.Capture.HEPSent
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 65535)
		n := 0
		for n < 2*want {
			_ = sink.SetReadDeadline(time.Now().Add(2 * time.Second))
			k, _, err := sink.ReadFrom(buf)
			if err != nil {
				break
			}
			if k > 4 && string(buf[:4]) == "HEP3" {
				n++
			}
		}
		got <- n
	}()
	var out, errOut bytes.Buffer
	opts := &liveOptions{Format: "text", RingSize: "1MiB", Snaplen: 65535, source: replaySource(t, seed), now: epoch,
		Interface: "replay", HEPSend: sink.LocalAddr().String()}
	if err := runLive(context.Background(), &streams{Out: &out, Err: &errOut}, opts); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n != 2*want {
		t.Errorf("the sink got %d HEPv3 packets from analyze and live, want %d each", n, want)
	}
	if line := fmt.Sprintf("sipscope: mirrored %d packets to %s as HEPv3", want, sink.LocalAddr()); !strings.Contains(errOut.String(), line) {
		t.Errorf("stderr lacks %q:\n%s", line, errOut.String())
	}
}

// mirrorSeed opens a UDP socket on 127.0.0.1 (closed when the test ends)
// and mirrors the seed capture to it with analyze's --hep-send.
func mirrorSeed(t *testing.T) (net.PacketConn, *sipscope.Result) {
	t.Helper()
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{seed}, HEPSend: sink.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	return sink, res
}

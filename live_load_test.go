package sipscope_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture/live"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// writeCalls writes a capture of n answered calls, a new one every gap:
// INVITE, 180, 200, ACK, rtp RTP packets each way (20 ms apart), BYE, 200.
// It returns the path and the number of frames.
func writeCalls(t testing.TB, n int, gap time.Duration, rtp int) (string, int) {
	t.Helper()
	t0 := time.Date(2024, 3, 4, 5, 0, 0, 0, time.UTC)
	uac := netip.MustParseAddrPort("10.1.0.1:5060")
	uas := netip.MustParseAddrPort("10.2.0.1:5060")
	var pkts []pcapgen.Packet
	for i := 0; i < n; i++ {
		start := t0.Add(time.Duration(i) * gap)
		id := fmt.Sprintf("load-%d@10.1.0.1", i)
		msg := func(first, cseq string, branch int) []byte {
			return []byte(first + "\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK" + fmt.Sprint(i, "x", branch) +
				"\r\nFrom: <sip:alice@10.1.0.1>;tag=a" + fmt.Sprint(i) + "\r\nTo: <sip:bob@10.2.0.1>" + map[bool]string{true: ";tag=b" + fmt.Sprint(i), false: ""}[first[:3] == "SIP" || cseq != "1 INVITE"] +
				"\r\nCall-ID: " + id + "\r\nCSeq: " + cseq + "\r\nContact: <sip:alice@10.1.0.1:5060>\r\nContent-Length: 0\r\n\r\n")
		}
		at := func(d time.Duration) time.Time { return start.Add(d) }
		pkts = append(pkts,
			pcapgen.Packet{Time: at(0), Src: uac, Dst: uas, Proto: pcapgen.UDP, Payload: msg("INVITE sip:bob@10.2.0.1 SIP/2.0", "1 INVITE", 1)},
			pcapgen.Packet{Time: at(10 * time.Millisecond), Src: uas, Dst: uac, Proto: pcapgen.UDP, Payload: msg("SIP/2.0 180 Ringing", "1 INVITE", 1)},
			pcapgen.Packet{Time: at(20 * time.Millisecond), Src: uas, Dst: uac, Proto: pcapgen.UDP, Payload: msg("SIP/2.0 200 OK", "1 INVITE", 1)},
			pcapgen.Packet{Time: at(30 * time.Millisecond), Src: uac, Dst: uas, Proto: pcapgen.UDP, Payload: msg("ACK sip:bob@10.2.0.1 SIP/2.0", "1 ACK", 2)},
		)
		ra := netip.AddrPortFrom(uac.Addr(), uint16(10000+2*(i%5000)))
		rb := netip.AddrPortFrom(uas.Addr(), uint16(20000+2*(i%5000)))
		payload := make([]byte, 172)
		payload[0], payload[1] = 0x80, 8
		for k := 0; k < rtp; k++ {
			d := 40*time.Millisecond + time.Duration(k)*20*time.Millisecond
			pkts = append(pkts,
				pcapgen.Packet{Time: at(d), Src: ra, Dst: rb, Proto: pcapgen.UDP, Payload: payload},
				pcapgen.Packet{Time: at(d + time.Millisecond), Src: rb, Dst: ra, Proto: pcapgen.UDP, Payload: payload})
		}
		end := 60*time.Millisecond + time.Duration(rtp)*20*time.Millisecond
		pkts = append(pkts,
			pcapgen.Packet{Time: at(end), Src: uac, Dst: uas, Proto: pcapgen.UDP, Payload: msg("BYE sip:bob@10.2.0.1 SIP/2.0", "2 BYE", 3)},
			pcapgen.Packet{Time: at(end + 10*time.Millisecond), Src: uas, Dst: uac, Proto: pcapgen.UDP, Payload: msg("SIP/2.0 200 OK", "2 BYE", 3)},
		)
	}
	// Calls overlap: put the packets in time order, as a capture has them.
	sortPackets(pkts)
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "load.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, len(pkts)
}

func sortPackets(p []pcapgen.Packet) {
	// Insertion into time order; stable, so equal times keep their order.
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Time.Before(p[j-1].Time); j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

// Memory stays bounded however long the capture runs: the call table is
// capped (what the cap flushes early is counted), the final report keeps
// only the most recent calls (the rest are counted by state), and nothing
// else grows with the number of calls.
func TestLiveBoundedOverManyCalls(t *testing.T) {
	const calls = 3000
	path, _ := writeCalls(t, calls, 100*time.Millisecond, 0)
	src, err := live.OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	maxHeld := 0
	res, err := sipscope.Live(context.Background(), sipscope.LiveOptions{
		Options: sipscope.Options{
			Correlate: correlate.Options{MaxCalls: 100},
			OnEvent:   func(correlate.Event) {},
		},
		Source: src, ReportCalls: 50,
		OnStats: func(st sipscope.LiveStats) { maxHeld = max(maxHeld, st.Held) }, StatsEvery: time.Nanosecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if maxHeld > 100 {
		t.Errorf("%d calls held at once, above the cap of 100", maxHeld)
	}
	if len(res.Model.Calls) != 50 || res.CallsNotKept != calls-50 {
		t.Errorf("report keeps %d calls and counts %d not kept; want 50 and %d", len(res.Model.Calls), res.CallsNotKept, calls-50)
	}
	if res.States[correlate.StateCompleted] != calls {
		t.Errorf("states %v, want %d completed", res.States, calls)
	}
	// 10 calls a second held for the 32 s grace is 320 > 100: the cap
	// must have flushed some early, and said so.
	if res.Stats.Evicted == 0 {
		t.Error("no call counted as evicted, though the table was full")
	}
}

// BenchmarkLive measures the live loop on answered calls with RTP: replay,
// decode, correlate, diagnose and writing the SIP frames to rotating files.
func BenchmarkLive(b *testing.B) {
	path, frames := writeCalls(b, 200, 50*time.Millisecond, 50)
	dir := b.TempDir()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		src, err := live.OpenReplay(path)
		if err != nil {
			b.Fatal(err)
		}
		w, err := live.NewRotator(live.RotateOptions{Dir: filepath.Join(dir, fmt.Sprint(i)), Size: 1 << 20, LinkType: src.LinkType()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sipscope.Live(context.Background(), sipscope.LiveOptions{Source: src, Writer: w}); err != nil {
			b.Fatal(err)
		}
		src.Close()
	}
	b.StopTimer()
	el := b.Elapsed().Seconds()
	b.ReportMetric(float64(frames*b.N)/el, "frames/s")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}

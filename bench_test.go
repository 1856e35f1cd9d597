package sipscope_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

var benchCorpus struct {
	once  sync.Once
	data  []byte
	stats carrier.Stats
}

// benchCorpusFile writes the benchmark corpus (1000 calls, seed 1: about
// 110,000 frames, 93% RTP) to a temporary file, generating it once per
// process.
func benchCorpusFile(b *testing.B) (string, carrier.Stats) {
	b.Helper()
	benchCorpus.once.Do(func() {
		var buf bytes.Buffer
		st, err := carrier.Write(&buf, carrier.Config{Calls: 1000, Seed: 1})
		if err != nil {
			panic(err)
		}
		benchCorpus.data, benchCorpus.stats = buf.Bytes(), st
	})
	path := filepath.Join(b.TempDir(), "corpus.pcap")
	if err := os.WriteFile(path, benchCorpus.data, 0o644); err != nil {
		b.Fatal(err)
	}
	return path, benchCorpus.stats
}

// BenchmarkAnalyzeCorpus runs the whole pipeline over the corpus,
// streaming as `sipscope analyze` does on a big capture (HoldCalls 1); one
// op is one pass, frames/s the throughput and frames/cpu-s the throughput
// per core of CPU time, which other work on a shared machine distorts less.
func BenchmarkAnalyzeCorpus(b *testing.B) {
	path, st := benchCorpusFile(b)
	b.SetBytes(int64(len(benchCorpus.data)))
	b.ReportAllocs()
	calls := 0
	cpu0 := cpuTime()
	for b.Loop() {
		_, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, HoldCalls: 1,
			OnCall: func(*correlate.Call, []diagnose.Finding) { calls++ }})
		if err != nil {
			b.Fatal(err)
		}
	}
	if want := b.N * (st.Calls + st.Registrations + st.Options); calls != want {
		b.Fatalf("%d calls streamed, want %d", calls, want)
	}
	b.ReportMetric(float64(st.Frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(st.Frames)*float64(b.N)/(cpuTime()-cpu0).Seconds(), "frames/cpu-s")
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMemoryPerCall streams the corpus through a Pipeline and measures,
// at intervals, the live heap against the calls held (in progress or in
// their grace period): bytes/call is what one concurrent call costs. One op
// is one pass over the corpus.
func BenchmarkMemoryPerCall(b *testing.B) {
	path, _ := benchCorpusFile(b)
	b.ReportAllocs()
	var perCall, held float64
	for b.Loop() {
		set, err := capture.OpenAll([]string{path})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		p := sipscope.NewPipeline(sipscope.Options{OnCall: func(*correlate.Call, []diagnose.Finding) {}})
		var samples int
		perCall, held = 0, 0
		for n := 1; ; n++ {
			f, err := set.Next()
			if err != nil {
				break
			}
			p.Frame(f)
			if n%20000 == 0 && p.HeldCalls() > 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				perCall += float64(ms.HeapAlloc-base) / float64(p.HeldCalls())
				held += float64(p.HeldCalls())
				samples++
			}
		}
		if _, err := p.Finish(set.Files(), set.Problems()); err != nil {
			b.Fatal(err)
		}
		set.Close()
		perCall /= float64(samples)
		held /= float64(samples)
	}
	b.ReportMetric(perCall, "bytes/call")
	b.ReportMetric(held, "calls-held")
}

// Command corpus writes a carrier-like benchmark capture (see package
// internal/corpus/carrier):
//
//	go run ./internal/corpus -calls 5000 -seed 1 -o bench/bench.pcap
//
// The same flags always give the same file. It prints what it generated, so
// a benchmark run can state its corpus.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

func main() {
	var cfg carrier.Config
	out := flag.String("o", "", "output pcap file (required)")
	flag.IntVar(&cfg.Calls, "calls", 5000, "INVITE calls")
	flag.Uint64Var(&cfg.Seed, "seed", 1, "random seed")
	flag.Float64Var(&cfg.CallsPerSecond, "cps", 50, "call arrival rate, calls per second")
	flag.IntVar(&cfg.Registrations, "registrations", 0, "REGISTER flows (default calls/4)")
	flag.IntVar(&cfg.Options, "options", 0, "OPTIONS pings (default calls/4)")
	flag.DurationVar(&cfg.MeanTalk, "talk", 0, "mean talk time of answered calls (default 1.5s)")
	flag.Float64Var(&cfg.Loss, "loss", 0, "RTP loss probability (default 0.005)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

func run(path string, cfg carrier.Config) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	began := time.Now()
	st, err := carrier.Write(f, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %d frames (%.1f%% RTP, %d SIP), %.1f MB, %s of traffic, written in %s\n",
		path, st.Frames, 100*st.RTPShare(), st.SIPMessages, float64(info.Size())/1e6,
		st.End.Sub(st.Start).Round(time.Second), time.Since(began).Round(time.Millisecond))
	fmt.Printf("  calls %d: completed %d, rejected %d, cancelled %d, timed out %d; at most %d in progress at once\n",
		st.Calls, st.Completed, st.Rejected, st.Cancelled, st.TimedOut, st.MaxConcurrent)
	fmt.Printf("  registrations %d (%d OK), OPTIONS %d, SIP retransmissions %d, RTP lost %d\n",
		st.Registrations, st.RegisterOK, st.Options, st.Retransmissions, st.RTPLost)
	return nil
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newAnalyzeCmd) }

type analyzeOptions struct {
	Files          []string
	Format         string
	HEPSend        string
	KeepDuplicates bool
	Limit          int
	HoldCalls      int
}

func newAnalyzeCmd(io *streams) *cobra.Command {
	opts := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze FILE...",
		Short: "One-screen overview: capture summary, registrations, calls and findings",
		Example: `  sipscope analyze testdata/freeswitch-nat.pcap
  zcat big.pcap.gz | sipscope analyze -
  sipscope analyze --hep-send homer.example.net:9060 trunk.pcap`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runAnalyze(io, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&opts.HEPSend, "hep-send", "", "mirror every SIP message and RTCP packet to a HOMER server at HOST:PORT as HEPv3 over UDP")
	cmd.Flags().BoolVar(&opts.KeepDuplicates, "keep-duplicates", false, "keep identical packets seen twice within 5 ms (dropped by default as capture duplicates, e.g. -i any on bridges)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "list at most this many registrations, calls and findings, the first by start (0: all; json lists all)")
	cmd.Flags().IntVar(&opts.HoldCalls, "hold-calls", sipscope.DefaultHoldCalls, "analyse a capture whole while it holds at most this many calls at once; past it, stream: each call diagnosed as it finishes, then forgotten, so memory stays bounded")
	return cmd
}

// runAnalyze streams the analysis of a capture with many calls at once
// (sipscope.AnalyzeOverview), so that memory follows the calls in progress
// rather than the size of the capture.
func runAnalyze(io *streams, opts *analyzeOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	if opts.Limit < 0 {
		return fmt.Errorf("--limit %d: want 0 (all) or more", opts.Limit)
	}
	if opts.HoldCalls < 1 {
		return fmt.Errorf("--hold-calls %d: want at least 1", opts.HoldCalls)
	}
	so := sipscope.Options{Files: opts.Files, HEPSend: opts.HEPSend, KeepDuplicates: opts.KeepDuplicates,
		HoldCalls: opts.HoldCalls}
	if err := applyRootFlags(&so); err != nil {
		return err
	}
	tuneStreamingGC()
	if opts.Format == "json" {
		res, err := writeJSONStreamed(io, so)
		if err == nil {
			hepNote(io, opts, res)
		}
		return err
	}
	res, tally, err := sipscope.AnalyzeOverview(so, opts.Limit)
	if err != nil {
		return err
	}
	hepNote(io, opts, res)
	report.CaptureText(io.Out, &res.Capture)
	fmt.Fprintln(io.Out)
	if noSIP(io.Out, res) {
		return nil
	}
	return report.OverviewTally(io.Out, res, tally, opts.Limit)
}

func hepNote(io *streams, opts *analyzeOptions, res *sipscope.Result) {
	if opts.HEPSend == "" {
		return
	}
	fmt.Fprintf(io.Err, "sipscope: mirrored %d packets to %s as HEPv3", res.Capture.HEPSent, opts.HEPSend)
	if res.Capture.HEPErrors > 0 {
		fmt.Fprintf(io.Err, "; %d not sent: %s", res.Capture.HEPErrors, res.Capture.HEPError)
	}
	fmt.Fprintln(io.Err)
}

// writeJSONStreamed analyses as so says and writes the JSON report of every
// call; a capture with more than so.HoldCalls calls held at once is
// streamed, each call converted to JSON as it finishes and its messages
// forgotten.
func writeJSONStreamed(io *streams, so sipscope.Options) (*sipscope.Result, error) {
	js := report.NewJSONCallStream(so.Files, false)
	so.OnCall = func(c *correlate.Call, _ []diagnose.Finding) { js.Add(c) }
	res, err := sipscope.Analyze(so)
	if err != nil {
		return nil, err
	}
	return res, report.WriteJSON(io.Out, js.Report(res))
}

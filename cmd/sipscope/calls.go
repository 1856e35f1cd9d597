package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newCallsCmd) }

type callsOptions struct {
	Files     []string
	Format    string
	HoldCalls int
}

func newCallsCmd(io *streams) *cobra.Command {
	opts := &callsOptions{}
	cmd := &cobra.Command{
		Use:   "calls FILE...",
		Short: "List calls, registrations and other SIP conversations",
		Example: `  sipscope calls testdata/freeswitch-nat.pcap
  sipscope calls --format json a.pcap b.pcapng.gz
  sipscope calls --format csv capture.pcap > calls.csv`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runCalls(io, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table, json or csv (formula-safe for spreadsheets)")
	cmd.Flags().IntVar(&opts.HoldCalls, "hold-calls", sipscope.DefaultHoldCalls, "hold a capture whole while it has at most this many calls at once; past it, stream: each call listed as it finishes, its messages forgotten")
	return cmd
}

// runCalls lists every call. A capture with more than --hold-calls calls at
// once is streamed: each call becomes its row (or its JSON) as it finishes
// and its messages are forgotten, so memory follows the calls in progress
// plus a row per call.
func runCalls(io *streams, opts *callsOptions) error {
	if err := checkFormat(opts.Format, "table", "json", "csv"); err != nil {
		return err
	}
	if opts.HoldCalls < 1 {
		return fmt.Errorf("--hold-calls %d: want at least 1", opts.HoldCalls)
	}
	so := sipscope.Options{Files: opts.Files, HoldCalls: opts.HoldCalls}
	if err := applyRootFlags(&so); err != nil {
		return err
	}
	tuneStreamingGC()
	if opts.Format == "json" {
		_, err := writeJSONStreamed(io, so)
		return err
	}
	var rows []report.CallRow
	so.OnCall = func(c *correlate.Call, _ []diagnose.Finding) { rows = append(rows, report.RowOf(c)) }
	res, err := sipscope.Analyze(so)
	if err != nil {
		return err
	}
	rows = append(rows, report.RowsOf(res.Model.Calls)...)
	report.SortRows(rows)
	if opts.Format == "csv" {
		return report.CallRowsCSV(io.Out, rows)
	}
	if noSIP(io.Out, res) {
		return nil
	}
	return report.CallRowsTable(io.Out, rows)
}

package main

import (
	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newCallsCmd) }

type callsOptions struct {
	Files  []string
	Format string
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
	return cmd
}

func runCalls(io *streams, opts *callsOptions) error {
	if err := checkFormat(opts.Format, "table", "json", "csv"); err != nil {
		return err
	}
	if opts.Format == "json" {
		// Streamed as analyze's: memory follows the calls in progress and
		// the JSON being built, not the capture's length.
		so := sipscope.Options{Files: opts.Files, HoldCalls: sipscope.DefaultHoldCalls}
		if err := applyRootFlags(&so); err != nil {
			return err
		}
		tuneStreamingGC()
		_, err := writeJSONStreamed(io, so)
		return err
	}
	res, err := analyze(opts.Files)
	if err != nil {
		return err
	}
	if opts.Format == "csv" {
		return report.CallsCSV(io.Out, res.Model.Calls)
	}
	if noSIP(io.Out, res) {
		return nil
	}
	return report.CallsTable(io.Out, res.Model.Calls)
}

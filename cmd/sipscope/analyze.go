package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope/report"
)

func init() { register(newAnalyzeCmd) }

type analyzeOptions struct {
	Files  []string
	Format string
}

func newAnalyzeCmd(io *streams) *cobra.Command {
	opts := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze FILE...",
		Short: "One-screen overview: capture summary, registrations, calls and findings",
		Example: `  sipscope analyze testdata/freeswitch-nat.pcap
  zcat big.pcap.gz | sipscope analyze -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runAnalyze(io, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func runAnalyze(io *streams, opts *analyzeOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	res, err := analyze(opts.Files)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return report.WriteJSON(io.Out, report.BuildJSON(res, res.Model.Calls, false))
	}
	report.CaptureText(io.Out, &res.Capture)
	fmt.Fprintln(io.Out)
	if noSIP(io.Out, res) {
		return nil
	}
	return report.Overview(io.Out, res)
}

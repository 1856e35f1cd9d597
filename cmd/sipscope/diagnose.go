package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope/report"
)

func init() { register(newDiagnoseCmd) }

type diagnoseOptions struct {
	Files  []string
	Calls  []string
	Format string
}

func newDiagnoseCmd(io *streams) *cobra.Command {
	opts := &diagnoseOptions{}
	cmd := &cobra.Command{
		Use:   "diagnose FILE...",
		Short: "Name what went wrong, with the frames as evidence and what to change",
		Long: `diagnose runs every rule over the correlated capture and prints its findings,
worst first: a stable id, a severity (error, warning, info), one sentence with the
addresses, counts and times, the frames to look at in Wireshark, and the fix.`,
		Example: `  sipscope diagnose testdata/freeswitch-nat.pcap
  sipscope diagnose capture.pcap --call dda811eb --format json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runDiagnose(io, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Calls, "call", nil, "only findings about this Call-ID (or a unique prefix); repeatable")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	return cmd
}

func runDiagnose(io *streams, opts *diagnoseOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	res, err := analyze(opts.Files)
	if err != nil {
		return err
	}
	calls, err := selectCalls(res.Model, opts.Calls)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		return report.WriteJSON(io.Out, report.BuildDiagnoseJSON(res, calls))
	}
	report.CaptureText(io.Out, &res.Capture)
	fmt.Fprintln(io.Out)
	if noSIP(io.Out, res) {
		return nil
	}
	report.DiagnoseText(io.Out, report.FindingsFor(res, calls), len(calls))
	return nil
}

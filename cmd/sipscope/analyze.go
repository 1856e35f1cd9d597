package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newAnalyzeCmd) }

type analyzeOptions struct {
	Files          []string
	Format         string
	HEPSend        string
	KeepDuplicates bool
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
	return cmd
}

func runAnalyze(io *streams, opts *analyzeOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	res, err := analyzeWith(sipscope.Options{Files: opts.Files, HEPSend: opts.HEPSend, KeepDuplicates: opts.KeepDuplicates})
	if err != nil {
		return err
	}
	if opts.HEPSend != "" {
		fmt.Fprintf(io.Err, "sipscope: mirrored %d packets to %s as HEPv3", res.Capture.HEPSent, opts.HEPSend)
		if res.Capture.HEPErrors > 0 {
			fmt.Fprintf(io.Err, "; %d not sent: %s", res.Capture.HEPErrors, res.Capture.HEPError)
		}
		fmt.Fprintln(io.Err)
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

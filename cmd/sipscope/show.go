package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope/report"
)

func init() { register(newShowCmd) }

type showOptions struct {
	Files  []string
	Calls  []string
	Raw    bool
	Format string
}

func newShowCmd(io *streams) *cobra.Command {
	opts := &showOptions{}
	cmd := &cobra.Command{
		Use:   "show FILE... --call ID",
		Short: "Show every message of a call in time order",
		Example: `  sipscope show testdata/freeswitch-nat.pcap --call dda811eb
  sipscope show capture.pcap --call 'a84b4c76e66710' --raw`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runShow(io, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Calls, "call", nil, "Call-ID (or a unique prefix) to show; repeatable")
	cmd.Flags().BoolVar(&opts.Raw, "raw", false, "print the full text of every message")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	_ = cmd.MarkFlagRequired("call")
	return cmd
}

func runShow(io *streams, opts *showOptions) error {
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
		return report.WriteJSON(io.Out, report.BuildJSON(res, calls, opts.Raw))
	}
	for i, c := range calls {
		if i > 0 {
			fmt.Fprintln(io.Out)
		}
		fmt.Fprintf(io.Out, "Call-ID %s  %s  %s -> %s  %s\n", report.Clean(c.CallID, false), report.Clean(c.Kind, false),
			report.Clean(c.From, false), report.Clean(c.To, false), report.State(c))
		if opts.Raw {
			report.RawMessages(io.Out, c)
			continue
		}
		if err := report.MessagesTable(io.Out, res, c); err != nil {
			return err
		}
	}
	return nil
}

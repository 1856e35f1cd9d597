package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newRTPCmd) }

type rtpOptions struct {
	Files     []string
	Calls     []string
	Format    string
	Heuristic bool
}

func newRTPCmd(io *streams) *cobra.Command {
	opts := &rtpOptions{}
	cmd := &cobra.Command{
		Use:   "rtp FILE... [--call ID]",
		Short: "RTP streams of each call: loss, jitter, MOS as Wireshark measures them; DTMF; one-way audio",
		Long: `rtp lists every RTP stream the SDP in the capture announced (or, with --heuristic,
any UDP flow that looks like RTP), bound to its call, with the figures of
Wireshark's RTP stream analysis: packets, loss, max delta, mean and max jitter,
skew; an estimated MOS (ITU-T G.107 E-model); what RTCP reported; the call's DTMF;
and the media findings (one-way audio, no audio, loss, jitter, codec mismatch).`,
		Example: `  sipscope rtp testdata/freeswitch-nat.pcap
  sipscope rtp capture.pcap --call dda811eb --format json
  sipscope rtp --heuristic capture-without-sip.pcap`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runRTP(io, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Calls, "call", nil, "Call-ID (or a unique prefix) whose streams to show; repeatable")
	cmd.Flags().StringVar(&opts.Format, "format", "table", "output format: table or json")
	cmd.Flags().BoolVar(&opts.Heuristic, "heuristic", false, "also find RTP on flows no SDP in the capture announced")
	return cmd
}

func runRTP(io *streams, opts *rtpOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	res, err := analyzeWith(sipscope.Options{Files: opts.Files, HeuristicRTP: opts.Heuristic})
	if err != nil {
		return err
	}
	var calls []*correlate.Call
	if len(opts.Calls) > 0 {
		if calls, err = selectCalls(res.Model, opts.Calls); err != nil {
			return err
		}
	}
	streams := report.MediaStreams(res, calls)
	if opts.Format == "json" {
		return report.WriteJSON(io.Out, report.BuildMediaJSON(res, streams, calls))
	}
	if err := report.MediaText(io.Out, res, streams, calls); err != nil {
		return err
	}
	if len(res.Model.Streams) == 0 && res.Model.Media.UnmatchedRTP > 0 && !opts.Heuristic {
		fmt.Fprintf(io.Out, "\n%d datagrams look like RTP on flows no SDP announced: try --heuristic.\n", res.Model.Media.UnmatchedRTP)
	}
	return nil
}

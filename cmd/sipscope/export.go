package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope/report/export"
)

func init() { register(newExportCmd) }

type exportOptions struct {
	Files   []string
	Calls   []string
	Related bool
	Write   string
}

func newExportCmd(io *streams) *cobra.Command {
	opts := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export FILE... --call ID -w OUT.pcap",
		Short: "Write a call's frames (SIP, RTP/RTCP, ICMP) to a new capture file",
		Long: `export copies the frames of one call, or of several with repeated --call, into a
new capture with their original bytes and timestamps: every SIP message (all
the TCP segments that carried it), the RTP and RTCP sent to or from the
addresses its SDP announced, and the ICMP errors that answered either. The
output is pcap (nanosecond timestamps), or pcapng when OUT ends in .pcapng.`,
		Example: `  sipscope export testdata/freeswitch-nat.pcap --call dda811eb -w call.pcap
  sipscope export a.pcap b.pcap --call a84b4c76 --related -w legs.pcapng`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			return runExport(io, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Calls, "call", nil, "Call-ID (or a unique prefix) to export; repeatable")
	cmd.Flags().BoolVar(&opts.Related, "related", false, "add legs linked by X-Call-ID, X-CID, Session-ID or shared SDP media")
	cmd.Flags().StringVarP(&opts.Write, "write", "w", "", "file to write (- for standard output)")
	_ = cmd.MarkFlagRequired("call")
	_ = cmd.MarkFlagRequired("write")
	return cmd
}

func runExport(out *streams, opts *exportOptions) error {
	res, err := analyze(opts.Files)
	if err != nil {
		return err
	}
	calls, err := legs(res.Model, opts.Calls, opts.Related)
	if err != nil {
		return err
	}
	format := export.PCAP
	if strings.HasSuffix(strings.ToLower(opts.Write), ".pcapng") {
		format = export.PCAPNG
	}
	var st export.Stats
	err = writeOutput(out, opts.Write, func(w io.Writer) error {
		var err error
		st, err = export.Write(opts.Files, export.Select(res.Model, calls), w, format)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out.Err, "wrote %d frames of %d call(s) to %s: %d SIP, %d more TCP segments, %d RTP/RTCP, %d ICMP\n",
		st.Frames, len(calls), opts.Write, st.SIP, st.Segment, st.Media, st.ICMP)
	return nil
}

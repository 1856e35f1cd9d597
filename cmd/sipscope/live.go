package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture/live"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode/hep"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newLiveCmd) }

type liveOptions struct {
	Interface   string
	Ports       []string
	PortRanges  []string
	Filter      string
	Format      string
	WriteDir    string
	RotateSize  string
	RotateTime  time.Duration
	Keep        int
	Duration    time.Duration
	Count       int
	User        string
	Promisc     bool
	RingSize    string
	Snaplen     int
	StatsEvery  time.Duration
	ReportCalls int
	AllEvents   bool
	HEPListen   string
	HEPSend     string

	// For tests: source replaces the interface; ready is called once the
	// capture runs.
	source live.Source
	ready  func()
	now    func() time.Time
}

func newLiveCmd(io *streams) *cobra.Command {
	opts := &liveOptions{}
	cmd := &cobra.Command{
		Use:   "live -i IFACE | --hep-listen ADDR",
		Short: "Sniff an interface: stream calls and findings, keep rotating captures",
		Long: `live captures on a network interface (Linux AF_PACKET, no libpcap needed) and
prints one line per call event (new, ringing, answered, ended, failed, finished)
and per finding as it fires. Ctrl-C (SIGINT) or SIGTERM prints the same report as
"analyze" and exits 0.

The kernel filters before copying: --port and --port-range select TCP/UDP ports;
IP fragments and ICMP always pass. With --port alone, UDP on every port passes so
that RTP is seen wherever the SDP puts it; add --port-range with the media range
to narrow it. --filter takes a tcpdump expression instead, compiled by libpcap
through the tcpdump program (which must be installed).

-w DIR keeps rotating pcap files of the frames the analysis used (SIP, ICMP
errors, fragments; RTP once media analysis marks it): frame numbers printed
are the frame numbers in those files. Needs root or CAP_NET_RAW; --user drops
root after the socket is open.

--hep-listen ADDR receives HEP (v2/v3) from HOMER capture agents (heplify,
Kamailio siptrace, FreeSWITCH, OpenSIPS, sngrep -H) instead of sniffing: each
packet is analysed with the addresses and capture time the agent recorded,
and -w writes it as UDP to ADDR's port, which Wireshark decodes as HEP.`,
		Example: `  sipscope live -i eth0 --port 5060,5080 --port-range 16384-32768 -w /var/tmp/sip --keep 48 --user nobody
  sipscope live -i any --port 5060 --format ndjson --duration 1h
  sipscope live --hep-listen :9060 -w /var/tmp/hep`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runLive(ctx, io, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Interface, "interface", "i", "", `interface to capture on, or "any"`)
	f.StringSliceVar(&opts.Ports, "port", nil, "TCP/UDP ports to capture, e.g. 5060,5080")
	f.StringSliceVar(&opts.PortRanges, "port-range", nil, "TCP/UDP port ranges to capture, e.g. 10000-20000")
	f.StringVar(&opts.Filter, "filter", "", "tcpdump filter expression instead of --port (needs tcpdump to compile it)")
	f.StringVar(&opts.Format, "format", "text", "output format: text or ndjson")
	f.StringVarP(&opts.WriteDir, "write", "w", "", "write rotating pcap files of SIP (and RTP of known calls) to this directory")
	f.StringVar(&opts.RotateSize, "rotate-size", "100MB", "start a new file past this size (0: no limit)")
	f.DurationVar(&opts.RotateTime, "rotate-time", time.Hour, "start a new file after this long (0: no limit)")
	f.IntVar(&opts.Keep, "keep", 24, "keep the newest N files written by this run (0: all)")
	f.DurationVar(&opts.Duration, "duration", 0, "stop after this long, e.g. 1h (0: until interrupted)")
	f.IntVar(&opts.Count, "count", 0, "stop after this many frames (0: no limit)")
	f.StringVar(&opts.User, "user", "", "drop root to this user once the socket is open (like tcpdump -Z)")
	f.BoolVar(&opts.Promisc, "promisc", false, "put the interface in promiscuous mode (SPAN/mirror ports)")
	f.StringVar(&opts.RingSize, "ring-size", "32MiB", "kernel ring buffer size; larger absorbs longer bursts")
	f.IntVar(&opts.Snaplen, "snaplen", live.DefaultSnaplen, "bytes kept of each packet")
	f.DurationVar(&opts.StatsEvery, "stats-every", 10*time.Second, "print capture statistics on stderr this often (0: never)")
	f.IntVar(&opts.ReportCalls, "report-calls", sipscope.DefaultReportCalls, "finished calls kept for the final report (memory bound)")
	f.BoolVar(&opts.AllEvents, "all-events", false, "print events of every Call-ID (registrations, OPTIONS, ...), not only calls")
	f.StringVar(&opts.HEPSend, "hep-send", "", "mirror every SIP message and RTCP packet to a HOMER server at HOST:PORT as HEPv3 over UDP, as it is captured")
	f.StringVar(&opts.HEPListen, "hep-listen", "", "receive HEP from HOMER agents on this UDP address (e.g. :9060) instead of capturing on an interface")
	return cmd
}

func runLive(ctx context.Context, io *streams, opts *liveOptions) error {
	if err := checkFormat(opts.Format, "text", "ndjson"); err != nil {
		return err
	}
	lo, err := liveCaptureOptions(opts)
	if err != nil {
		return err
	}
	src := opts.source
	what := lo.Filter.String()
	if opts.Filter != "" {
		what = fmt.Sprintf("%q (compiled by libpcap), IP fragments, ICMP", opts.Filter)
	}
	name := opts.Interface + " (live)"
	switch {
	case src != nil:
	case opts.HEPListen != "":
		hs, err := live.ListenHEP(opts.HEPListen)
		if err != nil {
			return err
		}
		hs.Stamp = hepTime
		src, name = hs, "HEP on "+hs.Addr().String()+" (live)"
		fmt.Fprintf(io.Err, "sipscope: receiving HEP on udp %s\n", hs.Addr())
	default:
		ifc, err := live.Open(lo)
		if err != nil {
			return err
		}
		src = ifc
	}
	defer src.Close()
	if opts.User != "" {
		if err := live.DropPrivileges(opts.User); err != nil {
			return err
		}
	}
	if ifc, ok := src.(*live.Interface); ok {
		framing := "Ethernet frames"
		if ifc.Link().Cooked {
			framing = "cooked: IP packets without link headers"
		}
		fmt.Fprintf(io.Err, "sipscope: capturing on %s (%s); filter: %s\n", opts.Interface, framing, what)
	}
	var w *live.Rotator
	if opts.WriteDir != "" {
		size, err := live.ParseSize(opts.RotateSize)
		if err != nil {
			return fmt.Errorf("--rotate-size: %w", err)
		}
		w, err = live.NewRotator(live.RotateOptions{Dir: opts.WriteDir, Size: size, Every: opts.RotateTime,
			Keep: opts.Keep, LinkType: src.LinkType(), Snaplen: lo.Snaplen})
		if err != nil {
			return err
		}
		fmt.Fprintf(io.Err, "sipscope: writing to %s\n", opts.WriteDir)
	}

	var files func() []string
	if w != nil {
		files = w.Files
	} else {
		files = func() []string { return nil }
	}
	ndjson := opts.Format == "ndjson"
	var outErr error
	emit := func(v any) {
		if err := report.WriteNDJSON(io.Out, v); err != nil && outErr == nil {
			outErr = err
		}
	}
	lopts := sipscope.LiveOptions{
		Options: sipscope.Options{
			HEPSend: opts.HEPSend,
			OnEvent: func(ev correlate.Event) {
				if !opts.AllEvents && ev.Call.Kind != correlate.KindCall {
					return
				}
				if ndjson {
					emit(report.BuildLiveEvent(ev, files()))
				} else {
					report.LiveEventText(io.Out, ev, files())
				}
			},
			OnCall: func(c *correlate.Call, fs []diagnose.Finding) {
				for _, f := range fs {
					if ndjson {
						emit(report.JSONLiveFinding{Type: "finding", Finding: f})
					} else {
						report.LiveFindingText(io.Out, c.End, f)
					}
				}
			},
		},
		Source: src, Name: name, Writer: w, Now: opts.now,
		Count: opts.Count, Duration: opts.Duration,
		StatsEvery: opts.StatsEvery, ReportCalls: opts.ReportCalls,
		OnStats: func(st sipscope.LiveStats) { report.LiveStatsText(io.Err, st) },
	}
	if err := limits.apply(&lopts.Options); err != nil {
		return err
	}
	if opts.ready != nil {
		opts.ready()
	}
	lr, runErr := sipscope.Live(ctx, lopts)
	if lr == nil {
		return runErr
	}
	if opts.HEPSend != "" {
		fmt.Fprintf(io.Err, "sipscope: mirrored %d packets to %s as HEPv3", lr.Capture.HEPSent, opts.HEPSend)
		if lr.Capture.HEPErrors > 0 {
			fmt.Fprintf(io.Err, "; %d not sent: %s", lr.Capture.HEPErrors, report.Clean(lr.Capture.HEPError, false))
		}
		fmt.Fprintln(io.Err)
	}
	if ndjson {
		emit(report.BuildLiveReport(lr))
	} else if err := report.LiveSummary(io.Out, lr); err != nil {
		return err
	}
	return errors.Join(runErr, outErr)
}

// liveCaptureOptions turns the flags into capture options.
func liveCaptureOptions(opts *liveOptions) (live.Options, error) {
	lo := live.Options{Interface: opts.Interface, Promiscuous: opts.Promisc, Snaplen: opts.Snaplen}
	if opts.Snaplen <= 0 || opts.Snaplen > live.DefaultSnaplen {
		return lo, fmt.Errorf("--snaplen %d: want 1 to %d", opts.Snaplen, live.DefaultSnaplen)
	}
	ring, err := live.ParseSize(opts.RingSize)
	if err != nil {
		return lo, fmt.Errorf("--ring-size: %w", err)
	}
	lo.RingSize = int(ring)
	if lo.Filter.Ports, err = live.ParsePorts(opts.Ports); err != nil {
		return lo, err
	}
	if lo.Filter.Ranges, err = live.ParsePortRanges(opts.PortRanges); err != nil {
		return lo, err
	}
	if opts.Filter != "" {
		if !lo.Filter.Empty() {
			return lo, errors.New("give --filter or --port/--port-range, not both")
		}
		if lo.Program, err = live.CompileExpr(opts.Filter); err != nil {
			return lo, err
		}
	}
	if opts.HEPListen != "" {
		if opts.Interface != "" || !lo.Filter.Empty() || opts.Filter != "" || opts.Promisc {
			return lo, errors.New("--hep-listen receives HEP instead of capturing: give it without -i, --port, --port-range, --filter and --promisc")
		}
		return lo, nil
	}
	if opts.source == nil && opts.Interface == "" {
		return lo, errors.New("live needs an interface (-i NAME, or -i any) or --hep-listen ADDR")
	}
	return lo, nil
}

// hepTime is the capture time a HEP packet carries.
func hepTime(b []byte) (time.Time, bool) {
	var p hep.Packet
	if p.Unmarshal(b) != nil || p.Time.IsZero() {
		return time.Time{}, false
	}
	return p.Time, true
}

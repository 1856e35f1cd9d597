package main

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/report/ladder"
	"github.com/sipscope/sipscope/report/redact"
)

func init() { register(newLadderCmd) }

type ladderOptions struct {
	Files           []string
	Calls           []string
	Related         bool
	Format          string
	Output          string
	ByHost          bool
	Aliases         []string
	AliasFile       string
	Width           int
	ASCII           bool
	CollapseRetrans bool
	Redact          string // "", "users" or "ips"
	NoRedactAuth    bool
}

// Redaction levels of --redact.
const (
	redactUsers = "users"
	redactIPs   = "ips"
)

func newLadderCmd(io *streams) *cobra.Command {
	opts := &ladderOptions{}
	cmd := &cobra.Command{
		Use:   "ladder FILE... --call ID",
		Short: "Draw a call as a ladder diagram: text, Mermaid, PlantUML, SVG or HTML",
		Long: `ladder draws the messages of one call (or the legs of one call with several
--call or --related) as a ladder diagram to paste or attach to a ticket: one
column per address:port (or host), an arrow per message with frame number,
time, SDP summary and retransmission mark, ICMP errors, and the findings of
the analysis at the message they point to.

Digest nonces, cnonces and responses are always masked unless --no-redact-auth.
--redact replaces user parts and phone numbers with stable pseudonyms;
--redact ips replaces addresses too, the same way in every format.`,
		Example: `  sipscope ladder testdata/freeswitch-nat.pcap --call dda811eb
  sipscope ladder capture.pcap --call a84b4c76 --format mermaid -o call.md
  sipscope ladder capture.pcap --call a84b4c76 --related --format html --redact ips -o call.html`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = redactValueFromArgs(cmd, args, &opts.Redact)
			return runLadder(io, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Calls, "call", nil, "Call-ID (or a unique prefix) to draw; repeat for the legs of one call")
	f.BoolVar(&opts.Related, "related", false, "add legs linked by X-Call-ID, X-CID, Session-ID or shared SDP media")
	f.StringVar(&opts.Format, "format", "text", "output format: text, mermaid, plantuml, svg or html")
	f.StringVarP(&opts.Output, "output", "o", "", "write to this file instead of standard output")
	f.BoolVar(&opts.ByHost, "by-host", false, "one column per host instead of per address:port")
	f.StringArrayVar(&opts.Aliases, "alias", nil, "name a column: IP=NAME or IP:PORT=NAME; repeatable")
	f.StringVar(&opts.AliasFile, "alias-file", "", "file of IP=NAME lines (# starts a comment)")
	f.IntVar(&opts.Width, "width", ladder.DefaultWidth, "text: columns to fit in")
	f.BoolVar(&opts.ASCII, "ascii", false, "text: pure ASCII, no box drawing")
	f.BoolVar(&opts.CollapseRetrans, "collapse-retrans", false, "draw retransmissions as one arrow with a count")
	f.StringVar(&opts.Redact, "redact", "", "replace users and phone numbers (--redact), and addresses too (--redact ips)")
	f.Lookup("redact").NoOptDefVal = redactUsers
	f.BoolVar(&opts.NoRedactAuth, "no-redact-auth", false, "show digest nonces, cnonces and responses as captured")
	_ = cmd.MarkFlagRequired("call")
	return cmd
}

// redactValueFromArgs lets "--redact ips" work with a space: a flag with an
// optional value takes none from the next word, so "ips" arrives as a file
// name. It is taken as the level when --redact was given and no file of
// that name exists.
func redactValueFromArgs(cmd *cobra.Command, args []string, level *string) []string {
	if !cmd.Flags().Changed("redact") || *level != redactUsers {
		return args
	}
	out := args[:0:0]
	for _, a := range args {
		if (a == redactIPs || a == redactUsers) && *level == redactUsers {
			if _, err := os.Stat(a); err != nil {
				*level = a
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func ladderFormat(name string) (func(io.Writer, *ladder.Diagram, ladder.TextOptions) error, error) {
	switch name {
	case "text":
		return ladder.Text, nil
	case "mermaid":
		return func(w io.Writer, d *ladder.Diagram, _ ladder.TextOptions) error { return ladder.Mermaid(w, d) }, nil
	case "plantuml":
		return func(w io.Writer, d *ladder.Diagram, _ ladder.TextOptions) error { return ladder.PlantUML(w, d) }, nil
	case "svg":
		return func(w io.Writer, d *ladder.Diagram, _ ladder.TextOptions) error { return ladder.SVG(w, d) }, nil
	case "html":
		return func(w io.Writer, d *ladder.Diagram, _ ladder.TextOptions) error { return ladder.HTML(w, d) }, nil
	}
	return nil, checkFormat(name, "text", "mermaid", "plantuml", "svg", "html")
}

func runLadder(out *streams, opts *ladderOptions) error {
	render, err := ladderFormat(opts.Format)
	if err != nil {
		return err
	}
	red := redact.Options{Auth: !opts.NoRedactAuth}
	switch opts.Redact {
	case "":
	case redactUsers:
		red.Users = true
	case redactIPs:
		red.Users, red.Addrs = true, true
	default:
		return fmt.Errorf("--redact %q: want %s or %s", opts.Redact, redactUsers, redactIPs)
	}
	aliases, err := loadAliases(opts.Aliases, opts.AliasFile)
	if err != nil {
		return err
	}
	res, err := analyze(opts.Files)
	if err != nil {
		return err
	}
	calls, err := legs(res.Model, opts.Calls, opts.Related)
	if err != nil {
		return err
	}
	d := ladder.Build(calls, res.Findings, mediaLines(calls), ladder.Options{
		ByHost: opts.ByHost, Aliases: aliases, CollapseRetrans: opts.CollapseRetrans,
		MultiFile: len(res.Capture.Files) > 1, Redact: red,
	})
	return writeOutput(out, opts.Output, func(w io.Writer) error {
		return render(w, d, ladder.TextOptions{Width: opts.Width, ASCII: opts.ASCII})
	})
}

// mediaLines turns the calls' RTP streams into the ladder's media lines.
func mediaLines(calls []*correlate.Call) []ladder.Media {
	var out []ladder.Media
	for _, c := range calls {
		for _, s := range c.Media.Streams {
			out = append(out, ladder.Media{
				Src: s.Src, Dst: s.Dst, Start: s.Start, End: s.End,
				Proto: "RTP", Codec: s.Codec, Packets: s.Packets, Lost: s.Lost,
				Jitter: time.Duration(s.MeanJitterMS * float64(time.Millisecond)),
			})
		}
	}
	return out
}

// legs picks the calls named by ids and, with related, the legs linked to them.
func legs(m *correlate.Model, ids []string, related bool) ([]*correlate.Call, error) {
	calls, err := selectCalls(m, ids)
	if err != nil {
		return nil, err
	}
	if related {
		calls = append(calls, m.Related(calls)...)
	}
	return calls, nil
}

// writeOutput runs write on the file path, or on standard output when path
// is "" or "-". A file that could not be written completely is removed.
func writeOutput(out *streams, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(out.Out)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// loadAliases reads --alias values and the --alias-file lines, IP=NAME or
// IP:PORT=NAME each; later ones win.
func loadAliases(flags []string, file string) (map[string]string, error) {
	out := map[string]string{}
	add := func(where, line string) error {
		key, name, ok := strings.Cut(line, "=")
		key, name = strings.TrimSpace(key), strings.TrimSpace(name)
		if !ok || name == "" {
			return fmt.Errorf("%s: %q: want IP=NAME", where, line)
		}
		if a, err := netip.ParseAddr(key); err == nil {
			out[a.Unmap().String()] = name
			return nil
		}
		if ap, err := netip.ParseAddrPort(key); err == nil {
			out[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()] = name
			return nil
		}
		return fmt.Errorf("%s: %q is not an IP address or IP:port", where, key)
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if j := strings.IndexByte(line, '#'); j >= 0 {
				line = line[:j]
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
			if err := add(fmt.Sprintf("%s:%d", file, i+1), line); err != nil {
				return nil, err
			}
		}
	}
	for _, a := range flags {
		if err := add("--alias", a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

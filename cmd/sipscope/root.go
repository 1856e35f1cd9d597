package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
)

// streams is where a command writes.
type streams struct {
	Out, Err io.Writer
}

func newRootCmd(out, errOut io.Writer) *cobra.Command {
	io := &streams{Out: out, Err: errOut}
	root := &cobra.Command{
		Use:   "sipscope",
		Short: "Analyse SIP and RTP packet captures: calls, registrations, and why they broke",
		Long: `sipscope reads pcap and pcapng captures (gzip too, "-" for stdin, several files
merged in time order), finds every SIP message, correlates them into transactions,
dialogs, calls and registrations, and tells you what went wrong.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addLimitFlags(root.PersistentFlags())
	root.SetOut(out)
	root.SetErr(errOut)
	prof := &profiling{}
	prof.flags(root)
	for _, c := range commands {
		root.AddCommand(prof.wrap(c(io)))
	}
	return root
}

// commands holds the constructors of every subcommand; each command's file
// registers itself from init, so adding a command touches only its own file.
var commands []func(*streams) *cobra.Command

func register(c func(*streams) *cobra.Command) { commands = append(commands, c) }

// formatFlag validates --format.
func checkFormat(f string, allowed ...string) error {
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return fmt.Errorf("--format %q: want one of %v", f, allowed)
}

// selectCalls picks the calls named by ids, or all when ids is empty.
func selectCalls(m *correlate.Model, ids []string) ([]*correlate.Call, error) {
	if len(ids) == 0 {
		return m.Calls, nil
	}
	var out []*correlate.Call
	for _, id := range ids {
		found := m.Find(id)
		switch {
		case len(found) == 0:
			return nil, fmt.Errorf("no call with Call-ID %q in the capture", id)
		case len(found) > 1 && found[0].CallID != id:
			return nil, fmt.Errorf("Call-ID prefix %q matches %d calls; give more of it", id, len(found))
		}
		out = append(out, found...)
	}
	return out, nil
}

func analyze(files []string) (*sipscope.Result, error) {
	return analyzeWith(sipscope.Options{Files: files})
}

// analyzeWith runs the analysis with the root command's limit flags and
// --workers applied: every command goes through it, so they hold
// everywhere.
func analyzeWith(opts sipscope.Options) (*sipscope.Result, error) {
	if err := applyRootFlags(&opts); err != nil {
		return nil, err
	}
	return sipscope.Analyze(opts)
}

// applyRootFlags sets the limits and --workers in opts; commands that call
// sipscope themselves (analyze, calls --format json) go through it too.
func applyRootFlags(opts *sipscope.Options) error {
	if err := limits.apply(opts); err != nil {
		return err
	}
	w, err := limits.workers()
	if err != nil {
		return err
	}
	opts.Workers = w
	return nil
}

func noSIP(w io.Writer, res *sipscope.Result) bool {
	if res.Capture.SIPMessages > 0 {
		return false
	}
	fmt.Fprintf(w, "No SIP messages in %d frames.\n", res.Capture.Frames)
	return true
}

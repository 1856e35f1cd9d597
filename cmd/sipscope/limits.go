package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

func init() { register(newLimitsTopic) }

// limitOptions are the resource limits every command that analyses a
// capture obeys. They are flags of the root command, so --help of every
// command shows them with their defaults.
type limitOptions struct {
	MaxCalls        int
	MaxICMP         int
	MaxCallMessages int
	MaxStreams      int
	// Workers is --workers, how many goroutines decode: not a limit, a
	// performance knob every command that analyses files obeys too.
	Workers int
}

// limits holds the values of the root command's limit flags. It is package
// state, like a cobra persistent flag usually is, so that analyze and every
// command's options see the same values without each binding them.
var limits = limitOptions{
	MaxCalls: correlate.DefaultMaxCalls, MaxICMP: correlate.DefaultMaxICMP, MaxCallMessages: correlate.DefaultMaxMessages,
	MaxStreams: correlate.MaxStreams,
}

func addLimitFlags(fs *pflag.FlagSet) {
	fs.IntVar(&limits.MaxCalls, "max-calls", correlate.DefaultMaxCalls,
		"most calls (Call-IDs) held at once; past it the calls idle longest are evicted and counted")
	fs.IntVar(&limits.MaxICMP, "max-icmp", correlate.DefaultMaxICMP,
		"most ICMP errors kept; past it they are counted, not kept")
	fs.IntVar(&limits.MaxCallMessages, "max-call-messages", correlate.DefaultMaxMessages,
		"most SIP messages kept per call; past it they are counted, not kept")
	fs.IntVar(&limits.MaxStreams, "max-streams", correlate.MaxStreams,
		"most RTP streams (SSRCs) measured at once; past it new streams are counted, not measured")
	fs.IntVar(&limits.Workers, "workers", runtime.GOMAXPROCS(0),
		fmt.Sprintf("goroutines decoding capture files, frames shared out by flow; 0 means one per core, at most %d are used, 1 decodes in one; "+
			"the results are the same whatever the number (--hep-send decodes with one)", sipscope.MaxWorkers))
}

// apply checks the limits and sets them in o.
func (l limitOptions) apply(o *sipscope.Options) error {
	if l.MaxCalls < 1 {
		return fmt.Errorf("--max-calls %d: want at least 1", l.MaxCalls)
	}
	if l.MaxICMP < 1 {
		return fmt.Errorf("--max-icmp %d: want at least 1", l.MaxICMP)
	}
	if l.MaxCallMessages < 1 {
		return fmt.Errorf("--max-call-messages %d: want at least 1", l.MaxCallMessages)
	}
	if l.MaxStreams < 1 {
		return fmt.Errorf("--max-streams %d: want at least 1", l.MaxStreams)
	}
	o.Correlate.MaxCalls = l.MaxCalls
	o.Correlate.MaxICMP = l.MaxICMP
	o.Correlate.MaxMessages = l.MaxCallMessages
	o.Correlate.MaxStreams = l.MaxStreams
	return nil
}

// workers returns the number of decoding goroutines --workers asks for.
func (l limitOptions) workers() (int, error) {
	switch {
	case l.Workers < 0:
		return 0, fmt.Errorf("--workers %d: want 0 (one per core) or more", l.Workers)
	case l.Workers == 0:
		return min(runtime.GOMAXPROCS(0), sipscope.MaxWorkers), nil
	}
	return min(l.Workers, sipscope.MaxWorkers), nil
}

// newLimitsTopic is `sipscope help limits`: the limits, their flags, and
// what sipscope does with bad input.
func newLimitsTopic(*streams) *cobra.Command {
	return &cobra.Command{
		Use:   "limits",
		Short: "Resource limits and what sipscope does with bad input",
		Long: fmt.Sprintf(`sipscope reads captures from strangers and traffic from attackers. Its memory
is bounded, it never stops at bad input, and it counts what it skipped.

Limits you can set (flags of every command):
  --max-calls N          calls held at once (default %d). Past it the
                         calls idle longest are evicted: dropped from the
                         listing offline, handed on early when streaming.
                         Counted as calls_evicted.
  --max-call-messages N  SIP messages kept per call (default %d); the rest
                         are counted (messages_dropped), not kept.
  --max-icmp N           ICMP errors kept (default %d); the rest are
                         counted (icmp_dropped).
  --max-streams N        RTP streams (SSRCs) measured at once (default
                         %d); new ones past it are counted
                         (streams_dropped), not measured.

Fixed limits:
  capture record   %d bytes (libpcap's largest snap length); a larger
                   record ends its file as a damaged record
  SIP message      %d bytes; lines %d bytes; %d header lines, %d values
                   per Via/Contact/Route list, %d parameters per value; the
                   rest ignored with a warning
  SIP over TCP     %d bytes buffered per stream without a complete message,
                   then the stream waits for the next message start

Performance: --workers N decodes capture files in N goroutines (default one
per core), frames shared out by flow; the results are the same as with one,
except that the decoder's own bounds (TCP streams, datagrams under
reassembly) hold per worker. The frames in flight between the workers and
their events take under 10 MiB.

Bad input: a truncated or corrupt record ends its file; it is counted as
"damaged capture record" with its frame number, and the frames before it are
analysed. A frame or message that cannot be decoded is counted by reason
under "undecoded" with its frame number (the first %d are listed). A SIP
message cut by the snap length is counted, and analysed when its headers are
whole. Text from packets is escaped before it reaches the terminal: control
characters, ANSI escapes, bidi overrides and invalid UTF-8 show as \xNN or
\uNNNN.`,
			correlate.DefaultMaxCalls, correlate.DefaultMaxMessages, correlate.DefaultMaxICMP, correlate.MaxStreams,
			capture.MaxRecordLength, sip.MaxMessageSize, sip.MaxLineLength, sip.MaxHeaders,
			sip.MaxListItems, sip.MaxParams, sip.MaxMessageSize, decode.MaxProblems),
	}
}

package decode

import (
	"bytes"
	"slices"
	"time"
)

// Several Decoders can share one capture: each decodes the frames of its
// flows (see FlowHash) and is told of the others' frames with Advance, so
// that its capture clock, and with it every time-out, moves frame by frame
// as one Decoder's would. What a Decoder produces for a frame then carries
// a Position, and the events of all the Decoders, merged frame by frame in
// Position order, come in the order one Decoder would have produced them.

// Phase says what a Decoder was doing when it produced an event or counted
// a problem.
type Phase uint8

// Phases, in the order a Decoder goes through them for each frame (the
// first three) and in Flush (the last two).
const (
	// PhaseFrame: decoding the frame given to Decode.
	PhaseFrame Phase = iota
	// PhaseTCPGaps: after a frame, giving up holes in TCP streams that
	// waited longer than TCPGapTimeout.
	PhaseTCPGaps
	// PhaseFragments: after a frame, dropping datagrams whose fragments did
	// not all arrive within FragmentTimeout.
	PhaseFragments
	// PhaseFlushTCP: Flush ending the TCP streams still open.
	PhaseFlushTCP
	// PhaseFlushFragments: Flush dropping the datagrams still incomplete.
	PhaseFlushFragments
)

// Position says where what a Decoder produces falls in its output. Within
// one frame a Decoder's output comes in (Phase, Key) order, and the
// streams or datagrams that Key orders live in one Decoder only, so
// several Decoders' output for one frame merges by (Phase, Key) into one
// Decoder's order.
type Position struct {
	Phase Phase
	// Key orders the streams or datagrams a time-out or Flush goes through:
	// the number of frames the Decoder had seen (decoded or advanced over)
	// when the stream or datagram began. Zero in PhaseFrame.
	Key uint64
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	return p.Phase < q.Phase || p.Phase == q.Phase && p.Key < q.Key
}

// Position returns where the Decoder is in its output: a Handler calls it
// to place the event it is handed.
func (d *Decoder) Position() Position { return d.pos }

// ProblemHandler is what a Handler also implements to be handed each
// problem as it is counted, with the Decoder's Position at that moment:
// what merges the problems of several Decoders into one Decoder's order.
// It sees the problems Stats.Problems keeps, the first MaxProblems.
type ProblemHandler interface {
	HandleProblem(p Problem)
}

// Advance tells the Decoder that a frame it does not decode went by at
// time t: another Decoder, sharing the capture by flow, decodes it. The
// Decoder's clock moves on as if it had decoded the frame, giving up TCP
// holes and dropping incomplete datagrams on the same frame one Decoder
// would have.
func (d *Decoder) Advance(t time.Time) {
	d.advance(t)
}

// advance runs after every frame, decoded or not: cheap unless a sweep is
// due.
func (d *Decoder) advance(t time.Time) {
	d.ticks++
	if t.Before(d.sweepAt) && !t.Before(d.frags.lastSweep) {
		return
	}
	d.sweepGaps(t)
	d.frags.sweep(d, t)
	d.pos = Position{}
	d.sweepAt = d.tcpStreams.nextSweep
	if d.frags.nextSweep.Before(d.sweepAt) {
		d.sweepAt = d.frags.nextSweep
	}
}

// problem counts a problem and, when it is kept, hands it to a
// ProblemHandler.
func (d *Decoder) problem(file, frame int, reason, detail string) {
	if d.Stats.problem(file, frame, reason, detail) && d.problems != nil {
		d.problems.HandleProblem(d.Stats.Problems[len(d.Stats.Problems)-1])
	}
}

// compareFlows orders flow keys, to break ties between streams begun on
// the same frame.
func compareFlows(a, b flowKey) int {
	if c := bytes.Compare(a.src[:], b.src[:]); c != 0 {
		return c
	}
	if c := bytes.Compare(a.dst[:], b.dst[:]); c != 0 {
		return c
	}
	if a.sp != b.sp {
		return int(a.sp) - int(b.sp)
	}
	return int(a.dp) - int(b.dp)
}

// sortStreams puts streams in Position key order.
func sortStreams(ss []*tcpStream) {
	slices.SortFunc(ss, func(a, b *tcpStream) int {
		if a.born != b.born {
			if a.born < b.born {
				return -1
			}
			return 1
		}
		return compareFlows(a.key, b.key)
	})
}

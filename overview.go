package sipscope

import (
	"container/heap"
	"slices"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
)

// DefaultHoldCalls is the Options.HoldCalls of AnalyzeOverview: captures
// with up to this many calls held at once are analysed whole, bigger ones
// are streamed. At a few tens of KiB a finished call it bounds what held
// calls cost to some tens of MiB.
const DefaultHoldCalls = 1000

// Tally counts every call of a capture by kind and state, for an overview
// that lists only some of them.
type Tally struct {
	Calls         int            // every Call-ID flow, registrations included
	Registrations int            // of which registrations
	States        map[string]int // by "kind state", e.g. "call completed", "registration registered"
}

// AnalyzeOverview analyses like Analyze and keeps of the calls only what
// an overview lists: the first limit registrations and the first limit
// other calls, by start, in Result.Model.Calls (every call when limit <=
// 0), and a Tally of all of them. Findings cover every call.
//
// A capture with more than opts.HoldCalls (default DefaultHoldCalls) calls
// held at once is streamed (Result.Streamed): finished calls are diagnosed
// and counted as they finish, then forgotten, so memory follows the calls
// in progress, not the capture's length, which is what lets `sipscope
// analyze` read a carrier's capture of many gigabytes. A Call-ID whose
// messages are further apart than the grace period then counts as one call
// per burst. opts.OnCall, when set, still sees every streamed call.
func AnalyzeOverview(opts Options, limit int) (*Result, *Tally, error) {
	t := &Tally{States: make(map[string]int)}
	regs, others := &firstCalls{limit: limit}, &firstCalls{limit: limit}
	add := func(c *correlate.Call) {
		t.Calls++
		t.States[c.Kind+" "+c.State]++
		if c.Kind == correlate.KindRegistration {
			t.Registrations++
			regs.add(c)
		} else {
			others.add(c)
		}
	}
	user := opts.OnCall
	opts.OnCall = func(c *correlate.Call, fs []diagnose.Finding) {
		add(c)
		if user != nil {
			user(c, fs)
		}
	}
	if opts.HoldCalls <= 0 {
		opts.HoldCalls = DefaultHoldCalls
	}
	res, err := Analyze(opts)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range res.Model.Calls { // held to the end: none when streamed
		add(c)
	}
	calls := append(regs.sorted(), others.sorted()...)
	slices.SortStableFunc(calls, func(a, b *correlate.Call) int {
		switch {
		case correlate.ByStart(a, b):
			return -1
		case correlate.ByStart(b, a):
			return 1
		}
		return 0
	})
	res.Model.Calls = calls
	return res, t, nil
}

// firstCalls keeps the first limit calls by start: a max-heap whose top is
// the latest kept call, replaced when an earlier one comes.
type firstCalls struct {
	limit int
	calls []*correlate.Call
}

func (f *firstCalls) Len() int           { return len(f.calls) }
func (f *firstCalls) Less(i, j int) bool { return correlate.ByStart(f.calls[j], f.calls[i]) }
func (f *firstCalls) Swap(i, j int)      { f.calls[i], f.calls[j] = f.calls[j], f.calls[i] }
func (f *firstCalls) Push(x any)         { f.calls = append(f.calls, x.(*correlate.Call)) }
func (f *firstCalls) Pop() any {
	c := f.calls[len(f.calls)-1]
	f.calls = f.calls[:len(f.calls)-1]
	return c
}

func (f *firstCalls) add(c *correlate.Call) {
	switch {
	case f.limit <= 0 || len(f.calls) < f.limit:
		heap.Push(f, c)
	case correlate.ByStart(c, f.calls[0]):
		f.calls[0] = c
		heap.Fix(f, 0)
	}
}

func (f *firstCalls) sorted() []*correlate.Call {
	out := slices.Clone(f.calls)
	slices.SortFunc(out, func(a, b *correlate.Call) int {
		if correlate.ByStart(a, b) {
			return -1
		}
		if correlate.ByStart(b, a) {
			return 1
		}
		return 0
	})
	return out
}

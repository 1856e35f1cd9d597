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
	// Findings counts every finding, FindingsByID by id; Result.Findings
	// then holds the worst limit of them when the capture was streamed.
	Findings     int
	FindingsByID map[string]int
}

// AnalyzeOverview analyses like Analyze and keeps of the calls only what
// an overview lists: the first limit registrations and the first limit
// other calls, by start, in Result.Model.Calls (every call when limit <=
// 0), and a Tally of all of them. Findings cover every call; when the
// capture is streamed and limit > 0, Result.Findings keeps the worst limit
// findings of the calls (and every capture-wide one) and the Tally counts
// them all, so that memory does not grow with the failures either.
//
// A capture with more than opts.HoldCalls (default DefaultHoldCalls) calls
// held at once is streamed (Result.Streamed): finished calls are diagnosed
// and counted as they finish, then forgotten, so memory follows the calls
// in progress, not the capture's length, which is what lets `sipscope
// analyze` read a carrier's capture of many gigabytes. A Call-ID whose
// messages are further apart than the grace period then counts as one call
// per burst. opts.OnCall, when set, still sees every streamed call.
func AnalyzeOverview(opts Options, limit int) (*Result, *Tally, error) {
	t := &Tally{States: make(map[string]int), FindingsByID: make(map[string]int)}
	regs, others := &firstCalls{limit: limit}, &firstCalls{limit: limit}
	worst := &worstFindings{limit: limit}
	// States by kind and state, joined into Tally.States once at the end
	// rather than a string made per call.
	states := make(map[[2]string]int)
	add := func(c *correlate.Call) {
		t.Calls++
		states[[2]string{c.Kind, c.State}]++
		if c.Kind == correlate.KindRegistration {
			t.Registrations++
			regs.add(c)
		} else {
			others.add(c)
		}
	}
	user := opts.OnCall
	if limit > 0 {
		opts.ForgetFindings = true
	}
	opts.OnCall = func(c *correlate.Call, fs []diagnose.Finding) {
		add(c)
		if limit > 0 {
			for i := range fs {
				worst.add(&fs[i])
			}
		}
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
	for k, n := range states {
		t.States[k[0]+" "+k[1]] += n
	}
	for _, f := range res.Findings { // every finding, or the capture-wide ones when the worst were kept
		t.Findings++
		t.FindingsByID[f.ID]++
	}
	t.Findings += res.FindingsDropped
	if limit > 0 && res.Streamed {
		t.Findings += worst.counted
		for id, n := range worst.byID {
			t.FindingsByID[id] += n
		}
		res.Findings = append(worst.fs, res.Findings...)
		diagnose.Sort(res.Findings)
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

// worstFindings keeps the worst limit findings (by diagnose.Less) and
// counts them all.
type worstFindings struct {
	limit   int
	fs      []diagnose.Finding // a max-heap on diagnose.Less: the top is the least bad kept
	counted int
	byID    map[string]int
}

func (w *worstFindings) Len() int           { return len(w.fs) }
func (w *worstFindings) Less(i, j int) bool { return diagnose.Less(&w.fs[j], &w.fs[i]) }
func (w *worstFindings) Swap(i, j int)      { w.fs[i], w.fs[j] = w.fs[j], w.fs[i] }
func (w *worstFindings) Push(x any)         { w.fs = append(w.fs, x.(diagnose.Finding)) }
func (w *worstFindings) Pop() any {
	f := w.fs[len(w.fs)-1]
	w.fs = w.fs[:len(w.fs)-1]
	return f
}

func (w *worstFindings) add(f *diagnose.Finding) {
	if w.byID == nil {
		w.byID = make(map[string]int)
	}
	w.counted++
	w.byID[f.ID]++
	switch {
	case len(w.fs) < w.limit:
		heap.Push(w, *f)
	case diagnose.Less(f, &w.fs[0]):
		w.fs[0] = *f
		heap.Fix(w, 0)
	}
}

package sipscope

import (
	"context"
	"errors"
	"io"
	"sort"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/capture/live"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
)

// DefaultReportCalls is how many finished calls Live keeps for its final
// report by default.
const DefaultReportCalls = 1000

// LiveOptions say how Live runs.
type LiveOptions struct {
	// Options.OnEvent and Options.OnCall receive call events and finished
	// calls (with their findings) as they happen; Options.Correlate sets
	// the streaming limits. Files is not used.
	Options
	// Source yields the frames: a network interface, or any live.Source.
	Source live.Source
	// Name names the input in the summary when Writer is nil.
	Name string
	// Writer, when set, receives the frames the analysis needs (see Keep).
	// Frame numbers in events, findings and the report are then the
	// numbers of the frames in its files, as Wireshark shows them.
	Writer *live.Rotator
	// Keep picks the frames Writer gets; nil means KeepInterest.
	Keep func(decode.Interest, *capture.Frame) bool
	// Count stops after this many frames from the source; 0: no limit.
	Count int
	// Duration stops after this long; 0: until ctx is done.
	Duration time.Duration
	// TickEvery is how often, in capture time, the correlator is told the
	// time, so finished calls are flushed on time even on a quiet link.
	// Default one second.
	TickEvery time.Duration
	// OnStats, when set, is called every StatsEvery (wall clock).
	OnStats    func(LiveStats)
	StatsEvery time.Duration
	// ReportCalls is how many finished calls are kept, most recent first,
	// for the final report; 0 means DefaultReportCalls. Older ones are
	// counted in LiveResult.CallsNotKept.
	ReportCalls int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// KeepInterest keeps the frames that carried something the analysis used:
// SIP, ICMP errors, fragments, undecodable frames it cites, and media the
// decoder marked. Re-reading the kept frames gives the same calls.
func KeepInterest(in decode.Interest, _ *capture.Frame) bool { return in != 0 }

// LiveStats describe a running live capture.
type LiveStats struct {
	Elapsed   time.Duration // wall clock since start
	Frames    int           // frames read from the source
	PerSecond float64       // frames per second since the previous stats
	Written   int           // frames written to files
	Files     int           // files written (deleted ones included)
	// WriteError is why writing stopped, when it did; the analysis goes on.
	WriteError string
	Calls      int // Call-IDs seen
	Held       int // calls in progress, held in memory
	Flushed    int // calls finished and handed over
	// Evicted counts calls flushed early because the call table was full
	// (Correlate.MaxCalls), ICMPDropped the ICMP errors not kept past
	// Correlate.MaxICMP: what the memory limits cost.
	Evicted     int
	ICMPDropped int
	Kernel      live.Stats // the socket's packet and drop counters
}

// Reasons Live stopped.
const (
	StopInterrupted = "interrupted"
	StopDuration    = "duration reached"
	StopCount       = "frame count reached"
	StopEnd         = "end of input"
	StopError       = "source error"
)

// LiveResult is the final report of a live capture: Result as offline
// analysis gives it, over the calls kept for it.
type LiveResult struct {
	// Result.Model.Calls holds the most recent finished calls, at most
	// LiveOptions.ReportCalls, in order of their first message;
	// Result.Findings holds their findings and the capture-wide ones.
	*Result
	Stats LiveStats
	// States counts every finished call of kind "call" by final state,
	// kept for the report or not.
	States map[string]int
	// CallsNotKept counts finished calls (of every kind) that were too old
	// to be kept for the report.
	CallsNotKept int
	// KeptFiles are the written files still on disk; DeletedFiles counts
	// those removed by the rotation's keep limit.
	KeptFiles    []string
	DeletedFiles int
	Stopped      string // why the capture stopped, one of the Stop* values
}

// Live runs the pipeline over frames from opts.Source until ctx is done,
// opts.Duration or opts.Count is reached, or the source ends, then returns
// the final report. A source error also ends the capture: the report of
// what was captured is returned with the error. Live is not safe to call
// twice on one Source at once.
func Live(ctx context.Context, opts LiveOptions) (*LiveResult, error) {
	lv := newLiveRun(opts)
	if opts.HEPSend != "" {
		// Every SIP message and RTCP packet goes on to a HOMER server as
		// it is decoded: a fleet of servers can feed one central store.
		if err := lv.p.MirrorHEP(opts.HEPSend); err != nil {
			return nil, err
		}
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	err := lv.loop(ctx)
	return lv.finish(), err
}

type liveRun struct {
	opts LiveOptions
	p    *Pipeline
	dec  *decode.Decoder
	keep func(decode.Interest, *capture.Frame) bool
	now  func() time.Time

	ring    []keptCall // circular, oldest at ring[head] once full
	head    int
	notKept int
	states  map[string]int

	writing  bool
	writeErr error
	written  int

	frames      int
	start       time.Time
	lastTick    time.Time // capture time of the last tick
	lastFrame   time.Time // capture time of the last frame
	lastFrameAt time.Time // wall clock when it came
	lastStats   time.Time // wall clock
	lastFrames  int
	stopped     string
}

type keptCall struct {
	c        *correlate.Call
	findings []diagnose.Finding
}

func newLiveRun(opts LiveOptions) *liveRun {
	lv := &liveRun{opts: opts, keep: opts.Keep, now: opts.Now, states: map[string]int{}}
	if lv.keep == nil {
		lv.keep = KeepInterest
	}
	if lv.now == nil {
		lv.now = time.Now
	}
	if lv.opts.TickEvery <= 0 {
		lv.opts.TickEvery = time.Second
	}
	if lv.opts.ReportCalls <= 0 {
		lv.opts.ReportCalls = DefaultReportCalls
	}
	po := opts.Options
	po.Files = nil
	po.ForgetFindings = true
	po.OnCall = lv.callDone
	lv.p = NewPipeline(po)
	lv.dec = lv.p.Decoder()
	lv.writing = opts.Writer != nil
	lv.start = lv.now()
	lv.lastStats = lv.start
	return lv
}

// callDone keeps the call for the report, within the bound, and passes it on.
func (lv *liveRun) callDone(c *correlate.Call, fs []diagnose.Finding) {
	if c.Kind == correlate.KindCall {
		lv.states[c.State]++
	}
	k := keptCall{c: c, findings: fs}
	if len(lv.ring) < lv.opts.ReportCalls {
		lv.ring = append(lv.ring, k)
	} else {
		lv.ring[lv.head] = k
		lv.head = (lv.head + 1) % len(lv.ring)
		lv.notKept++
	}
	if lv.opts.OnCall != nil {
		lv.opts.OnCall(c, fs)
	}
}

func (lv *liveRun) loop(ctx context.Context) error {
	src := lv.opts.Source
	for {
		select {
		case <-ctx.Done():
			lv.stopped = StopInterrupted
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				lv.stopped = StopDuration
			}
			return nil
		default:
		}
		f, err := src.Next()
		switch {
		case errors.Is(err, live.ErrTimeout):
			// A quiet link: time still passes for the calls held. Capture
			// time moves on with the wall clock from the last frame, so a
			// source whose clock is not ours (a replay, a remote HEP
			// agent) is judged by its own.
			if !lv.lastFrame.IsZero() {
				lv.p.Tick(lv.lastFrame.Add(lv.now().Sub(lv.lastFrameAt)))
			}
			lv.flushWriter()
			lv.maybeStats()
			continue
		case errors.Is(err, io.EOF):
			lv.stopped = StopEnd
			return nil
		case err != nil:
			lv.stopped = StopError
			return err
		}
		lv.frame(f)
		lv.maybeStats()
		if lv.opts.Count > 0 && lv.frames >= lv.opts.Count {
			lv.stopped = StopCount
			return nil
		}
	}
}

// frame numbers, decodes, and perhaps writes one frame.
func (lv *liveRun) frame(f *capture.Frame) {
	lv.frames++
	lv.lastFrame, lv.lastFrameAt = f.Time, lv.now()
	w := lv.opts.Writer
	switch {
	case lv.writing:
		var err error
		if f.File, f.Number, err = w.Place(f.Time, len(f.Data)); err != nil {
			lv.writing, lv.writeErr = false, err
			f.File, f.Number = len(w.Files()), lv.frames
		}
	case w != nil:
		// Writing stopped on an error: these frames are in no file.
		f.File, f.Number = len(w.Files()), lv.frames
	default:
		f.File, f.Number = 0, lv.frames
	}
	lv.p.Frame(f)
	if lv.writing && lv.keep(lv.dec.Interest(), f) {
		if err := w.Write(f); err != nil {
			lv.writing, lv.writeErr = false, err
		} else {
			lv.written++
		}
	}
	if f.Time.Sub(lv.lastTick) >= lv.opts.TickEvery {
		lv.lastTick = f.Time
		lv.p.Tick(f.Time)
		lv.flushWriter()
	}
}

func (lv *liveRun) flushWriter() {
	if lv.writing {
		if err := lv.opts.Writer.Flush(); err != nil {
			lv.writing, lv.writeErr = false, err
		}
	}
}

func (lv *liveRun) maybeStats() {
	if lv.opts.OnStats == nil || lv.opts.StatsEvery <= 0 {
		return
	}
	now := lv.now()
	if now.Sub(lv.lastStats) < lv.opts.StatsEvery {
		return
	}
	st := lv.stats(now)
	st.PerSecond = float64(lv.frames-lv.lastFrames) / now.Sub(lv.lastStats).Seconds()
	lv.lastStats, lv.lastFrames = now, lv.frames
	lv.opts.OnStats(st)
}

func (lv *liveRun) stats(now time.Time) LiveStats {
	cs := lv.p.b.Stats()
	st := LiveStats{
		Elapsed: now.Sub(lv.start), Frames: lv.frames, Written: lv.written,
		Calls: cs.Calls, Held: lv.p.b.Calls(), Flushed: cs.Flushed,
		Evicted: cs.Evicted, ICMPDropped: cs.ICMPDropped,
		Kernel: lv.opts.Source.Stats(),
	}
	if lv.opts.Writer != nil {
		st.Files = len(lv.opts.Writer.Files())
	}
	if lv.writeErr != nil {
		st.WriteError = lv.writeErr.Error()
	}
	return st
}

// finish flushes every call and builds the final report.
func (lv *liveRun) finish() *LiveResult {
	files := []string{lv.opts.Name}
	w := lv.opts.Writer
	if w != nil {
		if err := w.Close(); err != nil && lv.writeErr == nil {
			lv.writeErr = err
		}
		files = w.Files()
	}
	res, err := lv.p.Finish(files, nil)
	if err != nil {
		// Finish fails only on a wordlist read error, and live takes no
		// wordlist; keep the report rather than lose it.
		res = &Result{Model: &correlate.Model{}}
		if lv.writeErr == nil {
			lv.writeErr = err
		}
	}
	kept := make([]keptCall, 0, len(lv.ring))
	kept = append(kept, lv.ring[lv.head:]...)
	kept = append(kept, lv.ring[:lv.head]...)
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].c.Start.Before(kept[j].c.Start) })
	res.Model.Calls = make([]*correlate.Call, len(kept))
	for i, k := range kept {
		res.Model.Calls[i] = k.c
		res.Findings = append(res.Findings, k.findings...)
	}
	diagnose.Sort(res.Findings)
	out := &LiveResult{Result: res, Stats: lv.stats(lv.now()), States: lv.states,
		CallsNotKept: lv.notKept, Stopped: lv.stopped}
	out.Stats.Flushed = res.Correlate.Flushed
	if w != nil {
		out.KeptFiles, out.DeletedFiles = w.Kept(), w.Deleted()
	}
	return out
}

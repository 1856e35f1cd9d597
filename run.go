// Package sipscope wires the analysis pipeline: capture -> decode ->
// correlate -> diagnose. Commands in cmd/sipscope call Analyze (files) or
// drive a Pipeline themselves (live capture) and hand the result to the
// report package; tests call them directly.
package sipscope

import (
	"errors"
	"io"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
)

// Options says what to analyse and how.
type Options struct {
	Files []string // capture files; "-" is standard input

	// OnCall, when set, makes the pipeline stream: each call is handed over,
	// with its findings, as soon as it is finished (see correlate.Options),
	// and then forgotten, so memory follows the calls in progress. The
	// Result's Model then holds no calls.
	OnCall func(c *correlate.Call, findings []diagnose.Finding)
	// OnEvent receives call events as they happen (new, ringing, ...).
	OnEvent func(correlate.Event)
	// Correlate tunes the streaming limits; OnCall and OnEvent above win
	// over the same fields here.
	Correlate correlate.Options
}

// CaptureSummary describes the input as a whole.
type CaptureSummary struct {
	Files       []string
	Frames      int
	SIPMessages int
	Start, End  time.Time
	// Undecoded counts what could not be decoded, by reason.
	Undecoded map[string]int
	// Problems lists input problems with file and frame, capped.
	Problems []Problem

	// CallsEvicted counts calls pushed out early because MaxCalls were held
	// at once: handed over unfinished when streaming, dropped offline.
	CallsEvicted int
	// ICMPDropped counts ICMP errors not kept because MaxICMP were held.
	ICMPDropped int
	// MessagesDropped counts SIP messages not kept because their call held
	// MaxMessages already.
	MessagesDropped int
	// MaxCalls, MaxICMP and MaxMessages are the limits that were in force.
	MaxCalls, MaxICMP, MaxMessages int
}

// ReasonDamagedFile is the Undecoded key for records the capture reader had to
// stop at (truncated, oversized, corrupt); Problems has the details.
const ReasonDamagedFile = "damaged capture record"

// Problem is one undecodable frame or a damaged file.
type Problem struct {
	File   string
	Frame  int
	Reason string
}

// Result is what the pipeline found.
type Result struct {
	Capture  CaptureSummary
	Model    *correlate.Model
	Findings []diagnose.Finding // worst first
	// Correlate holds the correlation counters (calls flushed, evicted, ...).
	Correlate correlate.Stats
}

// Pipeline runs decode -> correlate -> diagnose over frames from any source.
// Feed it frames in time order with Frame, then call Finish.
type Pipeline struct {
	opts     Options
	dec      *decode.Decoder
	b        *correlate.Builder
	rules    []diagnose.Rule
	findings []diagnose.Finding
	start    time.Time
	end      time.Time
}

// NewPipeline returns a pipeline configured by opts (Files is not used).
func NewPipeline(opts Options) *Pipeline {
	p := &Pipeline{opts: opts, rules: diagnose.Rules()}
	co := opts.Correlate
	if opts.OnEvent != nil {
		co.OnEvent = opts.OnEvent
	}
	if opts.OnCall != nil {
		co.OnCall = p.callDone
	}
	// Always with limits: offline analysis must stay within MaxCalls and
	// MaxICMP too, or one hostile capture exhausts memory.
	p.b = correlate.NewBuilderWith(co)
	p.dec = decode.NewDecoder(p.b)
	return p
}

func (p *Pipeline) callDone(c *correlate.Call) {
	fs := diagnose.RunCall(p.rules, c, &diagnose.Input{Model: &correlate.Model{Calls: []*correlate.Call{c}, End: p.end}})
	diagnose.Sort(fs)
	p.findings = append(p.findings, fs...)
	p.opts.OnCall(c, fs)
}

// Frame decodes and correlates one frame. f.Data may be reused afterwards.
func (p *Pipeline) Frame(f *capture.Frame) {
	if p.start.IsZero() || f.Time.Before(p.start) {
		p.start = f.Time
	}
	if f.Time.After(p.end) {
		p.end = f.Time
	}
	p.dec.Decode(f)
}

// Tick tells the pipeline that time has moved on without frames (live
// capture on a quiet link), so finished calls are flushed on time.
func (p *Pipeline) Tick(now time.Time) { p.b.Observe(now) }

// Decoder returns the pipeline's decoder, for its counters.
func (p *Pipeline) Decoder() *decode.Decoder { return p.dec }

// Finish flushes what is left and returns the result. files names the
// inputs (by capture.Frame.File index) and problems the damaged records the
// capture layer skipped.
func (p *Pipeline) Finish(files []string, problems []capture.Problem) *Result {
	p.dec.Flush()
	p.b.Observe(p.end)
	res := &Result{Model: p.b.Model(), Correlate: p.b.Stats()}
	if p.opts.OnCall != nil {
		// Per-call findings went out with their calls; add the capture-wide ones.
		in := &diagnose.Input{Model: res.Model}
		for _, r := range p.rules {
			if r.Capture != nil {
				p.findings = append(p.findings, r.Capture(in)...)
			}
		}
		diagnose.Sort(p.findings)
		res.Findings = p.findings
	} else {
		res.Findings = diagnose.Run(&diagnose.Input{Model: res.Model})
	}
	st := &p.dec.Stats
	res.Capture = CaptureSummary{
		Files: files, Frames: st.Frames, SIPMessages: st.SIPMessages,
		Start: p.start, End: p.end, Undecoded: make(map[string]int),
		CallsEvicted: res.Correlate.Evicted, ICMPDropped: res.Correlate.ICMPDropped,
		MessagesDropped: res.Correlate.MessagesDropped,
		MaxCalls:        p.b.Options().MaxCalls, MaxICMP: p.b.Options().MaxICMP, MaxMessages: p.b.Options().MaxMessages,
	}
	for k, v := range st.Undecoded {
		res.Capture.Undecoded[k] = v
	}
	for _, pr := range problems {
		res.Capture.Undecoded[ReasonDamagedFile]++
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: pr.File, Frame: pr.Frame, Reason: pr.Reason})
	}
	for _, pr := range st.Problems {
		name := ""
		if pr.File >= 0 && pr.File < len(files) {
			name = files[pr.File]
		}
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: name, Frame: pr.Frame, Reason: pr.Reason})
	}
	return res
}

// Analyze reads every file and analyses what it finds. It returns an error
// only when a file cannot be opened or read at all; damaged records are
// counted in Result.Capture and the rest is analysed.
func Analyze(opts Options) (*Result, error) {
	set, err := capture.OpenAll(opts.Files)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	p := NewPipeline(opts)
	for {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		p.Frame(f)
	}
	return p.Finish(set.Files(), set.Problems()), nil
}

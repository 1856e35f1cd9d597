// Package sipscope wires the analysis pipeline: capture -> decode ->
// correlate -> diagnose. Commands in cmd/sipscope call Analyze (files) or
// drive a Pipeline themselves (live capture) and hand the result to the
// report package; tests call them directly.
package sipscope

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/diagnose/auth"
	"github.com/sipscope/sipscope/report/hepout"
)

// Options says what to analyse and how.
type Options struct {
	Files []string // capture files; "-" is standard input
	// Auth says which passwords the digest authentication audit tries.
	// The zero value tries each username's obvious variants only: cheap
	// enough for every analysis.
	Auth auth.Options
	// KeepDuplicates keeps identical IP packets seen within a few
	// milliseconds of each other (by default dropped as capture duplicates).
	KeepDuplicates bool
	// HEPSend, when set (HOST:PORT), mirrors every SIP message and RTCP
	// packet found to that HOMER server as HEPv3 over UDP.
	HEPSend string

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
	// HeuristicRTP also finds RTP streams no SDP in the capture announced
	// (see correlate.Options).
	HeuristicRTP bool
	// ForgetFindings, when streaming, hands per-call findings to OnCall
	// only, so Result.Findings holds just the capture-wide ones: a live
	// capture that runs for days keeps what it needs itself, within bounds.
	ForgetFindings bool
	// HoldCalls, with OnCall, streams only captures with more calls than
	// this held at once (see correlate.Options.HoldCalls): below it the
	// Result's Model holds every call and they are diagnosed together, as
	// without OnCall, and OnCall is not called. Result.Streamed says which.
	HoldCalls int
	// Workers is how many goroutines Analyze decodes with (at most
	// MaxWorkers); 0 or 1 decodes in the calling goroutine. Frames are
	// shared out by flow, so each call's order holds, and the result is
	// the same as with one worker, with two exceptions in hostile or odd
	// captures: the decoder's fixed bounds (65,536 TCP streams and 1,024
	// datagrams under reassembly at once) hold per worker, and a packet
	// seen both inside a tunnel and outside it within the duplicate window
	// is kept twice. HEPSend decodes with one worker: the mirror sees the
	// packets in capture order.
	Workers int
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

	// Duplicates counts IP packets dropped as capture duplicates (the same
	// packet seen twice within decode.DefaultDuplicateWindow, as -i any
	// records it on bridged interfaces).
	Duplicates int
	// Reassembled counts IP datagrams reassembled from fragments.
	Reassembled int
	// TCPRetransmissions counts TCP segments dropped because all their
	// bytes had been seen; they are never SIP retransmissions.
	TCPRetransmissions int
	// HEPPackets counts HEP packets opened inside the capture.
	HEPPackets int
	// EncryptedFlows lists SIP over TLS connections, which are not decrypted.
	EncryptedFlows []EncryptedFlow
	// HEPSent and HEPErrors count the packets mirrored with Options.HEPSend
	// and those that could not be sent (the last reason in HEPError).
	HEPSent, HEPErrors int
	HEPError           string

	// CallsEvicted counts calls pushed out early because MaxCalls were held
	// at once: handed over unfinished when streaming, dropped offline.
	CallsEvicted int
	// ICMPDropped counts ICMP errors not kept because MaxICMP were held.
	ICMPDropped int
	// MessagesDropped counts SIP messages not kept because their call held
	// MaxMessages already.
	MessagesDropped int
	// StreamsDropped counts RTP streams not measured because MaxStreams
	// were held at once.
	StreamsDropped int
	// MaxCalls, MaxICMP, MaxMessages and MaxStreams are the limits that
	// were in force.
	MaxCalls, MaxICMP, MaxMessages, MaxStreams int
}

// EncryptedFlow is a TLS connection on the SIP TLS port (5061): SIP that
// could not be read.
type EncryptedFlow struct {
	File           string
	FirstFrame     int
	Client, Server netip.AddrPort
	ServerName     string // from the ClientHello, when seen
	Frames, Bytes  int
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
	// Auth is the digest authentication audit: every challenge, every
	// response, and whether a known password fits it. When the pipeline
	// streams, it covers the calls still held at the end only.
	Auth *auth.Result
	// Correlate holds the correlation counters (calls flushed, evicted, ...).
	Correlate correlate.Stats
	// Decode holds the decoder's counters (frames, IP, UDP, RTP, ...);
	// Capture has the ones a report shows.
	Decode decode.Stats
	// FindingsDropped counts streamed findings not kept in Findings past
	// MaxKeptFindings (they still went to Options.OnCall).
	FindingsDropped int
	// Streamed says calls were handed to Options.OnCall as they finished
	// and diagnosed one at a time: Model holds none of them, and the checks
	// that compare calls (a nonce reused under another Call-ID, an ICMP
	// error about media of a call already gone) saw only the calls held at
	// the end.
	Streamed bool
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
	mirror   *hepout.Sender

	findingsDropped int

	// diag, when set, takes finished calls to a goroutine that diagnoses
	// them one after the other, in the order they finished (see
	// diagnoseAside); diagDone is closed when it has done them all.
	diag     chan diagJob
	diagDone chan struct{}

	// authRules are the capture-wide auth.* rules, which diagnoseCall also
	// runs per call on the call's digest audit.
	authRules []diagnose.Rule
	// callIn, callModel and callList are diagnoseCall's input, reused.
	callIn    diagnose.Input
	callModel correlate.Model
	callList  [1]*correlate.Call
}

type diagJob struct {
	c   *correlate.Call
	end time.Time
}

// NewPipeline returns a pipeline configured by opts (Files is not used).
func NewPipeline(opts Options) *Pipeline {
	p := &Pipeline{opts: opts, rules: diagnose.Rules()}
	for _, r := range p.rules {
		if r.Capture != nil && strings.HasPrefix(r.Name, "auth.") {
			p.authRules = append(p.authRules, r)
		}
	}
	co := opts.Correlate
	if opts.OnEvent != nil {
		co.OnEvent = opts.OnEvent
	}
	if opts.OnCall != nil {
		co.OnCall = p.callDone
	}
	if opts.HeuristicRTP {
		co.HeuristicRTP = true
	}
	if opts.HoldCalls > 0 {
		co.HoldCalls = opts.HoldCalls
	}
	// Always with limits: offline analysis must stay within MaxCalls and
	// MaxICMP too, or one hostile capture exhausts memory.
	p.b = correlate.NewBuilderWith(co)
	p.dec = p.newDecoder(p.b)
	return p
}

// newDecoder returns a Decoder configured by the pipeline's options.
func (p *Pipeline) newDecoder(h decode.Handler) *decode.Decoder {
	d := decode.NewDecoder(h)
	if p.opts.KeepDuplicates {
		d.DuplicateWindow = 0
	}
	return d
}

// MirrorHEP sends every SIP message (and RTCP packet) the pipeline decodes
// to a HOMER server at addr as HEPv3 over UDP, until Finish.
func (p *Pipeline) MirrorHEP(addr string) error {
	m, err := hepout.Dial(addr)
	if err != nil {
		return err
	}
	p.mirror = m
	p.dec.Tap = m.Tap
	return nil
}

func (p *Pipeline) callDone(c *correlate.Call) {
	if p.diag != nil {
		p.diag <- diagJob{c, p.end}
		return
	}
	p.diagnoseCall(c, p.end)
}

// diagnoseAside makes the pipeline diagnose finished calls (and call
// OnCall) in a goroutine of their own, so that the goroutine correlating
// does not wait for it. One goroutine, fed in the order calls finish: the
// findings and OnCall's calls are those of diagnosing in line. A call is
// the diagnosis's alone once flushed: the Builder no longer holds it.
func (p *Pipeline) diagnoseAside() {
	p.diag, p.diagDone = make(chan diagJob, 256), make(chan struct{})
	go func() {
		defer close(p.diagDone)
		for j := range p.diag {
			p.diagnoseCall(j.c, j.end)
		}
	}()
}

// drainDiagnosis waits until every finished call has been diagnosed.
func (p *Pipeline) drainDiagnosis() {
	if p.diag == nil {
		return
	}
	close(p.diag)
	<-p.diagDone
	p.diag = nil
}

func (p *Pipeline) diagnoseCall(c *correlate.Call, end time.Time) {
	// One call at a time (in line, or in the one diagnosing goroutine): the
	// rules' input is reused, and nothing they return refers to it.
	p.callList[0] = c
	p.callModel = correlate.Model{Calls: p.callList[:], End: end}
	p.callIn = diagnose.Input{Model: &p.callModel}
	in := &p.callIn
	defer func() { p.callList[0], p.callIn.Auth = nil, nil }()
	fs := diagnose.RunCall(p.rules, c, in)
	// The digest audit pairs challenges and responses within the call here
	// (a nonce reused across Call-IDs is only seen offline).
	if a, err := auth.Analyze(context.Background(), in.Model, auth.Options{Passwords: p.opts.Auth.Passwords}); err == nil {
		in.Auth = a
		for _, r := range p.authRules {
			fs = append(fs, r.Capture(in)...)
		}
	}
	diagnose.Sort(fs)
	if !p.opts.ForgetFindings {
		// Streamed findings are kept for the Result up to a bound: a flood
		// of failing calls must not grow memory through its findings.
		for _, f := range fs {
			if len(p.findings) >= MaxKeptFindings {
				p.findingsDropped++
				continue
			}
			p.findings = append(p.findings, f)
		}
	}
	p.opts.OnCall(c, fs)
}

// MaxKeptFindings bounds the per-call findings a streaming pipeline keeps
// for its Result; OnCall receives them all, and Result.FindingsDropped
// counts the rest.
const MaxKeptFindings = 10000

// Frame decodes and correlates one frame. f.Data may be reused afterwards.
func (p *Pipeline) Frame(f *capture.Frame) {
	p.clock(f)
	p.dec.Decode(f)
}

// clock moves the capture's start and end over f.
func (p *Pipeline) clock(f *capture.Frame) {
	if p.start.IsZero() || f.Time.Before(p.start) {
		p.start = f.Time
	}
	if f.Time.After(p.end) {
		p.end = f.Time
	}
}

// Tick tells the pipeline that time has moved on without frames (live
// capture on a quiet link), so finished calls are flushed on time.
func (p *Pipeline) Tick(now time.Time) { p.b.Observe(now) }

// Decoder returns the pipeline's decoder, for its counters.
func (p *Pipeline) Decoder() *decode.Decoder { return p.dec }

// Finish flushes what is left and returns the result. files names the
// inputs (by capture.Frame.File index) and problems the damaged records the
// capture layer skipped. It fails only when the digest audit's wordlist
// cannot be read.
func (p *Pipeline) Finish(files []string, problems []capture.Problem) (*Result, error) {
	p.dec.Flush()
	p.b.Observe(p.end)
	model := p.b.Model()
	p.drainDiagnosis()
	res := &Result{Model: model, Correlate: p.b.Stats(), FindingsDropped: p.findingsDropped}
	res.Streamed = p.opts.OnCall != nil && res.Correlate.Flushed > 0
	var err error
	if res.Auth, err = auth.Analyze(context.Background(), res.Model, p.opts.Auth); err != nil {
		return nil, fmt.Errorf("wordlist: %w", err)
	}
	if res.Streamed {
		// Per-call findings went out with their calls; add the capture-wide ones.
		in := &diagnose.Input{Model: res.Model, Auth: res.Auth}
		for _, r := range p.rules {
			if r.Capture != nil {
				p.findings = append(p.findings, r.Capture(in)...)
			}
		}
		diagnose.Sort(p.findings)
		res.Findings = p.findings
	} else {
		res.Findings = diagnose.Run(&diagnose.Input{Model: res.Model, Auth: res.Auth})
	}
	st := &p.dec.Stats
	res.Decode = *st
	res.Capture = CaptureSummary{
		Files: files, Frames: st.Frames, SIPMessages: st.SIPMessages,
		Start: p.start, End: p.end, Undecoded: make(map[string]int),
		CallsEvicted: res.Correlate.Evicted, ICMPDropped: res.Correlate.ICMPDropped,
		MessagesDropped: res.Correlate.MessagesDropped,
		MaxCalls:        p.b.Options().MaxCalls, MaxICMP: p.b.Options().MaxICMP, MaxMessages: p.b.Options().MaxMessages,
		MaxStreams: p.b.Options().MaxStreams, StreamsDropped: res.Model.Media.DroppedStreams,
	}
	for k, v := range st.Undecoded {
		res.Capture.Undecoded[k] = v
	}
	for _, pr := range problems {
		res.Capture.Undecoded[ReasonDamagedFile]++
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: pr.File, Frame: pr.Frame, Reason: pr.Reason})
	}
	for _, pr := range st.Problems {
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: fileName(files, pr.File), Frame: pr.Frame, Reason: pr.Reason})
	}
	res.Capture.Duplicates, res.Capture.Reassembled = st.Duplicates, st.Reassembled
	res.Capture.TCPRetransmissions, res.Capture.HEPPackets = st.TCPRetransmissions, st.HEPPackets
	for _, f := range st.EncryptedFlows {
		res.Capture.EncryptedFlows = append(res.Capture.EncryptedFlows, EncryptedFlow{
			File: fileName(files, f.File), FirstFrame: f.FirstFrame, Client: f.Client, Server: f.Server,
			ServerName: f.ServerName, Frames: f.Frames, Bytes: f.Bytes,
		})
	}
	if p.mirror != nil {
		p.mirror.Close()
		res.Capture.HEPSent, res.Capture.HEPErrors = p.mirror.Sent, p.mirror.Errors
		if p.mirror.LastError != nil {
			res.Capture.HEPError = p.mirror.LastError.Error()
		}
	}
	return res, nil
}

func fileName(files []string, i int) string {
	if i >= 0 && i < len(files) {
		return files[i]
	}
	return ""
}

// Analyze reads every file and analyses what it finds. It returns an error
// only when a file cannot be opened or read at all; damaged records are
// counted in Result.Capture and the rest is analysed.
func Analyze(opts Options) (*Result, error) {
	if opts.Workers > 1 && opts.HEPSend == "" {
		return analyzeParallel(opts)
	}
	set, err := capture.OpenAll(opts.Files)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	p := NewPipeline(opts)
	if opts.HEPSend != "" {
		if err := p.MirrorHEP(opts.HEPSend); err != nil {
			return nil, err
		}
	}
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
	return p.Finish(set.Files(), set.Problems())
}

// HeldCalls returns the number of calls the pipeline holds: in progress,
// in their grace period, or held whole (Options.HoldCalls).
func (p *Pipeline) HeldCalls() int { return p.b.Calls() }

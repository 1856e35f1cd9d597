// Package sipscope wires the analysis pipeline: capture -> decode ->
// correlate -> diagnose. Commands in cmd/sipscope call Analyze and hand the
// result to the report package; tests call it directly.
package sipscope

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/diagnose/auth"
)

// Options says what to analyse.
type Options struct {
	Files []string // capture files; "-" is standard input
	// Auth says which passwords the digest authentication audit tries.
	// The zero value tries each username's obvious variants only: cheap
	// enough for every analysis.
	Auth auth.Options
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

// Result is what Analyze found.
type Result struct {
	Capture  CaptureSummary
	Model    *correlate.Model
	Findings []diagnose.Finding // worst first
	// Auth is the digest authentication audit: every challenge, every
	// response, and whether a known password fits it.
	Auth *auth.Result
}

// Analyze reads every file and correlates what it finds. It returns an error
// only when a file cannot be opened or read at all; damaged records are
// counted in Result.Capture and the rest is analysed.
func Analyze(opts Options) (*Result, error) {
	set, err := capture.OpenAll(opts.Files)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	b := correlate.NewBuilder()
	dec := decode.NewDecoder(b)
	res := &Result{}
	for {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if res.Capture.Start.IsZero() || f.Time.Before(res.Capture.Start) {
			res.Capture.Start = f.Time
		}
		if f.Time.After(res.Capture.End) {
			res.Capture.End = f.Time
		}
		dec.Decode(f)
	}
	dec.Flush()
	b.Observe(res.Capture.End)
	res.Model = b.Model()
	res.Auth, err = auth.Analyze(context.Background(), res.Model, opts.Auth)
	if err != nil {
		return nil, fmt.Errorf("wordlist: %w", err)
	}
	res.Findings = diagnose.Run(&diagnose.Input{Model: res.Model, Auth: res.Auth})

	files := set.Files()
	res.Capture.Files = files
	res.Capture.Frames = dec.Stats.Frames
	res.Capture.SIPMessages = dec.Stats.SIPMessages
	res.Capture.Undecoded = make(map[string]int)
	for k, v := range dec.Stats.Undecoded {
		res.Capture.Undecoded[k] = v
	}
	for _, p := range set.Problems() {
		res.Capture.Undecoded[ReasonDamagedFile]++
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: p.File, Frame: p.Frame, Reason: p.Reason})
	}
	for _, p := range dec.Stats.Problems {
		name := ""
		if p.File >= 0 && p.File < len(files) {
			name = files[p.File]
		}
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: name, Frame: p.Frame, Reason: p.Reason})
	}
	return res, nil
}

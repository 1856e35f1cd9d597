// Package sipscope wires the analysis pipeline: capture -> decode ->
// correlate -> diagnose. Commands in cmd/sipscope call Analyze and hand the
// result to the report package; tests call it directly.
package sipscope

import (
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/hepout"
)

// Options says what to analyse.
type Options struct {
	Files []string // capture files; "-" is standard input
	// KeepDuplicates keeps identical IP packets seen within a few
	// milliseconds of each other (by default dropped as capture duplicates).
	KeepDuplicates bool
	// HEPSend, when set (HOST:PORT), mirrors every SIP message and RTCP
	// packet found to that HOMER server as HEPv3 over UDP.
	HEPSend string
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

// Result is what Analyze found.
type Result struct {
	Capture  CaptureSummary
	Model    *correlate.Model
	Findings []diagnose.Finding // worst first
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
	if opts.KeepDuplicates {
		dec.DuplicateWindow = 0
	}
	var mirror *hepout.Sender
	if opts.HEPSend != "" {
		if mirror, err = hepout.Dial(opts.HEPSend); err != nil {
			return nil, err
		}
		defer mirror.Close()
		dec.Tap = mirror.Tap
	}
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
	res.Findings = diagnose.Run(&diagnose.Input{Model: res.Model})

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
	st := &dec.Stats
	res.Capture.Duplicates, res.Capture.Reassembled = st.Duplicates, st.Reassembled
	res.Capture.TCPRetransmissions, res.Capture.HEPPackets = st.TCPRetransmissions, st.HEPPackets
	for _, f := range st.EncryptedFlows {
		res.Capture.EncryptedFlows = append(res.Capture.EncryptedFlows, EncryptedFlow{
			File: fileName(files, f.File), FirstFrame: f.FirstFrame, Client: f.Client, Server: f.Server,
			ServerName: f.ServerName, Frames: f.Frames, Bytes: f.Bytes,
		})
	}
	if mirror != nil {
		res.Capture.HEPSent, res.Capture.HEPErrors = mirror.Sent, mirror.Errors
		if mirror.LastError != nil {
			res.Capture.HEPError = mirror.LastError.Error()
		}
	}
	for _, p := range dec.Stats.Problems {
		res.Capture.Problems = append(res.Capture.Problems, Problem{File: fileName(files, p.File), Frame: p.Frame, Reason: p.Reason})
	}
	return res, nil
}

func fileName(files []string, i int) string {
	if i >= 0 && i < len(files) {
		return files[i]
	}
	return ""
}

package live

import (
	"errors"
	"io"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// Replay plays capture files as a Source, as fast as they are read: the
// live pipeline run on a known capture, for tests and demonstrations. It
// ends with io.EOF.
type Replay struct {
	set  *capture.Set
	link layers.LinkType
	n    int
	// QuietEvery, when positive, makes every QuietEvery-th call to Next
	// return ErrTimeout instead of a frame, as a quiet link would.
	QuietEvery int
}

// OpenReplay opens the files (see capture.OpenAll). Its link type, for
// files written from it, is that of the first frame.
func OpenReplay(paths ...string) (*Replay, error) {
	peek, err := capture.OpenAll(paths)
	if err != nil {
		return nil, err
	}
	f, err := peek.Next()
	peek.Close()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("live: replay: no frames in " + paths[0])
	}
	if err != nil {
		return nil, err
	}
	link := f.LinkType
	set, err := capture.OpenAll(paths)
	if err != nil {
		return nil, err
	}
	return &Replay{set: set, link: link}, nil
}

// Next returns the next frame of the files; see Source.
func (r *Replay) Next() (*capture.Frame, error) {
	r.n++
	if r.QuietEvery > 0 && r.n%r.QuietEvery == 0 {
		return nil, ErrTimeout
	}
	return r.set.Next()
}

// LinkType returns the link type of the first frame.
func (r *Replay) LinkType() layers.LinkType { return r.link }

// Stats returns zero: a file has no kernel counters.
func (r *Replay) Stats() Stats { return Stats{} }

// Close closes the files.
func (r *Replay) Close() error { return r.set.Close() }

package capture

import (
	"errors"
	"io"
)

// Set reads several capture files as one stream of frames in timestamp
// order. It holds one frame per file at a time, so memory does not grow with
// the number of frames.
type Set struct {
	paths  []string
	files  []*File
	heap   []*File // files with a pending frame, earliest first at heap[0]
	last   *File   // file whose frame Next returned last, advanced on the next call
	primed bool
	frames int
}

// OpenAll opens every path (see Open) and returns a Set that merges their
// frames. If any file cannot be opened, the ones already opened are closed
// and the error, which names the file, is returned.
func OpenAll(paths []string) (*Set, error) {
	if len(paths) == 0 {
		return nil, ErrNoFiles
	}
	s := &Set{paths: paths, files: make([]*File, 0, len(paths)), heap: make([]*File, 0, len(paths))}
	for i, p := range paths {
		f, err := Open(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		f.frame.File = i
		s.files = append(s.files, f)
	}
	return s, nil
}

// Next returns the frame with the earliest timestamp among all files, or
// io.EOF when every file is finished. Frames with equal timestamps come in
// file order, and a file's frames always come in its own order, even when
// its timestamps go backwards. Frame.File is the index of the file in the
// paths given to OpenAll.
//
// The frame and its Data are valid only until the next call to Next. Bad
// records end their file early and become Problems, never errors.
func (s *Set) Next() (*Frame, error) {
	switch {
	case !s.primed:
		s.primed = true
		for _, f := range s.files {
			if _, err := f.Next(); err == nil {
				s.push(f)
			}
		}
	case s.last != nil:
		// s.last is still heap[0]: nothing touched the heap since.
		if _, err := s.last.Next(); err == nil {
			s.down(0)
		} else {
			n := len(s.heap) - 1
			s.heap[0] = s.heap[n]
			s.heap[n] = nil
			s.heap = s.heap[:n]
			s.down(0)
		}
		s.last = nil
	}
	if len(s.heap) == 0 {
		return nil, io.EOF
	}
	s.last = s.heap[0]
	s.frames++
	return &s.last.frame, nil
}

// before orders pending frames by time, then by file index.
func before(a, b *File) bool {
	if !a.frame.Time.Equal(b.frame.Time) {
		return a.frame.Time.Before(b.frame.Time)
	}
	return a.frame.File < b.frame.File
}

func (s *Set) push(f *File) {
	s.heap = append(s.heap, f)
	for i := len(s.heap) - 1; i > 0; {
		parent := (i - 1) / 2
		if !before(s.heap[i], s.heap[parent]) {
			break
		}
		s.heap[i], s.heap[parent] = s.heap[parent], s.heap[i]
		i = parent
	}
}

func (s *Set) down(i int) {
	for {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(s.heap) && before(s.heap[l], s.heap[least]) {
			least = l
		}
		if r < len(s.heap) && before(s.heap[r], s.heap[least]) {
			least = r
		}
		if least == i {
			return
		}
		s.heap[i], s.heap[least] = s.heap[least], s.heap[i]
		i = least
	}
}

// Frames returns the number of frames Next has returned so far.
func (s *Set) Frames() int { return s.frames }

// Files returns the paths given to OpenAll; Frame.File indexes it.
func (s *Set) Files() []string { return s.paths }

// Problems returns what was wrong with the files so far, in file order.
func (s *Set) Problems() []Problem {
	var ps []Problem
	for _, f := range s.files {
		ps = append(ps, f.problems...)
	}
	return ps
}

// Close closes every file and returns the errors met doing so.
func (s *Set) Close() error {
	var errs []error
	for _, f := range s.files {
		if err := f.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.heap = s.heap[:0]
	s.last = nil
	return errors.Join(errs...)
}

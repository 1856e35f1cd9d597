package capture

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readBufferSize is the read-ahead for files and for gzip output. It is at
// least bufio's default size, so pcapgo uses our bufio.Reader as is instead
// of stacking its own on top; at 1 MiB a carrier capture of gigabytes takes
// a sixteenth of the read calls 64 KiB would (a quarter less system time).
const readBufferSize = 1 << 20

// File reads the frames of one capture file in file order.
type File struct {
	name   string    // the path, or "stdin" for "-"
	closer io.Closer // nil for stdin, which is not ours to close

	src *source       // counts bytes delivered to br
	br  *bufio.Reader // what pcapgo reads from
	gz  *gzip.Reader  // nil unless the file is gzip-compressed

	pcap *pcapgo.Reader   // one of pcap and ng is set
	recs *pcapRecords     // reads pcap's records, after pcapgo read the file header
	ng   *pcapgo.NgReader // pcapng, with per-interface link types
	link layers.LinkType  // pcap: link type of every frame

	frame    Frame
	done     bool
	problems []Problem
}

// Open opens a pcap or pcapng capture, possibly gzip-compressed, for reading.
// The path "-" reads standard input. The format is detected from the first
// bytes, never from the file name.
//
// Errors name the file and wrap ErrEmptyFile, ErrUnknownFormat or
// ErrBadHeader, or the error from the operating system.
func Open(path string) (*File, error) {
	if path == "-" {
		return newFile("stdin", os.Stdin, nil)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err) // *PathError names the file
	}
	f, err := newFile(path, fh, fh)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return f, nil
}

func newFile(name string, r io.Reader, closer io.Closer) (*File, error) {
	f := &File{name: name, closer: closer}
	f.src = &source{r: r}
	f.br = bufio.NewReaderSize(f.src, readBufferSize)

	magic, err := f.br.Peek(4)
	if len(magic) == 0 && err == io.EOF {
		return nil, f.errorf(ErrEmptyFile, "")
	}
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(f.br)
		if err != nil {
			return nil, f.errorf(ErrBadHeader, ": gzip: %w", err)
		}
		f.gz = gz
		// Offsets in Problems are in the decompressed stream, where the
		// pcap or pcapng records are.
		f.src = &source{r: gz}
		f.br = bufio.NewReaderSize(f.src, readBufferSize)
		magic, err = f.br.Peek(4)
		if len(magic) == 0 && err == io.EOF {
			return nil, f.errorf(ErrEmptyFile, " (after gzip decompression)")
		}
	}
	if len(magic) < 4 {
		switch {
		case f.src.err != nil:
			return nil, f.errorf(ErrBadHeader, ": pcapng: %w", f.src.err)
		case err != nil && err != io.EOF:
			return nil, f.errorf(ErrBadHeader, ": %w", err)
		}
		return nil, f.errorf(ErrUnknownFormat, " (only %d bytes)", len(magic))
	}

	switch m := uint32(magic[0])<<24 | uint32(magic[1])<<16 | uint32(magic[2])<<8 | uint32(magic[3]); m {
	case 0xd4c3b2a1, 0xa1b2c3d4, 0x4d3cb2a1, 0xa1b23c4d: // µs and ns, little- and big-endian
		f.src.notNG = true
		r, err := pcapgo.NewReader(f.br)
		if err != nil {
			return nil, f.errorf(ErrBadHeader, ": pcap: %w", err)
		}
		// pcapgo takes records up to the header's snap length when that is
		// above 256 KiB; a corrupt header must not make it allocate more.
		r.SetSnaplen(min(r.Snaplen(), MaxRecordLength))
		f.pcap = r
		f.recs = newPcapRecords(f.br, m, r.Snaplen())
		f.link = canonicalLinkType(r.LinkType())
	case blockSHB:
		r, err := pcapgo.NewNgReader(f.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			if f.src.err != nil {
				err = f.src.err
			}
			return nil, f.errorf(ErrBadHeader, ": pcapng: %w", err)
		}
		f.ng = r
	default:
		return nil, f.errorf(ErrUnknownFormat, " (magic 0x%08x)", m)
	}
	return f, nil
}

// errorf builds "capture: NAME: SENTINEL" followed by the formatted detail.
func (f *File) errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("capture: %s: %w"+format, append([]any{f.name, sentinel}, args...)...)
}

// Name returns the file's path as given to Open, or "stdin".
func (f *File) Name() string { return f.name }

// Next returns the next frame in file order, or io.EOF after the last one.
// The frame and its Data are valid only until the next call to Next.
//
// A truncated or corrupt record ends the file early without an error: Next
// records a Problem (see Problems) and returns io.EOF, so the frames before
// it can still be analysed. Next returns no other error.
func (f *File) Next() (*Frame, error) {
	if f.done {
		return nil, io.EOF
	}
	start := f.offset()
	if f.ng == nil {
		if n, err := f.recs.next(&f.frame); err != nil {
			f.done = true
			f.fail(start, gopacket.CaptureInfo{CaptureLength: n}, err)
			return nil, io.EOF
		}
		f.frame.Number++
		f.frame.LinkType = f.link
		return &f.frame, nil
	}
	data, ci, err := f.ng.ZeroCopyReadPacketData()
	var link layers.LinkType
	if err == nil {
		var iface pcapgo.NgInterface
		iface, err = f.ng.Interface(ci.InterfaceIndex)
		link = canonicalLinkType(iface.LinkType)
	}
	if err != nil {
		f.done = true
		f.fail(start, ci, err)
		return nil, io.EOF
	}
	f.frame.Number++
	f.frame.Time = ci.Timestamp
	f.frame.LinkType = link
	f.frame.Data = data
	f.frame.Length = ci.Length
	return &f.frame, nil
}

// offset is the position of the next unread byte in the decompressed stream.
func (f *File) offset() int64 {
	return f.src.n - int64(f.br.Buffered())
}

// fail records why reading stopped at the record that started at offset
// start, unless it stopped at a clean end of file.
func (f *File) fail(start int64, ci gopacket.CaptureInfo, err error) {
	p := Problem{File: f.name, Frame: f.frame.Number + 1, Offset: start}
	switch {
	case f.src.err != nil:
		// Our block check stopped the stream; pcapgo may have wrapped or
		// replaced its error.
		p.Offset = f.src.blockStart
		p.Reason = f.src.err.Error()
	case err == io.EOF:
		return
	case errors.Is(err, io.ErrUnexpectedEOF):
		p.Reason = "truncated record"
	case f.pcap != nil && ci.CaptureLength > MaxRecordLength:
		p.Reason = fmt.Sprintf("%v: %d bytes, limit %d", ErrRecordTooLarge, ci.CaptureLength, MaxRecordLength)
	default:
		p.Reason = err.Error()
	}
	f.problems = append(f.problems, p)
}

// Problems returns what was wrong with the file, so far. Reading stops at
// the first bad record, so there is at most one.
func (f *File) Problems() []Problem { return f.problems }

// Close releases the file. It does not close standard input.
func (f *File) Close() error {
	f.done = true
	// A gzip.Reader's Close only repeats a decompression error, which is
	// already a Problem.
	if f.closer != nil {
		if err := f.closer.Close(); err != nil {
			return fmt.Errorf("capture: %w", err)
		}
	}
	return nil
}

// canonicalLinkType maps the platform-specific DLT_RAW values that some
// writers put in files (12 on most systems, 14 on OpenBSD) to LINKTYPE_RAW,
// so later stages see one value for raw IP. Other types pass through:
// Ethernet, Linux SLL and SLL2, IPv4, IPv6, DLT_NULL and LOOP.
func canonicalLinkType(t layers.LinkType) layers.LinkType {
	switch t {
	case 12, 14:
		return layers.LinkTypeRaw
	}
	return t
}

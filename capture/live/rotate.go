package live

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/capture"
)

// RotateOptions say where and how a Rotator writes.
type RotateOptions struct {
	Dir    string // directory for the files; created if missing
	Prefix string // file name prefix; default "sipscope"
	// Size starts a new file when the next frame would take the current one
	// past this many bytes; 0: no size limit.
	Size int64
	// Every starts a new file when the next frame is this much later than
	// the current file's first frame; 0: no time limit.
	Every time.Duration
	// Keep deletes the oldest files this Rotator wrote so that at most Keep
	// remain; 0 keeps all. Files already in Dir are never touched.
	Keep     int
	LinkType layers.LinkType
	Snaplen  int
}

// minRotateSize is the smallest size limit NewRotator accepts.
const minRotateSize = 1 << 10

// pcap sizes, for the size limit.
const (
	pcapFileHeader   = 24
	pcapRecordHeader = 16
)

// Rotator writes frames to a series of pcap files, starting a new one by
// size and by time and keeping the newest N. Files are named
// PREFIX-YYYYMMDDTHHMMSSZ-NNNN.pcap after the (UTC) time of their first frame
// and a sequence number, so they sort in time order.
//
// Place tells the file and frame number a frame will have, before it is
// decoded: the analysis cites frames by number, and those numbers must be
// the ones Wireshark shows in the written file.
type Rotator struct {
	opts  RotateOptions
	files []string // every file written, in order; index = Frame.File
	live  []string // files written and not yet deleted

	f       *os.File
	bw      *bufio.Writer
	w       *pcapgo.Writer
	size    int64     // bytes in the current file
	count   int       // frames in the current file
	first   time.Time // time of the current file's first frame
	deleted int       // files deleted to honour Keep
}

// NewRotator checks that opts.Dir can be written (creating it) and returns a
// Rotator. The first file is created with the first frame.
func NewRotator(opts RotateOptions) (*Rotator, error) {
	if opts.Prefix == "" {
		opts.Prefix = "sipscope"
	}
	if opts.Snaplen <= 0 {
		opts.Snaplen = DefaultSnaplen
	}
	if opts.Size < 0 || opts.Every < 0 || opts.Keep < 0 {
		return nil, errors.New("live: rotation limits must not be negative")
	}
	if opts.Size > 0 && opts.Size < minRotateSize {
		// A frame larger than Size still gets a file of its own; this only
		// refuses sizes that are surely a mistake (100 meaning 100 MB).
		return nil, fmt.Errorf("live: rotate size %d bytes is below the minimum of %d", opts.Size, minRotateSize)
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("live: -w: %w", err)
	}
	probe, err := os.CreateTemp(opts.Dir, ".sipscope-probe-*")
	if err != nil {
		return nil, fmt.Errorf("live: -w %s is not writable: %w", opts.Dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Rotator{opts: opts}, nil
}

// rotates reports whether a frame of n bytes at t starts a new file.
func (r *Rotator) rotates(t time.Time, n int) bool {
	if r.w == nil {
		return true
	}
	if r.count == 0 {
		return false
	}
	if r.opts.Size > 0 && r.size+pcapRecordHeader+int64(n) > r.opts.Size {
		return true
	}
	return r.opts.Every > 0 && t.Sub(r.first) >= r.opts.Every
}

// Place returns the file index (into Files) and 1-based frame number that a
// frame with this time and length will have if Write is called for it
// next. It starts the next file first when the limits say so, so the file
// is named (Files) before anything cites it.
func (r *Rotator) Place(t time.Time, n int) (file, number int, err error) {
	if r.rotates(t, n) {
		if err := r.next(t); err != nil {
			return len(r.files) - 1, 1, err
		}
	}
	return len(r.files) - 1, r.count + 1, nil
}

// Write writes a frame at the place Place gave it (calling Place first if
// the caller did not).
func (r *Rotator) Write(f *capture.Frame) error {
	if _, _, err := r.Place(f.Time, len(f.Data)); err != nil {
		return err
	}
	ci := gopacket.CaptureInfo{Timestamp: f.Time, CaptureLength: len(f.Data), Length: max(f.Length, len(f.Data))}
	if err := r.w.WritePacket(ci, f.Data); err != nil {
		return fmt.Errorf("live: writing %s: %w", r.files[len(r.files)-1], err)
	}
	r.size += pcapRecordHeader + int64(len(f.Data))
	r.count++
	return nil
}

// next closes the current file and starts the next.
func (r *Rotator) next(t time.Time) error {
	if err := r.closeCurrent(); err != nil {
		return err
	}
	name := filepath.Join(r.opts.Dir, fmt.Sprintf("%s-%s-%04d.pcap", r.opts.Prefix, t.UTC().Format("20060102T150405Z"), len(r.files)+1))
	// The index is taken even if the file cannot be created, so that
	// Where's promise about file indexes holds.
	r.files = append(r.files, name)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	r.f = f
	r.bw = bufio.NewWriterSize(f, 64<<10)
	r.w = pcapgo.NewWriterNanos(r.bw)
	if err := r.w.WriteFileHeader(uint32(r.opts.Snaplen), r.opts.LinkType); err != nil {
		return fmt.Errorf("live: writing %s: %w", name, err)
	}
	r.size, r.count, r.first = pcapFileHeader, 0, t
	r.live = append(r.live, name)
	for r.opts.Keep > 0 && len(r.live) > r.opts.Keep {
		if err := os.Remove(r.live[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("live: %w", err)
		}
		r.live = r.live[1:]
		r.deleted++
	}
	return nil
}

func (r *Rotator) closeCurrent() error {
	if r.f == nil {
		return nil
	}
	err := r.bw.Flush()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f, r.bw, r.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}

// Flush writes buffered frames to the current file, so that it can be read
// while the capture goes on.
func (r *Rotator) Flush() error {
	if r.bw == nil {
		return nil
	}
	return r.bw.Flush()
}

// Files returns every file written, in order, deleted ones included:
// capture.Frame.File indexes it.
func (r *Rotator) Files() []string { return r.files }

// Kept returns the files written and still on disk, oldest first.
func (r *Rotator) Kept() []string { return r.live }

// Deleted returns how many files were deleted to honour Keep.
func (r *Rotator) Deleted() int { return r.deleted }

// Close flushes and closes the current file.
func (r *Rotator) Close() error { return r.closeCurrent() }

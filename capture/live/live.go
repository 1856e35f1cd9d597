// Package live captures frames from a network interface as they pass, for
// sipscope's live mode: an AF_PACKET socket with a TPACKET_V3 memory-mapped
// ring (gopacket's pure-Go afpacket, no libpcap, no cgo), a classic BPF filter
// the kernel runs before copying a packet, and rotating pcap files for what
// the analysis kept.
//
// Like the rest of capture it knows nothing of SIP: it yields frames. Live
// capture is Linux-only; on other systems Open returns ErrUnsupported and
// the rest of the package (filters, rotation) still builds and works.
package live

import (
	"errors"
	"time"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/sipscope/sipscope/capture"
)

// Errors a Source returns besides the system's.
var (
	// ErrTimeout: no frame arrived within the poll interval. The caller
	// does its periodic work and calls Next again.
	ErrTimeout = errors.New("live: no frame within the poll interval")
	// ErrUnsupported: live capture is not available on this system.
	ErrUnsupported = errors.New("live: live capture is Linux-only (AF_PACKET); on this system read capture files instead")
)

// Source yields frames as they are captured. A network interface is one
// (Open); a HEP listener or a replayed file can be another.
type Source interface {
	// Next returns the next frame, ErrTimeout when none came within the
	// poll interval, or io.EOF when the source has ended (an interface
	// never does). The frame and its Data are valid only until the next
	// call; Frame.File and Frame.Number are the caller's to set.
	Next() (*capture.Frame, error)
	// LinkType is the link type of every frame, for files written from them.
	LinkType() layers.LinkType
	// Stats returns the kernel's counters; zero for sources that have none.
	Stats() Stats
	// Close releases the source.
	Close() error
}

// Stats are the kernel's counters for a capture socket since it opened.
type Stats struct {
	Packets uint64 // packets that passed the filter
	Drops   uint64 // of those, dropped because the ring was full
}

// Options say what to capture.
type Options struct {
	// Interface is the interface name, or "any" for all of them.
	Interface string
	// Promiscuous asks the interface to pass frames addressed to other
	// hosts (a SPAN port, a hub). Not available with "any".
	Promiscuous bool
	// Snaplen is how many bytes of each packet are kept; 0 means
	// DefaultSnaplen.
	Snaplen int
	// RingSize is the size of the kernel ring in bytes; 0 means
	// DefaultRingSize. A larger ring absorbs longer bursts before the
	// kernel drops.
	RingSize int
	// Filter selects the packets when Program is nil.
	Filter Filter
	// Program, when set, is a ready classic BPF program for the socket's
	// link (see CompileExpr); Filter is then ignored.
	Program func(Link) ([]bpf.RawInstruction, error)
	// PollTimeout bounds how long Next waits for a frame before it returns
	// ErrTimeout; 0 means DefaultPollTimeout.
	PollTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultRingSize    = 32 << 20
	DefaultPollTimeout = 200 * time.Millisecond
	// blockSize is the TPACKET_V3 block: frames are packed into blocks,
	// which the kernel hands over when full or after blockTimeout, and a
	// block handed over is the reader's until it has read all of it. On a
	// quiet link each block holds only the few frames of one timeout, so
	// the ring absorbs a stalled reader for about blocks*blockTimeout:
	// small blocks make that long (32 MiB: 256 blocks, 25 s). A block must
	// still hold the largest frame (64 KiB on loopback with offloads).
	blockSize    = 128 << 10
	blockTimeout = 100 * time.Millisecond
)

// Program compiles the filter of opts for link l, as Open would.
func (o *Options) program(l Link) ([]bpf.RawInstruction, error) {
	if o.Program != nil {
		return o.Program(l)
	}
	ins, err := Compile(o.Filter, l)
	if err != nil {
		return nil, err
	}
	return bpf.Assemble(ins)
}

package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket"
)

// pcapRecords reads the records of a classic pcap file straight out of the
// bufio.Reader's buffer: pcapgo copies every record twice (header and data
// through io.ReadFull), which costs as much as decoding an RTP frame. It
// returns the same errors as pcapgo's ZeroCopyReadPacketData, so File.fail
// reports the same problems, with one exception: a record header followed
// by no data at all is a truncated record here, where pcapgo (io.ReadFull
// reading nothing) sees a clean end of file and the damage went unreported.
type pcapRecords struct {
	br      *bufio.Reader
	big     bool // big-endian file
	nanos   bool // nanosecond timestamps
	snaplen uint32
	buf     []byte // records larger than br's buffer
}

// newPcapRecords reads records after the file header pcapgo has consumed;
// magic is the file's first four bytes, read big-endian.
func newPcapRecords(br *bufio.Reader, magic uint32, snaplen uint32) *pcapRecords {
	r := &pcapRecords{br: br, snaplen: snaplen}
	switch magic {
	case 0xa1b2c3d4: // µs, big-endian
		r.big = true
	case 0xa1b23c4d: // ns, big-endian
		r.big, r.nanos = true, true
	case 0x4d3cb2a1: // ns, little-endian
		r.nanos = true
	}
	return r
}

func (r *pcapRecords) u32(b []byte) uint32 {
	if r.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// next returns the next record; data is valid until the next call.
func (r *pcapRecords) next() (data []byte, ci gopacket.CaptureInfo, err error) {
	hdr, err := r.br.Peek(16)
	if len(hdr) < 16 {
		if len(hdr) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, ci, err
	}
	sub := r.u32(hdr[4:8])
	if !r.nanos {
		sub *= 1000
	}
	ci.Timestamp = time.Unix(int64(r.u32(hdr[0:4])), int64(sub)).UTC()
	ci.CaptureLength = int(r.u32(hdr[8:12]))
	ci.Length = int(r.u32(hdr[12:16]))
	if ci.CaptureLength > MaxRecordLength {
		return nil, ci, fmt.Errorf("capture length exceeds snap length: %d > %d", ci.CaptureLength, r.snaplen)
	}
	if ci.CaptureLength > ci.Length {
		return nil, ci, fmt.Errorf("capture length exceeds original packet length: %d > %d", ci.CaptureLength, ci.Length)
	}
	if _, err := r.br.Discard(16); err != nil {
		return nil, ci, err
	}
	n := ci.CaptureLength
	if n > r.br.Size() {
		if cap(r.buf) < n {
			r.buf = make([]byte, n)
		}
		data = r.buf[:n]
		_, err = io.ReadFull(r.br, data)
		return data, ci, err
	}
	data, err = r.br.Peek(n)
	if len(data) < n {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, ci, err
	}
	// The bytes stay in the buffer until the next Peek refills it.
	_, err = r.br.Discard(n)
	return data, ci, err
}

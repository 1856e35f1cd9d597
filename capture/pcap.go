package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"time"
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

// next reads the next record into fr (Time, Data, Length), leaving fr as
// it was when it fails; Data is valid until the next call. capLen is the
// record's capture length, for the error.
func (r *pcapRecords) next(fr *Frame) (capLen int, err error) {
	hdr, err := r.br.Peek(16)
	if len(hdr) < 16 {
		if len(hdr) > 0 && err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, err
	}
	sub := r.u32(hdr[4:8])
	if !r.nanos {
		sub *= 1000
	}
	ts := time.Unix(int64(r.u32(hdr[0:4])), int64(sub)).UTC()
	n, length := int(r.u32(hdr[8:12])), int(r.u32(hdr[12:16]))
	if n > MaxRecordLength {
		return n, fmt.Errorf("capture length exceeds snap length: %d > %d", n, r.snaplen)
	}
	if n > length {
		return n, fmt.Errorf("capture length exceeds original packet length: %d > %d", n, length)
	}
	var data []byte
	if 16+n > r.br.Size() {
		if _, err := r.br.Discard(16); err != nil {
			return n, err
		}
		if cap(r.buf) < n {
			r.buf = make([]byte, n)
		}
		data = r.buf[:n]
		if _, err := io.ReadFull(r.br, data); err != nil {
			return n, err
		}
	} else {
		// Header and data in one Peek: the bytes stay in the buffer until
		// the next Peek refills it.
		rec, err := r.br.Peek(16 + n)
		if len(rec) < 16+n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		if _, err := r.br.Discard(16 + n); err != nil {
			return n, err
		}
		data = rec[16:]
	}
	fr.Time, fr.Data, fr.Length = ts, data, length
	return n, nil
}

// Command recordwalk is the floor of bench/compare.sh: it reads a pcap or
// pcapng file and walks its record headers, doing nothing with the frames,
// so no analyser can read the file faster. It prints the number of records.
//
//	go run ./internal/recordwalk bench/bench.pcap
//
// It reads with plain 1 MiB read calls, the way the kernel hands a file
// over most cheaply, and knows only enough of the formats to find the next
// record; gzip-compressed files are not supported.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: recordwalk FILE")
		os.Exit(2)
	}
	n, bytes, err := walk(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "recordwalk:", err)
		os.Exit(1)
	}
	fmt.Printf("%d records, %d bytes\n", n, bytes)
}

// walk returns the number of packet records and the bytes read.
func walk(path string) (records int, total int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	r := &reader{f: f, buf: buf}
	hdr, err := r.next(24)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	var order binary.ByteOrder
	ng := false
	switch binary.BigEndian.Uint32(hdr[0:4]) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		order = binary.BigEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		order = binary.LittleEndian
	case 0x0a0d0d0a:
		ng = true
		if binary.LittleEndian.Uint32(hdr[8:12]) == 0x1a2b3c4d {
			order = binary.LittleEndian
		} else {
			order = binary.BigEndian
		}
		// Skip the rest of the section header block.
		if _, err := r.next(int(order.Uint32(hdr[4:8])) - 24); err != nil {
			return 0, r.total, err
		}
	default:
		return 0, 0, fmt.Errorf("%s: not a pcap or pcapng file", path)
	}
	for {
		if ng {
			h, err := r.next(8)
			if err != nil {
				return records, r.total, eof(err)
			}
			typ, n := order.Uint32(h[0:4]), int(order.Uint32(h[4:8]))
			if n < 12 {
				return records, r.total, fmt.Errorf("%s: bad block length %d", path, n)
			}
			if typ == 6 || typ == 3 || typ == 2 {
				records++
			}
			if _, err := r.next(n - 8); err != nil {
				return records, r.total, eof(err)
			}
			continue
		}
		h, err := r.next(16)
		if err != nil {
			return records, r.total, eof(err)
		}
		records++
		if _, err := r.next(int(order.Uint32(h[8:12]))); err != nil {
			return records, r.total, eof(err)
		}
	}
}

func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// reader hands out n bytes at a time from a file read in large chunks.
type reader struct {
	f     *os.File
	buf   []byte
	r, w  int
	total int64
}

func (r *reader) next(n int) ([]byte, error) {
	if n > len(r.buf) {
		r.buf = append(r.buf, make([]byte, n)...)
	}
	for r.w-r.r < n {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= r.r
		r.r = 0
		m, err := r.f.Read(r.buf[r.w:])
		r.w += m
		r.total += int64(m)
		if m == 0 && err != nil {
			if r.w > 0 && err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	b := r.buf[r.r : r.r+n]
	r.r += n
	return b, nil
}

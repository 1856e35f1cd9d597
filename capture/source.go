package capture

import (
	"encoding/binary"
	"fmt"
	"io"
)

// pcapng block types the source checks (pcapng spec §4).
const (
	blockSHB = 0x0A0D0D0A // Section Header Block; the value reads the same in both byte orders
	blockPB  = 0x00000002 // Packet Block (obsolete)
	blockSPB = 0x00000003 // Simple Packet Block
	blockEPB = 0x00000006 // Enhanced Packet Block
	blockDSB = 0x0000000A // Decryption Secrets Block

	byteOrderMagic = 0x1A2B3C4D

	// maxPacketBlock leaves room for a packet block's fixed fields and options.
	maxPacketBlock = MaxRecordLength + 64<<10
	// maxBlock bounds every other block (name resolution, decryption secrets,
	// custom blocks): far above real ones, low enough that a corrupt length
	// cannot make pcapgo read much.
	maxBlock = 16 << 20
)

// source counts the bytes read from the (decompressed) stream below the
// bufio.Reader that pcapgo reads from, so the reader knows at which offset a
// bad record starts.
//
// When the stream is pcapng, source also checks every block header as it
// passes: pcapgo trusts block and captured lengths and, on a corrupt one,
// reads the rest of the file into one slice. source stops the stream at the
// start of such a block instead, with an error that the File turns into a
// Problem; the good blocks before it are still delivered.
type source struct {
	r io.Reader
	n int64 // bytes delivered to the reader above

	notNG bool  // the stream does not start with a pcapng section header: count only
	err   error // sticky error from a bad block

	hdr        [24]byte // the block header being collected
	hlen       int      // bytes of hdr collected
	skip       int64    // bytes of the current block still to pass unchecked
	big        bool     // byte order of the current section
	blockStart int64    // offset of the block whose header is in hdr, or of the bad block
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if !s.notNG && n > 0 {
		if bad := s.check(p[:n]); bad != nil {
			s.err = bad
			// Deliver the bytes before the bad block; the error comes next.
			k := max(s.blockStart-s.n, 0)
			s.n += k
			if k == 0 {
				return 0, bad
			}
			return int(k), nil
		}
	}
	s.n += int64(n)
	return n, err
}

func (s *source) order() binary.ByteOrder {
	if s.big {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// headerLen is how many header bytes of the current block check needs: type
// and length, plus the byte-order magic of a section header, or the inner
// length of a packet or decryption secrets block, which pcapgo reads without
// comparing it to the block length.
func (s *source) headerLen() int {
	if s.hlen < 8 {
		return 8
	}
	if binary.LittleEndian.Uint32(s.hdr[0:4]) == blockSHB {
		return 12
	}
	switch s.order().Uint32(s.hdr[0:4]) {
	case blockEPB, blockPB:
		return 24
	case blockSPB:
		return 12
	case blockDSB:
		return 16
	}
	return 8
}

// check follows the block structure through b, which continues the stream at
// offset s.n. It returns an error for the first bad block header, whose
// offset is then in s.blockStart.
func (s *source) check(b []byte) error {
	for i := 0; i < len(b) && !s.notNG; {
		if s.skip > 0 {
			k := min(s.skip, int64(len(b)-i))
			s.skip -= k
			i += int(k)
			continue
		}
		if s.hlen == 0 {
			s.blockStart = s.n + int64(i)
		}
		c := copy(s.hdr[s.hlen:s.headerLen()], b[i:])
		i += c
		s.hlen += c
		if s.hlen < s.headerLen() {
			continue
		}
		if err := s.block(); err != nil {
			return err
		}
	}
	return nil
}

// block checks a complete block header in s.hdr and arranges to skip the
// block's body.
func (s *source) block() error {
	typ := binary.LittleEndian.Uint32(s.hdr[0:4])
	if typ != blockSHB && s.blockStart == 0 {
		s.notNG = true // pcap, or something pcapgo will reject anyway
		return nil
	}
	minLen, maxLen := uint32(12), uint32(maxBlock)
	if typ == blockSHB {
		switch {
		case binary.BigEndian.Uint32(s.hdr[8:12]) == byteOrderMagic:
			s.big = true
		case binary.LittleEndian.Uint32(s.hdr[8:12]) == byteOrderMagic:
			s.big = false
		default:
			return s.bad(ErrCorruptBlock, "section header with byte-order magic 0x%08x", binary.LittleEndian.Uint32(s.hdr[8:12]))
		}
		minLen = 28
	}
	o := s.order()
	typ = o.Uint32(s.hdr[0:4])
	length := o.Uint32(s.hdr[4:8])
	switch typ {
	case blockEPB, blockPB:
		minLen, maxLen = 32, maxPacketBlock
		if caplen := o.Uint32(s.hdr[20:24]); caplen > MaxRecordLength {
			return s.bad(ErrRecordTooLarge, "%d bytes, limit %d", caplen, MaxRecordLength)
		} else if length >= minLen && caplen > length-minLen {
			return s.bad(ErrCorruptBlock, "captured length %d overruns its %d-byte block", caplen, length)
		}
	case blockSPB:
		minLen, maxLen = 16, maxPacketBlock
		if origlen := o.Uint32(s.hdr[8:12]); origlen > MaxRecordLength {
			return s.bad(ErrRecordTooLarge, "%d bytes, limit %d", origlen, MaxRecordLength)
		}
	case blockDSB:
		minLen = 20
		if n := o.Uint32(s.hdr[12:16]); length >= minLen && n > length-minLen {
			return s.bad(ErrCorruptBlock, "decryption secrets of %d bytes overrun their %d-byte block", n, length)
		}
	}
	switch {
	case length < minLen:
		return s.bad(ErrCorruptBlock, "block type 0x%08x with length %d, below its minimum of %d", typ, length, minLen)
	case length > maxLen:
		return s.bad(ErrRecordTooLarge, "block type 0x%08x of %d bytes, limit %d", typ, length, maxLen)
	}
	s.skip = int64(length) - int64(s.hlen)
	s.hlen = 0
	return nil
}

func (s *source) bad(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

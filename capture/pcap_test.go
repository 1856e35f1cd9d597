package capture

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// pcapHeader is a classic pcap file header that starts with the bytes of
// magic (as newFile reads them, big-endian), its other fields in the byte
// order that magic stands for.
func pcapHeader(magic uint32, snaplen uint32) []byte {
	var order binary.ByteOrder = binary.LittleEndian
	if magic == 0xa1b2c3d4 || magic == 0xa1b23c4d {
		order = binary.BigEndian
	}
	h := make([]byte, 24)
	binary.BigEndian.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], snaplen)
	order.PutUint32(h[20:], 1) // Ethernet
	return h
}

// FuzzPcapRecords: our record reader returns what pcapgo's does, record by
// record, errors included, on any bytes after a valid file header; but for a
// record header followed by no data, which it reports as truncated where
// pcapgo sees a clean end of file.
func FuzzPcapRecords(f *testing.F) {
	rec := func(order binary.ByteOrder, sec, sub, caplen, length uint32, data []byte) []byte {
		b := make([]byte, 16)
		order.PutUint32(b[0:], sec)
		order.PutUint32(b[4:], sub)
		order.PutUint32(b[8:], caplen)
		order.PutUint32(b[12:], length)
		return append(b, data...)
	}
	le := binary.LittleEndian
	f.Add(uint8(0), rec(le, 1, 2, 3, 3, []byte("abc")))
	f.Add(uint8(1), rec(binary.BigEndian, 1, 999999999, 2, 60, []byte("ab")))
	f.Add(uint8(0), rec(le, 1, 2, 5, 3, []byte("abcde")))
	f.Add(uint8(0), rec(le, 1, 2, 1<<30, 1<<30, nil))
	f.Add(uint8(0), rec(le, 1, 2, 10, 10, []byte("short"))[:20])
	magics := []uint32{0xd4c3b2a1, 0xa1b2c3d4, 0x4d3cb2a1, 0xa1b23c4d}
	f.Fuzz(func(t *testing.T, m uint8, rest []byte) {
		magic := magics[int(m)%len(magics)]
		file := append(pcapHeader(magic, 65535), rest...)
		ref, err := pcapgo.NewReader(bytes.NewReader(file))
		if err != nil {
			t.Fatal(err) // the header is valid
		}
		ref.SetSnaplen(min(ref.Snaplen(), MaxRecordLength))
		br := bufio.NewReaderSize(bytes.NewReader(file), readBufferSize)
		if _, err := br.Discard(24); err != nil {
			t.Fatal(err)
		}
		ours := newPcapRecords(br, magic, ref.Snaplen())
		for i := 0; ; i++ {
			wd, wci, werr := ref.ZeroCopyReadPacketData()
			var fr Frame
			n, gerr := ours.next(&fr)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("record %d: error %v, pcapgo %v", i, gerr, werr)
			}
			if werr != nil {
				// A record header with no data after it is a truncated
				// record; pcapgo takes it for the end of the file.
				if werr == io.EOF && gerr == io.ErrUnexpectedEOF && n > 0 {
					return
				}
				if werr.Error() != gerr.Error() && !(errors.Is(werr, io.ErrUnexpectedEOF) && errors.Is(gerr, io.ErrUnexpectedEOF)) {
					t.Fatalf("record %d: error %q, pcapgo %q", i, gerr, werr)
				}
				return
			}
			if !bytes.Equal(wd, fr.Data) || !wci.Timestamp.Equal(fr.Time) || wci.CaptureLength != n || wci.Length != fr.Length {
				t.Fatalf("record %d: %v %d %d %x, pcapgo %v %x", i, fr.Time, n, fr.Length, fr.Data, wci, wd)
			}
			if fr.Time.Location() != time.UTC {
				t.Fatalf("record %d: timestamp not in UTC", i)
			}
		}
	})
}

// A file that ends right after a record header is cut, not finished: the
// frame is reported as truncated.
func TestPcapHeaderWithoutData(t *testing.T) {
	le := binary.LittleEndian
	file := pcapHeader(0xd4c3b2a1, 65535)
	for _, caplen := range []uint32{3, 10} {
		h := make([]byte, 16)
		le.PutUint32(h[8:], caplen)
		le.PutUint32(h[12:], caplen)
		file = append(file, h...)
		if caplen == 3 {
			file = append(file, "abc"...)
		}
	}
	n, f, err := readBytes(file)
	if err != nil {
		t.Fatal(err)
	}
	if p := f.Problems(); n != 1 || len(p) != 1 || p[0].Frame != 2 || p[0].Reason != "truncated record" {
		t.Errorf("%d frames, problems %+v; want 1 frame and frame 2 truncated", n, p)
	}
}

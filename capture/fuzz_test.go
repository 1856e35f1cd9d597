package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// seedPcap and seedPcapng are small valid captures for the fuzz corpus.
func seedPcap(tb testing.TB, n int) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		data := bytes.Repeat([]byte{byte(i)}, 20+i)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1e9+int64(i), 0), CaptureLength: len(data), Length: len(data) + i}
		if err := w.WritePacket(ci, data); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

func seedPcapng(tb testing.TB, n int) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet}, pcapgo.NgWriterOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeLinuxSLL2}); err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		data := bytes.Repeat([]byte{byte(i)}, 20+i)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1e9+int64(i), 0), CaptureLength: len(data), Length: len(data), InterfaceIndex: i % 2}
		if err := w.WritePacket(ci, data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// readBytes reads a whole capture held in memory, as Open would read it
// from a file, and returns the frame count and the file.
func readBytes(data []byte) (int, *File, error) {
	f, err := newFile("fuzz", bytes.NewReader(data), nil)
	if err != nil {
		return 0, nil, err
	}
	n := 0
	for {
		fr, err := f.Next()
		if err == io.EOF {
			return n, f, nil
		}
		if err != nil {
			return n, f, err
		}
		n++
		if fr.Number != n {
			return n, f, io.ErrNoProgress
		}
		if len(fr.Data) > MaxRecordLength {
			return n, f, io.ErrShortBuffer
		}
	}
}

// FuzzRead feeds arbitrary bytes to the reader as a capture file. It must not
// panic, hang, return an error other than io.EOF from Next, or record more
// than one Problem; a frame must never exceed MaxRecordLength.
func FuzzRead(f *testing.F) {
	pcap, ng := seedPcap(f, 3), seedPcapng(f, 3)
	for _, seed := range [][]byte{
		pcap, ng, gz(pcap), gz(ng),
		pcap[:len(pcap)-5], ng[:len(ng)-5],
		{}, {0x1f, 0x8b}, []byte("not a capture"),
	} {
		f.Add(seed)
	}
	for _, head := range realCaptureHeads(f, 8192, "sip-auth-failure.pcapng", "sip_ipv4_tcp.pcap", "DTMFsipinfo.pcap") {
		f.Add(head)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, file, err := readBytes(data)
		if file == nil {
			return // rejected at Open
		}
		if err != nil {
			t.Fatalf("after %d frames: %v", n, err)
		}
		if p := file.Problems(); len(p) > 1 {
			t.Fatalf("%d problems, want at most one: %+v", len(p), p)
		}
	})
}

// TestHugeLengthsDoNotAllocate checks that length fields claiming gigabytes
// cost no more memory than the bytes actually present, plus fixed buffers.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	le := binary.LittleEndian
	pcap := seedPcap(t, 2)
	le.PutUint32(pcap[16:], 0xffffffff) // snaplen
	hugePcap := append(append([]byte{}, pcap...), 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff)
	hugePcap = append(hugePcap, make([]byte, 1000)...)

	ng := seedPcapng(t, 2)
	epb := func(blockLen, caplen uint32) []byte {
		b := le.AppendUint32(nil, blockEPB)
		b = le.AppendUint32(b, blockLen)
		b = append(b, make([]byte, 12)...)
		b = le.AppendUint32(b, caplen)
		b = le.AppendUint32(b, caplen)
		return append(b, make([]byte, 1000)...)
	}
	dsb := le.AppendUint32(nil, 0x0000000A) // decryption secrets block
	dsb = le.AppendUint32(dsb, 32)
	dsb = le.AppendUint32(dsb, 0x544c534b) // TLS key log
	dsb = le.AppendUint32(dsb, 0xfffffff0) // secrets length
	dsb = append(dsb, make([]byte, 1000)...)

	tests := []struct {
		name   string
		file   []byte
		frames int
		reason string
	}{
		{"pcap record of 4 GB under a 4 GB snaplen", hugePcap, 2,
			"record too large: 4294967280 bytes, limit 262144"},
		{"pcapng block of 4 GB", append(append([]byte{}, ng...), epb(0xfffffff0, 100)...), 2,
			"record too large: block type 0x00000006 of 4294967280 bytes, limit 327680"},
		{"pcapng captured length of 4 GB", append(append([]byte{}, ng...), epb(1024, 0xfffffff0)...), 2,
			"record too large: 4294967280 bytes, limit 262144"},
		{"pcapng secrets of 4 GB", append(append([]byte{}, ng...), dsb...), 2,
			"corrupt block: decryption secrets of 4294967280 bytes overrun their 32-byte block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n, file, err := readBytes(tt.file)
			runtime.ReadMemStats(&after)
			if err != nil || file == nil {
				t.Fatalf("read: %v", err)
			}
			if p := file.Problems(); n != tt.frames || len(p) != 1 || p[0].Reason != tt.reason {
				t.Errorf("%d frames, problems %+v; want %d frames and the problem %q", n, p, tt.frames, tt.reason)
			}
			// Two 1 MiB read buffers and pcapgo's packet buffer (at most
			// MaxRecordLength) are expected; gigabytes are not.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("allocated %d bytes", alloc)
			}
		})
	}
}

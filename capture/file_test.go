package capture_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

func TestOpenFormats(t *testing.T) {
	eth := layers.LinkTypeEthernet
	// Nanosecond timestamps, to check the fraction survives in ns files.
	ns1, ns2 := t0, t0.Add(1500*time.Microsecond+7)
	two := []rec{{time: at(0), data: "first frame"}, {time: at(20 * time.Millisecond), data: "second", length: 1514}}
	wantTwo := func(link layers.LinkType, times ...time.Time) []got {
		if len(times) == 0 {
			times = []time.Time{at(0), at(20 * time.Millisecond)}
		}
		return []got{
			{Number: 1, Time: times[0], Link: link, Data: "first frame", Length: 11},
			{Number: 2, Time: times[1], Link: link, Data: "second", Length: 1514},
		}
	}
	nsRecs := []rec{{time: ns1, data: "first frame"}, {time: ns2, data: "second", length: 1514}}

	tests := []struct {
		name string
		file []byte
		want []got
	}{
		{"pcap µs little-endian", pcapFile(t, false, eth, two...), wantTwo(eth)},
		{"pcap ns little-endian", pcapFile(t, true, eth, nsRecs...), wantTwo(eth, ns1, ns2)},
		{"pcap µs big-endian", bigEndianPcap(false, 1, two...), wantTwo(eth)},
		{"pcap ns big-endian", bigEndianPcap(true, 1, nsRecs...), wantTwo(eth, ns1, ns2)},
		{"pcap gzip", gzipped(t, pcapFile(t, false, eth, two...)), wantTwo(eth)},
		{"pcap header only", pcapFile(t, false, eth), nil},
		{"pcap Linux SLL", pcapFile(t, false, layers.LinkTypeLinuxSLL, two...), wantTwo(layers.LinkTypeLinuxSLL)},
		{"pcap Linux SLL2", pcapFile(t, false, layers.LinkTypeLinuxSLL2, two...), wantTwo(layers.LinkTypeLinuxSLL2)},
		{"pcap LINKTYPE_RAW", pcapFile(t, false, layers.LinkTypeRaw, two...), wantTwo(layers.LinkTypeRaw)},
		{"pcap DLT_RAW 12", pcapFile(t, false, 12, two...), wantTwo(layers.LinkTypeRaw)},
		{"pcap DLT_RAW 14 (OpenBSD)", bigEndianPcap(false, 14, two...), wantTwo(layers.LinkTypeRaw)},
		{"pcap IPv4", pcapFile(t, false, layers.LinkTypeIPv4, two...), wantTwo(layers.LinkTypeIPv4)},
		{"pcap IPv6", pcapFile(t, false, layers.LinkTypeIPv6, two...), wantTwo(layers.LinkTypeIPv6)},
		{"pcap DLT_NULL", pcapFile(t, false, layers.LinkTypeNull, two...), wantTwo(layers.LinkTypeNull)},
		{"pcap LOOP", pcapFile(t, false, layers.LinkTypeLoop, two...), wantTwo(layers.LinkTypeLoop)},
		{
			"pcapng two interfaces, mixed link types",
			pcapngFile(t, []layers.LinkType{eth, layers.LinkTypeLinuxSLL2},
				rec{iface: 0, time: ns1, data: "on eth0"},
				rec{iface: 1, time: ns2, data: "on any", length: 200},
				rec{iface: 0, time: ns2.Add(time.Second), data: "eth again"}),
			[]got{
				{Number: 1, Time: ns1, Link: eth, Data: "on eth0", Length: 7},
				{Number: 2, Time: ns2, Link: layers.LinkTypeLinuxSLL2, Data: "on any", Length: 200},
				{Number: 3, Time: ns2.Add(time.Second), Link: eth, Data: "eth again", Length: 9},
			},
		},
		{
			"pcapng gzip, DLT_RAW 12 mapped",
			gzipped(t, pcapngFile(t, []layers.LinkType{12}, rec{time: ns1, data: "raw"})),
			[]got{{Number: 1, Time: ns1, Link: layers.LinkTypeRaw, Data: "raw", Length: 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, problems := readFile(t, writeTemp(t, "in.cap", tt.file))
			if !reflect.DeepEqual(frames, tt.want) {
				t.Errorf("frames\n got %+v\nwant %+v", frames, tt.want)
			}
			if len(problems) != 0 {
				t.Errorf("problems: %+v", problems)
			}
		})
	}
}

func TestNextAfterEOF(t *testing.T) {
	f, err := capture.Open(writeTemp(t, "a.pcap", pcapFile(t, false, layers.LinkTypeEthernet, rec{time: at(0), data: "x"})))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Next(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if fr, err := f.Next(); fr != nil || err != io.EOF {
			t.Fatalf("Next after the last frame = %v, %v; want nil, io.EOF", fr, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	pcapHeader := pcapFile(t, false, layers.LinkTypeEthernet)
	tests := []struct {
		name    string
		file    []byte // nil: the file does not exist
		wantIs  error
		wantMsg string // "PATH" stands for the file's path
	}{
		{"bad magic", []byte("<html><body>not a capture</body></html>"), capture.ErrUnknownFormat,
			"capture: PATH: not a pcap or pcapng file (magic 0x3c68746d)"},
		{"gzip of text", gzipped(t, []byte("hello, world")), capture.ErrUnknownFormat,
			"capture: PATH: not a pcap or pcapng file (magic 0x68656c6c)"},
		{"too short for a magic", []byte{0xd4, 0xc3}, capture.ErrUnknownFormat,
			"capture: PATH: not a pcap or pcapng file (only 2 bytes)"},
		{"zero-length", []byte{}, capture.ErrEmptyFile, "capture: PATH: empty file"},
		{"empty gzip", gzipped(t, nil), capture.ErrEmptyFile, "capture: PATH: empty file (after gzip decompression)"},
		{"truncated pcap header", pcapHeader[:20], capture.ErrBadHeader, "capture: PATH: bad file header: pcap: unexpected EOF"},
		{"bad pcap version", append(append([]byte{}, pcapHeader[:4]...), append([]byte{9, 0}, pcapHeader[6:]...)...),
			capture.ErrBadHeader, "capture: PATH: bad file header: pcap: Unknown major version 9"},
		{"truncated gzip header", gzipped(t, pcapHeader)[:5], capture.ErrBadHeader, "capture: PATH: bad file header: gzip: unexpected EOF"},
		{"pcapng bad byte-order magic", []byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0},
			capture.ErrBadHeader, "capture: PATH: bad file header: pcapng: corrupt block: section header with byte-order magic 0x04030201"},
		{"missing", nil, fs.ErrNotExist, "capture: open PATH: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := t.TempDir() + "/missing.pcap"
			if tt.file != nil {
				path = writeTemp(t, "foo.pcap", tt.file)
			}
			f, err := capture.Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if want := strings.ReplaceAll(tt.wantMsg, "PATH", path); err.Error() != want {
				t.Errorf("error\n got %q\nwant %q", err, want)
			}
		})
	}
}

// TestBadRecords checks that a bad record ends its file with a Problem, not
// an error, and that the frames before it are still returned.
func TestBadRecords(t *testing.T) {
	eth := layers.LinkTypeEthernet
	three := []rec{{time: at(0), data: "one"}, {time: at(time.Millisecond), data: "two"}, {time: at(2 * time.Millisecond), data: "three!"}}
	good := pcapFile(t, false, eth, three...)
	// Offsets in the pcap: header 24, records of 16+len bytes.
	third := int64(24 + 16 + 3 + 16 + 3)

	withLen := func(b []byte, off int64, caplen, length uint32) []byte {
		b = append([]byte{}, b...)
		le := func(i int64, v uint32) {
			b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
		le(off+8, caplen)
		le(off+12, length)
		return b
	}

	ng := pcapngFile(t, []layers.LinkType{eth}, three...)
	// The blocks: SHB 28 bytes, IDB 32 bytes (snaplen + resolution option), EPBs of 32+padded data.
	ngThird := int64(28 + 32 + 36 + 36)

	tests := []struct {
		name       string
		file       []byte
		wantFrames int
		want       capture.Problem // File is filled in
	}{
		{"pcap cut inside a record's data", good[:len(good)-2], 2,
			capture.Problem{Frame: 3, Offset: third, Reason: "truncated record"}},
		{"pcap cut inside a record header", good[:third+5], 2,
			capture.Problem{Frame: 3, Offset: third, Reason: "truncated record"}},
		{"gzip pcap cut inside a record", gzipped(t, good[:len(good)-1]), 2,
			capture.Problem{Frame: 3, Offset: third, Reason: "truncated record"}},
		{"gzip stream itself cut", gzipped(t, good)[:len(gzipped(t, good))-4], 3,
			capture.Problem{Frame: 4, Offset: int64(len(good)), Reason: "truncated record"}},
		{"pcap record claiming 4 GB", withLen(good, third, 0xffffffff, 0xffffffff), 2,
			capture.Problem{Frame: 3, Offset: third, Reason: "record too large: 4294967295 bytes, limit 262144"}},
		{"pcap captured length above original length", withLen(good, third, 6, 2), 2,
			capture.Problem{Frame: 3, Offset: third, Reason: "capture length exceeds original packet length: 6 > 2"}},
		{"pcapng cut inside a block", ng[:len(ng)-3], 2,
			capture.Problem{Frame: 3, Offset: ngThird, Reason: "truncated record"}},
		{"pcapng block claiming 4 GB", withLen(ng, ngThird-4, 0xfffffff0, 0), 2, // block length at +4
			capture.Problem{Frame: 3, Offset: ngThird, Reason: "record too large: block type 0x00000006 of 4294967280 bytes, limit 327680"}},
		{"pcapng packet on an undeclared interface", withLen(ng, ngThird, 5, 0), 2, // interface id at +8
			capture.Problem{Frame: 3, Offset: ngThird, Reason: "Interface id 5 not present in section (have only 1 interfaces)"}},
		{"pcapng captured length beyond its block", withLen(ng, ngThird+12, 1000, 1000), 2, // caplen, len at +20, +24
			capture.Problem{Frame: 3, Offset: ngThird, Reason: "corrupt block: captured length 1000 overruns its 40-byte block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemp(t, "bad.pcap", tt.file)
			frames, problems := readFile(t, path)
			if len(frames) != tt.wantFrames {
				t.Errorf("got %d frames, want %d", len(frames), tt.wantFrames)
			}
			for i, fr := range frames {
				if fr.Data != three[i].data {
					t.Errorf("frame %d data %q, want %q", i+1, fr.Data, three[i].data)
				}
			}
			tt.want.File = path
			if len(problems) != 1 || problems[0] != tt.want {
				t.Errorf("problems\n got %+v\nwant [%+v]", problems, tt.want)
			}
		})
	}
}

func TestSnapLengthCut(t *testing.T) {
	frames, problems := readFile(t, writeTemp(t, "snap.pcap",
		pcapFile(t, false, layers.LinkTypeEthernet, rec{time: at(0), data: "first 10 b", length: 1500})))
	if len(problems) != 0 || len(frames) != 1 || len(frames[0].Data) != 10 || frames[0].Length != 1500 {
		t.Fatalf("frames %+v problems %+v; want one frame of 10 of 1500 bytes", frames, problems)
	}
}

func TestStdin(t *testing.T) {
	data := gzipped(t, pcapFile(t, false, layers.LinkTypeEthernet,
		rec{time: at(0), data: "from a pipe"}, rec{time: at(time.Second), data: "two"}))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = saved; r.Close() })
	go func() {
		w.Write(data)
		w.Close()
	}()

	f, err := capture.Open("-")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "stdin" {
		t.Errorf("Name() = %q, want stdin", f.Name())
	}
	var got []string
	for {
		fr, err := f.Next()
		if err != nil {
			break
		}
		got = append(got, string(fr.Data))
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if want := []string{"from a pipe", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("frames %q, want %q", got, want)
	}
	// Close must leave standard input open.
	if _, err := r.Stat(); err != nil {
		t.Errorf("stdin closed by Close: %v", err)
	}
}

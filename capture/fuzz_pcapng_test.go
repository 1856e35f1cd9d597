package capture

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/internal/testenv"
)

// realCaptureHeads returns the first n bytes of our own capture and of some
// public ones: real file headers and records, cut mid-record.
func realCaptureHeads(tb testing.TB, n int, names ...string) [][]byte {
	tb.Helper()
	paths := []string{testenv.Testdata("freeswitch-nat.pcap")}
	for _, name := range names {
		paths = append(paths, testenv.PublicCapture(tb, name))
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b[:min(n, len(b))])
	}
	return out
}

// FuzzReadPcapng feeds mutated pcapng files to the reader, seeded from a
// real multi-block pcapng. Beyond FuzzRead's rules (no panic, no hang, at
// most one Problem, no frame over MaxRecordLength), a file the reader takes
// without a Problem must give exactly the frames pcapgo reads from it alone:
// the block checks in front of pcapgo may stop bad files, never alter good
// ones.
func FuzzReadPcapng(f *testing.F) {
	real, err := os.ReadFile(testenv.PublicCapture(f, "sip-auth-failure.pcapng"))
	if err != nil {
		f.Fatal(err)
	}
	ng := seedPcapng(f, 4)
	for _, seed := range [][]byte{real, ng, real[:len(real)/2], ng[:len(ng)-9], gz(real)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, file, err := readBytes(data)
		if file == nil {
			return
		}
		if err != nil {
			t.Fatalf("after %d frames: %v", n, err)
		}
		if p := file.Problems(); len(p) > 1 {
			t.Fatalf("%d problems: %+v", len(p), p)
		} else if len(p) == 1 || file.ng == nil || file.gz != nil {
			return
		}
		// A clean pcapng file: compare with pcapgo reading it directly.
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatalf("we read %d frames, pcapgo refuses the file: %v", n, err)
		}
		ours, _ := newFile("fuzz", bytes.NewReader(data), nil)
		for i := 1; ; i++ {
			want, ci, werr := r.ReadPacketData()
			got, gerr := ours.Next()
			if werr != nil || gerr != nil {
				if (werr == nil) != (gerr == nil) {
					t.Fatalf("frame %d: pcapgo says %v, we say %v", i, werr, gerr)
				}
				break
			}
			if !bytes.Equal(got.Data, want) || !got.Time.Equal(ci.Timestamp) || got.Length != ci.Length {
				t.Fatalf("frame %d differs from pcapgo's", i)
			}
		}
	})
}

// TestRealCaptureHeads reads real captures cut at odd offsets: a cut inside
// the file header is ErrBadHeader; any later cut gives the frames before it
// and at most one Problem, never an error.
func TestRealCaptureHeads(t *testing.T) {
	for _, cut := range []int{25, 100, 1000, 4097} {
		for i, head := range realCaptureHeads(t, cut, "sip-auth-failure.pcapng", "sip_ipv4_tcp.pcap") {
			n, file, err := readBytes(head)
			if file == nil && errors.Is(err, ErrBadHeader) {
				continue
			}
			if file == nil || err != nil {
				t.Fatalf("capture %d cut at %d: %v", i, cut, err)
			}
			if p := file.Problems(); len(p) > 1 {
				t.Errorf("capture %d cut at %d: %d frames, problems %+v", i, cut, n, p)
			}
		}
	}
}

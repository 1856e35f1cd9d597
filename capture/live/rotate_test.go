package live

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// Frames land in the file and at the number Place promised, files turn over
// by size and by time, and only the newest Keep stay on disk.
func TestRotator(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "caps")
	r, err := NewRotator(RotateOptions{Dir: dir, Size: 24 + 3*(16+400), Every: time.Minute, Keep: 3, LinkType: layers.LinkTypeRaw, Snaplen: 400})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	// Sizes and times: three 400-byte frames fill a file; a minute later
	// starts a new one.
	type step struct {
		at       time.Duration
		size     int
		file, nr int
	}
	steps := []step{
		{0, 400, 0, 1}, {time.Second, 400, 0, 2}, {2 * time.Second, 400, 0, 3}, // full
		{3 * time.Second, 10, 1, 1}, {59 * time.Second, 10, 1, 2},
		{63 * time.Second, 10, 2, 1}, // a minute after file 1's first frame
		{64 * time.Second, 10, 2, 2},
		{3 * time.Minute, 10, 3, 1},
		{4 * time.Minute, 10, 4, 1},
	}
	for i, s := range steps {
		f := &capture.Frame{Time: t0.Add(s.at), LinkType: layers.LinkTypeRaw, Data: make([]byte, s.size), Length: s.size}
		f.Data[0] = byte(i)
		file, nr, err := r.Place(f.Time, len(f.Data))
		if err != nil {
			t.Fatal(err)
		}
		if file != s.file || nr != s.nr {
			t.Errorf("step %d: Place = file %d frame %d, want file %d frame %d", i, file, nr, s.file, s.nr)
		}
		if len(r.Files()) != file+1 {
			t.Errorf("step %d: file %d placed but %d files named", i, file, len(r.Files()))
		}
		if err := r.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if len(r.Files()) != 5 || r.Deleted() != 2 || len(r.Kept()) != 3 {
		t.Fatalf("files %v, deleted %d, kept %v", r.Files(), r.Deleted(), r.Kept())
	}
	onDisk, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	sort.Strings(onDisk)
	if len(onDisk) != 3 || onDisk[0] != r.Files()[2] || onDisk[2] != r.Files()[4] {
		t.Errorf("on disk %v, want the last three of %v", onDisk, r.Files())
	}
	if !sort.StringsAreSorted(r.Files()) {
		t.Errorf("names do not sort in time order: %v", r.Files())
	}
	// Read back: every frame where Place said, byte for byte.
	for fi, name := range r.Files() {
		if fi < 2 {
			continue
		}
		cf, err := capture.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			fr, err := cf.Next()
			if err == io.EOF {
				break
			}
			n++
			var want *step
			for i := range steps {
				if steps[i].file == fi && steps[i].nr == fr.Number {
					want = &steps[i]
					if int(fr.Data[0]) != i {
						t.Errorf("%s frame %d holds step %d's data, want step %d", name, fr.Number, fr.Data[0], i)
					}
				}
			}
			if want == nil || !fr.Time.Equal(t0.Add(want.at)) || len(fr.Data) != want.size {
				t.Errorf("%s frame %d: unexpected (time %v, %d bytes)", name, fr.Number, fr.Time, len(fr.Data))
			}
			if fr.LinkType != layers.LinkTypeRaw {
				t.Errorf("link type %v", fr.LinkType)
			}
		}
		cf.Close()
		if n == 0 {
			t.Errorf("%s is empty", name)
		}
	}
}

func TestRotatorRefusesUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRotator(RotateOptions{Dir: file}); err == nil {
		t.Error("a plain file accepted as the -w directory")
	}
	if _, err := NewRotator(RotateOptions{Dir: t.TempDir(), Size: 100}); err == nil {
		t.Error("a size below one packet accepted")
	}
}

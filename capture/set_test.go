package capture_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// readSet reads every frame of a Set, checking that each frame's Data is
// still intact when the next frame arrives from another file.
func readSet(t *testing.T, s *capture.Set) []got {
	t.Helper()
	var out []got
	for {
		fr, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, copyFrame(fr))
	}
	return out
}

func TestOpenAllMerge(t *testing.T) {
	eth := layers.LinkTypeEthernet
	ms := func(n int) time.Time { return at(time.Duration(n) * time.Millisecond) }
	a := writeTemp(t, "a.pcap", pcapFile(t, false, eth,
		rec{time: ms(0), data: "a1"}, rec{time: ms(20), data: "a2"}, rec{time: ms(40), data: "a3"}, rec{time: ms(40), data: "a4"}))
	// b is pcapng on SLL2, with a tie against a3 and a frame that goes back in time.
	b := writeTemp(t, "b.pcapng", pcapngFile(t, []layers.LinkType{layers.LinkTypeLinuxSLL2},
		rec{time: ms(10), data: "b1"}, rec{time: ms(40), data: "b2"}, rec{time: ms(30), data: "b3"}, rec{time: ms(50), data: "b4"}))
	c := writeTemp(t, "c.pcap", pcapFile(t, false, eth)) // no frames

	s, err := capture.OpenAll([]string{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	frames := readSet(t, s)
	sll2 := layers.LinkTypeLinuxSLL2
	want := []got{
		{0, 1, ms(0), eth, "a1", 2},
		{1, 1, ms(10), sll2, "b1", 2},
		{0, 2, ms(20), eth, "a2", 2},
		{0, 3, ms(40), eth, "a3", 2}, // tie with b2: file order
		{0, 4, ms(40), eth, "a4", 2}, // then frame order
		{1, 2, ms(40), sll2, "b2", 2},
		{1, 3, ms(30), sll2, "b3", 2}, // a file's own order wins over time
		{1, 4, ms(50), sll2, "b4", 2},
	}
	if !reflect.DeepEqual(frames, want) {
		t.Errorf("merged frames\n got %+v\nwant %+v", frames, want)
	}
	if s.Frames() != len(want) {
		t.Errorf("Frames() = %d, want %d", s.Frames(), len(want))
	}
	if !reflect.DeepEqual(s.Files(), []string{a, b, c}) {
		t.Errorf("Files() = %q", s.Files())
	}
	if fr, err := s.Next(); fr != nil || err != io.EOF {
		t.Errorf("Next after the end = %v, %v", fr, err)
	}
}

// TestOpenAllAlternating merges two files whose frames alternate, so every
// call switches file: the frame returned must be the one read ahead for its
// file, not overwritten by reading the other.
func TestOpenAllAlternating(t *testing.T) {
	eth := layers.LinkTypeEthernet
	var ra, rb []rec
	for i := range 50 {
		ra = append(ra, rec{time: at(time.Duration(2*i) * time.Millisecond), data: strings.Repeat("a", 100+i)})
		rb = append(rb, rec{time: at(time.Duration(2*i+1) * time.Millisecond), data: strings.Repeat("b", 100+i)})
	}
	s, err := capture.OpenAll([]string{
		writeTemp(t, "a.pcap", pcapFile(t, false, eth, ra...)),
		writeTemp(t, "b.pcap", pcapFile(t, true, eth, rb...)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; ; i++ {
		fr, err := s.Next()
		if err != nil {
			break
		}
		want := strings.Repeat(string(rune('a'+i%2)), 100+i/2)
		if fr.File != i%2 || string(fr.Data) != want {
			t.Fatalf("frame %d: file %d data %.5q…, want file %d", i, fr.File, fr.Data, i%2)
		}
	}
	if s.Frames() != 100 {
		t.Errorf("Frames() = %d, want 100", s.Frames())
	}
}

func TestOpenAllProblems(t *testing.T) {
	eth := layers.LinkTypeEthernet
	good := writeTemp(t, "good.pcap", pcapFile(t, false, eth, rec{time: at(0), data: "g1"}, rec{time: at(time.Second), data: "g2"}))
	full := pcapFile(t, false, eth, rec{time: at(time.Millisecond), data: "c1"}, rec{time: at(2 * time.Millisecond), data: "c2"})
	cut := writeTemp(t, "cut.pcap", full[:len(full)-1])

	s, err := capture.OpenAll([]string{good, cut})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	frames := readSet(t, s)
	var data []string
	for _, f := range frames {
		data = append(data, f.Data)
	}
	if want := []string{"g1", "c1", "g2"}; !reflect.DeepEqual(data, want) {
		t.Errorf("frames %q, want %q", data, want)
	}
	want := []capture.Problem{{File: cut, Frame: 2, Offset: 24 + 16 + 2, Reason: "truncated record"}}
	if !reflect.DeepEqual(s.Problems(), want) {
		t.Errorf("Problems() = %+v, want %+v", s.Problems(), want)
	}
}

func TestOpenAllErrors(t *testing.T) {
	good := writeTemp(t, "good.pcap", pcapFile(t, false, layers.LinkTypeEthernet))
	bad := writeTemp(t, "notes.txt", []byte("this is not a capture"))
	_, err := capture.OpenAll([]string{good, bad})
	if !errors.Is(err, capture.ErrUnknownFormat) || !strings.Contains(err.Error(), bad) {
		t.Errorf("OpenAll error = %v; want ErrUnknownFormat naming %s", err, bad)
	}
	if _, err := capture.OpenAll(nil); !errors.Is(err, capture.ErrNoFiles) {
		t.Errorf("OpenAll(nil) error = %v, want ErrNoFiles", err)
	}
}

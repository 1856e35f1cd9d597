package decode

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

func TestPeek(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := netip.MustParseAddrPort("10.0.0.1:4000"), netip.MustParseAddrPort("10.0.0.2:5060")
	a6, b6 := netip.MustParseAddrPort("[2001:db8::1]:4000"), netip.MustParseAddrPort("[2001:db8::2]:5060")
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteUDP(t0, a, b, []byte("hello")))
	must(w.WriteTCP(t0, a6, b6, 1, 0, pcapgen.ACK, []byte("abc")))
	must(w.WriteUDP(t0, a, b, []byte("x")))
	must(w.WriteICMPPortUnreachable(t0, b.Addr(), pcapgen.Packet{Time: t0, Src: a, Dst: b, Payload: []byte("x")}))
	must(w.WriteRaw(t0, []byte{1, 2, 3}))
	want := []struct {
		e  Endpoints
		ok bool
	}{
		{Endpoints{Src: a, Dst: b, Proto: 17, Payload: 5}, true},
		{Endpoints{Src: a6, Dst: b6, Proto: 6, Payload: 3}, true},
		{Endpoints{Src: a, Dst: b, Proto: 17, Payload: 1}, true}, // the datagram the ICMP error quotes
		{Endpoints{Src: netip.AddrPortFrom(b.Addr(), 0), Dst: netip.AddrPortFrom(a.Addr(), 0), Proto: 1}, true},
		{Endpoints{}, false},
	}
	path := t.TempDir() + "/peek.pcap"
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := capture.OpenAll([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	p := NewPeeker()
	for i := 0; ; i++ {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			if i != len(want) {
				t.Fatalf("%d frames, want %d", i, len(want))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		e, ok := p.Peek(f)
		if e != want[i].e || ok != want[i].ok {
			t.Errorf("frame %d: Peek = %+v, %v; want %+v, %v", f.Number, e, ok, want[i].e, want[i].ok)
		}
	}
}

func TestPeekPublicPPPoE(t *testing.T) {
	// DTMFsipinfo.pcap carries SIP over PPPoE: Peek must see through it.
	set, err := capture.OpenAll([]string{testenv.PublicCapture(t, "DTMFsipinfo.pcap")})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	p := NewPeeker()
	udp := 0
	for {
		f, err := set.Next()
		if err != nil {
			break
		}
		if e, ok := p.Peek(f); ok && e.Proto == 17 && e.Dst.Port() != 0 {
			udp++
		}
	}
	if udp == 0 {
		t.Error("no UDP frame seen through PPPoE")
	}
}

func BenchmarkPeek(b *testing.B) {
	b.ReportAllocs()
	set, err := capture.OpenAll([]string{testenv.Testdata("freeswitch-nat.pcap")})
	if err != nil {
		b.Fatal(err)
	}
	var frames []capture.Frame
	for {
		f, err := set.Next()
		if err != nil {
			break
		}
		c := *f
		c.Data = append([]byte(nil), f.Data...)
		frames = append(frames, c)
	}
	set.Close()
	p := NewPeeker()
	for b.Loop() {
		for i := range frames {
			p.Peek(&frames[i])
		}
	}
}

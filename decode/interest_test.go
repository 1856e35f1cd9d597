package decode

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Interest marks exactly the frames an analysis needs: SIP (whole, or a TCP
// segment of it), ICMP errors, fragments and undecodable frames; not the
// rest.
func TestInterest(t *testing.T) {
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	a := netip.MustParseAddrPort("10.0.0.1:5060")
	b := netip.MustParseAddrPort("10.0.0.2:5060")
	rtpA := netip.MustParseAddrPort("10.0.0.1:20000")
	rtpB := netip.MustParseAddrPort("10.0.0.2:30000")
	half := len(options) / 2
	pkts := []pcapgen.Packet{
		{Time: t0, Src: a, Dst: b, Proto: pcapgen.UDP, Payload: []byte(options)},                                                    // 1
		{Time: t0, Src: rtpA, Dst: rtpB, Proto: pcapgen.UDP, Payload: bytes.Repeat([]byte{0x80}, 172)},                              // 2
		{Time: t0, Src: a, Dst: b, Proto: pcapgen.TCP, Seq: 1, Flags: pcapgen.ACK | pcapgen.PSH, Payload: []byte(options[:half])},   // 3
		{Time: t0, Src: a, Dst: b, Proto: pcapgen.TCP, Seq: uint32(1 + half), Flags: pcapgen.ACK, Payload: []byte(options[half:])},  // 4
		{Time: t0, Src: rtpA, Dst: rtpB, Proto: pcapgen.TCP, Seq: 1, Flags: pcapgen.ACK, Payload: []byte("GET / HTTP/1.1\r\n\r\n")}, // 5
		{Time: t0, Src: a, Dst: b, Proto: pcapgen.UDP, Payload: []byte(options), MTU: 100},                                          // 6, 7, 8
		{Time: t0, Src: a, Dst: b, Proto: pcapgen.UDP, Payload: []byte("SIP/2.0 200x OK\r\nCall-ID: x\r\n\r\n")},                    // 9
	}
	icmpQuote := pcapgen.Packet{Time: t0, Src: a, Dst: b, Proto: pcapgen.UDP, Payload: []byte(options)} // 10, then the ICMP error 11
	pkts = append(pkts, icmpQuote, pcapgen.Packet{Time: t0, Src: b, Proto: pcapgen.ICMPPortUnreachable, Quote: &icmpQuote})

	path := filepath.Join(t.TempDir(), "i.pcap")
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewDecoder(&recorder{})
	var got []Interest
	for {
		fr, err := f.Next()
		if err == io.EOF {
			break
		}
		d.Decode(fr)
		got = append(got, d.Interest())
	}
	want := []Interest{
		InterestSIP, 0, InterestSIP, InterestSIP, 0,
		// The fragments are reassembled; the last one completes the SIP message.
		InterestFragment, InterestFragment, InterestFragment | InterestSIP,
		InterestProblem, InterestSIP, InterestICMP,
	}
	if len(got) != len(want) {
		t.Fatalf("%d frames, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("frame %d: interest %05b, want %05b", i+1, got[i], want[i])
		}
	}
}

package sipscope_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/scenario"
)

// rtpCallCapture writes the FreeSWITCH NAT call (whose SDP announces its RTP
// streams) followed by n more RTP packets of those streams, both ways.
func rtpCallCapture(t *testing.T, n int) string {
	t.Helper()
	pkts := scenario.FreeswitchNAT()
	at := pkts[len(pkts)-1].Time
	var seq [2]uint16
	for i := range n {
		dir := i % 2
		src, dst, ssrc := scenario.FSPhoneRTP, scenario.FSServerRTP, uint32(scenario.FSPhoneSSRC)
		if dir == 1 {
			src, dst, ssrc = dst, src, scenario.FSServerSSRC
		}
		rtp := make([]byte, 12+160)
		rtp[0], rtp[1] = 0x80, 8
		binary.BigEndian.PutUint16(rtp[2:], 1000+seq[dir])
		binary.BigEndian.PutUint32(rtp[4:], 160*uint32(1000+seq[dir]))
		binary.BigEndian.PutUint32(rtp[8:], ssrc)
		seq[dir]++
		at = at.Add(10 * time.Millisecond)
		pkts = append(pkts, pcapgen.Packet{Time: at, Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: rtp})
	}
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, "rtp.pcap", buf.Bytes())
}

// An RTP frame of a known stream costs no allocation through the pipeline,
// with workers too (the batches and event lists are reused, RTP packets
// kept by value): analysing 20,000 more of them, once the batches in flight
// are all in use, allocates next to nothing more.
func TestRTPFramesDoNotAllocate(t *testing.T) {
	const small, large = 10000, 30000
	paths := map[int]string{small: rtpCallCapture(t, small), large: rtpCallCapture(t, large)}
	for _, workers := range []int{1, 2} {
		allocs := func(n int) float64 {
			var streams int
			a := testing.AllocsPerRun(3, func() {
				res, err := sipscope.Analyze(sipscope.Options{Files: []string{paths[n]}, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				streams = len(res.Model.Streams)
			})
			if streams != 2 {
				t.Fatalf("%d RTP streams, want the call's 2", streams)
			}
			return a
		}
		s, l := allocs(small), allocs(large)
		perFrame := (l - s) / (large - small)
		t.Logf("%d workers: %.0f allocations with %d more RTP frames, %.0f with %d: %.4f per frame", workers, s, small, l, large, perFrame)
		if perFrame > 0.01 {
			t.Errorf("%d workers: %.4f allocations per RTP frame, want none", workers, perFrame)
		}
	}
}

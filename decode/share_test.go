package decode_test

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

// placed is one thing a Decoder handed over, with the index of the frame it
// was decoding or advancing over (the number of frames for Flush) and its
// Position.
type placed struct {
	frame int
	pos   decode.Position
	what  string
}

// placer is a Handler, MediaHandler and ProblemHandler that records what it
// is handed, placed.
type placer struct {
	d     *decode.Decoder
	frame int
	out   []placed
}

func (p *placer) add(what string) {
	p.out = append(p.out, placed{p.frame, p.d.Position(), what})
}
func (p *placer) HandleSIP(m *decode.SIPMessage) {
	p.add(fmt.Sprintf("SIP frame %d %s %s", m.Frame, m.Transport, m.FirstLine()))
}
func (p *placer) HandleICMP(e *decode.ICMPError) { p.add(fmt.Sprintf("ICMP frame %d", e.Frame)) }
func (p *placer) HandleProblem(pr decode.Problem) {
	p.add(fmt.Sprintf("problem frame %d: %s", pr.Frame, pr.Reason))
}
func (p *placer) HandleRTP(r *decode.RTPPacket) bool {
	p.add(fmt.Sprintf("RTP frame %d seq %d", r.Frame, r.SequenceNumber))
	return false
}
func (p *placer) HandleRTCP(r *decode.RTCPPacket) bool {
	p.add(fmt.Sprintf("RTCP frame %d", r.Frame))
	return false
}

// shared decodes frames with n Decoders sharing them by FlowHash, each
// advancing over the others' frames, and returns what they handed over
// merged by frame and Position, and their Stats added up.
func shared(frames []capture.Frame, n int) ([]placed, decode.Stats) {
	ps := make([]*placer, n)
	for w := range ps {
		ps[w] = &placer{}
		ps[w].d = decode.NewDecoder(ps[w])
	}
	for i := range frames {
		f := &frames[i]
		owner := int(decode.FlowHash(f) % uint64(n))
		for w, p := range ps {
			p.frame = i
			if w == owner {
				p.d.Decode(f)
			} else {
				p.d.Advance(f.Time)
			}
		}
	}
	var all []placed
	var st decode.Stats
	for _, p := range ps {
		p.frame = len(frames)
		p.d.Flush()
		all = append(all, p.out...)
		st.Add(&p.d.Stats)
	}
	slices.SortStableFunc(all, func(a, b placed) int {
		if c := cmp.Compare(a.frame, b.frame); c != 0 {
			return c
		}
		return cmp.Compare(a.pos.Phase, b.pos.Phase)*2 + cmp.Compare(a.pos.Key, b.pos.Key)
	})
	return all, st
}

func readFrames(t *testing.T, paths ...string) []capture.Frame {
	t.Helper()
	set, err := capture.OpenAll(paths)
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()
	var out []capture.Frame
	for {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *f
		c.Data = append([]byte(nil), f.Data...)
		out = append(out, c)
	}
}

// heldCapture writes TCP streams from several clients, each with a hole
// and a message held after it, the holes timing out together during
// frames of other flows.
func heldCapture(t *testing.T) string {
	t.Helper()
	var pkts []pcapgen.Packet
	server := netip.MustParseAddrPort("10.0.0.10:5060")
	msg := []byte("OPTIONS sip:b@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.1.1:5060;branch=z9hG4bK1\r\n" +
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	for c := range 6 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 1, byte(c + 1)}), uint16(40000+c))
		pkts = append(pkts,
			pcapgen.Packet{Time: t0.Add(time.Duration(c) * time.Millisecond), Src: src, Dst: server, Proto: pcapgen.TCP,
				Seq: 1000, Ack: 1, Flags: pcapgen.ACK, Payload: msg[:50]},
			pcapgen.Packet{Time: t0.Add(time.Duration(10+c) * time.Millisecond), Src: src, Dst: server, Proto: pcapgen.TCP,
				Seq: 1000 + uint32(len(msg)), Ack: 1, Flags: pcapgen.ACK, Payload: msg})
	}
	for i := range 300 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.20"), uint16(6000+i%17))
		pkts = append(pkts, pcapgen.Packet{Time: t0.Add(20*time.Millisecond + time.Duration(i)*10*time.Millisecond),
			Src: src, Dst: server, Proto: pcapgen.UDP, Payload: msg})
	}
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "held.pcap", buf.Bytes())
}

// One Decoder hands things over in (frame, Position) order, and any number
// of Decoders sharing the frames by flow hand over the same, merged in that
// order, and count the same.
func TestDecodersShareByFlow(t *testing.T) {
	paths, err := filepath.Glob(testenv.Testdata("*.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	public, err := filepath.Glob(filepath.Join(testenv.PublicCaptures(t), "*.pcap*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range append(append(paths, public...), heldCapture(t)) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			frames := readFrames(t, path)
			want, wantStats := shared(frames, 1)
			if filepath.Base(path) == "held.pcap" && wantStats.Undecoded[decode.ReasonTCPGap] != 6 {
				t.Fatalf("undecoded %v: want the 6 TCP holes given up", wantStats.Undecoded)
			}
			if !slices.IsSortedFunc(want, func(a, b placed) int {
				return cmp.Compare(a.frame, b.frame)*4 + cmp.Compare(a.pos.Phase, b.pos.Phase)*2 + cmp.Compare(a.pos.Key, b.pos.Key)
			}) {
				t.Fatal("one Decoder's output is not in (frame, Position) order")
			}
			for _, n := range []int{2, 3, 5} {
				got, st := shared(frames, n)
				if !slices.Equal(got, want) {
					for i := range min(len(got), len(want)) {
						if got[i] != want[i] {
							t.Fatalf("%d decoders: item %d is %+v, want %+v", n, i, got[i], want[i])
						}
					}
					t.Fatalf("%d decoders: %d items, want %d", n, len(got), len(want))
				}
				// Lists come in the order of the Decoders, not of the frames.
				if len(st.EncryptedFlows) != len(wantStats.EncryptedFlows) {
					t.Errorf("%d decoders: %d TLS flows, want %d", n, len(st.EncryptedFlows), len(wantStats.EncryptedFlows))
				}
				st.Problems, wantStats.Problems = nil, nil
				st.EncryptedFlows, wantStats.EncryptedFlows = nil, nil
				if fmt.Sprint(st) != fmt.Sprint(wantStats) {
					t.Errorf("%d decoders: stats %+v, want %+v", n, st, wantStats)
				}
			}
		})
	}
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

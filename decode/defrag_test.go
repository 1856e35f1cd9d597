package decode_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

var (
	t0     = time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)
	alice  = netip.MustParseAddrPort("10.1.0.10:5060")
	bob    = netip.MustParseAddrPort("10.1.0.20:5060")
	alice6 = netip.MustParseAddrPort("[2001:db8::10]:5060")
	bob6   = netip.MustParseAddrPort("[2001:db8::20]:5060")
)

// bigSIP returns an OPTIONS request of about size bytes, with a body that
// makes it that long and a Call-ID of its own.
func bigSIP(callID string, size int) []byte {
	head := "OPTIONS sip:bob@10.1.0.20 SIP/2.0\r\nVia: SIP/2.0/UDP 10.1.0.10;branch=z9hG4bK-" + callID +
		"\r\nFrom: <sip:alice@x>;tag=a1\r\nTo: <sip:bob@x>\r\nCall-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Type: text/plain\r\n"
	body := strings.Repeat("x", max(size-len(head)-30, 0))
	return []byte(fmt.Sprintf("%sContent-Length: %d\r\n\r\n%s", head, len(body), body))
}

// fragments returns the frames of one datagram fragmented for mtu.
func fragments(t *testing.T, src, dst netip.AddrPort, payload []byte, mtu int, at time.Time) [][]byte {
	t.Helper()
	return writeFrames(t, pcapgen.Packet{Time: at, Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: payload, MTU: mtu})
}

// TestReassembly: a datagram reassembles whatever order its fragments come
// in, and is reported at the frame of the fragment that completed it, with
// its fragment count.
func TestReassembly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src, dst netip.AddrPort
		mtu      int
		order    []int
		frame    int // 1-based frame of the message
	}{
		{"IPv4 in order", alice, bob, 1500, []int{0, 1, 2}, 3},
		{"IPv4 last first", alice, bob, 1500, []int{2, 0, 1}, 3},
		{"IPv4 first last", alice, bob, 1500, []int{1, 2, 0}, 3},
		{"IPv6 in order", alice6, bob6, 1280, []int{0, 1, 2}, 3},
		{"IPv6 reversed", alice6, bob6, 1280, []int{2, 1, 0}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frags := fragments(t, tc.src, tc.dst, bigSIP("r1", 3000), tc.mtu, t0)
			if len(frags) != 3 {
				t.Fatalf("%d fragments", len(frags))
			}
			var frames [][]byte
			for _, i := range tc.order {
				frames = append(frames, frags[i])
			}
			r, d := decodeFrames(t, frames, nil)
			if len(r.sip) != 1 {
				t.Fatalf("%d messages, undecoded %v", len(r.sip), d.Stats.Undecoded)
			}
			m := r.sip[0]
			if m.Frame != tc.frame || m.Fragments != 3 || m.Src != tc.src || m.Dst != tc.dst || len(m.Raw) < 2900 {
				t.Errorf("message at frame %d from %d fragments %v > %v, %d bytes", m.Frame, m.Fragments, m.Src, m.Dst, len(m.Raw))
			}
			if d.Stats.Reassembled != 1 || len(d.Stats.Undecoded) != 0 {
				t.Errorf("reassembled %d, undecoded %v", d.Stats.Reassembled, d.Stats.Undecoded)
			}
		})
	}
}

// A datagram missing a fragment is counted at the end of the capture, with
// the frame of the last fragment seen; one whose fragments straggle past
// the 30 s time-out is counted when the time-out passes, and its late
// fragment, alone, at the end. Other datagrams are not disturbed.
func TestReassemblyLoss(t *testing.T) {
	// One writer, so each datagram gets its own IP identification.
	all := writeFrames(t,
		pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: bigSIP("lost", 3000), MTU: 1500},
		pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: bigSIP("late", 3000), MTU: 1500},
		pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: bigSIP("fine", 2000), MTU: 1500},
	)
	a, b, c := all[0:3], all[3:6], all[6:8]
	frames := [][]byte{a[0], a[1], b[0], b[1], c[0], c[1], b[2]}
	times := []time.Duration{0, 0, time.Second, time.Second, 40 * time.Second, 40 * time.Second, 41 * time.Second}
	r, d := decodeFrames(t, frames, times)
	if len(r.sip) != 1 || r.sip[0].CallID != "fine" || r.sip[0].Frame != 6 || r.sip[0].Fragments != 2 {
		t.Fatalf("messages: %q", describe(r.sip))
	}
	if n := d.Stats.Undecoded[decode.ReasonFragment]; n != 3 {
		t.Errorf("%d datagrams counted as not reassembled, want 3: %v", n, d.Stats.Problems)
	}
	var frames2 []int
	for _, p := range d.Stats.Problems {
		frames2 = append(frames2, p.Frame)
	}
	// "lost" and "late" time out when "fine" arrives (frames 2 and 4); the
	// late fragment is alone at the end (frame 7).
	if fmt.Sprint(frames2) != "[2 4 7]" && fmt.Sprint(frames2) != "[4 2 7]" {
		t.Errorf("problems at frames %v, want 2, 4 and 7: %v", frames2, d.Stats.Problems)
	}
}

// Overlapping fragments that contradict each other are dropped and counted,
// as a receiver drops them; the decoder goes on.
func TestReassemblyOverlap(t *testing.T) {
	f := fragments(t, alice, bob, bigSIP("o", 3000), 1500, t0)
	bad := append([]byte(nil), f[1]...)
	// Move the second fragment's offset back by 8 bytes: it now overlaps
	// the first with different bytes.
	off := int(bad[14+6]&0x1f)<<8 | int(bad[14+7])
	off--
	bad[14+6] = bad[14+6]&0xe0 | byte(off>>8)
	bad[14+7] = byte(off)
	r, d := decodeFrames(t, [][]byte{f[0], bad, f[2]}, nil)
	if len(r.sip) != 0 || d.Stats.Undecoded[decode.ReasonFragment] == 0 {
		t.Errorf("messages %d, undecoded %v", len(r.sip), d.Stats.Undecoded)
	}
}

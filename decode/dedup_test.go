package decode_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// routed returns a copy of an Ethernet/IP frame as seen one hop later: other
// MAC addresses, TTL or hop limit one less, IPv4 header checksum updated.
func routed(f []byte) []byte {
	c := append([]byte(nil), f...)
	c[0], c[6] = 0x0a, 0x0a
	ip := c[14:]
	if ip[0]>>4 == 6 {
		ip[7]--
		return c
	}
	ip[8]--
	binary.BigEndian.PutUint16(ip[10:], 0)
	var sum uint32
	for i := 0; i < int(ip[0]&0x0f)*4; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return c
}

// The same packet captured twice within a few milliseconds (-i any on a
// bridge and its port, or before and after a routing hop) is one packet;
// a SIP retransmission, 500 ms later with a new IP identification, and the
// same bytes seen again much later, are not duplicates.
func TestDuplicates(t *testing.T) {
	msg := bigSIP("dup", 400)
	pkts := writeFrames(t,
		pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: msg},
		pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: msg}, // the retransmission: IP ID 2
		pcapgen.Packet{Time: t0, Src: alice6, Dst: bob6, Proto: pcapgen.UDP, Payload: msg},
	)
	first, retrans, v6 := pkts[0], pkts[1], pkts[2]
	ms := time.Millisecond
	for _, tc := range []struct {
		name   string
		frames [][]byte
		times  []time.Duration
		window time.Duration
		msgs   []int // frames of the messages found
		dups   int
	}{
		{"bridge copy", [][]byte{first, first}, []time.Duration{0, 20 * time.Microsecond}, decode.DefaultDuplicateWindow, []int{1}, 1},
		{"routed copy", [][]byte{first, routed(first)}, []time.Duration{0, ms}, decode.DefaultDuplicateWindow, []int{1}, 1},
		{"IPv6 routed copy", [][]byte{v6, routed(v6)}, []time.Duration{0, ms}, decode.DefaultDuplicateWindow, []int{1}, 1},
		{"copy with other traffic between", [][]byte{first, v6, routed(first)}, []time.Duration{0, ms, 2 * ms}, decode.DefaultDuplicateWindow, []int{1, 2}, 1},
		{"SIP retransmission", [][]byte{first, retrans}, []time.Duration{0, 500 * ms}, decode.DefaultDuplicateWindow, []int{1, 2}, 0},
		{"retransmission with the same IP ID, late", [][]byte{first, first}, []time.Duration{0, 500 * ms}, decode.DefaultDuplicateWindow, []int{1, 2}, 0},
		{"new IP ID, at once", [][]byte{first, retrans}, []time.Duration{0, 0}, decode.DefaultDuplicateWindow, []int{1, 2}, 0},
		{"kept when asked", [][]byte{first, first}, []time.Duration{0, 0}, 0, []int{1, 2}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, d := decodeFrames(t, tc.frames, tc.times, func(d *decode.Decoder) { d.DuplicateWindow = tc.window })
			var got []int
			for _, m := range r.sip {
				got = append(got, m.Frame)
			}
			if len(got) != len(tc.msgs) || d.Stats.Duplicates != tc.dups {
				t.Fatalf("messages at frames %v, %d duplicates; want %v, %d", got, d.Stats.Duplicates, tc.msgs, tc.dups)
			}
			for i := range got {
				if got[i] != tc.msgs[i] {
					t.Errorf("messages at frames %v, want %v", got, tc.msgs)
				}
			}
		})
	}
}

// On a busy trunk hundreds of packets pass between a packet and its copy
// from the other interface; the copy is still found, and the packets
// between, all different, are kept.
func TestDuplicateAfterBurst(t *testing.T) {
	const between = 500
	pkts := make([]pcapgen.Packet, 0, between+1)
	pkts = append(pkts, pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: bigSIP("burst", 300)})
	for i := range between {
		p := make([]byte, 172)
		binary.BigEndian.PutUint32(p, uint32(i))
		pkts = append(pkts, pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: p})
	}
	frames := writeFrames(t, pkts...)
	frames = append(frames, frames[0])
	times := make([]time.Duration, len(frames))
	for i := range times {
		times[i] = time.Duration(i) * 8 * time.Microsecond // 4 ms in all
	}
	r, d := decodeFrames(t, frames, times)
	if d.Stats.Duplicates != 1 || len(r.sip) != 1 {
		t.Fatalf("%d duplicates, %d SIP messages; want the copy at frame %d found: 1, 1", d.Stats.Duplicates, len(r.sip), len(frames))
	}
}

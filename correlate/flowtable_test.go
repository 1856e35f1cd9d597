package correlate

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

type flowID struct {
	src, dst netip.AddrPort
	ssrc     uint32
}

// The flow table agrees with a Go map through random puts, removes and
// gets, on few distinct flows (so that probes collide and wrap) and many.
func TestFlowTable(t *testing.T) {
	addrs := []netip.Addr{
		netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"),
		netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("::ffff:10.0.0.1"),
	}
	for _, distinct := range []int{3, 40, 5000} {
		rnd := rand.New(rand.NewPCG(uint64(distinct), 1))
		flows := make([]flowID, distinct)
		for i := range flows {
			flows[i] = flowID{
				netip.AddrPortFrom(addrs[rnd.IntN(len(addrs))], uint16(rnd.IntN(4))),
				netip.AddrPortFrom(addrs[rnd.IntN(len(addrs))], uint16(rnd.IntN(4))),
				uint32(i),
			}
		}
		var tab flowTable
		want := map[flowID]*Stream{}
		for step := range 200000 {
			f := flows[rnd.IntN(len(flows))]
			switch rnd.IntN(3) {
			case 0:
				s := &Stream{Src: f.src, Dst: f.dst, SSRC: f.ssrc}
				tab.put(s)
				want[f] = s
			case 1:
				if s := want[f]; s != nil {
					tab.remove(s)
					delete(want, f)
				} else {
					tab.remove(&Stream{Src: f.src, Dst: f.dst, SSRC: f.ssrc}) // not held: no change
				}
			}
			if got := tab.get(f.src, f.dst, f.ssrc); got != want[f] {
				t.Fatalf("%d flows, step %d: get %v = %p, want %p", distinct, step, f, got, want[f])
			}
			if tab.len() != len(want) {
				t.Fatalf("%d flows, step %d: %d held, want %d", distinct, step, tab.len(), len(want))
			}
		}
		for f, s := range want {
			if got := tab.get(f.src, f.dst, f.ssrc); got != s {
				t.Fatalf("%d flows at the end: get %v = %p, want %p", distinct, f, got, s)
			}
		}
	}
}

func BenchmarkFlowTableGet(b *testing.B) {
	var tab flowTable
	var ids []flowID
	for i := range 400 {
		f := flowID{netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 20000+uint16(i)),
			netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), 30000+uint16(i)), uint32(i * 7919)}
		ids = append(ids, f)
		tab.put(&Stream{Src: f.src, Dst: f.dst, SSRC: f.ssrc})
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := ids[i%len(ids)]
		if tab.get(f.src, f.dst, f.ssrc) == nil {
			b.Fatal("missing")
		}
		i++
	}
}

func BenchmarkFlowMapGet(b *testing.B) {
	tab := map[flowID]*Stream{}
	var ids []flowID
	for i := range 400 {
		f := flowID{netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 20000+uint16(i)),
			netip.AddrPortFrom(netip.MustParseAddr("10.1.0.1"), 30000+uint16(i)), uint32(i * 7919)}
		ids = append(ids, f)
		tab[f] = &Stream{Src: f.src, Dst: f.dst, SSRC: f.ssrc}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := ids[i%len(ids)]
		if tab[f] == nil {
			b.Fatal("missing")
		}
		i++
	}
}

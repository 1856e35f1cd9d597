package correlate

import (
	"encoding/binary"
	"net/netip"
)

// flowTable maps an RTP flow (source, destination, SSRC) to its stream: the
// one lookup every RTP packet makes. It is an open-addressing table with
// linear probing keyed by a hash of the flow computed from the addresses'
// bytes, cheaper than a Go map whose key holds two netip.AddrPorts (hashed
// word by word, pointer included). Deletion shifts later entries back, so
// there are no tombstones and lookups stay short as calls come and go.
type flowTable struct {
	slots []flowSlot // len is a power of two, or 0
	n     int
}

type flowSlot struct {
	hash uint64
	s    *Stream // nil: empty
}

func flowHash(src, dst netip.AddrPort, ssrc uint32) uint64 {
	// The 16 bytes of each address's IPv6 form (::ffff:a.b.c.d for IPv4)
	// as two little-endian words. An IPv4 address is read through As4: the
	// 16-byte array As16 returns is written in two halves and copied whole,
	// a load that waits for both stores.
	var a0, a1, b0, b1 uint64
	if a := src.Addr(); a.Is4() {
		v := a.As4()
		a1 = 0xffff0000 | uint64(binary.LittleEndian.Uint32(v[:]))<<32
	} else {
		a0, a1 = addrWords(a)
	}
	if b := dst.Addr(); b.Is4() {
		v := b.As4()
		b1 = 0xffff0000 | uint64(binary.LittleEndian.Uint32(v[:]))<<32
	} else {
		b0, b1 = addrWords(b)
	}
	h0 := (a0 ^ uint64(src.Port())<<48) * 0x9e3779b97f4a7c15
	h1 := (a1 ^ uint64(ssrc)) * 0xff51afd7ed558ccd
	h2 := (b0 ^ uint64(dst.Port())<<48) * 0xc4ceb9fe1a85ec53
	h3 := b1 * 0xbf58476d1ce4e5b9
	h := h0 ^ (h1<<21 | h1>>43) ^ (h2<<42 | h2>>22) ^ h3
	h ^= h >> 31
	h *= 0x94d049bb133111eb
	return h ^ h>>29
}

// addrWords returns the 16 bytes of a as two little-endian words.
func addrWords(a netip.Addr) (uint64, uint64) {
	b := a.As16()
	return binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])
}

func (s *Stream) isFlow(src, dst netip.AddrPort, ssrc uint32) bool {
	return s.SSRC == ssrc && s.Src == src && s.Dst == dst
}

// get returns the stream of the flow, or nil.
func (t *flowTable) get(src, dst netip.AddrPort, ssrc uint32) *Stream {
	if t.n == 0 {
		return nil
	}
	h := flowHash(src, dst, ssrc)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			return nil
		}
		if sl.hash == h && sl.s.isFlow(src, dst, ssrc) {
			return sl.s
		}
	}
}

// put makes s the stream of its flow (s.Src, s.Dst, s.SSRC).
func (t *flowTable) put(s *Stream) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	h := flowHash(s.Src, s.Dst, s.SSRC)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.s == nil {
			*sl = flowSlot{hash: h, s: s}
			t.n++
			return
		}
		if sl.hash == h && sl.s.isFlow(s.Src, s.Dst, s.SSRC) {
			sl.s = s
			return
		}
	}
}

// remove forgets the flow of s if s is its stream.
func (t *flowTable) remove(s *Stream) {
	if t.n == 0 {
		return
	}
	h := flowHash(s.Src, s.Dst, s.SSRC)
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for {
		sl := &t.slots[i]
		if sl.s == nil {
			return
		}
		if sl.s == s {
			break
		}
		i = (i + 1) & mask
	}
	// Shift back the entries after i that probed past it, until an empty
	// slot: the table then looks as if s had never been put.
	j := i
	for {
		j = (j + 1) & mask
		sl := &t.slots[j]
		if sl.s == nil {
			break
		}
		home := sl.hash & mask
		// Move sl to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = *sl
			i = j
		}
	}
	t.slots[i] = flowSlot{}
	t.n--
}

func (t *flowTable) grow() {
	old := t.slots
	size := max(64, 2*len(old))
	t.slots, t.n = make([]flowSlot, size), 0
	mask := uint64(size - 1)
	for _, sl := range old {
		if sl.s == nil {
			continue
		}
		for i := sl.hash & mask; ; i = (i + 1) & mask {
			if t.slots[i].s == nil {
				t.slots[i] = sl
				t.n++
				break
			}
		}
	}
}

// len returns the number of flows held.
func (t *flowTable) len() int { return t.n }

package decode

import (
	"hash/maphash"
	"time"
)

// dupSlots is how many recent packets the duplicate check remembers. Copies
// made by -i any on bridged interfaces follow each other within a few
// packets; a ring this size catches them even on a busy capture.
const dupSlots = 64

// dupPrefix is how much of the IP payload the duplicate check hashes.
const dupPrefix = 64

type dupEntry struct {
	sum  uint64
	size int
	at   time.Time
}

// duplicates remembers the most recent IP packets by a hash of the bytes
// that a second copy of the same packet shares with the first.
type duplicates struct {
	seed maphash.Seed
	ring [dupSlots]dupEntry
	next int
	init bool
}

// duplicate reports whether the IP packet (header hdr, payload) is a copy of
// one seen less than DuplicateWindow before, and counts it. It ignores the
// TTL or hop limit byte at ttl and, for IPv4, the checksum at csum (csum ==
// ttl for IPv6): a copy captured after a routing hop differs only there.
// The IPv4 identification and the whole payload are compared, so a SIP or
// TCP retransmission, sent again by the application with a new IP ID or
// much later, is never taken for a duplicate.
func (d *Decoder) duplicate(t time.Time, hdr []byte, ttl, csum int, payload []byte) bool {
	if d.DuplicateWindow <= 0 || len(hdr) <= csum+2 {
		return false
	}
	r := &d.dups
	if !r.init {
		r.seed, r.init = maphash.MakeSeed(), true
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.Write(hdr[:ttl])
	if csum == ttl {
		h.Write(hdr[ttl+1:])
	} else {
		h.Write(hdr[ttl+1 : csum])
		h.Write(hdr[csum+2:])
	}
	// The start of the payload is enough: it holds the UDP or TCP header,
	// whose checksum covers all the rest, and the size is compared too.
	h.Write(payload[:min(len(payload), dupPrefix)])
	sum, size := h.Sum64(), len(hdr)+len(payload)
	// Newest first, and only back to the start of the window: on a quiet
	// link that is one or two entries.
	for k := 1; k <= dupSlots; k++ {
		e := &r.ring[(r.next-k+dupSlots)%dupSlots]
		if e.at.IsZero() {
			break
		}
		dt := t.Sub(e.at)
		if dt > d.DuplicateWindow {
			break
		}
		if dt >= 0 && e.sum == sum && e.size == size {
			d.Stats.Duplicates++
			return true
		}
	}
	r.ring[r.next] = dupEntry{sum: sum, size: size, at: t}
	r.next = (r.next + 1) % dupSlots
	return false
}

package decode

import (
	"hash/maphash"
	"time"
)

// dupFrames is how many frames back the duplicate check looks. Copies made
// by -i any on bridged interfaces follow each other within a few packets;
// this many catches them even on a busy capture. The bound is in frames,
// not in packets remembered, so that Decoders sharing a capture by flow
// (see Advance) find the same duplicates as one: a copy is in the same flow
// as its original. The ring has room for two packets a frame (a tunnel in a
// reassembled datagram is checked too).
const (
	dupFrames = 64
	dupSlots  = 2 * dupFrames
)

// dupPrefix is how much of the IP payload the duplicate check hashes.
const dupPrefix = 64

type dupEntry struct {
	sum  uint64
	size int   // 0 for an empty slot
	at   int64 // capture time, Unix nanoseconds
	// latest is the latest time of this packet and those before it within
	// dupFrames: where a look back may stop even when capture time jumps
	// back.
	latest int64
	tick   uint64 // Decoder.ticks of the frame
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
	// link that is one or two entries. Entries past it (latest too early)
	// or more than dupFrames back are never duplicates' originals: the
	// stops save time and change nothing.
	now, window := t.UnixNano(), int64(d.DuplicateWindow)
	for k := 1; k <= dupSlots; k++ {
		e := &r.ring[(r.next-k+dupSlots)%dupSlots]
		if e.size == 0 || d.ticks-e.tick > dupFrames || now-e.latest > window {
			break
		}
		if dt := now - e.at; dt >= 0 && dt <= window && e.sum == sum && e.size == size {
			d.Stats.Duplicates++
			return true
		}
	}
	latest := now
	if prev := &r.ring[(r.next-1+dupSlots)%dupSlots]; prev.latest > now && d.ticks-prev.tick <= dupFrames {
		// Time went back: the latest of the packets still in reach, which
		// lets the looks back stop early again once the later ones are
		// dupFrames behind.
		for k := 1; k <= dupSlots; k++ {
			e := &r.ring[(r.next-k+dupSlots)%dupSlots]
			if e.size == 0 || d.ticks-e.tick > dupFrames {
				break
			}
			latest = max(latest, e.at)
		}
	}
	r.ring[r.next] = dupEntry{sum: sum, size: size, at: now, latest: latest, tick: d.ticks}
	r.next = (r.next + 1) % dupSlots
	return false
}

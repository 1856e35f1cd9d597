package decode

import (
	"encoding/binary"
	"time"
)

// dupWays entries make a bucket, dupBuckets buckets the duplicate check's
// table (a power of two). Copies made by -i any on bridged interfaces follow
// the original within microseconds; a packet is forgotten only when four
// later ones land in its bucket within the window of a few milliseconds: on
// a trunk at 100,000 packets/s (500 in a 5 ms window) about one copy in five
// hundred thousand is missed.
const (
	dupWays    = 4
	dupBuckets = 1024
)

// dupPrefix is how much of the IP payload the duplicate check hashes.
const dupPrefix = 64

// dupMaxHeader is the longest IP header the check hashes whole (IPv4 with
// options); longer ones are cut, which only makes the hash see less.
const dupMaxHeader = 64

type dupEntry struct {
	sum uint64 // hash of the packet's bytes and size
	at  int64  // capture time, Unix nanoseconds; 0 for an empty slot
}

// duplicates remembers recent IP packets by a hash of the bytes that a
// second copy of the same packet shares with the first, in a table indexed
// by that hash: one bucket to look at per packet, however busy the capture.
// The hash is fixed, not seeded: a crafted flood can at worst make a copy
// go unnoticed, and a fixed hash makes every run give the same counts.
type duplicates struct {
	table *[dupBuckets][dupWays]dupEntry
}

// duplicate reports whether the IP packet (header hdr, payload) is a copy of
// one seen less than DuplicateWindow before, and counts it. It ignores the
// TTL and checksum (IPv4) or the hop limit (IPv6, v6 set): a copy captured
// after a routing hop differs only there.
// The IPv4 identification and the whole payload are compared, so a SIP or
// TCP retransmission, sent again by the application with a new IP ID or
// much later, is never taken for a duplicate. It does not allocate after
// the first call.
func (d *Decoder) duplicate(t time.Time, hdr []byte, v6 bool, payload []byte) bool {
	if d.DuplicateWindow <= 0 || len(hdr) < 16 {
		return false
	}
	r := &d.dups
	if r.table == nil {
		r.table = new([dupBuckets][dupWays]dupEntry)
	}
	sum := dupHash(hdr, v6, payload)
	now := t.UnixNano()
	if now == 0 {
		now = 1 // 0 marks an empty slot
	}
	bucket := &r.table[sum&(dupBuckets-1)]
	window := int64(d.DuplicateWindow)
	oldest, oldestAt := 0, bucket[0].at
	for i := range bucket {
		e := &bucket[i]
		if e.sum == sum && e.at != 0 {
			if dt := now - e.at; dt >= 0 && dt <= window {
				d.Stats.Duplicates++
				return true
			}
		}
		if e.at < oldestAt {
			oldest, oldestAt = i, e.at
		}
	}
	bucket[oldest] = dupEntry{sum: sum, at: now}
	return false
}

// dupHash hashes what a copy of an IP packet shares with the original:
// the header hdr (IPv4 or IPv6, at least 16 bytes) but for the bytes a
// routing hop changes, the TTL and header checksum (IPv4) or the hop limit
// (IPv6); the first dupPrefix bytes of the payload, which hold the UDP or
// TCP header whose checksum covers all the rest; and the sizes of both. It
// reads the bytes in place, eight at a time, into four independent lanes
// folded in by a multiply each, so that the multiplies overlap; splitmix64's
// mixer finishes.
func dupHash(hdr []byte, v6 bool, payload []byte) uint64 {
	const m = 0xff51afd7ed558ccd
	h0 := uint64(len(hdr)+len(payload)) * 0x9e3779b97f4a7c15
	h1 := uint64(len(hdr)) ^ 0x243f6a8885a308d3
	h2, h3 := uint64(0x6a09e667f3bcc908), uint64(0xbb67ae8584caa73b)
	hdr = hdr[:min(len(hdr), dupMaxHeader)]
	w0, w1 := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint64(hdr[8:])
	if v6 {
		w0 &^= 0xff << 56 // hop limit, byte 7
	} else {
		w1 &^= 0xffff00ff // TTL and checksum, bytes 8, 10 and 11
	}
	for i := 0; ; {
		h0 = (h0 ^ w0) * m
		h1 = (h1 ^ w1) * m
		h2 = (h2 ^ hdrWord(hdr, i+16)) * m
		h3 = (h3 ^ hdrWord(hdr, i+24)) * m
		h0 ^= h0 >> 29
		h1 ^= h1 >> 29
		h2 ^= h2 >> 29
		h3 ^= h3 >> 29
		if i += 32; i >= len(hdr) {
			break
		}
		w0, w1 = hdrWord(hdr, i), hdrWord(hdr, i+8)
	}
	b := payload[:min(len(payload), dupPrefix)]
	for len(b) >= 32 {
		h0 = (h0 ^ binary.LittleEndian.Uint64(b)) * m
		h1 = (h1 ^ binary.LittleEndian.Uint64(b[8:])) * m
		h2 = (h2 ^ binary.LittleEndian.Uint64(b[16:])) * m
		h3 = (h3 ^ binary.LittleEndian.Uint64(b[24:])) * m
		h0 ^= h0 >> 29
		h1 ^= h1 >> 29
		h2 ^= h2 >> 29
		h3 ^= h3 >> 29
		b = b[32:]
	}
	if len(b) > 0 {
		var last [32]byte
		copy(last[:], b)
		h0 = (h0 ^ binary.LittleEndian.Uint64(last[:])) * m
		h1 = (h1 ^ binary.LittleEndian.Uint64(last[8:])) * m
		h2 = (h2 ^ binary.LittleEndian.Uint64(last[16:])) * m
		h3 = (h3 ^ binary.LittleEndian.Uint64(last[24:])) * m
	}
	h := h0 ^ (h1<<17 | h1>>47) ^ (h2<<31 | h2>>33) ^ (h3<<47 | h3>>17)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// hdrWord returns the eight bytes of hdr (at least eight long) at i,
// little-endian, zero past its end.
func hdrWord(hdr []byte, i int) uint64 {
	switch {
	case i+8 <= len(hdr):
		return binary.LittleEndian.Uint64(hdr[i:])
	case i < len(hdr):
		// The last eight bytes, shifted down to start at i.
		return binary.LittleEndian.Uint64(hdr[len(hdr)-8:]) >> (8 * (i + 8 - len(hdr)))
	}
	return 0
}

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
// TTL or hop limit byte at ttl and, for IPv4, the checksum at csum (csum ==
// ttl for IPv6): a copy captured after a routing hop differs only there.
// The IPv4 identification and the whole payload are compared, so a SIP or
// TCP retransmission, sent again by the application with a new IP ID or
// much later, is never taken for a duplicate. It does not allocate after
// the first call.
func (d *Decoder) duplicate(t time.Time, hdr []byte, ttl, csum int, payload []byte) bool {
	if d.DuplicateWindow <= 0 || len(hdr) <= csum+2 {
		return false
	}
	r := &d.dups
	if r.table == nil {
		r.table = new([dupBuckets][dupWays]dupEntry)
	}
	// One contiguous key: the header with the bytes a hop changes zeroed,
	// then the start of the payload. The start is enough: it holds the UDP
	// or TCP header, whose checksum covers all the rest, and the size is
	// compared too.
	var key [dupMaxHeader + dupPrefix]byte
	n := copy(key[:dupMaxHeader], hdr)
	key[ttl] = 0
	if csum != ttl {
		key[csum], key[csum+1] = 0, 0
	}
	n += copy(key[n:], payload[:min(len(payload), dupPrefix)])
	sum := hashKey(key[:n], uint64(len(hdr)+len(payload)))
	now := t.UnixNano()
	if now == 0 {
		now = 1 // 0 marks an empty slot
	}
	bucket := &r.table[sum&(dupBuckets-1)]
	oldest := 0
	for i := range bucket {
		e := &bucket[i]
		if e.sum == sum && e.at != 0 {
			if dt := now - e.at; dt >= 0 && dt <= int64(d.DuplicateWindow) {
				d.Stats.Duplicates++
				return true
			}
		}
		if e.at < bucket[oldest].at {
			oldest = i
		}
	}
	bucket[oldest] = dupEntry{sum: sum, at: now}
	return false
}

// hashKey hashes b (at most a few hundred bytes) and n: four independent
// lanes fold in eight bytes each by a multiply, so that the multiplies
// overlap, then splitmix64's mixer finishes.
func hashKey(b []byte, n uint64) uint64 {
	const m = 0xff51afd7ed558ccd
	h0, h1, h2, h3 := n*0x9e3779b97f4a7c15, uint64(len(b)), uint64(0x6a09e667f3bcc908), uint64(0xbb67ae8584caa73b)
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
	var last [32]byte
	copy(last[:], b)
	h0 = (h0 ^ binary.LittleEndian.Uint64(last[:])) * m
	h1 = (h1 ^ binary.LittleEndian.Uint64(last[8:])) * m
	h2 = (h2 ^ binary.LittleEndian.Uint64(last[16:])) * m
	h3 = (h3 ^ binary.LittleEndian.Uint64(last[24:])) * m
	h := h0 ^ (h1<<17 | h1>>47) ^ (h2<<31 | h2>>33) ^ (h3<<47 | h3>>17)
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

package decode

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// dupKey is what dupHash must tell apart: the header with the bytes a hop
// changes zeroed, the start of the payload, and both sizes.
func dupKey(hdr []byte, v6 bool, payload []byte) string {
	h := bytes.Clone(hdr[:min(len(hdr), dupMaxHeader)])
	if v6 {
		h[7] = 0
	} else {
		h[8], h[10], h[11] = 0, 0, 0
	}
	return fmt.Sprintf("%d/%d/%x/%x", len(hdr), len(payload), h, payload[:min(len(payload), dupPrefix)])
}

// dupHash gives two packets the same hash exactly when a copy of one could
// be the other: every header byte but the TTL and checksum (IPv4) or hop
// limit (IPv6) counts, and every payload byte up to dupPrefix, and the
// sizes; nothing else does.
func TestDupHash(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for _, tc := range []struct {
		name     string
		hdr      int
		v6       bool
		payloads []int
	}{
		{"IPv4", 20, false, []int{8, 13, 31, 32, 40, 64, 65, 172, 1400}},
		{"IPv4 with options", 24, false, []int{8, 64, 172}},
		{"IPv4 with the most options", 60, false, []int{8, 64, 172}},
		{"IPv6", 40, true, []int{8, 33, 64, 172}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range tc.payloads {
				hdr, payload := random(tc.hdr), random(n)
				key, sum := dupKey(hdr, tc.v6, payload), dupHash(hdr, tc.v6, payload)
				// Change one byte at a time, of the header and of the
				// payload: the hash changes with the key, and only then.
				for i := range len(hdr) + len(payload) {
					h, p := bytes.Clone(hdr), bytes.Clone(payload)
					if i < len(h) {
						h[i]++
					} else {
						p[i-len(h)]++
					}
					if same := dupKey(h, tc.v6, p) == key; same != (dupHash(h, tc.v6, p) == sum) {
						t.Fatalf("%d-byte payload, byte %d changed: same key %v, but not the same hash", n, i, same)
					}
				}
				// One byte more or less of payload, the rest alike.
				for _, p := range [][]byte{payload[:n-1], append(bytes.Clone(payload), 0)} {
					if dupHash(hdr, tc.v6, p) == sum {
						t.Errorf("%d-byte payload: a %d-byte one has the same hash", n, len(p))
					}
				}
			}
		})
	}
}

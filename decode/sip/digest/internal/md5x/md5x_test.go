package md5x

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"
)

// useImpl makes State.Hash use im until the test ends: the switch that
// forces the portable path on a machine with vector units.
func useImpl(t testing.TB, im Impl) {
	old := hash
	hash = im.Hash
	t.Cleanup(func() { hash = old })
}

// randBytes returns n bytes from r.
func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sameBlocks returns a length with as many padded blocks as n, picked by r.
func sameBlocks(r *rand.Rand, n int) int {
	nb := Blocks(n)
	lo := max(0, BlockSize*(nb-1)-8)
	hi := BlockSize*nb - 9
	return lo + r.IntN(hi-lo+1)
}

// check hashes msgs (one a lane, equal block counts) through State.Hash
// and compares every lane with crypto/md5; lanes beyond msgs hold
// whatever the blocks held.
func check(t *testing.T, blocks []Block, msgs [][]byte) {
	t.Helper()
	for l, m := range msgs {
		Put(blocks, l, m)
	}
	var s State
	s.Reset()
	s.Hash(blocks[:Blocks(len(msgs[0]))], nil)
	for l, m := range msgs {
		if got, want := s.Sum(l), md5.Sum(m); got != want {
			t.Fatalf("lane %d of %d, %d bytes: %x, want %x", l, len(msgs), len(m), got, want)
		}
	}
}

// Every length from 0 to 200 bytes (one to four blocks), every number of
// lanes in use, equal and mixed lengths, on every implementation.
func TestHashLengths(t *testing.T) {
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			useImpl(t, im)
			r := rand.New(rand.NewPCG(1, 2))
			var blocks [4]Block
			for n := 0; n <= 200; n++ {
				for lanes := 1; lanes <= Lanes; lanes++ {
					msgs := make([][]byte, lanes)
					for l := range msgs {
						msgs[l] = randBytes(r, n)
					}
					check(t, blocks[:], msgs)
					for l := 1; l < lanes; l++ {
						msgs[l] = randBytes(r, sameBlocks(r, n))
					}
					check(t, blocks[:], msgs)
				}
			}
		})
	}
}

// Shared blocks: messages that differ only in their first block, whose
// tail is passed once for all lanes, and a state carried across calls.
func TestHashShared(t *testing.T) {
	for _, im := range Impls() {
		t.Run(im.Name, func(t *testing.T) {
			useImpl(t, im)
			r := rand.New(rand.NewPCG(3, 4))
			var blocks [8]Block
			for n := BlockSize; n <= 7*BlockSize; n += 13 {
				tail := randBytes(r, n-BlockSize)
				msgs := make([][]byte, Lanes)
				for l := range msgs {
					msgs[l] = append(randBytes(r, BlockSize), tail...)
					Put(blocks[:], l, msgs[l])
				}
				shared := Pad(nil, msgs[0])[1:]
				var s, split State
				s.Reset()
				s.Hash(blocks[:1], shared)
				split.Reset()
				split.Hash(blocks[:1], nil)
				for i := range shared {
					split.Hash(nil, shared[i:i+1])
				}
				for l, m := range msgs {
					want := md5.Sum(m)
					if got := s.Sum(l); got != want {
						t.Fatalf("%d bytes, lane %d: %x, want %x", n, l, got, want)
					}
					if got := split.Sum(l); got != want {
						t.Fatalf("%d bytes, lane %d, block by block: %x, want %x", n, l, got, want)
					}
				}
			}
		})
	}
}

func TestHashNothing(t *testing.T) {
	for _, im := range Impls() {
		var s State
		s.Reset()
		im.Hash(&s, nil, nil)
		for l := range Lanes {
			if s.Sum(l) != [16]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10} {
				t.Errorf("%s: no blocks changed lane %d: %x", im.Name, l, s.Sum(l))
			}
		}
	}
}

func TestPad(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var blocks [5]Block
	for n := 0; n <= 250; n++ {
		msg := randBytes(r, n)
		ws := Pad(nil, msg)
		if len(ws) != Blocks(n) {
			t.Fatalf("%d bytes: Pad made %d blocks, want %d", n, len(ws), Blocks(n))
		}
		Put(blocks[:], 3, msg)
		for b := range ws {
			for w := range ws[b] {
				if ws[b][w] != blocks[b][w][3] {
					t.Fatalf("%d bytes: block %d word %d: Pad %#x, Put %#x", n, b, w, ws[b][w], blocks[b][w][3])
				}
			}
		}
	}
	if got := Pad([]Words{{1}}, nil); len(got) != 2 || got[0][0] != 1 || got[1][0] != 0x80 {
		t.Errorf("Pad does not append: %v", got)
	}
}

func TestPutHexAndMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var s State
	for i := range s {
		for l := range s[i] {
			s[i][l] = r.Uint32()
		}
	}
	for _, im := range hexImpls {
		var b Block
		b.Broadcast(&Words{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 8)
		im.put(&b, &s)
		for l := range Lanes {
			sum := s.Sum(l)
			var got [32]byte
			for w := range 8 {
				v := b[w][l]
				got[4*w], got[4*w+1], got[4*w+2], got[4*w+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
			}
			if want := hex.EncodeToString(sum[:]); string(got[:]) != want {
				t.Errorf("%s, lane %d: wrote %s, want %s", im.name, l, got, want)
			}
			for w := 8; w < 16; w++ {
				if b[w][l] != uint32(w) {
					t.Errorf("%s, lane %d: word %d = %d after Broadcast", im.name, l, w, b[w][l])
				}
			}
		}
	}
	for l := range Lanes {
		sum := s.Sum(l)
		if m := s.Match(&sum); m != 1<<l {
			t.Errorf("Match(lane %d's sum) = %#x", l, m)
		}
	}
	// Lanes that share the first word only do not match.
	sum := s.Sum(5)
	s[0][9] = s[0][5]
	s[3][5]++
	if m := s.Match(&sum); m != 0 {
		t.Errorf("Match = %#x, want none", m)
	}
	s[3][9], s[1][9], s[2][9] = s[3][5]-1, s[1][5], s[2][5]
	if m := s.Match(&sum); m != 1<<9 {
		t.Errorf("Match = %#x, want lane 9", m)
	}
}

// Nothing allocates once the buffers exist.
func TestHashDoesNotAllocate(t *testing.T) {
	var blocks [2]Block
	shared := Pad(nil, make([]byte, 200))
	var s State
	msg := []byte("user:realm:password")
	n := testing.AllocsPerRun(100, func() {
		for l := range Lanes {
			Put(blocks[:], l, msg)
		}
		s.Reset()
		s.Hash(blocks[:1], shared)
		blocks[1].PutHex(&s)
		s.Match(&[16]byte{})
	})
	if n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// FuzzMD5Lanes compares every implementation with crypto/md5 on Lanes
// variants of msg with the same block count, each in its own lane, then on
// variants that differ in the first block only, their tail shared; and
// PutHex with encoding/hex on the digests.
func FuzzMD5Lanes(f *testing.F) {
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("Mufasa:http-auth@example.org:Circle of Life"), uint8(1))
	f.Add(bytes.Repeat([]byte("0123456789abcdef"), 4), uint8(3))
	f.Add(bytes.Repeat([]byte{0xff}, 119), uint8(200))
	f.Add(bytes.Repeat([]byte{0x80}, 300), uint8(7))
	f.Fuzz(func(t *testing.T, msg []byte, cut uint8) {
		n := len(msg)
		nb := Blocks(n)
		if nb > 16 {
			return
		}
		lo := max(0, BlockSize*(nb-1)-8)
		msgs := make([][]byte, Lanes)
		for l := range msgs {
			m := append([]byte(nil), msg[:n-l*int(cut)%(n-lo+1)]...)
			if len(m) > 0 {
				m[l%len(m)] ^= byte(l)
			}
			msgs[l] = m
		}
		blocks := make([]Block, nb)
		var shared []Words
		if n >= BlockSize {
			for l := range msgs {
				m := append([]byte(nil), msg...)
				m[l] ^= byte(l)
				Put(blocks, l, m)
			}
			shared = Pad(nil, msg)[1:]
		}
		for _, im := range Impls() {
			for l, m := range msgs {
				Put(blocks, l, m)
			}
			var s State
			s.Reset()
			im.Hash(&s, blocks, nil)
			for l, m := range msgs {
				if got, want := s.Sum(l), md5.Sum(m); got != want {
					t.Fatalf("%s, lane %d, %d bytes: %x, want %x", im.Name, l, len(m), got, want)
				}
			}
			for _, hx := range hexImpls {
				var b Block
				hx.put(&b, &s)
				for l, m := range msgs {
					sum := md5.Sum(m)
					want := hex.EncodeToString(sum[:])
					for w := range 8 {
						v := b[w][l]
						if got := string([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}); got != want[4*w:4*w+4] {
							t.Fatalf("%s hex, lane %d: word %d is %q, want %q", hx.name, l, w, got, want[4*w:4*w+4])
						}
					}
				}
			}
			if shared == nil {
				continue
			}
			for l := range msgs {
				m := append([]byte(nil), msg...)
				m[l] ^= byte(l)
				Put(blocks, l, m)
			}
			s.Reset()
			im.Hash(&s, blocks[:1], shared)
			for l := range msgs {
				m := append([]byte(nil), msg...)
				m[l] ^= byte(l)
				if got, want := s.Sum(l), md5.Sum(m); got != want {
					t.Fatalf("%s, shared tail, lane %d, %d bytes: %x, want %x", im.Name, l, n, got, want)
				}
			}
		}
	})
}

// BenchmarkMD5Lanes is the raw rate of each implementation on the shape of
// a KD input: one lane-interleaved block and three shared, 16 lanes; and
// crypto/md5 hashing the same 64 blocks one message at a time.
func BenchmarkMD5Lanes(b *testing.B) {
	var blocks [1]Block
	shared := Pad(nil, make([]byte, 4*BlockSize-9))[1:]
	for _, im := range Impls() {
		b.Run(im.Name, func(b *testing.B) {
			var s State
			b.ReportAllocs()
			b.SetBytes(4 * BlockSize * Lanes)
			start := time.Now()
			for b.Loop() {
				s.Reset()
				im.Hash(&s, blocks[:], shared)
			}
			b.ReportMetric(float64(b.N*4*Lanes)/time.Since(start).Seconds(), "blocks/s")
		})
	}
	b.Run("crypto-md5", func(b *testing.B) {
		msg := make([]byte, 4*BlockSize-9)
		b.ReportAllocs()
		b.SetBytes(4 * BlockSize * Lanes)
		start := time.Now()
		for b.Loop() {
			for l := range Lanes {
				msg[0] = byte(l)
				md5.Sum(msg)
			}
		}
		b.ReportMetric(float64(b.N*4*Lanes)/time.Since(start).Seconds(), "blocks/s")
	})
}

func TestPutPadded(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var put, padded [4]Block
	buf := make([]byte, 4*BlockSize)
	for n := 0; n <= 4*BlockSize-9; n++ {
		msg := randBytes(r, n)
		for i := range buf {
			buf[i] = 0xee // stale bytes, as a reused buffer holds
		}
		copy(buf, msg)
		p := PadInPlace(buf, n)
		if len(p) != Blocks(n)*BlockSize {
			t.Fatalf("%d bytes: padded to %d", n, len(p))
		}
		l := n % Lanes
		Put(put[:], l, msg)
		PutPadded(padded[:], l, p)
		for b := range Blocks(n) {
			for w := range 16 {
				if put[b][w][l] != padded[b][w][l] {
					t.Fatalf("%d bytes: block %d word %d: PutPadded %#x, Put %#x", n, b, w, padded[b][w][l], put[b][w][l])
				}
			}
		}
	}
}

// The layout's share of a candidate's cost: H(A1)'s input in 16 lanes, and
// the hex of 16 digests.
func BenchmarkPut(b *testing.B) {
	var blocks [4]Block
	msg := []byte("Mufasa:http-auth@example.org:pass000123")
	b.ReportAllocs()
	for b.Loop() {
		for l := range Lanes {
			Put(blocks[:], l, msg)
		}
	}
}

func BenchmarkPutPadded(b *testing.B) {
	var blocks [4]Block
	buf := make([]byte, 4*BlockSize)
	n := copy(buf, "Mufasa:http-auth@example.org:pass000123")
	b.ReportAllocs()
	for b.Loop() {
		for l := range Lanes {
			PutPadded(blocks[:], l, PadInPlace(buf, n))
		}
	}
}

func BenchmarkPutHex(b *testing.B) {
	for _, im := range hexImpls {
		b.Run(im.name, func(b *testing.B) {
			var blk Block
			var s State
			s.Reset()
			b.ReportAllocs()
			for b.Loop() {
				im.put(&blk, &s)
			}
		})
	}
}

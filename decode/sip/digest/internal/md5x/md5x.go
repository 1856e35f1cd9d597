// Package md5x computes many MD5 digests at once: Lanes independent
// messages of the same length in blocks, one message per lane of a vector
// register. It is the engine of the digest wordlist audit, which hashes
// short messages by the million and for which crypto/md5, one message at a
// time, is the limit.
//
// Messages are laid out by the caller, padded, in lane-interleaved blocks
// (Put or PutPadded, PutHex), so that one vector load reads the same word
// of every lane. Blocks that are the same in every lane (the constant tail
// of a message) are passed once, as Words, and broadcast. Nothing but Pad
// allocates.
//
// It is not a hash.Hash and must never be used where one message at a time
// will do: crypto/md5 is simpler and, for one message, faster.
package md5x

import (
	"encoding/binary"
)

// Lanes is the number of messages hashed at once.
const Lanes = 16

// BlockSize is MD5's block size in bytes.
const BlockSize = 64

// Size is the size of an MD5 digest in bytes.
const Size = 16

// Block is one 64-byte block of every lane's message: Block[w][l] is the
// little-endian word w of lane l's block.
type Block [16][Lanes]uint32

// Words is one 64-byte block of a single message as little-endian words.
type Words [16]uint32

// State is the chaining state of every lane: State[i][l] is word i of lane
// l's. After Reset and Hash over a whole padded message it holds the digest.
type State [4][Lanes]uint32

// initial is MD5's initial state in every lane.
var initial = func() State {
	var s State
	for i, v := range [4]uint32{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476} {
		for l := range s[i] {
			s[i][l] = v
		}
	}
	return s
}()

// Reset sets every lane to MD5's initial state.
func (s *State) Reset() { *s = initial }

// Hash runs MD5's compression function on every lane over blocks, then over
// shared, whose blocks are the same for every lane.
func (s *State) Hash(blocks []Block, shared []Words) { hash(s, blocks, shared) }

// Impl is one implementation of State.Hash.
type Impl struct {
	Name string
	Hash func(s *State, blocks []Block, shared []Words)
}

// Impls returns the implementations this machine runs, fastest first; the
// last is the portable one. State.Hash uses the first. Tests and benchmarks
// compare them.
func Impls() []Impl { return append([]Impl(nil), impls...) }

// hash is State.Hash's implementation; tests switch it.
var hash = impls[0].Hash

//go:generate go run gen_block.go

// hashGeneric is the portable Hash: four lanes at a time, their steps
// interleaved (block_generic.go), which on amd64 without vector units is
// still faster than crypto/md5 one message at a time.
func hashGeneric(s *State, blocks []Block, shared []Words) {
	for i := range blocks {
		blockGeneric(s, &blocks[i])
	}
	if len(shared) > 0 {
		var b Block
		for i := range shared {
			b.Broadcast(&shared[i], 0)
			blockGeneric(s, &b)
		}
	}
}

func blockGeneric(s *State, x *Block) {
	for l := 0; l < Lanes; l += 4 {
		block4(s, x, l)
	}
}

// Sum returns lane l's digest.
func (s *State) Sum(l int) [Size]byte {
	var sum [Size]byte
	for i := range 4 {
		binary.LittleEndian.PutUint32(sum[4*i:], s[i][l])
	}
	return sum
}

// Match returns the set of lanes, bit l for lane l, whose digest is sum.
func (s *State) Match(sum *[Size]byte) uint32 {
	w0 := binary.LittleEndian.Uint32(sum[0:])
	var m uint32
	for l, v := range &s[0] {
		if v == w0 {
			m |= 1 << l
		}
	}
	if m == 0 {
		return 0 // the usual miss: one word compared per lane
	}
	for i := 1; i < 4; i++ {
		w := binary.LittleEndian.Uint32(sum[4*i:])
		for l, v := range &s[i] {
			if v != w {
				m &^= 1 << l
			}
		}
	}
	return m
}

// Blocks returns the number of blocks of an n-byte message once padded.
func Blocks(n int) int { return (n+8)/BlockSize + 1 }

// Put lays msg out, padded, in lane l of blocks, which must hold at least
// Blocks(len(msg)) blocks; the blocks after those are left alone.
func Put(blocks []Block, l int, msg []byte) {
	if uint(l) >= Lanes {
		panic("md5x: lane out of range")
	}
	n := len(msg)
	nb := Blocks(n)
	_ = blocks[nb-1]
	for bi := range nb {
		var buf [BlockSize]byte
		if off := bi * BlockSize; off <= n {
			if k := copy(buf[:], msg[off:]); k < BlockSize {
				buf[k] = 0x80
			}
		}
		if bi == nb-1 {
			binary.LittleEndian.PutUint64(buf[BlockSize-8:], uint64(n)<<3)
		}
		b := &blocks[bi]
		for w := range b {
			b[w][l] = binary.LittleEndian.Uint32(buf[4*w:])
		}
	}
}

// PadInPlace pads the n-byte message at the start of buf, which must have
// room for Blocks(n) blocks, and returns the padded message, for PutPadded.
func PadInPlace(buf []byte, n int) []byte {
	end := Blocks(n) * BlockSize
	p := buf[:end]
	p[n] = 0x80
	clear(p[n+1 : end-8])
	binary.LittleEndian.PutUint64(p[end-8:], uint64(n)<<3)
	return p
}

// PutPadded lays padded, a message padded to whole blocks, out in lane l of
// blocks: Put without the copy, for a caller that builds messages in place.
func PutPadded(blocks []Block, l int, padded []byte) {
	if uint(l) >= Lanes {
		panic("md5x: lane out of range")
	}
	_ = blocks[len(padded)/BlockSize-1]
	for bi := range len(padded) / BlockSize {
		p := (*[BlockSize]byte)(padded[bi*BlockSize:])
		b := &blocks[bi]
		for w := range b {
			b[w][l] = binary.LittleEndian.Uint32(p[4*w:])
		}
	}
}

// Pad returns msg padded, as whole blocks of words, appended to dst. It is
// for the constant part of messages, laid out once: it allocates.
func Pad(dst []Words, msg []byte) []Words {
	nb := Blocks(len(msg))
	p := make([]byte, nb*BlockSize)
	copy(p, msg)
	p[len(msg)] = 0x80
	binary.LittleEndian.PutUint64(p[len(p)-8:], uint64(len(msg))<<3)
	for b := range nb {
		var ws Words
		for w := range ws {
			ws[w] = binary.LittleEndian.Uint32(p[b*BlockSize+4*w:])
		}
		dst = append(dst, ws)
	}
	return dst
}

// Broadcast sets words from to 15 of every lane of b to those of ws.
func (b *Block) Broadcast(ws *Words, from int) {
	for w := from; w < 16; w++ {
		v := ws[w]
		for l := range b[w] {
			b[w][l] = v
		}
	}
}

// PutHex sets words 0 to 7 of every lane of b to the lower-case hex of the
// lane's digest in s: the 32 characters that start KD's and the -sess H(A1)'s
// input in HTTP digest.
func (b *Block) PutHex(s *State) { putHex(b, s) }

// hexImpl is one implementation of Block.PutHex.
type hexImpl struct {
	name string
	put  func(b *Block, s *State)
}

// putHex is PutHex's implementation, the first of hexImpls.
var putHex = hexImpls[0].put

func putHexGeneric(b *Block, s *State) {
	for i := range s {
		for l, d := range &s[i] {
			// 4 digest bytes, in order, make 8 characters: two words.
			h := hex8(d)
			b[2*i][l], b[2*i+1][l] = uint32(h), uint32(h>>32)
		}
	}
}

// hex8 returns the hex characters of the bytes of d, little-endian first,
// high nibble first in each, as hex.Encode writes them: 8 bytes in a word.
func hex8(d uint32) uint64 {
	x := uint64(d)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff                      // one byte every other byte
	n := x>>4&0x000f000f000f000f | (x&0x000f000f000f000f)<<8 // one nibble a byte
	// '0'+n, and 'a'-'0'-10 = 39 more where n > 9: no byte carries into the next.
	return n + 0x3030303030303030 + (n+0x0606060606060606)>>4&0x0101010101010101*39
}

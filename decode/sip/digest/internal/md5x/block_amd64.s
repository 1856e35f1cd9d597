//go:build amd64 && !purego

#include "textflag.h"

// MD5 (RFC 1321 §3.4) on 16 lanes at once. Each step is
//
//	a = b + ((a + f(b, c, d) + x[w] + T[i]) <<< s)
//
// on a vector of lanes; the registers holding a, b, c and d rotate from
// one step to the next instead of the values moving.
//
// Arguments of both functions:
//	DI  the State: word i of lanes 0-7 at i*64, of lanes 8-15 at i*64+32
//	SI  the lane-interleaved Blocks (1024 bytes each: word w at w*64), CX of them
//	DX  the shared Words (64 bytes each: word w at w*4), BX of them
// LOAD(i, w), defined before each loop, adds x[w] + T[i] to a.

// AVX2: lanes 0-7 in Y0-Y3 (a, b, c, d), lanes 8-15 in Y4-Y7. LOAD puts
// x[w] + T[i] in Y8 for lanes 0-7 and M1 for lanes 8-15; the steps use Y8
// and Y9 as scratch for lanes 0-7, Y10 and Y11 for lanes 8-15.
// Y12 holds T[i], Y13 all ones.

// ROTADD ends a step: a += f (in Y9, Y11), rotate, add b.
#define ROTADD(a0, b0, a1, b1, s) \
	VPADDD Y9, a0, a0; VPADDD Y11, a1, a1; \
	VPSLLD $(s), a0, Y8; VPSLLD $(s), a1, Y10; \
	VPSRLD $(32-(s)), a0, a0; VPSRLD $(32-(s)), a1, a1; \
	VPOR Y8, a0, a0; VPOR Y10, a1, a1; \
	VPADDD b0, a0, a0; VPADDD b1, a1, a1

// F(b, c, d) = d ^ (b & (c ^ d)): c ^ d does not wait for b.
#define STEPF(a0, b0, c0, d0, a1, b1, c1, d1, i, w, s) \
	LOAD(i, w); \
	VPADDD Y8, a0, a0; VPADDD M1, a1, a1; \
	VPXOR c0, d0, Y9; VPXOR c1, d1, Y11; \
	VPAND b0, Y9, Y9; VPAND b1, Y11, Y11; \
	VPXOR d0, Y9, Y9; VPXOR d1, Y11, Y11; \
	ROTADD(a0, b0, a1, b1, s)

// G(b, c, d) = (b & d) | (c & ~d): the two terms share no bit, so they are
// added to a one after the other, and c & ~d does not wait for b.
#define STEPG(a0, b0, c0, d0, a1, b1, c1, d1, i, w, s) \
	LOAD(i, w); \
	VPADDD Y8, a0, a0; VPADDD M1, a1, a1; \
	VPANDN c0, d0, Y9; VPANDN c1, d1, Y11; \
	VPADDD Y9, a0, a0; VPADDD Y11, a1, a1; \
	VPAND b0, d0, Y9; VPAND b1, d1, Y11; \
	ROTADD(a0, b0, a1, b1, s)

// H(b, c, d) = b ^ c ^ d.
#define STEPH(a0, b0, c0, d0, a1, b1, c1, d1, i, w, s) \
	LOAD(i, w); \
	VPADDD Y8, a0, a0; VPADDD M1, a1, a1; \
	VPXOR c0, d0, Y9; VPXOR c1, d1, Y11; \
	VPXOR b0, Y9, Y9; VPXOR b1, Y11, Y11; \
	ROTADD(a0, b0, a1, b1, s)

// I(b, c, d) = c ^ (b | ~d).
#define STEPI(a0, b0, c0, d0, a1, b1, c1, d1, i, w, s) \
	LOAD(i, w); \
	VPADDD Y8, a0, a0; VPADDD M1, a1, a1; \
	VPXOR Y13, d0, Y9; VPXOR Y13, d1, Y11; \
	VPOR b0, Y9, Y9; VPOR b1, Y11, Y11; \
	VPXOR c0, Y9, Y9; VPXOR c1, Y11, Y11; \
	ROTADD(a0, b0, a1, b1, s)

// FOUR runs steps i to i+3 of one round (STEP, shifts s0-s3) on message
// words w0-w3, rotating the registers.
#define FOUR(STEP, i, w0, w1, w2, w3, s0, s1, s2, s3) \
	STEP(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, (i), w0, s0); \
	STEP(Y3, Y0, Y1, Y2, Y7, Y4, Y5, Y6, (i+1), w1, s1); \
	STEP(Y2, Y3, Y0, Y1, Y6, Y7, Y4, Y5, (i+2), w2, s2); \
	STEP(Y1, Y2, Y3, Y0, Y5, Y6, Y7, Y4, (i+3), w3, s3)

#define BLOCK8x2 \
	FOUR(STEPF, 0, 0, 1, 2, 3, 7, 12, 17, 22); \
	FOUR(STEPF, 4, 4, 5, 6, 7, 7, 12, 17, 22); \
	FOUR(STEPF, 8, 8, 9, 10, 11, 7, 12, 17, 22); \
	FOUR(STEPF, 12, 12, 13, 14, 15, 7, 12, 17, 22); \
	FOUR(STEPG, 16, 1, 6, 11, 0, 5, 9, 14, 20); \
	FOUR(STEPG, 20, 5, 10, 15, 4, 5, 9, 14, 20); \
	FOUR(STEPG, 24, 9, 14, 3, 8, 5, 9, 14, 20); \
	FOUR(STEPG, 28, 13, 2, 7, 12, 5, 9, 14, 20); \
	FOUR(STEPH, 32, 5, 8, 11, 14, 4, 11, 16, 23); \
	FOUR(STEPH, 36, 1, 4, 7, 10, 4, 11, 16, 23); \
	FOUR(STEPH, 40, 13, 0, 3, 6, 4, 11, 16, 23); \
	FOUR(STEPH, 44, 9, 12, 15, 2, 4, 11, 16, 23); \
	FOUR(STEPI, 48, 0, 7, 14, 5, 6, 10, 15, 21); \
	FOUR(STEPI, 52, 12, 3, 10, 1, 6, 10, 15, 21); \
	FOUR(STEPI, 56, 8, 15, 6, 13, 6, 10, 15, 21); \
	FOUR(STEPI, 60, 4, 11, 2, 9, 6, 10, 15, 21)

// FEED8x2 adds the state before the block (in memory) to the registers and
// stores the sum, the state before the next block.
#define FEED8x2 \
	VPADDD 0(DI), Y0, Y0; VPADDD 32(DI), Y4, Y4; \
	VPADDD 64(DI), Y1, Y1; VPADDD 96(DI), Y5, Y5; \
	VPADDD 128(DI), Y2, Y2; VPADDD 160(DI), Y6, Y6; \
	VPADDD 192(DI), Y3, Y3; VPADDD 224(DI), Y7, Y7; \
	VMOVDQU Y0, 0(DI); VMOVDQU Y4, 32(DI); \
	VMOVDQU Y1, 64(DI); VMOVDQU Y5, 96(DI); \
	VMOVDQU Y2, 128(DI); VMOVDQU Y6, 160(DI); \
	VMOVDQU Y3, 192(DI); VMOVDQU Y7, 224(DI)

// func hashAVX2(s *State, blocks []Block, shared []Words)
TEXT ·hashAVX2(SB), NOSPLIT, $0-56
	MOVQ s+0(FP), DI
	MOVQ blocks_base+8(FP), SI
	MOVQ blocks_len+16(FP), CX
	MOVQ shared_base+32(FP), DX
	MOVQ shared_len+40(FP), BX

	VMOVDQU 0(DI), Y0
	VMOVDQU 32(DI), Y4
	VMOVDQU 64(DI), Y1
	VMOVDQU 96(DI), Y5
	VMOVDQU 128(DI), Y2
	VMOVDQU 160(DI), Y6
	VMOVDQU 192(DI), Y3
	VMOVDQU 224(DI), Y7
	VPCMPEQD Y13, Y13, Y13

	TESTQ CX, CX
	JZ    shared2

// Lane-interleaved blocks: each lane's own word.
#define LOAD(i, w) \
	VPBROADCASTD ·sines+((i)*4)(SB), Y12; \
	VPADDD ((w)*64)(SI), Y12, Y8; \
	VPADDD ((w)*64+32)(SI), Y12, Y10
#define M1 Y10

blocks2:
	BLOCK8x2
	FEED8x2
	ADDQ $1024, SI
	DECQ CX
	JNZ  blocks2

shared2:
	TESTQ BX, BX
	JZ    done2

// Shared blocks: one word for every lane.
#undef LOAD
#undef M1
#define LOAD(i, w) \
	VPBROADCASTD ((w)*4)(DX), Y8; \
	VPBROADCASTD ·sines+((i)*4)(SB), Y12; \
	VPADDD Y12, Y8, Y8
#define M1 Y8

sharedloop2:
	BLOCK8x2
	FEED8x2
	ADDQ $64, DX
	DECQ BX
	JNZ  sharedloop2

done2:
	VZEROUPPER
	RET

#undef LOAD
#undef M1

// AVX-512: all 16 lanes in Z0-Z3 (a, b, c, d); Z8 is scratch. f is one
// VPTERNLOGD on a copy of b, c and d, its truth table the immediate:
// F 0xca, G 0xe4, H 0x96, I 0x39.
#define STEP16(a, b, c, d, i, w, s, f) \
	LOAD(a, i, w); \
	VMOVDQA32  b, Z8; \
	VPTERNLOGD $(f), d, c, Z8; \
	VPADDD     Z8, a, a; \
	VPROLD     $(s), a, a; \
	VPADDD     b, a, a

#define FOUR16(i, w0, w1, w2, w3, s0, s1, s2, s3, f) \
	STEP16(Z0, Z1, Z2, Z3, (i), w0, s0, f); \
	STEP16(Z3, Z0, Z1, Z2, (i+1), w1, s1, f); \
	STEP16(Z2, Z3, Z0, Z1, (i+2), w2, s2, f); \
	STEP16(Z1, Z2, Z3, Z0, (i+3), w3, s3, f)

#define BLOCK16 \
	FOUR16(0, 0, 1, 2, 3, 7, 12, 17, 22, 0xca); \
	FOUR16(4, 4, 5, 6, 7, 7, 12, 17, 22, 0xca); \
	FOUR16(8, 8, 9, 10, 11, 7, 12, 17, 22, 0xca); \
	FOUR16(12, 12, 13, 14, 15, 7, 12, 17, 22, 0xca); \
	FOUR16(16, 1, 6, 11, 0, 5, 9, 14, 20, 0xe4); \
	FOUR16(20, 5, 10, 15, 4, 5, 9, 14, 20, 0xe4); \
	FOUR16(24, 9, 14, 3, 8, 5, 9, 14, 20, 0xe4); \
	FOUR16(28, 13, 2, 7, 12, 5, 9, 14, 20, 0xe4); \
	FOUR16(32, 5, 8, 11, 14, 4, 11, 16, 23, 0x96); \
	FOUR16(36, 1, 4, 7, 10, 4, 11, 16, 23, 0x96); \
	FOUR16(40, 13, 0, 3, 6, 4, 11, 16, 23, 0x96); \
	FOUR16(44, 9, 12, 15, 2, 4, 11, 16, 23, 0x96); \
	FOUR16(48, 0, 7, 14, 5, 6, 10, 15, 21, 0x39); \
	FOUR16(52, 12, 3, 10, 1, 6, 10, 15, 21, 0x39); \
	FOUR16(56, 8, 15, 6, 13, 6, 10, 15, 21, 0x39); \
	FOUR16(60, 4, 11, 2, 9, 6, 10, 15, 21, 0x39)

#define FEED16 \
	VPADDD 0(DI), Z0, Z0; VPADDD 64(DI), Z1, Z1; \
	VPADDD 128(DI), Z2, Z2; VPADDD 192(DI), Z3, Z3; \
	VMOVDQU32 Z0, 0(DI); VMOVDQU32 Z1, 64(DI); \
	VMOVDQU32 Z2, 128(DI); VMOVDQU32 Z3, 192(DI)

// func hashAVX512(s *State, blocks []Block, shared []Words)
TEXT ·hashAVX512(SB), NOSPLIT, $0-56
	MOVQ s+0(FP), DI
	MOVQ blocks_base+8(FP), SI
	MOVQ blocks_len+16(FP), CX
	MOVQ shared_base+32(FP), DX
	MOVQ shared_len+40(FP), BX

	VMOVDQU32 0(DI), Z0
	VMOVDQU32 64(DI), Z1
	VMOVDQU32 128(DI), Z2
	VMOVDQU32 192(DI), Z3

	TESTQ CX, CX
	JZ    shared16

// Lane-interleaved blocks: a 64-byte vector of the 16 lanes' word w.
#define LOAD(a, i, w) \
	VPADDD      ((w)*64)(SI), a, a; \
	VPADDD.BCST ·sines+((i)*4)(SB), a, a

blocks16:
	BLOCK16
	FEED16
	ADDQ $1024, SI
	DECQ CX
	JNZ  blocks16

shared16:
	TESTQ BX, BX
	JZ    done16

// Shared blocks: word w broadcast to every lane.
#undef LOAD
#define LOAD(a, i, w) \
	VPADDD.BCST ((w)*4)(DX), a, a; \
	VPADDD.BCST ·sines+((i)*4)(SB), a, a

sharedloop16:
	BLOCK16
	FEED16
	ADDQ $64, DX
	DECQ BX
	JNZ  sharedloop16

done16:
	VZEROUPPER
	RET

// The hex of every lane's digest (Block.PutHex) for AVX2: per vector of 8
// lanes' digest word, VPSHUFB spreads bytes 0-1 (then 2-3) of each lane to
// a byte per nibble, masks keep the high nibble in the even bytes and the
// low in the odd, and VPSHUFB looks the characters up.

// For each dword of a 128-bit lane: bytes 0, 0, 1, 1; then 2, 2, 3, 3.
DATA hexspread<>+0(SB)/8, $0x0505040401010000
DATA hexspread<>+8(SB)/8, $0x0d0d0c0c09090808
DATA hexspread<>+16(SB)/8, $0x0505040401010000
DATA hexspread<>+24(SB)/8, $0x0d0d0c0c09090808
DATA hexspread<>+32(SB)/8, $0x0707060603030202
DATA hexspread<>+40(SB)/8, $0x0f0f0e0e0b0b0a0a
DATA hexspread<>+48(SB)/8, $0x0707060603030202
DATA hexspread<>+56(SB)/8, $0x0f0f0e0e0b0b0a0a
GLOBL hexspread<>(SB), RODATA|NOPTR, $64

// The low nibble of even bytes, of odd bytes.
DATA hexmask<>+0(SB)/8, $0x000f000f000f000f
DATA hexmask<>+8(SB)/8, $0x000f000f000f000f
DATA hexmask<>+16(SB)/8, $0x000f000f000f000f
DATA hexmask<>+24(SB)/8, $0x000f000f000f000f
DATA hexmask<>+32(SB)/8, $0x0f000f000f000f00
DATA hexmask<>+40(SB)/8, $0x0f000f000f000f00
DATA hexmask<>+48(SB)/8, $0x0f000f000f000f00
DATA hexmask<>+56(SB)/8, $0x0f000f000f000f00
GLOBL hexmask<>(SB), RODATA|NOPTR, $64

DATA hexdigits<>+0(SB)/8, $"01234567"
DATA hexdigits<>+8(SB)/8, $"89abcdef"
DATA hexdigits<>+16(SB)/8, $"01234567"
DATA hexdigits<>+24(SB)/8, $"89abcdef"
GLOBL hexdigits<>(SB), RODATA|NOPTR, $32

// NIBBLES turns t, each 16 bits a digest byte twice, into its high nibble
// in the low byte and its low nibble in the high byte; the characters'
// order in memory.
#define NIBBLES(t) \
	VPSRLW  $4, t, Y3; \
	VPAND   Y12, Y3, Y3; \
	VPAND   Y14, t, t; \
	VPOR    Y3, t, t; \
	VPSHUFB t, Y13, t

// HEX writes the 16 characters of digest word i of lanes 8h to 8h+7 as
// words 2i and 2i+1 of those lanes.
#define HEX(i, h) \
	VMOVDQU ((i)*64+(h)*32)(SI), Y0; \
	VPSHUFB Y10, Y0, Y1; \
	VPSHUFB Y11, Y0, Y2; \
	NIBBLES(Y1); \
	NIBBLES(Y2); \
	VMOVDQU Y1, ((2*(i))*64+(h)*32)(DI); \
	VMOVDQU Y2, ((2*(i)+1)*64+(h)*32)(DI)

// func putHexAVX2(b *Block, s *State)
TEXT ·putHexAVX2(SB), NOSPLIT, $0-16
	MOVQ b+0(FP), DI
	MOVQ s+8(FP), SI
	VMOVDQU hexspread<>+0(SB), Y10
	VMOVDQU hexspread<>+32(SB), Y11
	VMOVDQU hexmask<>+0(SB), Y12
	VMOVDQU hexmask<>+32(SB), Y14
	VMOVDQU hexdigits<>+0(SB), Y13
	HEX(0, 0)
	HEX(0, 1)
	HEX(1, 0)
	HEX(1, 1)
	HEX(2, 0)
	HEX(2, 1)
	HEX(3, 0)
	HEX(3, 1)
	VZEROUPPER
	RET

package md5x

import "testing"

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

func BenchmarkPutHex(b *testing.B) {
	var blk Block
	var s State
	s.Reset()
	b.ReportAllocs()
	for b.Loop() {
		blk.PutHex(&s)
	}
}

package sip

import "testing"

func BenchmarkParseInvite(b *testing.B) {
	data := []byte(seedInvite)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseStreamInvite(b *testing.B) {
	data := []byte(seedInvite + seed100)
	b.SetBytes(int64(len(seedInvite)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseStream(data); err != nil {
			b.Fatal(err)
		}
	}
}

// rtpPacket is a G.711 RTP packet: what most UDP payloads are.
var rtpPacket = append([]byte{0x80, 0x08, 0x1c, 0x6e, 0x00, 0x00, 0x54, 0x60, 0xf1, 0x2a, 0x4b, 0x6e}, make([]byte, 160)...)

func BenchmarkLooksLikeSIP(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if LooksLikeSIP(rtpPacket) {
			b.Fatal("RTP taken for SIP")
		}
	}
}

func BenchmarkLooksLikeSIPInvite(b *testing.B) {
	data := []byte(seedInvite)
	b.ReportAllocs()
	for b.Loop() {
		if !LooksLikeSIP(data) {
			b.Fatal("INVITE not recognised")
		}
	}
}

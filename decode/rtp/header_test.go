package rtp

import (
	"errors"
	"testing"

	pionrtp "github.com/pion/rtp"
)

// pcma is a G.711 A-law packet as the FreeSWITCH NAT capture carries them:
// marker set, PT 8, seq 27675, timestamp 14570496, SSRC 0x5A3C9E17.
var pcma = append([]byte{0x80, 0x88, 0x6c, 0x1b, 0x00, 0xde, 0x54, 0x00, 0x5a, 0x3c, 0x9e, 0x17}, make([]byte, 160)...)

func TestHeaderUnmarshal(t *testing.T) {
	withCSRC := append([]byte{0x82, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 1, 1, 1, 2, 2, 2, 2}, 0xaa, 0xbb)
	withExt := append([]byte{0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 1, 2, 3, 4}, 0xcc)
	padded := append([]byte{0xa0, 0x00, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3}, 9, 9, 0, 0, 3)
	for _, tt := range []struct {
		name     string
		in       []byte
		err      error
		want     Header
		checkPay bool
	}{
		{name: "pcma", in: pcma, want: Header{Version: 2, Marker: true, PayloadType: 8, SequenceNumber: 27675,
			Timestamp: 14570496, SSRC: 0x5A3C9E17, PayloadOffset: 12, PayloadLen: 160}},
		{name: "two CSRCs", in: withCSRC, want: Header{Version: 2, CSRCCount: 2, SequenceNumber: 1, Timestamp: 2,
			SSRC: 3, PayloadOffset: 20, PayloadLen: 2}},
		{name: "one-word extension", in: withExt, want: Header{Version: 2, Extension: true, PayloadType: 96,
			SequenceNumber: 1, Timestamp: 2, SSRC: 3, PayloadOffset: 20, PayloadLen: 1}},
		{name: "three bytes of padding", in: padded, want: Header{Version: 2, Padding: true, SequenceNumber: 1,
			Timestamp: 2, SSRC: 3, PayloadOffset: 12, PayloadLen: 2}},
		{name: "empty payload", in: pcma[:12], want: Header{Version: 2, Marker: true, PayloadType: 8,
			SequenceNumber: 27675, Timestamp: 14570496, SSRC: 0x5A3C9E17, PayloadOffset: 12}},
		{name: "too short", in: pcma[:11], err: ErrTooShort},
		{name: "version 1", in: append([]byte{0x40}, pcma[1:]...), err: ErrVersion},
		{name: "CSRC list past the end", in: withCSRC[:16], err: ErrHeaderLength},
		{name: "extension header cut", in: withExt[:14], err: ErrHeaderLength},
		{name: "extension body past the end", in: withExt[:18], err: ErrHeaderLength},
		{name: "padding of zero", in: append(padded[:len(padded)-1:len(padded)-1], 0), err: ErrPadding},
		{name: "padding past the header", in: append(padded[:len(padded)-1:len(padded)-1], 9), err: ErrPadding},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var h Header
			err := h.Unmarshal(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && h != tt.want {
				t.Errorf("got  %+v\nwant %+v", h, tt.want)
			}
		})
	}
}

// Our header agrees with pion/rtp's on every field both read, for the
// packets pion accepts.
func TestHeaderMatchesPion(t *testing.T) {
	for _, b := range [][]byte{pcma, pcma[:12]} {
		var h Header
		if err := h.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		var p pionrtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if h.Marker != p.Marker || h.PayloadType != p.PayloadType || h.SequenceNumber != p.SequenceNumber ||
			h.Timestamp != p.Timestamp || h.SSRC != p.SSRC || h.PayloadLen != len(p.Payload) {
			t.Errorf("ours %+v, pion %+v", h, p.Header)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   []byte
		want Kind
	}{
		{"RTP", pcma, KindRTP},
		{"RTP PT 127 with marker", append([]byte{0x80, 0xff}, pcma[2:]...), KindRTP},
		{"RTCP SR", []byte{0x80, 200, 0, 6, 1, 2, 3, 4}, KindRTCP},
		{"RTCP RR", []byte{0x81, 201, 0, 7, 1, 2, 3, 4}, KindRTCP},
		{"RTCP XR", []byte{0x80, 207, 0, 1, 1, 2, 3, 4}, KindRTCP},
		// PT 72-95 with the marker bit is the RTCP range by RFC 5761.
		{"marker and PT 72", append([]byte{0x80, 0x80 | 72}, pcma[2:]...), KindRTCP},
		{"STUN binding request", []byte{0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0}, KindOther},
		{"DTLS", []byte{0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0}, KindOther},
		{"short RTP", pcma[:10], KindOther},
		{"SIP", []byte("INVITE sip:a@b SIP/2.0\r\n"), KindOther},
		{"empty", nil, KindOther},
	} {
		if got := Classify(tt.in); got != tt.want {
			t.Errorf("%s: Classify = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestTelephoneEvent(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want TelephoneEvent
		name string
		err  error
	}{
		{in: []byte{1, 0x0a, 0x00, 0xa0}, want: TelephoneEvent{Event: 1, Volume: 10, Duration: 160}, name: "1"},
		{in: []byte{11, 0x8a, 0x03, 0x20}, want: TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 800}, name: "#"},
		{in: []byte{10, 0x3f, 0, 0}, want: TelephoneEvent{Event: 10, Volume: 63}, name: "*"},
		{in: []byte{15, 0, 0, 1}, want: TelephoneEvent{Event: 15, Duration: 1}, name: "D"},
		{in: []byte{16, 0, 0, 1}, want: TelephoneEvent{Event: 16, Duration: 1}, name: "flash"},
		{in: []byte{70, 0, 0, 1}, want: TelephoneEvent{Event: 70, Duration: 1}, name: "event 70"},
		{in: []byte{1, 0, 0}, err: ErrEventTooShort},
	} {
		var e TelephoneEvent
		err := e.Unmarshal(tt.in)
		if !errors.Is(err, tt.err) {
			t.Fatalf("% x: err = %v, want %v", tt.in, err, tt.err)
		}
		if err != nil {
			continue
		}
		if e != tt.want || e.Digit() != tt.name {
			t.Errorf("% x: %+v %q, want %+v %q", tt.in, e, e.Digit(), tt.want, tt.name)
		}
	}
}

func TestStaticCodec(t *testing.T) {
	for pt, want := range map[uint8]Codec{0: {"PCMU", 8000, 1}, 8: {"PCMA", 8000, 1}, 9: {"G722", 8000, 1}, 18: {"G729", 8000, 1}, 13: {"CN", 8000, 1}} {
		if got, ok := StaticCodec(pt); !ok || got != want {
			t.Errorf("StaticCodec(%d) = %v %v, want %v", pt, got, ok, want)
		}
	}
	for _, pt := range []uint8{20, 35, 96, 101, 127} {
		if c, ok := StaticCodec(pt); ok {
			t.Errorf("StaticCodec(%d) = %v, want none", pt, c)
		}
	}
}

func BenchmarkHeaderUnmarshal(b *testing.B) {
	b.ReportAllocs()
	var h Header
	for b.Loop() {
		if err := h.Unmarshal(pcma); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzHeader checks that Unmarshal never panics and that what it returns
// stays inside the packet.
func FuzzHeader(f *testing.F) {
	for _, s := range [][]byte{pcma, pcma[:12], {0x9f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0xb0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff, 4}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Header
		if err := h.Unmarshal(b); err != nil {
			return
		}
		if h.PayloadOffset < HeaderSize || h.PayloadLen < 0 || h.PayloadOffset+h.PayloadLen > len(b) {
			t.Fatalf("payload [%d:+%d] outside %d bytes", h.PayloadOffset, h.PayloadLen, len(b))
		}
		_ = Classify(b)
	})
}

func FuzzTelephoneEvent(f *testing.F) {
	f.Add([]byte{1, 0x8a, 0x03, 0x20})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e TelephoneEvent
		if err := e.Unmarshal(b); err == nil && e.Digit() == "" {
			t.Fatal("empty digit name")
		}
	})
}

package sdp

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/decode/rtp"
)

func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n"))
}

// The softphone's offer in the FreeSWITCH NAT case (seed log).
const phoneOffer = `
v=0
o=doubango 1983 678902 IN IP4 192.168.1.107
s=-
c=IN IP4 192.168.1.107
t=0 0
a=tcap:1 RTP/AVPF
m=audio 54898 RTP/AVP 8 0 3 111 101
a=ptime:20
a=rtpmap:8 PCMA/8000/1
a=rtpmap:0 PCMU/8000/1
a=rtpmap:3 GSM/8000/1
a=rtpmap:111 opus/48000/2
a=fmtp:111 maxplaybackrate=16000
a=rtpmap:101 telephone-event/8000/1
a=fmtp:101 0-16
a=sendrecv
a=rtcp-mux
a=ssrc:3992734018 cname:(null)
a=ssrc:3992734018 label:doubango@audio
`

// FreeSWITCH's answer in the same case.
const fsAnswer = `
v=0
o=FreeSWITCH 1535391023 1535391024 IN IP4 47.98.109.96
s=FreeSWITCH
c=IN IP4 47.98.109.96
t=0 0
m=audio 60706 RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=rtcp-mux
a=rtcp:60706 IN IP4 47.98.109.96
`

func codec(pt uint8, name string, rate, ch int) Codec {
	return Codec{PayloadType: pt, Codec: rtp.Codec{Name: name, ClockRate: rate, Channels: ch}}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		want *Session
	}{
		{"phone offer", phoneOffer, &Session{Origin: "doubango 1983 678902", Media: []MediaLine{{
			Type: "audio", Port: 54898, Proto: "RTP/AVP", Formats: []uint8{8, 0, 3, 111, 101},
			Host: "192.168.1.107", Addr: netip.MustParseAddr("192.168.1.107"),
			RTCP: netip.MustParseAddrPort("192.168.1.107:54898"), RTCPMux: true,
			Codecs: []Codec{codec(8, "PCMA", 8000, 1), codec(0, "PCMU", 8000, 1), codec(3, "GSM", 8000, 1),
				codec(111, "opus", 48000, 2), codec(101, "telephone-event", 8000, 1)},
			SSRCs: []uint32{3992734018}, Ptime: 20,
		}}}},
		{"FreeSWITCH answer", fsAnswer, &Session{Origin: "FreeSWITCH 1535391023 1535391024", Media: []MediaLine{{
			Type: "audio", Port: 60706, Proto: "RTP/AVP", Formats: []uint8{8, 101},
			Host: "47.98.109.96", Addr: netip.MustParseAddr("47.98.109.96"),
			RTCP: netip.MustParseAddrPort("47.98.109.96:60706"), RTCPMux: true,
			Codecs: []Codec{codec(8, "PCMA", 8000, 0), codec(101, "telephone-event", 8000, 0)}, Ptime: 20,
		}}}},
		// sipp's answer: a static type with an rtpmap; RTCP on the next port.
		{"sipp, rtcp on port+1, session recvonly", `
v=0
o=user1 53655765 2353687637 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
a=recvonly
m=audio 6000 RTP/AVP 0 18
a=rtpmap:0 PCMU/8000
`, &Session{Origin: "user1 53655765 2353687637", Media: []MediaLine{{
			Type: "audio", Port: 6000, Proto: "RTP/AVP", Formats: []uint8{0, 18},
			Host: "127.0.0.1", Addr: netip.MustParseAddr("127.0.0.1"),
			RTCP: netip.MustParseAddrPort("127.0.0.1:6001"), Direction: RecvOnly,
			Codecs: []Codec{codec(0, "PCMU", 8000, 0), codec(18, "G729", 8000, 1)},
		}}}},
		// Media-level c= and direction override the session's; two m= lines;
		// a rejected video line; RTCP at another address; IPv6.
		{"two lines, media c=, a=rtcp with address", `
v=0
o=- 1 2 IN IP6 2001:db8::1
s=-
c=IN IP6 2001:db8::1
t=0 0
a=sendonly
m=audio 4000 RTP/AVP 9
c=IN IP6 2001:db8::2
a=inactive
a=rtcp:5001 IN IP6 2001:db8::3
m=video 0 RTP/AVP 96
a=rtpmap:96 H264/90000
`, &Session{Origin: "- 1 2", Media: []MediaLine{{
			Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []uint8{9},
			Host: "2001:db8::2", Addr: netip.MustParseAddr("2001:db8::2"),
			RTCP: netip.MustParseAddrPort("[2001:db8::3]:5001"), Direction: Inactive,
			Codecs: []Codec{codec(9, "G722", 8000, 1)},
		}, {
			Index: 1, Type: "video", Port: 0, Proto: "RTP/AVP", Formats: []uint8{96},
			Host: "2001:db8::1", Addr: netip.MustParseAddr("2001:db8::1"), Direction: SendOnly,
			Codecs: []Codec{codec(96, "H264", 90000, 0)},
		}}}},
		// T.38 has no numeric formats; a host name is kept but not parsed.
		{"t38 by name", `
v=0
o=- 1 1 IN IP4 gw.example.com
s=-
c=IN IP4 gw.example.com
t=0 0
m=image 4002 udptl t38
`, &Session{Origin: "- 1 1", Media: []MediaLine{{Type: "image", Port: 4002, Proto: "udptl", Host: "gw.example.com"}},
			// pion/sdp knows no "image" media.
			Lenient: true, Warnings: []string{"pion/sdp rejected it (sdp: invalid value `image`); read line by line"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(crlf(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Descriptions pion/sdp rejects are still read, and say so.
func TestParseLenient(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
		rtp  string
		dir  Direction
	}{
		{"attribute before t=", "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\na=sendonly\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n", "10.0.0.1:7078", SendOnly},
		{"unknown line type", "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 7078 RTP/AVP 0\nx=vendor\na=recvonly\n", "10.0.0.1:7078", RecvOnly},
		{"no v= line", "o=- 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 10.0.0.1\r\nm=audio 9 RTP/AVP 8\r\n", "10.0.0.1:9", SendRecv},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !s.Lenient || len(s.Warnings) == 0 {
				t.Errorf("lenient %v, warnings %q", s.Lenient, s.Warnings)
			}
			if got := s.Media[0].RTP().String(); got != tt.rtp || s.Media[0].Direction != tt.dir {
				t.Errorf("RTP %s %v, want %s %v", got, s.Media[0].Direction, tt.rtp, tt.dir)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\n", "hello"} {
		if _, err := Parse([]byte(in)); !errors.Is(err, ErrNoMedia) {
			t.Errorf("%q: err = %v, want ErrNoMedia", in, err)
		}
	}
}

func TestMediaHelpers(t *testing.T) {
	s, err := Parse(crlf(phoneOffer))
	if err != nil {
		t.Fatal(err)
	}
	m := s.Media[0]
	if c, ok := m.Codec(111); !ok || c.Name != "opus" || c.ClockRate != 48000 {
		t.Errorf("Codec(111) = %v %v", c, ok)
	}
	if c, ok := m.Codec(18); !ok || c.Name != "G729" {
		t.Errorf("Codec(18) falls back to the static table: %v %v", c, ok)
	}
	if _, ok := m.Codec(99); ok {
		t.Error("Codec(99) found without an rtpmap")
	}
	if !m.HasFormat(101) || m.HasFormat(9) {
		t.Error("HasFormat")
	}
	if m.OnHold() {
		t.Error("OnHold")
	}
	hold, _ := Parse([]byte("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7078 RTP/AVP 0\r\n"))
	if !hold.Media[0].OnHold() {
		t.Error("c=0.0.0.0 is not on hold")
	}
	if !SendRecv.Sends() || !SendRecv.Receives() || SendOnly.Receives() || RecvOnly.Sends() || Inactive.Sends() {
		t.Error("Direction helpers")
	}
}

func TestParseCapsMediaLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n")
	for range MaxMedia + 5 {
		b.WriteString("m=audio 4000 RTP/AVP 0\r\n")
	}
	s, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Media) != MaxMedia || len(s.Warnings) == 0 {
		t.Errorf("%d media lines, warnings %q", len(s.Media), s.Warnings)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{phoneOffer, fsAnswer, "m=audio 1 RTP/AVP 0\na=rtcp:99999\na=rtpmap:x\nc=IN IP4 ::ffff:1.2.3.4/3"} {
		f.Add(crlf(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		if len(s.Media) == 0 || len(s.Media) > MaxMedia {
			t.Fatalf("%d media lines", len(s.Media))
		}
		for _, m := range s.Media {
			_ = m.RTP()
			_, _ = m.Codec(0)
		}
	})
}

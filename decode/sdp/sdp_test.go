package sdp

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// The answer FreeSWITCH sent in the seed case (frame 7 of testdata/freeswitch-nat.pcap).
const freeswitchAnswer = "v=0\r\no=FreeSWITCH 1535391023 1535391024 IN IP4 47.98.109.96\r\ns=FreeSWITCH\r\n" +
	"c=IN IP4 47.98.109.96\r\nt=0 0\r\nm=audio 60706 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=rtcp-mux\r\n" +
	"a=rtcp:60706 IN IP4 47.98.109.96\r\n"

func TestParse(t *testing.T) {
	ip := netip.MustParseAddr
	tests := []struct {
		name     string
		body     string
		want     []Media
		origin   string
		warnings int
	}{
		{
			name:   "freeswitch answer with rtcp-mux",
			body:   freeswitchAnswer,
			origin: "47.98.109.96",
			want: []Media{{Type: "audio", Port: 60706, Proto: "RTP/AVP", Formats: []string{"8", "101"},
				Connection: ip("47.98.109.96"), RTCPPort: 60706, RTCPMux: true, Direction: "sendrecv",
				Codecs: map[string]string{"8": "PCMA/8000", "101": "telephone-event/8000"}}},
		},
		{
			name: "LF endings, static payload types, media-level c= and direction, implicit RTCP port",
			body: "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\na=sendonly\nt=0 0\n" +
				"m=audio 4000 RTP/AVP 0 18\nc=IN IP4 10.0.0.2\nm=video 5000 RTP/AVP 96\na=inactive\n",
			origin: "10.0.0.1",
			want: []Media{
				{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []string{"0", "18"},
					Connection: ip("10.0.0.2"), RTCPPort: 4001, Direction: "sendonly"},
				{Type: "video", Port: 5000, Proto: "RTP/AVP", Formats: []string{"96"},
					Connection: ip("10.0.0.1"), RTCPPort: 5001, Direction: "inactive"},
			},
		},
		{
			name:   "IPv6 connection and a rejected stream",
			body:   "v=0\r\nc=IN IP6 2001:db8::1\r\nm=audio 0 RTP/AVP 0\r\n",
			want:   []Media{{Type: "audio", Port: 0, Proto: "RTP/AVP", Formats: []string{"0"}, Connection: ip("2001:db8::1"), RTCPPort: 0, Direction: "sendrecv"}},
			origin: "",
		},
		{
			name: "garbage lines are skipped and counted",
			body: "v=0\r\nthis is not sdp\r\nc=IN IP4 999.1.1.1\r\nm=audio nope RTP/AVP 0\r\nm=audio\r\nm=audio 1234/2 RTP/AVP 8\r\na=rtcp:\r\na=rtpmap:\r\n",
			want: []Media{{Type: "audio", Port: 1234, Proto: "RTP/AVP", Formats: []string{"8"}, RTCPPort: 1235, Direction: "sendrecv"}},
			// the line without '=', the bad c=, the two bad m=, a=rtcp and a=rtpmap
			warnings: 6,
		},
		{
			name: "host name in c= is legal but gives no address",
			body: "v=0\nc=IN IP4 media.example.com\nm=audio 4000 RTP/AVP 0\n",
			want: []Media{{Type: "audio", Port: 4000, Proto: "RTP/AVP", Formats: []string{"0"}, RTCPPort: 4001, Direction: "sendrecv"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if s.Origin != tt.origin {
				t.Errorf("Origin = %q, want %q", s.Origin, tt.origin)
			}
			if !reflect.DeepEqual(s.Media, tt.want) {
				t.Errorf("Media =\n%+v\nwant\n%+v", s.Media, tt.want)
			}
			if len(s.Warnings) != tt.warnings {
				t.Errorf("Warnings = %q, want %d of them", s.Warnings, tt.warnings)
			}
		})
	}
}

func TestParseNotSDP(t *testing.T) {
	for _, body := range []string{"", "hello", "<xml/>"} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrNotSDP) {
			t.Errorf("Parse(%q) error = %v, want ErrNotSDP", body, err)
		}
	}
}

func TestMediaHelpers(t *testing.T) {
	s, err := Parse([]byte("v=0\nc=IN IP4 192.0.2.9\nm=audio 4000 RTP/AVP 8 0 18 101 99\na=rtpmap:101 telephone-event/8000\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := s.Media[0]
	if got, want := m.CodecNames(), []string{"PCMA", "PCMU", "G729", "telephone-event", "99"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CodecNames = %q, want %q", got, want)
	}
	if got := m.Addr(); got != netip.MustParseAddrPort("192.0.2.9:4000") {
		t.Errorf("Addr = %v", got)
	}
	var none Media
	if none.Addr().IsValid() {
		t.Error("Addr of a media without connection is valid")
	}
}

func TestParseBoundsMedia(t *testing.T) {
	body := []byte("v=0\n")
	for i := 0; i < 200; i++ {
		body = append(body, "m=audio 1 RTP/AVP 0\n"...)
	}
	s, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Media) != maxMedia || len(s.Warnings) != maxWarnings {
		t.Errorf("kept %d media, %d warnings; want %d and %d", len(s.Media), len(s.Warnings), maxMedia, maxWarnings)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(freeswitchAnswer))
	f.Add([]byte("v=0\nm=audio 1/2 RTP/AVP\na=rtcp:70000\nc=IN IP6 ::ffff:1.2.3.4/127\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		if len(s.Media) > maxMedia || len(s.Warnings) > maxWarnings {
			t.Fatalf("bounds exceeded: %d media, %d warnings", len(s.Media), len(s.Warnings))
		}
		for _, m := range s.Media {
			if m.Port < 0 || m.Port > 65535 || m.RTCPPort < 0 || m.RTCPPort > 65535 {
				t.Fatalf("port out of range: %+v", m)
			}
			_ = m.CodecNames()
			_ = m.Addr()
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	body := []byte(freeswitchAnswer)
	for b.Loop() {
		if _, err := Parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

// pion/sdp parses well-formed bodies; the line reader takes over, with the
// reason noted, where real equipment breaks pion's rules.
func TestParseStrictThenLenient(t *testing.T) {
	good := "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendonly\r\n"
	s, err := Parse([]byte(good))
	if err != nil || s.Lenient != "" {
		t.Fatalf("well-formed body: err %v, lenient %q", err, s.Lenient)
	}
	if m := s.Media[0]; m.Addr().String() != "192.0.2.1:4000" || m.Direction != "sendonly" || m.Codecs["8"] != "PCMA/8000" || m.RTCPPort != 4001 {
		t.Errorf("pion path gave %+v", m)
	}
	// No s= line: pion refuses, the line reader reads the same facts.
	bad := strings.Replace(good, "s=-\r\n", "", 1)
	s2, err := Parse([]byte(bad))
	if err != nil || s2.Lenient == "" {
		t.Fatalf("body without s=: err %v, lenient %q", err, s2.Lenient)
	}
	if m := s2.Media[0]; m.Addr().String() != "192.0.2.1:4000" || m.Direction != "sendonly" || m.Codecs["8"] != "PCMA/8000" {
		t.Errorf("line reader gave %+v", m)
	}
}

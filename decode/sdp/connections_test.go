package sdp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParseConnections(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		origin  string
		session string
		media   []string // "type addr:port" or "type host:port" when not a literal
		wantErr bool
	}{
		{
			name: "seed phone offer, session-level c=",
			body: "v=0\r\no=doubango 1983 678902 IN IP4 192.168.1.107\r\ns=-\r\nc=IN IP4 192.168.1.107\r\nt=0 0\r\n" +
				"m=audio 54898 RTP/AVP 8 0 3 111 101\r\na=rtpmap:8 PCMA/8000/1\r\na=silenceSupp:off - - - -\r\na=ssrc:3992734018 cname:(null)\r\n",
			origin: "192.168.1.107", session: "192.168.1.107",
			media: []string{"audio 192.168.1.107:54898"},
		},
		{
			name:   "media-level c= overrides, bare LF line ends",
			body:   "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP4 203.0.113.9\nm=video 0 RTP/AVP 96\n",
			origin: "10.0.0.1", session: "10.0.0.1",
			media: []string{"audio 203.0.113.9:4000", "video 10.0.0.1:0"},
		},
		{
			name:   "IPv6 and an FQDN",
			body:   "v=0\r\no=- 1 1 IN IP6 fe80::1\r\ns=x\r\nt=0 0\r\nm=audio 5008 RTP/AVP 0\r\nc=IN IP6 fe80:0:0:0:21a:a0ff:fe07:32e0\r\nm=audio 6000 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n",
			origin: "fe80::1", session: "invalid IP",
			media: []string{"audio fe80::21a:a0ff:fe07:32e0:5008", "audio media.example.com:6000"},
		},
		{
			name:   "multicast with TTL",
			body:   "v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=x\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n",
			origin: "198.51.100.1", session: "224.2.1.1",
			media: []string{"audio 224.2.1.1:49170"},
		},
		{name: "not SDP", body: "hello world\r\n", wantErr: true},
		{name: "empty", body: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConnections([]byte(tt.body))
			if tt.wantErr {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Origin.String(); got != tt.origin {
				t.Errorf("origin %s, want %s", got, tt.origin)
			}
			if got := c.Session.String(); got != tt.session {
				t.Errorf("session c= %s, want %s", got, tt.session)
			}
			var media []string
			for _, m := range c.Media {
				host := m.Host
				if m.Addr.IsValid() {
					host = m.Addr.String()
				}
				media = append(media, m.Type+" "+host+":"+itoa(m.Port))
			}
			if strings.Join(media, ", ") != strings.Join(tt.media, ", ") {
				t.Errorf("media %v, want %v", media, tt.media)
			}
		})
	}
}

func TestMediaAddrPort(t *testing.T) {
	a := netip.MustParseAddr("192.0.2.1")
	for _, tt := range []struct {
		m    Media
		want string
	}{
		{Media{Addr: a, Port: 4000}, "192.0.2.1:4000"},
		{Media{Addr: a, Port: 0}, "invalid AddrPort"},
		{Media{Port: 4000}, "invalid AddrPort"},
		{Media{Addr: a, Port: 70000}, "invalid AddrPort"},
	} {
		if got := tt.m.AddrPort().String(); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.m, got, tt.want)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// FuzzParseConnections checks that no body makes the parser panic or hang,
// and that whatever it accepts has sane ports.
func FuzzParseConnections(f *testing.F) {
	f.Add([]byte("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"))
	f.Add([]byte("v=0\no=- 1 1 IN IP6 ::1\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nc=IN IP6 [::1]\n"))
	f.Add([]byte("v=0\r\nc=IN IP4 224.0.0.1/1/2\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseConnections(body)
		if err != nil {
			return
		}
		for _, m := range c.Media {
			if ap := m.AddrPort(); ap.IsValid() && ap.Port() == 0 {
				t.Fatalf("valid AddrPort with port 0: %+v", m)
			}
		}
	})
}

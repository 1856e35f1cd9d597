package decode

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// A datagram cut by the snap length is counted; it is analysed when its
// headers survived, dropped when they did not, and left alone when it is not
// SIP.
func TestSnapLengthCut(t *testing.T) {
	withBody := strings.Replace(options, "Content-Length: 0", "Content-Type: application/sdp\r\nContent-Length: 40", 1) +
		"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN"
	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8
	const ipUDPHeader = 20 + 8
	tests := []struct {
		name     string
		payload  string
		captured int // payload bytes kept
		messages int
		cut      int // frames counted as ReasonSIPCut
		warning  string
	}{
		{"headers cut", options, 60, 0, 1, ""},
		{"68-byte snap length", options, 68 - 14 - ipUDPHeader, 0, 1, ""},
		{"body cut", withBody, len(withBody) - 20, 1, 1,
			fmt.Sprintf("%s: %d of %d bytes captured", ReasonSIPCut, len(withBody)-20, len(withBody))},
		{"start line cut", "SIP/2.0 200 OK\r\n", 10, 0, 1, ""},
		{"not SIP, cut", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 10, 0, 0, ""},
		{"whole", withBody, len(withBody), 1, 0, ""},
		{"RTP cut", string(rtp), 12, 0, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pkt := ipUDP(t, false, []byte(tc.payload))
			data := pkt[:ipUDPHeader+tc.captured]
			rec := &recorder{}
			d := NewDecoder(rec)
			d.Decode(&capture.Frame{Number: 4, Time: time.Unix(1, 0), LinkType: layers.LinkTypeRaw, Data: data, Length: len(pkt)})
			if len(rec.sip) != tc.messages || d.Stats.Undecoded[ReasonSIPCut] != tc.cut {
				t.Fatalf("%d messages, undecoded %v; want %d messages and %d cut", len(rec.sip), d.Stats.Undecoded, tc.messages, tc.cut)
			}
			if tc.cut > 0 && (len(d.Stats.Problems) != 1 || d.Stats.Problems[0].Frame != 4) {
				t.Errorf("problems %+v, want one at frame 4", d.Stats.Problems)
			}
			if tc.warning != "" && !slices.Contains(rec.sip[0].Warnings, tc.warning) {
				t.Errorf("warnings %q, want %q", rec.sip[0].Warnings, tc.warning)
			}
		})
	}
}

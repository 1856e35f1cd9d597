package sdp

import (
	"testing"

	pionsdp "github.com/pion/sdp/v3"
)

// carrierSDP is the description the carrier corpus sends in every INVITE
// and 200 OK.
var carrierSDP = crlf(`
v=0
o=- 482913 482913 IN IP4 10.20.0.7
s=-
c=IN IP4 10.20.0.7
t=0 0
m=audio 20042 RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`)

// BenchmarkParse measures Parse on common descriptions; "pion" is the
// pion/sdp unmarshal alone, the floor Parse builds on.
func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{{"carrier", carrierSDP}, {"phone", crlf(phoneOffer)}, {"freeswitch", crlf(fsAnswer)}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/pion", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var sd pionsdp.SessionDescription
				if err := sd.Unmarshal(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

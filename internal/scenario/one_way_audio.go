package scenario

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Addresses of the one-way audio case, captured on the office LAN: a phone
// with a private address calls out through a provider's SBC that does not
// latch onto where the phone's RTP comes from.
var (
	// OWPhone is the phone's SIP address.
	OWPhone = netip.MustParseAddrPort("192.168.1.20:5060")
	// OWPhoneRTP is the RTP address the phone's SDP announces: private, so
	// unreachable from the provider.
	OWPhoneRTP = netip.MustParseAddrPort("192.168.1.20:16384")
	// OWSBC is the provider's SBC.
	OWSBC = netip.MustParseAddrPort("203.0.113.10:5060")
	// OWSBCRTP is the SBC's media address, from its answer.
	OWSBCRTP = netip.MustParseAddrPort("203.0.113.20:40000")
)

// One-way audio RTP: G.711 µ-law, 20 ms packets, OWRTPPackets from the
// phone and none back.
const (
	OWPhoneSSRC  = 0x1A2B3C4D
	OWRTPPackets = 250
)

// OneWayAudio returns the packets, in capture order, of a call whose audio
// flows one way only, as captured on the phone's LAN.
//
// The phone (192.168.1.20) calls 2001 through the SBC (INVITE with SDP
// c=192.168.1.20 m=audio 16384, 100 Trying, 180 Ringing, 200 OK with SDP
// c=203.0.113.20 m=audio 40000, ACK). The phone sends 5 s of G.711 µ-law
// to 203.0.113.20:40000; the SBC sends its RTP to the private address the
// SDP gave, which never reaches this LAN: no RTP arrives at
// 192.168.1.20:16384. The caller hangs up (BYE, 200 OK).
func OneWayAudio() []pcapgen.Packet {
	start := time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)
	ms := time.Millisecond
	udp := func(t time.Duration, src, dst netip.AddrPort, msg string) pcapgen.Packet {
		return pcapgen.Packet{Time: start.Add(t), Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: crlf(msg)}
	}
	invite := fmt.Sprintf(owInvite, len(crlf(owOffer))) + owOffer
	ok := fmt.Sprintf(owInvite200, len(crlf(owAnswer))) + owAnswer
	pkts := []pcapgen.Packet{
		udp(0, OWPhone, OWSBC, invite),
		udp(31*ms, OWSBC, OWPhone, owTrying),
		udp(212*ms, OWSBC, OWPhone, owRinging),
		udp(4180*ms, OWSBC, OWPhone, ok),
		udp(4195*ms, OWPhone, OWSBC, owACK),
		udp(9420*ms, OWPhone, OWSBC, owBye),
		udp(9452*ms, OWSBC, OWPhone, owBye200),
	}
	first := start.Add(4201 * ms)
	jitterUS := []int{0, 150, -90, 310, 40, -220, 120, 60} // arrival wobble in µs
	n := 0
	for i := range OWRTPPackets {
		b := make([]byte, 12, 12+160)
		b[0] = 0x80
		b[1] = 0 // PT 0, PCMU
		if i == 0 {
			b[1] |= 0x80
		}
		binary.BigEndian.PutUint16(b[2:], uint16(31000+i))
		binary.BigEndian.PutUint32(b[4:], uint32(2_000_000+160*i))
		binary.BigEndian.PutUint32(b[8:], OWPhoneSSRC)
		for range 160 {
			b = append(b, ulaw(tone1000[n%len(tone1000)]))
			n++
		}
		t := first.Add(time.Duration(i)*20*ms + time.Duration(jitterUS[i%len(jitterUS)])*time.Microsecond)
		pkts = append(pkts, pcapgen.Packet{Time: t, Src: OWPhoneRTP, Dst: OWSBCRTP, Proto: pcapgen.UDP, Payload: b})
	}
	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].Time.Before(pkts[j].Time) })
	return pkts
}

// ulaw encodes a 16-bit linear sample as G.711 µ-law (ITU-T G.711, as in
// the reference encoder: bias 0x84, segment and 4-bit step, all bits
// inverted).
func ulaw(pcm int16) byte {
	const bias, clip = 0x84, 32635
	v := int(pcm)
	sign := byte(0)
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	seg := 0
	for m := v >> 7; m > 1 && seg < 7; m >>= 1 {
		seg++
	}
	return ^(sign | byte(seg<<4) | byte(v>>(seg+3))&0x0f)
}

const owInvite = `INVITE sip:2001@203.0.113.10 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-1;rport
Max-Forwards: 70
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 101 INVITE
Contact: <sip:1012@192.168.1.20:5060>
User-Agent: DeskPhone/2.1
Content-Type: application/sdp
Content-Length: %d

`

const owOffer = `v=0
o=DeskPhone 8000 8000 IN IP4 192.168.1.20
s=call
c=IN IP4 192.168.1.20
t=0 0
m=audio 16384 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`

const owTrying = `SIP/2.0 100 Trying
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-1;rport=5060;received=198.51.100.7
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 101 INVITE
Content-Length: 0

`

const owRinging = `SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-1;rport=5060;received=198.51.100.7
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>;tag=sbc-88a1
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 101 INVITE
Contact: <sip:2001@203.0.113.10:5060>
Content-Length: 0

`

const owInvite200 = `SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-1;rport=5060;received=198.51.100.7
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>;tag=sbc-88a1
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 101 INVITE
Contact: <sip:2001@203.0.113.10:5060>
Server: ExampleSBC/5.0
Content-Type: application/sdp
Content-Length: %d

`

const owAnswer = `v=0
o=SBC 51 52 IN IP4 203.0.113.20
s=SBC
c=IN IP4 203.0.113.20
t=0 0
m=audio 40000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
`

const owACK = `ACK sip:2001@203.0.113.10:5060 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-2;rport
Max-Forwards: 70
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>;tag=sbc-88a1
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 101 ACK
Content-Length: 0

`

const owBye = `BYE sip:2001@203.0.113.10:5060 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-3;rport
Max-Forwards: 70
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>;tag=sbc-88a1
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 102 BYE
Content-Length: 0

`

const owBye200 = `SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-ow-3;rport=5060;received=198.51.100.7
From: "Desk 12" <sip:1012@203.0.113.10>;tag=ow-caller-7
To: <sip:2001@203.0.113.10>;tag=sbc-88a1
Call-ID: one-way-audio-4f1c@192.168.1.20
CSeq: 102 BYE
Content-Length: 0

`

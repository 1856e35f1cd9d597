// Package scenario builds the packets of known SIP cases, for pcapgen to
// write as test captures. Each scenario is deterministic: the same code
// always gives the same packets, so the captures under testdata/ can be
// checked against their generator.
//
// Scenarios describe traffic; they must never contain analysis.
package scenario

import (
	"encoding/binary"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Addresses of the FreeSWITCH NAT case, as seen on the server.
var (
	// FSPhone is the softphone's SIP address after NAT (Via received/rport);
	// behind the NAT it is 192.168.1.107:62118.
	FSPhone = netip.MustParseAddrPort("112.25.222.170:28555")
	// FSPhoneRTP is the address the NAT gives the softphone's RTP socket
	// (192.168.1.107:54898 in its SDP).
	FSPhoneRTP = netip.MustParseAddrPort("112.25.222.170:28556")
	// FSServer is FreeSWITCH's SIP address.
	FSServer = netip.MustParseAddrPort("47.98.109.96:5060")
	// FSContact is where FreeSWITCH's 200 OK Contact sends the ACK. Nothing
	// listens there.
	FSContact = netip.MustParseAddrPort("47.98.109.96:50620")
	// FSServerRTP is FreeSWITCH's RTP address (from its SDP).
	FSServerRTP = netip.MustParseAddrPort("47.98.109.96:60706")
)

// RTP of the FreeSWITCH NAT case: G.711 A-law, 20 ms packets.
const (
	// FSPhoneSSRC is the softphone's SSRC, from a=ssrc in its SDP (0xEDFC4942).
	FSPhoneSSRC = 3992734018
	// FSServerSSRC is FreeSWITCH's SSRC (not in the log; chosen).
	FSServerSSRC = 0x5A3C9E17
	// FSRTPPackets is how many RTP packets each side sends.
	FSRTPPackets = 150
)

// FreeswitchNAT returns the packets, in capture order, of a call that fails
// behind NAT, as captured on the FreeSWITCH server 47.98.109.96.
//
// A softphone behind NAT (192.168.1.107:62118, seen as 112.25.222.170:28555)
// registers with digest authentication (REGISTER, 401, REGISTER, 200), then
// calls 1014 (INVITE, 100 Trying, 200 OK with SDP). The 200 OK's Contact is
// <sip:1014@47.98.109.96:50620;transport=udp>, so the phone sends its ACK to
// port 50620, where nothing listens: the server's kernel answers each ACK
// with an ICMP port unreachable, FreeSWITCH never gets an ACK and
// retransmits the 200 OK 500 ms and then 1000 ms later (RFC 3261 timer G).
// Each 200 OK draws a new ACK, with a new branch.
//
// Meanwhile both sides exchange 3 s of G.711 A-law RTP (payload type 8,
// 20 ms, FSRTPPackets packets each way, no loss) between FSPhoneRTP and
// FSServerRTP: the phone's packets arrive with up to ±2 ms of jitter,
// FreeSWITCH's leave on time. The capture ends with the last RTP packet,
// before FreeSWITCH's next retransmission would be due.
func FreeswitchNAT() []pcapgen.Packet {
	start := time.Date(2018, 8, 28, 10, 14, 19, 0, time.UTC)
	at := func(t time.Time, d time.Duration) time.Time { return t.Add(d) }
	us := time.Microsecond
	udp := func(t time.Time, src, dst netip.AddrPort, msg []byte) pcapgen.Packet {
		return pcapgen.Packet{Time: t, Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: msg}
	}

	var pkts []pcapgen.Packet
	// Registration: the 401 comes back in 20 ms; the phone, 20 ms away,
	// answers the challenge; FreeSWITCH checks the digest and says 200.
	reg1 := at(start, 104312*us)
	reg401 := at(reg1, 20417*us)
	reg2 := at(reg401, 46883*us)
	reg200 := at(reg2, 19205*us)
	pkts = append(pkts,
		udp(reg1, FSPhone, FSServer, crlf(fsRegister1)),
		udp(reg401, FSServer, FSPhone, crlf(fsRegister401)),
		udp(reg2, FSPhone, FSServer, crlf(fsRegister2)),
		udp(reg200, FSServer, FSPhone, crlf(fsRegister200)),
	)

	// The call, two seconds later. 1014 answers after 1.2 s.
	invite := at(start, 2236540*us)
	ok1 := at(invite, 1204118*us)
	pkts = append(pkts,
		udp(invite, FSPhone, FSServer, crlf(fsInvite)),
		udp(at(invite, 2871*us), FSServer, FSPhone, crlf(fsTrying)),
	)
	okTimes := [3]time.Time{ok1, at(ok1, 500*time.Millisecond), at(ok1, 1500*time.Millisecond)}
	ackDelay := [3]time.Duration{40612 * us, 40203 * us, 39811 * us}
	for i, t := range okTimes {
		ack := udp(at(t, ackDelay[i]), FSPhone, FSContact, crlf(strings.Replace(fsACK, "BRANCH", fsACKBranches[i], 1)))
		pkts = append(pkts,
			udp(t, FSServer, FSPhone, crlf(fsInvite200)),
			ack,
			pcapgen.Packet{Time: at(ack.Time, 38*us), Src: FSContact, Proto: pcapgen.ICMPPortUnreachable, Quote: &ack},
		)
	}

	// Media. FreeSWITCH starts sending as it answers; the phone's first
	// packet arrives with its ACK, once the 200 OK has reached it.
	pkts = append(pkts, rtpStream(rtpStreamSpec{
		first: at(ok1, 11304*us), src: FSServerRTP, dst: FSPhoneRTP,
		ssrc: FSServerSSRC, seq: 27675, ts: 14570496,
		jitter: []time.Duration{0, 80 * us, 30 * us, 120 * us, 10 * us, 60 * us},
		tone:   tone1000,
	})...)
	pkts = append(pkts, rtpStream(rtpStreamSpec{
		first: at(ok1, 44917*us), src: FSPhoneRTP, dst: FSServerRTP,
		ssrc: FSPhoneSSRC, seq: 7980, ts: 975111360,
		jitter: []time.Duration{0, 1200 * us, -400 * us, 1900 * us, 300 * us, -1100 * us, 800 * us, -1700 * us, 1500 * us, -200 * us, 600 * us, -2000 * us},
		tone:   tone500,
	})...)

	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].Time.Before(pkts[j].Time) })
	return pkts
}

// rtpStreamSpec describes one direction of G.711 A-law media.
type rtpStreamSpec struct {
	first    time.Time // nominal time of the first packet
	src, dst netip.AddrPort
	ssrc     uint32
	seq      uint16 // first sequence number
	ts       uint32 // first RTP timestamp
	jitter   []time.Duration
	tone     []int16 // one period of 8 kHz linear samples, repeated
}

// rtpStream returns FSRTPPackets RTP packets 20 ms apart, each 160 A-law
// samples, the first with the marker bit. Packet i is captured at its
// nominal time plus jitter[i%len(jitter)].
func rtpStream(s rtpStreamSpec) []pcapgen.Packet {
	const samples = 160
	pkts := make([]pcapgen.Packet, 0, FSRTPPackets)
	n := 0 // samples sent so far, for a continuous tone
	for i := range FSRTPPackets {
		b := make([]byte, 12, 12+samples)
		b[0] = 0x80 // version 2, no padding, extension or CSRC
		b[1] = 8    // PT 8, PCMA
		if i == 0 {
			b[1] |= 0x80 // marker: start of a talkspurt
		}
		binary.BigEndian.PutUint16(b[2:], s.seq+uint16(i))
		binary.BigEndian.PutUint32(b[4:], s.ts+uint32(i*samples))
		binary.BigEndian.PutUint32(b[8:], s.ssrc)
		for range samples {
			b = append(b, alaw(s.tone[n%len(s.tone)]))
			n++
		}
		t := s.first.Add(time.Duration(i)*20*time.Millisecond + s.jitter[i%len(s.jitter)])
		pkts = append(pkts, pcapgen.Packet{Time: t, Src: s.src, Dst: s.dst, Proto: pcapgen.UDP, Payload: b})
	}
	return pkts
}

// Tones at -20 dBFS (peak 3277), one period each at 8 kHz. Integers, not
// math.Sin, so the bytes do not depend on the platform's floating point.
var (
	tone1000 = []int16{0, 2317, 3277, 2317, 0, -2317, -3277, -2317}
	tone500  = []int16{0, 1254, 2317, 3027, 3277, 3027, 2317, 1254, 0, -1254, -2317, -3027, -3277, -3027, -2317, -1254}
)

// alaw encodes a 16-bit linear sample as G.711 A-law (ITU-T G.711, as in
// the reference encoder: 13-bit magnitude, segment and 4-bit step, even bits
// inverted).
func alaw(pcm int16) byte {
	v := int(pcm) >> 3
	mask := byte(0xd5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := 0
	for end := 0x1f; seg < 8 && v > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7f ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(v>>1) & 0x0f
	} else {
		a |= byte(v>>seg) & 0x0f
	}
	return a ^ mask
}

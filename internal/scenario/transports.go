package scenario

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Addresses of the transport scenarios: a phone and a PBX on one LAN.
var (
	LANPhone = netip.MustParseAddrPort("10.20.0.15:5060")
	LANPBX   = netip.MustParseAddrPort("10.20.0.1:5060")
	// LANPhoneTCP is the phone's ephemeral port for its TCP connection.
	LANPhoneTCP = netip.MustParseAddrPort("10.20.0.15:49370")
)

// callSpec parametrises the messages of a basic call between LANPhone and
// LANPBX: INVITE, 100, 180, 200, ACK, BYE, 200.
type callSpec struct {
	transport string // Via transport: UDP or TCP
	callID    string
	phone     netip.AddrPort // where the phone's messages come from
	// inviteSize pads the INVITE's SDP with ICE candidates to exactly this
	// many bytes; 0 leaves it as it is.
	inviteSize int
}

// message builds a SIP message from its start line, headers and body, with
// CRLF line endings and a Content-Length that matches the body.
func message(start string, headers []string, body string) []byte {
	var b strings.Builder
	b.WriteString(start + "\r\n")
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	body = strings.ReplaceAll(body, "\n", "\r\n")
	if body != "" {
		b.WriteString("Content-Type: application/sdp\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n%s", len(body), body)
	return []byte(b.String())
}

// callMessages returns the seven messages of the call, in order: INVITE,
// 100 Trying, 180 Ringing, 200 OK, ACK, BYE, 200 OK.
func callMessages(c callSpec) [7][]byte {
	via := fmt.Sprintf("Via: SIP/2.0/%s %v;branch=", c.transport, c.phone)
	from := "From: \"Desk 15\" <sip:215@10.20.0.1>;tag=8f3a0c21"
	to := "To: <sip:300@10.20.0.1>"
	toTag := to + ";tag=as6d1f0b7e"
	callID := "Call-ID: " + c.callID
	contact := fmt.Sprintf("Contact: <sip:215@%v;transport=%s>", c.phone, strings.ToLower(c.transport))
	pbxContact := fmt.Sprintf("Contact: <sip:300@%v;transport=%s>", LANPBX, strings.ToLower(c.transport))
	offer := "v=0\no=215 8000 8000 IN IP4 10.20.0.15\ns=call\nc=IN IP4 10.20.0.15\nt=0 0\n" +
		"m=audio 16384 RTP/AVP 8 0 101\na=rtpmap:8 PCMA/8000\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=sendrecv\n"
	answer := "v=0\no=pbx 4411 4411 IN IP4 10.20.0.1\ns=pbx\nc=IN IP4 10.20.0.1\nt=0 0\n" +
		"m=audio 12000 RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=sendrecv\n"
	inviteHeaders := []string{via + "z9hG4bK-inv-1", "Max-Forwards: 70", from, to, callID, "CSeq: 101 INVITE", contact,
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE", "User-Agent: DeskPhone/4.2"}
	invite := message("INVITE sip:300@10.20.0.1 SIP/2.0", inviteHeaders, offer)
	if c.inviteSize > 0 {
		// ICE candidates, as a WebRTC gateway offers them, while they fit;
		// then one attribute line takes up the rest, lengthened until the
		// INVITE, Content-Length digits included, is inviteSize bytes.
		build := func(sdp string) []byte { return message("INVITE sip:300@10.20.0.1 SIP/2.0", inviteHeaders, sdp) }
		for i := 0; ; i++ {
			line := fmt.Sprintf("a=candidate:%d 1 UDP %d 10.20.%d.15 %d typ host\n", i+1, 2130706431-i, i%250, 16384+2*i)
			if len(build(offer+line))+len("a=x:\r\n") > c.inviteSize {
				break
			}
			offer += line
		}
		for pad := 0; len(invite) != c.inviteSize && pad < c.inviteSize; pad++ {
			invite = build(offer + "a=x:" + strings.Repeat("0", pad) + "\n")
		}
	}
	return [7][]byte{
		invite,
		message("SIP/2.0 100 Trying", []string{via + "z9hG4bK-inv-1", from, to, callID, "CSeq: 101 INVITE"}, ""),
		message("SIP/2.0 180 Ringing", []string{via + "z9hG4bK-inv-1", from, toTag, callID, "CSeq: 101 INVITE", pbxContact}, ""),
		message("SIP/2.0 200 OK", []string{via + "z9hG4bK-inv-1", from, toTag, callID, "CSeq: 101 INVITE", pbxContact}, answer),
		message("ACK sip:300@10.20.0.1 SIP/2.0", []string{via + "z9hG4bK-ack-1", "Max-Forwards: 70", from, toTag, callID, "CSeq: 101 ACK"}, ""),
		message("BYE sip:300@10.20.0.1 SIP/2.0", []string{via + "z9hG4bK-bye-1", "Max-Forwards: 70", from, toTag, callID, "CSeq: 102 BYE"}, ""),
		message("SIP/2.0 200 OK", []string{via + "z9hG4bK-bye-1", from, toTag, callID, "CSeq: 102 BYE"}, ""),
	}
}

// UDPFragmentedInviteSize is the size of the INVITE of UDPFragmentedInvite.
const UDPFragmentedInviteSize = 3000

// UDPFragmentedInvite returns a call over UDP whose INVITE, 3000 bytes with
// an SDP full of ICE candidates, does not fit the 1500-byte MTU: the phone
// sends it as three IPv4 fragments (frames 1-3). The PBX answers 100, 180 and
// 200; the phone ACKs, talks for 5 s and hangs up.
func UDPFragmentedInvite() []pcapgen.Packet {
	msgs := callMessages(callSpec{transport: "UDP", callID: "frag-3000@10.20.0.15", phone: LANPhone, inviteSize: UDPFragmentedInviteSize})
	t := time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)
	ms := time.Millisecond
	udp := func(at time.Duration, src, dst netip.AddrPort, b []byte) pcapgen.Packet {
		return pcapgen.Packet{Time: t.Add(at), Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: b}
	}
	invite := udp(0, LANPhone, LANPBX, msgs[0])
	invite.MTU = 1500
	return []pcapgen.Packet{
		invite,
		udp(2*ms, LANPBX, LANPhone, msgs[1]),
		udp(40*ms, LANPBX, LANPhone, msgs[2]),
		udp(2100*ms, LANPBX, LANPhone, msgs[3]),
		udp(2103*ms, LANPhone, LANPBX, msgs[4]),
		udp(7103*ms, LANPhone, LANPBX, msgs[5]),
		udp(7105*ms, LANPBX, LANPhone, msgs[6]),
	}
}

// TCPSegments returns a call over one TCP connection that exercises SIP
// framing on a stream:
//
//	frames 1-3   handshake
//	frame  4     INVITE
//	frame  5     100 Trying and 180 Ringing in one segment
//	frame  6     the phone's TCP ACK
//	frames 7-9   200 OK in three segments, the third (frame 8) before the
//	             second (frame 9): the 200 OK is complete at frame 9
//	frame  10    the second segment again: a TCP retransmission, not a SIP one
//	frame  11    ACK
//	frames 12-13 BYE and its 200 OK, after 5 s of talk
//	frames 14-17 both sides close
func TCPSegments() []pcapgen.Packet {
	msgs := callMessages(callSpec{transport: "TCP", callID: "tcp-segments@10.20.0.15", phone: LANPhoneTCP})
	t := time.Date(2024, 3, 5, 9, 45, 0, 0, time.UTC)
	ms := time.Millisecond
	const iss, irs = 1000000, 5000000 // initial sequence numbers of phone and PBX
	c, s := uint32(iss+1), uint32(irs+1)
	var pkts []pcapgen.Packet
	seg := func(at time.Duration, fromPhone bool, flags pcapgen.TCPFlags, seq uint32, b []byte) {
		src, dst, ack := LANPhoneTCP, LANPBX, s
		if !fromPhone {
			src, dst, ack = LANPBX, LANPhoneTCP, c
		}
		pkts = append(pkts, pcapgen.Packet{Time: t.Add(at), Src: src, Dst: dst, Proto: pcapgen.TCP, Seq: seq, Ack: ack, Flags: flags, Payload: b})
	}
	phone := func(at time.Duration, b []byte) {
		seg(at, true, pcapgen.PSH|pcapgen.ACK, c, b)
		c += uint32(len(b))
	}
	pkts = append(pkts,
		pcapgen.Packet{Time: t, Src: LANPhoneTCP, Dst: LANPBX, Proto: pcapgen.TCP, Seq: iss, Flags: pcapgen.SYN},
		pcapgen.Packet{Time: t.Add(1 * ms), Src: LANPBX, Dst: LANPhoneTCP, Proto: pcapgen.TCP, Seq: irs, Ack: iss + 1, Flags: pcapgen.SYN | pcapgen.ACK},
	)
	seg(2*ms, true, pcapgen.ACK, c, nil)
	phone(3*ms, msgs[0])
	both := append(append([]byte(nil), msgs[1]...), msgs[2]...)
	seg(30*ms, false, pcapgen.PSH|pcapgen.ACK, s, both)
	s += uint32(len(both))
	seg(31*ms, true, pcapgen.ACK, c, nil)
	ok := msgs[3]
	a, b := len(ok)/3, 2*len(ok)/3
	seg(2000*ms, false, pcapgen.ACK, s, ok[:a])
	seg(2001*ms, false, pcapgen.PSH|pcapgen.ACK, s+uint32(b), ok[b:])
	seg(2002*ms, false, pcapgen.ACK, s+uint32(a), ok[a:b])
	seg(2210*ms, false, pcapgen.ACK, s+uint32(a), ok[a:b])
	s += uint32(len(ok))
	phone(2040*ms+200*ms, msgs[4])
	phone(7240*ms, msgs[5])
	seg(7243*ms, false, pcapgen.PSH|pcapgen.ACK, s, msgs[6])
	s += uint32(len(msgs[6]))
	seg(7300*ms, true, pcapgen.FIN|pcapgen.ACK, c, nil)
	c++
	seg(7301*ms, false, pcapgen.FIN|pcapgen.ACK, s, nil)
	s++
	seg(7302*ms, true, pcapgen.ACK, c, nil)
	return pkts
}

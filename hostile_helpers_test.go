package sipscope_test

import (
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// hostileSIP are SIP messages whose fields carry what must never reach a
// terminal raw: ANSI escapes (colour, cursor movement, window title), CR,
// NUL, DEL, C1 controls, the bidi override U+202E, invalid UTF-8.
var hostileSIP = []string{
	sipMessage("\x1b[31mred\x1b[0m-call@evil", `"\x1b]0;pwned\x07Mallory" <sip:m@evil>;tag=1`, "\x1b[2J\x1b[HSIPVicious"),
	sipMessage("cr\rcall\x00nul", `"Bob\r\nInjected: yes" <sip:b@x>;tag=2`, "UA\x7f\x9b31m"),
	sipMessage("bidi\u202egnp.exe", `"\u202eecilA" <sip:\u202ea@x>;tag=3`, "friendly-scanner\u2066"),
	sipMessage("bad\xff\xfeutf8", "\"\xc3\x28\" <sip:\xe2\x82@x>;tag=4", "\xf0\x28\x8c\x28"),
}

// sipMessage builds an INVITE with the given Call-ID, From and User-Agent.
func sipMessage(callID, from, ua string) string {
	return strings.ReplaceAll("INVITE sip:bob@10.0.0.2 SIP/2.0\n"+
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-hostile\n"+
		"From: "+from+"\n"+
		"To: <sip:bob@10.0.0.2>\n"+
		"Call-ID: "+callID+"\n"+
		"CSeq: 1 INVITE\n"+
		"User-Agent: "+ua+"\n"+
		"Content-Length: 0\n\n", "\n", "\r\n")
}

// udpFrame wraps payload in Ethernet, IPv4 and UDP, 10.0.0.1:5060 to
// 10.0.0.2:5060.
func udpFrame(tb testing.TB, payload []byte) []byte {
	tb.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 10, 0, 0, 1, 0}, DstMAC: net.HardwareAddr{2, 10, 0, 0, 2, 0},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
	udp := &layers.UDP{SrcPort: 5060, DstPort: 5060}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		tb.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(payload)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

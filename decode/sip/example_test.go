package sip_test

import (
	"fmt"

	"github.com/sipscope/sipscope/decode/sip"
)

func ExampleParse() {
	payload := []byte("SIP/2.0 200 OK\r\n" +
		"v: SIP/2.0/UDP 192.168.1.107:62118;branch=z9hG4bK-1013684476;rport=28555;received=112.25.222.170\r\n" +
		"From: <sip:1011@47.98.109.96:50620>;tag=334081213\r\n" +
		"To: \"Bob\" <sip:1014@47.98.109.96>;tag=payU06rZ173Zr\r\n" +
		"i: dda811eb-0664-dae3-31bb-8b8e12741336\r\n" +
		"CSeq: 1740661807 INVITE\r\n" +
		"Content-Type: application/sdp\r\n" +
		"Content-Length: 300\r\n" +
		"\r\n" +
		"v=0\r\n")

	if !sip.LooksLikeSIP(payload) {
		return
	}
	m, err := sip.Parse(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Summary())
	fmt.Println(m.CallID, m.CSeq.Seq, m.CSeq.Method)
	fmt.Println(m.To.Display, m.To.URI.User, m.To.Tag)
	v := m.Via[0]
	fmt.Println(v.Transport, v.Host, v.Port, v.Branch, v.Received, v.RPort)
	fmt.Printf("%s %q\n", m.ContentType, m.Body)
	fmt.Println(m.Warnings)

	_, err = sip.Parse([]byte("SIP/2.0 2x0 OK\r\n\r\n"))
	fmt.Println(err)
	// Output:
	// 200 OK
	// dda811eb-0664-dae3-31bb-8b8e12741336 1740661807 INVITE
	// Bob 1014 payU06rZ173Zr
	// UDP 192.168.1.107 62118 z9hG4bK-1013684476 112.25.222.170 28555
	// application/sdp "v=0\r\n"
	// [Content-Length 300 exceeds body 5]
	// sip: malformed: start line: bad status code "2x0"
}

func ExampleParseStream() {
	stream := []byte("\r\n\r\nOPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\nSIP/2.0 200 OK\r\nl: 2\r\n\r\nh")
	for {
		m, n, err := sip.ParseStream(stream)
		stream = stream[n:]
		if err != nil {
			fmt.Println(err, len(stream), "bytes kept for later")
			return
		}
		fmt.Println(m.Summary())
	}
	// Output:
	// OPTIONS sip:a@example.com
	// sip: incomplete message 25 bytes kept for later
}

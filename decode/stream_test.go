package decode_test

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/websocket"
	"github.com/sipscope/sipscope/internal/pcapgen"
)

// tcpFlow builds the segments of one direction of a TCP connection.
type tcpFlow struct {
	src, dst netip.AddrPort
	seq      uint32
	at       time.Duration
	pkts     []pcapgen.Packet
}

// send appends a segment with b at the flow's next sequence number and
// returns its sequence number.
func (f *tcpFlow) send(b []byte) uint32 {
	seq := f.seq
	f.segment(seq, b)
	f.seq += uint32(len(b))
	return seq
}

// segment appends a segment with b at seq, whatever the flow's position.
func (f *tcpFlow) segment(seq uint32, b []byte) {
	f.at += time.Millisecond
	f.pkts = append(f.pkts, pcapgen.Packet{Time: t0.Add(f.at), Src: f.src, Dst: f.dst, Proto: pcapgen.TCP, Seq: seq, Flags: pcapgen.ACK | pcapgen.PSH, Payload: b})
}

func newFlow(src, dst netip.AddrPort) *tcpFlow { return &tcpFlow{src: src, dst: dst, seq: 1000} }

var (
	tcpClient = netip.MustParseAddrPort("10.1.0.10:40001")
	tcpServer = netip.MustParseAddrPort("10.1.0.20:5060")
)

// Messages after a hole that is never filled (bytes missing from the
// capture) are found once the hole is given up on: the segment after it
// that starts a message resynchronises the stream. The message the hole
// cut is counted as incomplete, the hole itself with its frame.
func TestTCPGap(t *testing.T) {
	a, b, c := bigSIP("a", 400), bigSIP("b", 400), bigSIP("c", 400)
	for _, tc := range []struct {
		name string
		// after the lost bytes, how the capture goes on
		extra int           // filler segments after c, to pass the segment limit
		late  time.Duration // or a late segment, to pass the time-out
		order string        // Call-IDs in the order handed over
	}{
		// c waits for the hole until the end; d, on another flow, goes first.
		{name: "ended by the end of the capture", order: "a d c"},
		{name: "ended by the time-out", late: 3 * time.Second, order: "a c d"},
		{name: "ended by the segment limit", extra: 130, order: "a c d"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow(tcpClient, tcpServer)
			f.send(a)
			f.send(b[:100])
			f.seq += 200 // b[100:300] never captured
			f.send(b[300:])
			f.send(c) // frame 4
			for range tc.extra {
				f.send([]byte("\r\n\r\n")) // keep-alives
			}
			if tc.late > 0 {
				f.at += tc.late
				f.send([]byte("\r\n\r\n"))
			}
			other := newFlow(netip.MustParseAddrPort("10.1.0.30:40000"), tcpServer)
			other.at = f.at
			other.send(bigSIP("d", 300))
			r, d := decodePackets(t, append(f.pkts, other.pkts...))
			var order []string
			for _, m := range r.sip {
				order = append(order, m.CallID)
			}
			if strings.Join(order, " ") != tc.order || r.sip[slices.IndexFunc(r.sip, func(m *decode.SIPMessage) bool { return m.CallID == "c" })].Frame != 4 {
				t.Fatalf("messages %q, want Call-IDs %s with c at frame 4", describe(r.sip), tc.order)
			}
			if d.Stats.Undecoded[decode.ReasonTCPGap] != 1 || d.Stats.Undecoded[decode.ReasonSIPPartial] != 1 {
				t.Errorf("undecoded %v %v", d.Stats.Undecoded, d.Stats.Problems)
			}
			if p := d.Stats.Problems[0]; p.Frame != 3 {
				t.Errorf("hole reported at frame %d, want 3 (the first segment after it)", p.Frame)
			}
		})
	}
}

// Repeated and overlapping segments give each message once; the repeats
// are counted as TCP retransmissions, not seen by SIP.
func TestTCPRetransmittedSegments(t *testing.T) {
	a, b := bigSIP("a", 600), bigSIP("b", 600)
	f := newFlow(tcpClient, tcpServer)
	s := f.send(a[:300])
	f.send(a[300:])
	f.segment(s, a)           // whole message again
	f.segment(s+200, a[200:]) // overlap
	f.send(b)
	f.segment(f.seq-uint32(len(b)), b)
	r, d := decodePackets(t, f.pkts)
	if len(r.sip) != 2 || r.sip[0].Frame != 2 || r.sip[1].Frame != 5 {
		t.Fatalf("messages %q", describe(r.sip))
	}
	if d.Stats.TCPRetransmissions != 3 || len(d.Stats.Undecoded) != 0 {
		t.Errorf("TCP retransmissions %d, undecoded %v", d.Stats.TCPRetransmissions, d.Stats.Undecoded)
	}
}

var wsKey = []byte{0x37, 0xfa, 0x21, 0x3d}

const (
	wsUpgrade = "GET /ws HTTP/1.1\r\nHost: pbx.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n"
	wsAccept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
)

// SIP over WebSocket: the handshake, masked client frames, unmasked server
// frames, a message fragmented over three frames with a ping between them,
// a frame split over segments, two frames in one segment.
func TestWebSocket(t *testing.T) {
	ws := netip.MustParseAddrPort("10.1.0.20:8080")
	c, s := newFlow(tcpClient, ws), newFlow(ws, tcpClient)
	reg, ok, opt := bigSIP("reg", 500), bigSIP("ok", 300), bigSIP("opt", 200)
	var pkts []pcapgen.Packet
	c.send([]byte(wsUpgrade))
	s.send([]byte(wsAccept))
	frame := websocket.AppendFrame(nil, true, websocket.OpText, wsKey, reg)
	c.send(frame[:100])
	c.send(frame[100:]) // frame 4: reg complete
	var frag []byte
	frag = websocket.AppendFrame(frag, false, websocket.OpText, nil, ok[:100])
	frag = websocket.AppendFrame(frag, true, websocket.OpPing, nil, []byte("hi"))
	frag = websocket.AppendFrame(frag, false, websocket.OpContinuation, nil, ok[100:200])
	s.send(frag)
	s.send(websocket.AppendFrame(nil, true, websocket.OpContinuation, nil, ok[200:])) // frame 6: ok complete
	two := websocket.AppendFrame(nil, true, websocket.OpBinary, wsKey, opt)
	two = websocket.AppendFrame(two, true, websocket.OpText, wsKey, []byte(`{"not":"sip"}`))
	two = websocket.AppendFrame(two, true, websocket.OpText, wsKey, opt)
	c.send(two) // frame 7: opt twice, JSON ignored
	// Interleave the two directions in time order.
	pkts = append(pkts, c.pkts[0], s.pkts[0], c.pkts[1], c.pkts[2], s.pkts[1], s.pkts[2], c.pkts[3])
	for i := range pkts {
		pkts[i].Time = t0.Add(time.Duration(i) * time.Millisecond)
	}
	r, d := decodePackets(t, pkts)
	want := []struct {
		id    string
		frame int
	}{{"reg", 4}, {"ok", 6}, {"opt", 7}, {"opt", 7}}
	if len(r.sip) != len(want) {
		t.Fatalf("messages %q, undecoded %v", describe(r.sip), d.Stats.Undecoded)
	}
	for i, w := range want {
		if m := r.sip[i]; m.CallID != w.id || m.Frame != w.frame || m.Transport != decode.WS {
			t.Errorf("message %d: %s at frame %d over %v, want %s at %d over WS", i+1, m.CallID, m.Frame, m.Transport, w.id, w.frame)
		}
	}
	if len(d.Stats.Undecoded) != 0 {
		t.Errorf("undecoded %v", d.Stats.Undecoded)
	}
}

// A capture that starts after the handshake still finds SIP in WebSocket
// frames; a refused upgrade is not read as SIP; a bad frame is counted.
func TestWebSocketWithoutHandshake(t *testing.T) {
	ws := netip.MustParseAddrPort("10.1.0.20:8080")
	c := newFlow(tcpClient, ws)
	c.send(websocket.AppendFrame(nil, true, websocket.OpText, wsKey, bigSIP("mid", 300)))
	c.send([]byte{0xF1, 0x00}) // reserved bits set
	refused := newFlow(netip.MustParseAddrPort("10.1.0.30:40000"), ws)
	refused.send([]byte(wsUpgrade))
	back := newFlow(ws, netip.MustParseAddrPort("10.1.0.30:40000"))
	back.send([]byte("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
	r, d := decodePackets(t, append(append(c.pkts, refused.pkts...), back.pkts...))
	if len(r.sip) != 1 || r.sip[0].CallID != "mid" || r.sip[0].Transport != decode.WS {
		t.Fatalf("messages %q", describe(r.sip))
	}
	if d.Stats.Undecoded[decode.ReasonWebSocket] != 1 || len(d.Stats.Undecoded) != 1 {
		t.Errorf("undecoded %v %v", d.Stats.Undecoded, d.Stats.Problems)
	}
}

// clientHello returns a TLS 1.2 record holding a ClientHello for sni.
func clientHello(sni string) []byte {
	var ext []byte
	if sni != "" {
		name := append([]byte{0}, binary.BigEndian.AppendUint16(nil, uint16(len(sni)))...)
		name = append(name, sni...)
		list := append(binary.BigEndian.AppendUint16(nil, uint16(len(name))), name...)
		ext = append(binary.BigEndian.AppendUint16([]byte{0, 0}, uint16(len(list))), list...)
	}
	ext = append(ext, 0, 10, 0, 4, 0, 2, 0, 23) // supported_groups after it
	body := []byte{3, 3}
	body = append(body, bytes.Repeat([]byte{7}, 32)...)
	body = append(body, 0)             // session id
	body = append(body, 0, 2, 0x13, 1) // one cipher suite
	body = append(body, 1, 0)          // null compression
	body = append(body, binary.BigEndian.AppendUint16(nil, uint16(len(ext)))...)
	body = append(body, ext...)
	hs := append([]byte{1, 0}, binary.BigEndian.AppendUint16(nil, uint16(len(body)))...)
	hs = append(hs, body...)
	rec := append([]byte{22, 3, 1}, binary.BigEndian.AppendUint16(nil, uint16(len(hs)))...)
	return append(rec, hs...)
}

// SIP over TLS is listed as an encrypted flow with its endpoints, the
// server name of the ClientHello, and its size; nothing in it is taken for
// SIP. TLS on other ports is not listed.
func TestTLSFlows(t *testing.T) {
	tlsServer := netip.MustParseAddrPort("10.1.0.20:5061")
	c, s := newFlow(tcpClient, tlsServer), newFlow(tlsServer, tcpClient)
	hello := clientHello("sip.example.com")
	c.send(hello)
	s.send([]byte{22, 3, 3, 0, 4, 2, 0, 0, 0})
	c.send([]byte{23, 3, 3, 0, 3, 'a', 'b', 'c'})
	https := newFlow(tcpClient, netip.MustParseAddrPort("10.1.0.20:443"))
	https.send(clientHello("www.example.com"))
	// A capture that starts mid-connection: the server speaks first.
	late := newFlow(netip.MustParseAddrPort("10.1.0.30:5061"), netip.MustParseAddrPort("10.1.0.40:33000"))
	late.send([]byte{23, 3, 3, 0, 2, 'x', 'y'})
	r, d := decodePackets(t, slices.Concat(c.pkts, s.pkts, https.pkts, late.pkts))
	if len(r.sip) != 0 {
		t.Errorf("SIP found in TLS: %q", describe(r.sip))
	}
	want := []decode.EncryptedFlow{
		{File: 0, FirstFrame: 1, Client: tcpClient, Server: tlsServer, ServerName: "sip.example.com", Frames: 3, Bytes: len(hello) + 9 + 8},
		{File: 0, FirstFrame: 5, Client: netip.MustParseAddrPort("10.1.0.40:33000"), Server: netip.MustParseAddrPort("10.1.0.30:5061"), Frames: 1, Bytes: 7},
	}
	if len(d.Stats.EncryptedFlows) != len(want) {
		t.Fatalf("flows %+v", d.Stats.EncryptedFlows)
	}
	for i, w := range want {
		if d.Stats.EncryptedFlows[i] != w {
			t.Errorf("flow %d: %+v, want %+v", i, d.Stats.EncryptedFlows[i], w)
		}
	}
}

// sctpPacket returns an SCTP packet with one DATA chunk per payload, flags
// B and E set unless flags says otherwise.
func sctpPacket(flags byte, payloads ...[]byte) []byte {
	b := []byte{0x13, 0xc4, 0x13, 0xc4, 0, 0, 0, 1, 0, 0, 0, 0}
	for i, p := range payloads {
		c := []byte{0, flags}
		c = binary.BigEndian.AppendUint16(c, uint16(16+len(p)))
		c = binary.BigEndian.AppendUint32(c, uint32(100+i))
		c = append(c, 0, 0, 0, byte(i), 0, 0, 0, 0) // stream 0, seq i, PPID 0
		c = append(c, p...)
		for len(c)%4 != 0 {
			c = append(c, 0)
		}
		b = append(b, c...)
	}
	return b
}

// SIP over SCTP (RFC 4168): each DATA chunk of a packet holds a message,
// bundled chunks included; a message split over chunks is counted.
func TestSCTP(t *testing.T) {
	a, b := bigSIP("a", 301), bigSIP("b", 402)
	src, dst := netip.MustParseAddr("10.1.0.10"), netip.MustParseAddr("10.1.0.20")
	frames := [][]byte{
		eth(layers.EthernetTypeIPv4, ipPacket(t, src, dst, layers.IPProtocolSCTP, sctpPacket(3, a, b))),
		eth(layers.EthernetTypeIPv4, ipPacket(t, src, dst, layers.IPProtocolSCTP, sctpPacket(2, bigSIP("split", 300)))),
	}
	r, d := decodeFrames(t, frames, nil)
	if len(r.sip) != 2 || r.sip[0].CallID != "a" || r.sip[1].CallID != "b" || r.sip[0].Transport != decode.SCTP || r.sip[0].Src.Port() != 5060 {
		t.Fatalf("messages %q", describe(r.sip))
	}
	if d.Stats.Undecoded[decode.ReasonSCTP] != 1 {
		t.Errorf("undecoded %v", d.Stats.Undecoded)
	}
}

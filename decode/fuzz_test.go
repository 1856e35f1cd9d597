package decode_test

import (
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/websocket"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/scenario"
)

// FuzzDecode feeds the decoder arbitrary frames: whatever the bytes, it must
// not panic or hang, and what it cannot decode it counts. The input is split
// at a 0xFF 0xFF marker into up to four frames of one capture, so state that
// spans frames (fragments, TCP streams, WebSocket, duplicates) is reached.
func FuzzDecode(f *testing.F) {
	join := func(frames ...[]byte) []byte {
		var b []byte
		for i, fr := range frames {
			if i > 0 {
				b = append(b, 0xFF, 0xFF)
			}
			b = append(b, fr...)
		}
		return b
	}
	msg := bigSIP("fz", 200)
	add := func(pkts ...pcapgen.Packet) { f.Add(byte(0), join(writeFrames(f, pkts...)...)) }
	add(pcapgen.Packet{Time: t0, Src: alice, Dst: bob, Proto: pcapgen.UDP, Payload: msg, MTU: 120})
	add(pcapgen.Packet{Time: t0, Src: alice6, Dst: bob6, Proto: pcapgen.UDP, Payload: msg, MTU: 100})
	add(pcapgen.Packet{Time: t0, Src: tcpClient, Dst: tcpServer, Proto: pcapgen.TCP, Seq: 5, Payload: msg[:100]},
		pcapgen.Packet{Time: t0, Src: tcpClient, Dst: tcpServer, Proto: pcapgen.TCP, Seq: 105, Payload: msg[100:]})
	ws := websocket.AppendFrame(nil, true, websocket.OpText, wsKey, msg)
	add(pcapgen.Packet{Time: t0, Src: tcpClient, Dst: tcpServer, Proto: pcapgen.TCP, Seq: 5, Payload: []byte(wsUpgrade)},
		pcapgen.Packet{Time: t0, Src: tcpClient, Dst: tcpServer, Proto: pcapgen.TCP, Seq: 5 + uint32(len(wsUpgrade)), Payload: ws})
	add(hepCapture(f)[0])
	add(scenario.TCPSegments()[3:6]...)
	f.Add(byte(1), udpPacket(f, alice, bob, msg))
	f.Fuzz(func(t *testing.T, link byte, data []byte) {
		linkTypes := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2, layers.LinkTypeNull, capture.LinkTypeHEP}
		d := decode.NewDecoder(discard{})
		start := 0
		for n := 1; n <= 4 && start <= len(data); n++ {
			end := len(data)
			for i := start; i+1 < len(data); i++ {
				if data[i] == 0xFF && data[i+1] == 0xFF {
					end = i
					break
				}
			}
			frame := append([]byte(nil), data[start:end]...)
			d.Decode(&capture.Frame{Number: n, Time: t0.Add(time.Duration(n) * time.Millisecond), LinkType: linkTypes[int(link)%len(linkTypes)], Data: frame})
			start = end + 2
		}
		d.Flush()
	})
}

package correlate

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

// hotPath is the media path end to end: a decoder feeding a Builder whose
// call announced the flow, and one Ethernet/IPv4/UDP/RTP frame that next
// rewrites into the following packet of the stream.
type hotPath struct {
	dec   *decode.Decoder
	b     *Builder
	frame capture.Frame
	n     int
}

func newHotPath(t testing.TB) *hotPath {
	b := NewBuilder()
	for i, m := range []struct {
		src, dst netip.AddrPort
		text     string
	}{
		{alice, bob, withBody(invite("z9hG4bK1", 1, ""), sdpBodyFor(aliceRTP, 1))},
		{bob, alice, withBody(response(200, "OK", "z9hG4bK1", 1, "INVITE", "b1"), sdpBodyFor(bobRTP, 1))},
	} {
		msg, err := sip.Parse([]byte(strings.ReplaceAll(strings.TrimLeft(m.text, "\n"), "\n", "\r\n")))
		if err != nil {
			t.Fatal(err)
		}
		b.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: i + 1, Time: t0, Src: m.src, Dst: m.dst}, Message: msg})
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: aliceRTP.Addr().AsSlice(), DstIP: bobRTP.Addr().AsSlice()}
	udp := &layers.UDP{SrcPort: layers.UDPPort(aliceRTP.Port()), DstPort: layers.UDPPort(bobRTP.Port())}
	_ = udp.SetNetworkLayerForChecksum(ip)
	payload := append([]byte{0x80, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, make([]byte, 160)...)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, udp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	h := &hotPath{b: b, frame: capture.Frame{LinkType: layers.LinkTypeEthernet, Data: buf.Bytes(), Number: 100}}
	h.dec = decode.NewDecoder(h.b)
	return h
}

// next decodes the stream's next packet, 20 ms after the previous one.
func (h *hotPath) next() {
	h.n++
	rtp := h.frame.Data[14+20+8:]
	binary.BigEndian.PutUint16(rtp[2:], uint16(h.n))
	binary.BigEndian.PutUint32(rtp[4:], uint32(h.n*160))
	h.frame.Number++
	h.frame.Time = t0.Add(time.Second + time.Duration(h.n)*20*time.Millisecond)
	h.dec.Decode(&h.frame)
}

// The per-packet media path allocates nothing once the stream exists.
func TestRTPHotPathAllocs(t *testing.T) {
	h := newHotPath(t)
	h.next() // creates the stream
	if allocs := testing.AllocsPerRun(1000, h.next); allocs != 0 {
		t.Errorf("%v allocations per RTP packet, want 0", allocs)
	}
	m := h.b.Model()
	if len(m.Streams) != 1 || m.Streams[0].Packets != 1002 || m.Streams[0].Lost != 0 {
		t.Fatalf("streams %+v", m.Streams)
	}
}

// BenchmarkRTPHotPath measures decode plus correlation of one RTP packet of
// a known stream.
func BenchmarkRTPHotPath(b *testing.B) {
	h := newHotPath(b)
	h.next()
	b.SetBytes(int64(len(h.frame.Data)))
	b.ReportAllocs()
	for b.Loop() {
		h.next()
	}
}

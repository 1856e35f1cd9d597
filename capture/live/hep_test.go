package live

import (
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// A HEP packet becomes an Ethernet/IP/UDP frame from the agent to the
// listening address, with valid IPv4 header and (for IPv6) UDP checksums,
// and the time Stamp gives; a quiet socket times out.
func TestHEPSource(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		s, err := ListenHEP(addr)
		if err != nil {
			if addr[0] == '[' {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		stamp := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
		s.Stamp = func(b []byte) (time.Time, bool) { return stamp, string(b[:4]) == "HEP3" }
		s.poll = 20 * time.Millisecond
		if _, err := s.Next(); !errors.Is(err, ErrTimeout) {
			t.Fatalf("%s: quiet socket: %v, want ErrTimeout", addr, err)
		}
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.Addr()))
		if err != nil {
			t.Fatal(err)
		}
		payload := append([]byte("HEP3"), make([]byte, 301)...) // odd length: the checksum pads
		if _, err := c.Write(payload); err != nil {
			t.Fatal(err)
		}
		s.poll = 2 * time.Second
		f, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		from := c.LocalAddr().(*net.UDPAddr).AddrPort()
		c.Close()
		if !f.Time.Equal(stamp) || f.LinkType != layers.LinkTypeEthernet {
			t.Errorf("%s: time %v, link %v", addr, f.Time, f.LinkType)
		}
		pkt := gopacket.NewPacket(f.Data, layers.LayerTypeEthernet, gopacket.Default)
		udp, _ := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if udp == nil || string(udp.Payload) != string(payload) || uint16(udp.SrcPort) != from.Port() || uint16(udp.DstPort) != s.Addr().Port() {
			t.Fatalf("%s: frame does not decode to the datagram: %v", addr, pkt)
		}
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			if ip.SrcIP.String() != from.Addr().Unmap().String() || ip.DstIP.String() != "127.0.0.1" || ^fold(sum16(ip.Contents, 0)) != 0 {
				t.Errorf("IPv4 header %+v", ip)
			}
		case *layers.IPv6:
			acc := sum16(ip.SrcIP, 0)
			acc = sum16(ip.DstIP, acc)
			acc += uint32(len(udp.Contents)+len(udp.Payload)) + 17
			acc = sum16(append(append([]byte(nil), udp.Contents...), udp.Payload...), acc)
			if ^fold(acc) != 0 || ip.SrcIP.String() != "::1" {
				t.Errorf("IPv6 %v -> %v, UDP checksum %#04x does not verify", ip.SrcIP, ip.DstIP, binary.BigEndian.Uint16(udp.Contents[6:]))
			}
		default:
			t.Fatalf("%s: no IP layer", addr)
		}
		if st := s.Stats(); st.Packets != 1 {
			t.Errorf("stats %+v", st)
		}
		s.Close()
		if _, err := s.Next(); err == nil {
			t.Error("Next after Close: no error")
		}
	}
}

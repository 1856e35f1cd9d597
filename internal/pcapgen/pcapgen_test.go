package pcapgen_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

var (
	t0     = time.Date(2018, 8, 28, 10, 14, 19, 0, time.UTC)
	phone  = netip.MustParseAddrPort("112.25.222.170:28555")
	server = netip.MustParseAddrPort("47.98.109.96:5060")
	phone6 = netip.MustParseAddrPort("[2001:db8::107]:5062")
	srv6   = netip.MustParseAddrPort("[2001:db8::96]:5060")
)

// frame is one record read back from a generated file.
type frame struct {
	time time.Time
	data []byte
}

func readBack(t *testing.T, b []byte) []frame {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || r.Resolution() != gopacket.TimestampResolutionMicrosecond {
		t.Fatalf("link type %v resolution %v; want Ethernet, µs", r.LinkType(), r.Resolution())
	}
	var out []frame
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != ci.Length {
			t.Fatalf("frame cut: %d of %d", ci.CaptureLength, ci.Length)
		}
		out = append(out, frame{ci.Timestamp, data})
	}
}

func write(t *testing.T, pkts ...pcapgen.Packet) []frame {
	t.Helper()
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	return readBack(t, buf.Bytes())
}

// sum is the Internet checksum (RFC 1071) over the concatenation of parts:
// 0 when the checksum field inside them is right.
func sum(parts ...[]byte) uint16 {
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	if len(all)%2 == 1 {
		all = append(all, 0)
	}
	var s uint32
	for i := 0; i < len(all); i += 2 {
		s += uint32(binary.BigEndian.Uint16(all[i:]))
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// pseudo returns the pseudo-header for a transport checksum of an IP packet.
func pseudo(ip []byte, proto byte, length int) []byte {
	if ip[0]>>4 == 4 {
		p := append(append([]byte{}, ip[12:20]...), 0, proto)
		return binary.BigEndian.AppendUint16(p, uint16(length))
	}
	p := append([]byte{}, ip[8:40]...)
	p = binary.BigEndian.AppendUint32(p, uint32(length))
	return append(p, 0, 0, 0, proto)
}

// checkIP checks the Ethernet and IP headers of a frame and the transport
// checksum, and returns the IP packet.
func checkIP(t *testing.T, data []byte, src, dst netip.Addr, proto byte) []byte {
	t.Helper()
	if !bytes.Equal(data[0:6], pcapgen.MAC(dst)) || !bytes.Equal(data[6:12], pcapgen.MAC(src)) {
		t.Errorf("MACs %x -> %x", data[6:12], data[0:6])
	}
	ip := data[14:]
	var l4 []byte
	if src.Is4() {
		if et := binary.BigEndian.Uint16(data[12:]); et != 0x0800 {
			t.Fatalf("EtherType %#x", et)
		}
		total := int(binary.BigEndian.Uint16(ip[2:]))
		ip = ip[:total] // drop Ethernet padding
		if ip[0] != 0x45 || ip[8] != 64 || ip[9] != proto {
			t.Errorf("IPv4 header %x: want version 4, IHL 5, TTL 64, protocol %d", ip[:20], proto)
		}
		if sum(ip[:20]) != 0 {
			t.Errorf("bad IPv4 header checksum")
		}
		if a, _ := netip.AddrFromSlice(ip[12:16]); a != src {
			t.Errorf("source %v, want %v", a, src)
		}
		if a, _ := netip.AddrFromSlice(ip[16:20]); a != dst {
			t.Errorf("destination %v, want %v", a, dst)
		}
		l4 = ip[20:]
	} else {
		if et := binary.BigEndian.Uint16(data[12:]); et != 0x86dd {
			t.Fatalf("EtherType %#x", et)
		}
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		ip = ip[:40+plen]
		if ip[0]>>4 != 6 || ip[6] != proto || ip[7] != 64 {
			t.Errorf("IPv6 header %x: want next header %d, hop limit 64", ip[:40], proto)
		}
		if a, _ := netip.AddrFromSlice(ip[8:24]); a != src {
			t.Errorf("source %v, want %v", a, src)
		}
		if a, _ := netip.AddrFromSlice(ip[24:40]); a != dst {
			t.Errorf("destination %v, want %v", a, dst)
		}
		l4 = ip[40:]
	}
	if proto == 1 { // ICMPv4 has no pseudo-header
		if sum(l4) != 0 {
			t.Errorf("bad ICMPv4 checksum")
		}
	} else if sum(pseudo(ip, proto, len(l4)), l4) != 0 {
		t.Errorf("bad protocol %d checksum", proto)
	}
	return ip
}

func ipv4ID(ip []byte) uint16 { return binary.BigEndian.Uint16(ip[4:]) }

func TestWriteUDP(t *testing.T) {
	payload := []byte("REGISTER sip:47.98.109.96 SIP/2.0\r\n\r\n")
	tests := []struct {
		name     string
		src, dst netip.AddrPort
	}{
		{"IPv4", phone, server},
		{"IPv6", phone6, srv6},
		{"IPv4 odd length", server, phone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := payload
			if tt.name == "IPv4 odd length" {
				p = p[:len(p)-1]
			}
			ts := t0.Add(1234567 * time.Microsecond)
			frames := write(t,
				pcapgen.Packet{Time: ts, Src: tt.src, Dst: tt.dst, Proto: pcapgen.UDP, Payload: p},
				pcapgen.Packet{Time: ts.Add(time.Second), Src: tt.dst, Dst: tt.src, Proto: pcapgen.UDP, Payload: p[:5]})
			if len(frames) != 2 || !frames[0].time.Equal(ts) {
				t.Fatalf("%d frames, first at %v", len(frames), frames[0].time)
			}
			ip := checkIP(t, frames[0].data, tt.src.Addr(), tt.dst.Addr(), 17)
			ip2 := checkIP(t, frames[1].data, tt.dst.Addr(), tt.src.Addr(), 17)
			hl := 40
			if tt.src.Addr().Is4() {
				hl = 20
				if ipv4ID(ip) != 1 || ipv4ID(ip2) != 2 {
					t.Errorf("IP IDs %d, %d; want 1, 2", ipv4ID(ip), ipv4ID(ip2))
				}
				if ip[6] != 0x40 {
					t.Errorf("flags %#x, want DF", ip[6])
				}
			}
			udp := ip[hl:]
			if sp, dp := binary.BigEndian.Uint16(udp), binary.BigEndian.Uint16(udp[2:]); sp != tt.src.Port() || dp != tt.dst.Port() {
				t.Errorf("ports %d -> %d", sp, dp)
			}
			if int(binary.BigEndian.Uint16(udp[4:])) != 8+len(p) || !bytes.Equal(udp[8:], p) {
				t.Errorf("UDP length %d, payload %q", binary.BigEndian.Uint16(udp[4:]), udp[8:])
			}
		})
	}
}

func TestWriteTCP(t *testing.T) {
	for _, src := range []netip.AddrPort{phone, phone6} {
		dst := server
		if src.Addr().Is6() {
			dst = srv6
		}
		frames := write(t,
			pcapgen.Packet{Time: t0, Src: src, Dst: dst, Proto: pcapgen.TCP, Seq: 1000, Flags: pcapgen.SYN},
			pcapgen.Packet{Time: t0.Add(time.Millisecond), Src: src, Dst: dst, Proto: pcapgen.TCP, Seq: 1001, Ack: 5001,
				Flags: pcapgen.PSH | pcapgen.ACK, Payload: []byte("OPTIONS")})
		pkt := gopacket.NewPacket(frames[1].data, layers.LayerTypeEthernet, gopacket.Default)
		tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if tcp == nil {
			t.Fatalf("%v: no TCP layer: %v", src, pkt)
		}
		if tcp.Seq != 1001 || tcp.Ack != 5001 || !tcp.PSH || !tcp.ACK || tcp.SYN || tcp.FIN || string(tcp.Payload) != "OPTIONS" {
			t.Errorf("%v: TCP %+v", src, tcp)
		}
		syn := gopacket.NewPacket(frames[0].data, layers.LayerTypeEthernet, gopacket.Default).Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !syn.SYN || syn.ACK || syn.Seq != 1000 || syn.DataOffset != 5 {
			t.Errorf("%v: SYN %+v", src, syn)
		}
		for _, f := range frames {
			checkIP(t, f.data, src.Addr(), dst.Addr(), 6)
		}
	}
}

func TestWriteICMPPortUnreachable(t *testing.T) {
	ackPayload := bytes.Repeat([]byte("ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0\r\n"), 15) // 825 bytes
	tests := []struct {
		name       string
		src, dst   netip.AddrPort
		payload    []byte
		proto      byte
		wantQuoted int // bytes of the offending datagram quoted
		typ, code  byte
	}{
		{"IPv4 quotes 548 bytes", phone, netip.AddrPortFrom(server.Addr(), 50620), ackPayload, 1, 548, 3, 3},
		{"IPv4 short datagram, without Ethernet padding", phone, netip.AddrPortFrom(server.Addr(), 50620), []byte("ACK"), 1, 20 + 8 + 3, 3, 3},
		{"IPv6 quotes the whole datagram", phone6, netip.AddrPortFrom(srv6.Addr(), 50620), ackPayload, 58, 40 + 8 + len(ackPayload), 1, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack := pcapgen.Packet{Time: t0, Src: tt.src, Dst: tt.dst, Proto: pcapgen.UDP, Payload: tt.payload}
			frames := write(t, ack, pcapgen.Packet{Time: t0.Add(50 * time.Microsecond), Src: tt.dst, Proto: pcapgen.ICMPPortUnreachable, Quote: &ack})
			if len(frames) != 2 {
				t.Fatalf("%d frames", len(frames))
			}
			orig := checkIP(t, frames[0].data, tt.src.Addr(), tt.dst.Addr(), 17)
			icmpIP := checkIP(t, frames[1].data, tt.dst.Addr(), tt.src.Addr(), tt.proto)
			var icmp, quoted []byte
			if tt.proto == 1 {
				icmp = icmpIP[20:]
				quoted = icmp[8:]
				if icmpIP[1] != 0xc0 || icmpIP[6] != 0 || ipv4ID(icmpIP) != 2 {
					t.Errorf("ICMP IP header %x: want TOS 0xc0, no DF, ID 2", icmpIP[:20])
				}
				if len(icmpIP) > 576 {
					t.Errorf("ICMPv4 error of %d bytes exceeds 576", len(icmpIP))
				}
			} else {
				icmp = icmpIP[40:]
				if !bytes.Equal(icmp[4:8], []byte{0, 0, 0, 0}) {
					t.Errorf("unused field %x", icmp[4:8])
				}
				quoted = icmp[8:]
			}
			if icmp[0] != tt.typ || icmp[1] != tt.code {
				t.Errorf("ICMP type %d code %d, want %d %d", icmp[0], icmp[1], tt.typ, tt.code)
			}
			if len(quoted) != tt.wantQuoted || !bytes.Equal(quoted, orig[:tt.wantQuoted]) {
				t.Errorf("quoted %d bytes, want the first %d bytes of the datagram as sent", len(quoted), tt.wantQuoted)
			}
		})
	}
}

func TestWriteICMPNeedsQuotedPacket(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ack := pcapgen.Packet{Src: phone, Dst: server, Proto: pcapgen.UDP, Payload: []byte("ACK")}
	if err := w.WriteICMPPortUnreachable(t0, server.Addr(), ack); !errors.Is(err, pcapgen.ErrNotWritten) {
		t.Errorf("quoting an unwritten packet: %v, want ErrNotWritten", err)
	}
}

func TestWriteUDPFragmented(t *testing.T) {
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	frames := write(t, pcapgen.Packet{Time: t0, Src: phone, Dst: server, Proto: pcapgen.UDP, Payload: payload, MTU: 1500})
	// 3008 bytes of UDP in fragments of 1480, 1480 and 48.
	if len(frames) != 3 {
		t.Fatalf("%d fragments, want 3", len(frames))
	}
	var dgram []byte
	var id uint16
	for i, f := range frames {
		ip := f.data[14 : 14+int(binary.BigEndian.Uint16(f.data[16:]))]
		if len(ip) > 1500 || sum(ip[:20]) != 0 {
			t.Errorf("fragment %d: %d bytes, header checksum %#x", i, len(ip), sum(ip[:20]))
		}
		flags, off := ip[6]>>5, int(binary.BigEndian.Uint16(ip[6:])&0x1fff)*8
		if wantMF := i < 2; (flags&1 == 1) != wantMF || off != len(dgram) {
			t.Errorf("fragment %d: flags %b offset %d, want MF %v offset %d", i, flags, off, wantMF, len(dgram))
		}
		if i == 0 {
			id = ipv4ID(ip)
		} else if ipv4ID(ip) != id {
			t.Errorf("fragment %d has ID %d, want %d", i, ipv4ID(ip), id)
		}
		dgram = append(dgram, ip[20:]...)
		if i == 0 {
			// The checksum needs the pseudo-header of the whole datagram.
			defer func(ip []byte) {
				if sum(pseudo(ip, 17, len(dgram)), dgram) != 0 {
					t.Errorf("bad UDP checksum over the reassembled datagram")
				}
			}(ip)
		}
	}
	if len(dgram) != 8+len(payload) || !bytes.Equal(dgram[8:], payload) {
		t.Errorf("reassembled %d bytes, want %d", len(dgram), 8+len(payload))
	}

	small := write(t, pcapgen.Packet{Time: t0, Src: phone, Dst: server, Proto: pcapgen.UDP, Payload: payload[:100], MTU: 1500})
	if len(small) != 1 {
		t.Errorf("a datagram that fits came out in %d frames", len(small))
	}
}

// IPv6 fragments: each packet carries a fragment header after the fixed
// header, with the offset in 8-byte units, the M flag on all but the last
// and one identification; the fragments tile the UDP datagram.
func TestWriteUDPFragmentedIPv6(t *testing.T) {
	payload := make([]byte, 3000)
	for i := range payload {
		payload[i] = byte(i * 5)
	}
	frames := write(t, pcapgen.Packet{Time: t0, Src: phone6, Dst: srv6, Proto: pcapgen.UDP, Payload: payload, MTU: 1280})
	// 3008 bytes of UDP in pieces of 1232, 1232 and 544.
	if len(frames) != 3 {
		t.Fatalf("%d fragments, want 3", len(frames))
	}
	var dgram []byte
	for i, f := range frames {
		ip := f.data[14:]
		if ip[6] != 44 || 40+int(binary.BigEndian.Uint16(ip[4:])) != len(ip) || len(ip) > 1280 {
			t.Fatalf("fragment %d: next header %d, %d bytes", i, ip[6], len(ip))
		}
		fh := ip[40:48]
		off, more := int(binary.BigEndian.Uint16(fh[2:])>>3)*8, fh[3]&1 == 1
		if fh[0] != 17 || off != len(dgram) || more != (i < 2) || binary.BigEndian.Uint32(fh[4:]) != 1 {
			t.Errorf("fragment %d: next %d offset %d more %v id %d", i, fh[0], off, more, binary.BigEndian.Uint32(fh[4:]))
		}
		dgram = append(dgram, ip[48:]...)
	}
	if len(dgram) != 8+len(payload) || !bytes.Equal(dgram[8:], payload) {
		t.Errorf("reassembled %d bytes, want %d", len(dgram), 8+len(payload))
	}
}

func TestWriteErrors(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUDP(time.Time{}, phone, server, nil); !errors.Is(err, pcapgen.ErrZeroTime) {
		t.Errorf("zero time: %v", err)
	}
	if err := w.WriteUDP(t0, phone, srv6, nil); !errors.Is(err, pcapgen.ErrAddress) {
		t.Errorf("mixed families: %v", err)
	}
	if err := w.Write(pcapgen.Packet{Time: t0, Src: phone, Dst: server}); err == nil {
		t.Errorf("packet without Proto written")
	}
}

func TestWriteRaw(t *testing.T) {
	raw := []byte("\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x01\x08\x06arp-ish")
	var buf bytes.Buffer
	w, _ := pcapgen.NewWriter(&buf)
	if err := w.WriteRaw(t0, raw); err != nil {
		t.Fatal(err)
	}
	if f := readBack(t, buf.Bytes()); len(f) != 1 || !bytes.Equal(f[0].data, raw) {
		t.Errorf("read back %d frames: %v", len(f), f)
	}
}

// TestDeterministic checks that the same packets give byte-identical files.
func TestDeterministic(t *testing.T) {
	ack := pcapgen.Packet{Time: t0.Add(time.Second), Src: phone, Dst: netip.AddrPortFrom(server.Addr(), 50620), Proto: pcapgen.UDP, Payload: []byte("ACK")}
	pkts := []pcapgen.Packet{
		{Time: t0, Src: phone, Dst: server, Proto: pcapgen.UDP, Payload: []byte("INVITE")},
		{Time: t0, Src: phone6, Dst: srv6, Proto: pcapgen.TCP, Flags: pcapgen.SYN, Seq: 7},
		ack,
		{Time: t0.Add(time.Second + 30*time.Microsecond), Src: ack.Dst, Proto: pcapgen.ICMPPortUnreachable, Quote: &ack},
		{Time: t0.Add(2 * time.Second), Src: phone, Dst: server, Proto: pcapgen.UDP, Payload: make([]byte, 2000), MTU: 576},
	}
	var a, b bytes.Buffer
	if err := pcapgen.WriteAll(&a, pkts); err != nil {
		t.Fatal(err)
	}
	if err := pcapgen.WriteAll(&b, pkts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same packets differ")
	}
	if n := len(readBack(t, a.Bytes())); n != 4+4 { // 2000+8 bytes in 552-byte fragments: 4
		t.Errorf("%d frames, want 8", n)
	}
}

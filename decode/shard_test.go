package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// ip4 builds a raw IPv4 packet with a UDP-sized transport header; frag sets
// the flags and fragment offset field.
func ip4(src, dst [4]byte, sp, dp uint16, proto byte, frag uint16) []byte {
	b := make([]byte, 20+8)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	binary.BigEndian.PutUint16(b[6:], frag)
	b[9] = proto
	copy(b[12:], src[:])
	copy(b[16:], dst[:])
	binary.BigEndian.PutUint16(b[20:], sp)
	binary.BigEndian.PutUint16(b[22:], dp)
	return b
}

// ip6 builds a raw IPv6 packet with a UDP-sized transport header.
func ip6(src, dst byte, sp, dp uint16, next byte) []byte {
	b := make([]byte, 40+8)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], 8)
	b[6] = next
	b[8], b[23] = 0x20, src
	b[24], b[39] = 0x20, dst
	binary.BigEndian.PutUint16(b[40:], sp)
	binary.BigEndian.PutUint16(b[42:], dp)
	return b
}

func TestFlowHash(t *testing.T) {
	a, b, c := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, [4]byte{10, 0, 0, 3}
	h := func(link layers.LinkType, data []byte) uint64 {
		return FlowHash(&capture.Frame{LinkType: link, Data: data})
	}
	raw := func(data []byte) uint64 { return h(layers.LinkTypeRaw, data) }
	sll := func(data []byte) []byte { // Linux cooked capture, protocol IPv4
		return append([]byte{0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00}, data...)
	}
	fwd := raw(ip4(a, b, 5060, 5062, 17, 0))
	tests := []struct {
		name      string
		x, y      uint64
		wantEqual bool
	}{
		{"both directions of a UDP flow", fwd, raw(ip4(b, a, 5062, 5060, 17, 0)), true},
		{"both directions of an IPv6 UDP flow", raw(ip6(1, 2, 5060, 5062, 17)), raw(ip6(2, 1, 5062, 5060, 17)), true},
		{"the same flow over Ethernet", fwd, h(layers.LinkTypeEthernet, ether(0x0800, nil, ip4(a, b, 5060, 5062, 17, 0))), true},
		{"the same flow in two VLANs", fwd, h(layers.LinkTypeEthernet, ether(0x0800, []uint16{0x88a8, 0x8100}, ip4(a, b, 5060, 5062, 17, 0))), true},
		{"the same flow in Linux cooked capture", fwd, h(layers.LinkTypeLinuxSLL, sll(ip4(b, a, 5062, 5060, 17, 0))), true},
		{"another port pair", fwd, raw(ip4(a, b, 5060, 5064, 17, 0)), false},
		{"another host", fwd, raw(ip4(a, c, 5060, 5062, 17, 0)), false},
		{"ports swapped on one side only", fwd, raw(ip4(a, b, 5062, 5060, 17, 0)), false},
		{"first and later fragments", raw(ip4(a, b, 5060, 5062, 17, 0x2000)), raw(ip4(b, a, 0, 0, 17, 185)), true},
		{"IPv6 fragments by pair", raw(ip6(1, 2, 5060, 5062, 44)), raw(ip6(2, 1, 1, 2, 44)), true},
		{"TCP segments of one address pair", raw(ip4(a, b, 5060, 40000, 6, 0)), raw(ip4(b, a, 5061, 40001, 6, 0)), true},
		{"IPv6 TCP by pair", raw(ip6(1, 2, 5060, 40000, 6)), raw(ip6(2, 1, 5061, 40001, 6)), true},
		{"VXLAN by its endpoints, whatever the source port", raw(ip4(a, b, 40001, 4789, 17, 0)), raw(ip4(b, a, 52000, 4789, 17, 0)), true},
		{"GTP-U by its endpoints", raw(ip4(a, b, 2152, 2152, 17, 0)), raw(ip4(a, b, 0, 0, 47, 0)), true},
	}
	for _, tc := range tests {
		if (tc.x == tc.y) != tc.wantEqual {
			t.Errorf("%s: hashes %x and %x, want equal %v", tc.name, tc.x, tc.y, tc.wantEqual)
		}
		if tc.x == 0 || tc.y == 0 {
			t.Errorf("%s: a readable frame hashed to 0, the value of unreadable ones", tc.name)
		}
	}
	for _, tc := range []struct {
		name string
		link layers.LinkType
		data []byte
	}{
		{"empty", layers.LinkTypeRaw, nil},
		{"truncated Ethernet", layers.LinkTypeEthernet, make([]byte, 13)},
		{"truncated VLAN tag", layers.LinkTypeEthernet, ether(0x8100, nil, []byte{0, 1})},
		{"truncated IPv4", layers.LinkTypeRaw, ip4(a, b, 1, 2, 17, 0)[:19]},
		{"truncated IPv6", layers.LinkTypeRaw, ip6(1, 2, 1, 2, 17)[:39]},
		{"truncated Linux cooked", layers.LinkTypeLinuxSLL, make([]byte, 15)},
		{"ARP", layers.LinkTypeEthernet, ether(0x0806, nil, make([]byte, 28))},
		{"not IP", layers.LinkTypeRaw, []byte{0x10, 0, 0, 0}},
		{"unknown link type", 147, ip4(a, b, 1, 2, 17, 0)},
		{"HEP", capture.LinkTypeHEP, ip4(a, b, 1, 2, 17, 0)},
	} {
		if got := h(tc.link, tc.data); got != 0 {
			t.Errorf("%s: hash %x, want 0", tc.name, got)
		}
	}
}

func BenchmarkFlowHash(b *testing.B) {
	f := &capture.Frame{LinkType: layers.LinkTypeEthernet, Data: ether(0x0800, nil, ip4([4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}, 20000, 30000, 17, 0))}
	b.ReportAllocs()
	for b.Loop() {
		FlowHash(f)
	}
}

// reverse returns the IP packet ip with its addresses swapped, and its
// ports where a transport header would have them: the other direction.
func reverse(ip []byte) []byte {
	r := append([]byte(nil), ip...)
	swap := func(i, j, n int) {
		for k := range n {
			r[i+k], r[j+k] = r[j+k], r[i+k]
		}
	}
	switch {
	case len(r) >= 20 && r[0]>>4 == 4:
		swap(12, 16, 4)
		if ihl := int(r[0]&0x0f) * 4; ihl >= 20 && len(r) >= ihl+4 {
			swap(ihl, ihl+2, 2)
		}
	case len(r) >= 40 && r[0]>>4 == 6:
		swap(8, 24, 16)
		if len(r) >= 44 {
			swap(40, 42, 2)
		}
	}
	return r
}

// FuzzFlowHash: any frame hashes without panicking, to the same value
// every time, and both directions of a flow hash alike.
func FuzzFlowHash(f *testing.F) {
	a, b := [4]byte{10, 0, 0, 1}, [4]byte{10, 0, 0, 2}
	f.Add(uint8(0), ip4(a, b, 1, 2, 17, 0))
	f.Add(uint8(1), ip4(a, b, 1, 2, 6, 0))
	f.Add(uint8(2), ip4(a, b, 1, 2, 17, 0x2000))
	f.Add(uint8(3), ip6(1, 2, 5060, 5062, 17))
	f.Add(uint8(4), ip6(1, 2, 5060, 5062, 44))
	f.Add(uint8(5), ip4(a, b, 40000, 4789, 17, 0))
	f.Add(uint8(6), ipUDP(f, false, []byte(options)))
	f.Add(uint8(7), ipUDP(f, true, []byte(options)))
	// How the IP packet is framed: raw, Ethernet (no tag, one, two),
	// Linux cooked v1 and v2, BSD loopback; and the data as a whole frame
	// of an arbitrary link type.
	wrap := []func([]byte) (layers.LinkType, []byte){
		func(p []byte) (layers.LinkType, []byte) { return layers.LinkTypeRaw, p },
		func(p []byte) (layers.LinkType, []byte) { return layers.LinkTypeEthernet, ether(etherType(p), nil, p) },
		func(p []byte) (layers.LinkType, []byte) {
			return layers.LinkTypeEthernet, ether(etherType(p), []uint16{0x8100}, p)
		},
		func(p []byte) (layers.LinkType, []byte) {
			return layers.LinkTypeEthernet, ether(etherType(p), []uint16{0x88a8, 0x8100}, p)
		},
		func(p []byte) (layers.LinkType, []byte) {
			h := make([]byte, 16)
			binary.BigEndian.PutUint16(h[14:], etherType(p))
			return layers.LinkTypeLinuxSLL, append(h, p...)
		},
		func(p []byte) (layers.LinkType, []byte) {
			h := make([]byte, 20)
			binary.BigEndian.PutUint16(h[0:], etherType(p))
			return layers.LinkTypeLinuxSLL2, append(h, p...)
		},
		func(p []byte) (layers.LinkType, []byte) { return layers.LinkTypeNull, append([]byte{2, 0, 0, 0}, p...) },
	}
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeLinuxSLL,
		layers.LinkTypeLinuxSLL2, layers.LinkTypeNull, layers.LinkTypeIPv6, capture.LinkTypeHEP, 147}
	f.Fuzz(func(t *testing.T, how uint8, data []byte) {
		whole := &capture.Frame{LinkType: links[int(how)%len(links)], Data: data}
		if FlowHash(whole) != FlowHash(whole) {
			t.Fatal("the same frame hashed to two values")
		}
		link, fwd := wrap[int(how)%len(wrap)](data)
		_, rev := wrap[int(how)%len(wrap)](reverse(data))
		x := FlowHash(&capture.Frame{LinkType: link, Data: fwd})
		y := FlowHash(&capture.Frame{LinkType: link, Data: rev})
		if x != y {
			t.Fatalf("the two directions of % x hash to %x and %x", data, x, y)
		}
	})
}

// etherType is the EtherType for an IP packet, by its version.
func etherType(p []byte) uint16 {
	if len(p) > 0 && p[0]>>4 == 6 {
		return 0x86dd
	}
	return 0x0800
}

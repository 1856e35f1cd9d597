package hep_test

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode/hep"
)

var (
	t0   = time.Date(2024, 3, 5, 9, 30, 0, 123456000, time.UTC)
	body = []byte("OPTIONS sip:pbx SIP/2.0\r\nContent-Length: 0\r\n\r\n")
)

func TestRoundTrip(t *testing.T) {
	for _, p := range []hep.Packet{
		{Src: netip.MustParseAddrPort("10.0.0.1:5060"), Dst: netip.MustParseAddrPort("10.0.0.2:5080"), Proto: hep.ProtoUDP, Type: hep.TypeSIP, AgentID: 7, Time: t0, Payload: body},
		{Src: netip.MustParseAddrPort("[2001:db8::1]:5061"), Dst: netip.MustParseAddrPort("[2001:db8::2]:40000"), Proto: hep.ProtoTCP, Type: hep.TypeSIP, Time: t0, Payload: body, Password: "s3cret", CorrelationID: "abc@host"},
		{Src: netip.MustParseAddrPort("10.0.0.1:16385"), Dst: netip.MustParseAddrPort("10.0.0.2:12001"), Proto: hep.ProtoUDP, Type: hep.TypeRTCP, Time: t0, Payload: []byte{0x81, 200, 0, 6}},
	} {
		b, err := hep.AppendV3([]byte("prefix"), &p)
		if err != nil {
			t.Fatal(err)
		}
		if string(b[:6]) != "prefix" || string(b[6:10]) != hep.Magic || int(binary.BigEndian.Uint16(b[10:12])) != len(b)-6 {
			t.Fatalf("bad framing: % x", b[:12])
		}
		got, err := hep.Parse(b[6:])
		if err != nil {
			t.Fatal(err)
		}
		p.Version = 3
		if !reflect.DeepEqual(*got, p) {
			t.Errorf("round trip:\n got %+v\nwant %+v", *got, p)
		}
	}
}

func TestAppendV3Errors(t *testing.T) {
	for name, p := range map[string]hep.Packet{
		"mixed families": {Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("[::1]:2")},
		"no addresses":   {},
		"too big":        {Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("10.0.0.2:2"), Payload: make([]byte, 70000)},
	} {
		if b, err := hep.AppendV3(nil, &p); err == nil || len(b) != 0 {
			t.Errorf("%s: AppendV3 = %d bytes, %v; want an error and nothing appended", name, len(b), err)
		}
	}
}

// v2 builds a HEPv2 packet the way captagent and sngrep write it.
func v2(src, dst netip.AddrPort, sec, usec uint32, payload []byte) []byte {
	fam, hl := byte(2), byte(16)
	if src.Addr().Is6() {
		fam, hl = 10, 40
	}
	b := []byte{2, hl, fam, 17}
	b = binary.BigEndian.AppendUint16(b, src.Port())
	b = binary.BigEndian.AppendUint16(b, dst.Port())
	b = append(b, src.Addr().AsSlice()...)
	b = append(b, dst.Addr().AsSlice()...)
	b = binary.LittleEndian.AppendUint32(b, sec)
	b = binary.LittleEndian.AppendUint32(b, usec)
	b = binary.LittleEndian.AppendUint16(b, 2002)
	b = append(b, 0, 0)
	return append(b, payload...)
}

func TestParseV2(t *testing.T) {
	for _, tc := range []struct{ src, dst string }{
		{"192.168.1.10:5060", "192.168.1.20:5062"},
		{"[2001:db8::10]:5060", "[2001:db8::20]:5062"},
	} {
		src, dst := netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst)
		b := v2(src, dst, uint32(t0.Unix()), 123456, body)
		if !hep.IsHEP(b) {
			t.Errorf("%s: IsHEP false", tc.src)
		}
		p, err := hep.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		want := hep.Packet{Version: 2, Src: src, Dst: dst, Proto: hep.ProtoUDP, Time: t0, Type: hep.TypeSIP, AgentID: 2002, Payload: body}
		if !reflect.DeepEqual(*p, want) {
			t.Errorf("got %+v\nwant %+v", *p, want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := hep.AppendV3(nil, &hep.Packet{Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("10.0.0.2:2"), Payload: body})
	chunk := func(typ uint16, v ...byte) []byte {
		b := binary.BigEndian.AppendUint16(nil, 0)
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, uint16(6+len(v)))
		return append(b, v...)
	}
	packet := func(chunks ...[]byte) []byte {
		b := []byte(hep.Magic + "\x00\x00")
		for _, c := range chunks {
			b = append(b, c...)
		}
		binary.BigEndian.PutUint16(b[4:], uint16(len(b)))
		return b
	}
	addrs := [][]byte{chunk(3, 10, 0, 0, 1), chunk(4, 10, 0, 0, 2)}
	for _, tc := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, hep.ErrNotHEP},
		{"RTP", []byte{0x80, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}, hep.ErrNotHEP},
		{"magic only", []byte("HEP3"), hep.ErrMalformed},
		{"total beyond data", good[:len(good)-1], hep.ErrMalformed},
		{"total below header", append([]byte(hep.Magic), 0, 3), hep.ErrMalformed},
		{"chunk header cut", packet(addrs[0], addrs[1], []byte{0, 0, 0}), hep.ErrMalformed},
		{"chunk length 5", packet([]byte{0, 0, 0, 15, 0, 5}), hep.ErrMalformed},
		{"chunk overruns", packet([]byte{0, 0, 0, 15, 0, 60, 'x'}), hep.ErrMalformed},
		{"IPv4 chunk of 3 bytes", packet(chunk(3, 10, 0, 0), addrs[1], chunk(15, 'x')), hep.ErrMalformed},
		{"no payload", packet(addrs...), hep.ErrMalformed},
		{"no addresses", packet(chunk(15, 'x')), hep.ErrMalformed},
		{"gzip payload", packet(addrs[0], addrs[1], chunk(16, 0x1f, 0x8b)), hep.ErrMalformed},
		{"v2 truncated", v2(netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2"), 0, 0, nil)[:20], hep.ErrMalformed},
	} {
		if _, err := hep.Parse(tc.b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	// Vendor chunks are skipped, not misread.
	b := packet(addrs[0], addrs[1], []byte{0, 9, 0, 15, 0, 7, 'v'}, chunk(15, 'x'))
	if p, err := hep.Parse(b); err != nil || string(p.Payload) != "x" {
		t.Errorf("vendor chunk: %v %q", err, p.Payload)
	}
}

func FuzzParse(f *testing.F) {
	good, _ := hep.AppendV3(nil, &hep.Packet{Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("10.0.0.2:2"), Time: t0, Payload: body})
	f.Add(good)
	f.Add(v2(netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2"), 1, 2, body))
	f.Add([]byte("HEP3\x00\x06"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := hep.Parse(b)
		if err != nil {
			return
		}
		// What parses re-encodes (v3) and parses back to the same packet.
		if p.Version != 3 {
			return
		}
		again, err := hep.AppendV3(nil, p)
		if err != nil {
			return // e.g. a mixed-family packet: readable, not writable
		}
		q, err := hep.Parse(again)
		if err != nil {
			t.Fatalf("re-encoded packet does not parse: %v", err)
		}
		if q.Src != p.Src || q.Dst != p.Dst || string(q.Payload) != string(p.Payload) || !q.Time.Equal(p.Time.Truncate(time.Microsecond)) {
			t.Fatalf("re-encoded packet differs: %+v vs %+v", q, p)
		}
	})
}

func BenchmarkAppendV3(b *testing.B) {
	p := hep.Packet{Src: netip.MustParseAddrPort("10.0.0.1:5060"), Dst: netip.MustParseAddrPort("10.0.0.2:5060"), Proto: hep.ProtoUDP, Type: hep.TypeSIP, Time: t0, Payload: make([]byte, 800)}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = hep.AppendV3(buf[:0], &p)
	}
}

func BenchmarkParse(b *testing.B) {
	pkt, _ := hep.AppendV3(nil, &hep.Packet{Src: netip.MustParseAddrPort("10.0.0.1:5060"), Dst: netip.MustParseAddrPort("10.0.0.2:5060"), Time: t0, Payload: make([]byte, 800)})
	var p hep.Packet
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Unmarshal(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

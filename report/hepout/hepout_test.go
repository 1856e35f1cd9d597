package hepout_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/hep"
	"github.com/sipscope/sipscope/report/hepout"
)

// The Tap sends one HEPv3 packet per call, with the IP protocol of the
// transport the payload travelled on and the payload type of its kind.
func TestTap(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s, err := hepout.Dial(conn.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AgentID, s.Password = 99, "pw"
	at := time.Date(2024, 3, 5, 9, 0, 0, 250000000, time.UTC)
	src, dst := netip.MustParseAddrPort("10.0.0.1:5060"), netip.MustParseAddrPort("10.0.0.2:5060")
	cases := []struct {
		transport decode.Transport
		kind      decode.TapKind
		proto     uint8
		typ       uint8
	}{
		{decode.UDP, decode.TapSIP, hep.ProtoUDP, hep.TypeSIP},
		{decode.TCP, decode.TapSIP, hep.ProtoTCP, hep.TypeSIP},
		{decode.WS, decode.TapSIP, hep.ProtoTCP, hep.TypeSIP},
		{decode.SCTP, decode.TapSIP, hep.ProtoSCTP, hep.TypeSIP},
		{decode.UDP, decode.TapRTCP, hep.ProtoUDP, hep.TypeRTCP},
	}
	for _, c := range cases {
		s.Tap(&decode.Meta{Time: at, Src: src, Dst: dst, Transport: c.transport}, c.kind, []byte("payload"))
	}
	if s.Sent != len(cases) || s.Errors != 0 {
		t.Fatalf("sent %d, errors %d (%v)", s.Sent, s.Errors, s.LastError)
	}
	// A deadline, so a lost datagram fails the test instead of hanging it.
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	for i, c := range cases {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := hep.Parse(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		if p.Proto != c.proto || p.Type != c.typ || p.Src != src || p.Dst != dst || !p.Time.Equal(at) ||
			p.AgentID != 99 || p.Password != "pw" || string(p.Payload) != "payload" {
			t.Errorf("packet %d: %+v", i+1, p)
		}
	}
}

// A packet HEP cannot carry is counted as an error; Send never fails the
// analysis.
func TestSendError(t *testing.T) {
	s, err := hepout.Dial("127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Send(&hep.Packet{Src: netip.MustParseAddrPort("10.0.0.1:1"), Dst: netip.MustParseAddrPort("[::1]:2")})
	if s.Sent != 0 || s.Errors != 1 || s.LastError == nil {
		t.Errorf("sent %d, errors %d, last %v", s.Sent, s.Errors, s.LastError)
	}
}

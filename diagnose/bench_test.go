package diagnose_test

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/diagnose"
)

// benchModel correlates n NATed phones, each registering for an hour and
// placing a call whose 200 OK is retransmitted twice while its ACKs go to a
// dead port: every rule has work to do.
func benchModel(b *testing.B, n int) *correlate.Model {
	b.Helper()
	bld := correlate.NewBuilder()
	t0 := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("203.0.113.20:5060")
	dead := netip.MustParseAddrPort("203.0.113.20:5070")
	frame := 0
	send := func(at time.Duration, src, dst netip.AddrPort, text string) {
		frame++
		m, err := sip.Parse(wireSIP(text))
		if err != nil {
			b.Fatal(err)
		}
		bld.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: frame, Time: t0.Add(at), Src: src, Dst: dst}, Message: m})
	}
	for i := range n {
		phone := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), 40000)
		at := time.Duration(i) * 10 * time.Millisecond
		reg := fmt.Sprintf(`REGISTER sip:b.example SIP/2.0
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bKr%d;rport
From: <sip:u%d@b.example>;tag=r%d
To: <sip:u%d@b.example>
Call-ID: reg%d
CSeq: 1 REGISTER
Contact: <sip:u%d@192.168.1.50:5060>
Expires: 3600
`, i, i, i, i, i, i)
		send(at, phone, server, reg)
		send(at+time.Millisecond, server, phone, fmt.Sprintf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bKr%d;rport=40000;received=%s
From: <sip:u%d@b.example>;tag=r%d
To: <sip:u%d@b.example>;tag=s%d
Call-ID: reg%d
CSeq: 1 REGISTER
Contact: <sip:u%d@192.168.1.50:5060>;expires=3600
`, i, phone.Addr(), i, i, i, i, i, i))
		inv := fmt.Sprintf(`INVITE sip:bob@b.example SIP/2.0
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bKi%d;rport
From: <sip:u%d@b.example>;tag=f%d
To: <sip:bob@b.example>
Call-ID: call%d
CSeq: 1 INVITE
Contact: <sip:u%d@192.168.1.50:5060>
Content-Type: application/sdp

v=0
o=- 1 1 IN IP4 192.168.1.50
s=-
c=IN IP4 192.168.1.50
t=0 0
m=audio 4000 RTP/AVP 0
`, i, i, i, i, i)
		send(at+2*time.Millisecond, phone, server, inv)
		ok := fmt.Sprintf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bKi%d;rport=40000;received=%s
From: <sip:u%d@b.example>;tag=f%d
To: <sip:bob@b.example>;tag=t%d
Call-ID: call%d
CSeq: 1 INVITE
Contact: <sip:bob@203.0.113.20:5070>
`, i, phone.Addr(), i, i, i, i)
		for j, d := range []time.Duration{time.Second, 1500 * time.Millisecond, 2500 * time.Millisecond} {
			send(at+d, server, phone, ok)
			send(at+d+40*time.Millisecond, phone, dead, fmt.Sprintf(`ACK sip:bob@203.0.113.20:5070 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.50:5060;branch=z9hG4bKa%d-%d;rport
From: <sip:u%d@b.example>;tag=f%d
To: <sip:bob@b.example>;tag=t%d
Call-ID: call%d
CSeq: 1 ACK
`, i, j, i, i, i, i))
		}
	}
	bld.Observe(t0.Add(time.Duration(n)*10*time.Millisecond + 3*time.Second))
	return bld.Model()
}

// BenchmarkRun measures every rule over a capture of 1000 NATed phones
// (1000 registrations, 1000 calls, 12000 SIP messages).
func BenchmarkRun(b *testing.B) {
	in := &diagnose.Input{Model: benchModel(b, 1000)}
	if fs := diagnose.Run(in); len(fs) < 4000 {
		b.Fatalf("only %d findings: the model does not exercise the rules", len(fs))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		diagnose.Run(in)
	}
}

// BenchmarkRunCall measures the per-call rules alone, one call of the
// NATed phones' capture per op (a registration or a call, each with
// findings to make).
func BenchmarkRunCall(b *testing.B) {
	m := benchModel(b, 1000)
	in := &diagnose.Input{Model: m}
	rs := diagnose.Rules()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		diagnose.RunCall(rs, m.Calls[i], in)
		if i++; i == len(m.Calls) {
			i = 0
		}
	}
}

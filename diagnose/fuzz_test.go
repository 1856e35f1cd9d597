package diagnose_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/diagnose"
)

// FuzzRules feeds whatever SIP the parser accepts, between a few addresses
// and at odd times, with ICMP errors quoting some of it, through correlation
// and every rule: rules must never panic on a model, however strange.
// Messages are separated by NUL bytes; each message's first byte picks its
// addresses, its time step and whether an ICMP error answers it.
func FuzzRules(f *testing.F) {
	for _, seed := range [][]string{
		{inviteMsg(), okMsg("sip:bob@203.0.113.20:5070"), ackMsg("sip:bob@203.0.113.20:5070", "z9hG4bKa", 1), okMsg("sip:bob@203.0.113.20:5070")},
		{registerMsg("z9hG4bKr1", 1, false), registerResponse("401 Unauthorized", "z9hG4bKr1", 1, digestChallenge), registerMsg("z9hG4bKr2", 2, true),
			registerResponse("401 Unauthorized", "z9hG4bKr2", 2, digestChallenge)},
		{optionsMsg("z9hG4bKo"), optionsMsg("z9hG4bKo"), optionsMsg("z9hG4bKo")},
		{byeMsg("z9hG4bKbye", 2, "a1", "b1"), dialogMsg("SIP/2.0 481 Call/Transaction Does Not Exist", "z9hG4bKbye", 2, "BYE", "b1")},
		{phoneRequest("INVITE", "sip:bob@b.example", "z9hG4bKi1", 1, "192.168.1.50:5060;rport", "Contact: <sip:phone@192.168.1.50:5060>",
			"Content-Type: application/sdp", "", "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nc=IN IP4 10.0.0.1\nt=0 0\nm=audio 4000 RTP/AVP 0")},
	} {
		var b bytes.Buffer
		for i, m := range seed {
			b.WriteByte(byte(i * 37))
			b.Write(wireSIP(m))
			b.WriteByte(0)
		}
		f.Add(b.Bytes())
	}
	addrs := []netip.AddrPort{
		netip.MustParseAddrPort("198.51.100.10:5060"), netip.MustParseAddrPort("203.0.113.20:5060"),
		netip.MustParseAddrPort("192.168.1.50:5060"), netip.MustParseAddrPort("203.0.113.20:5070"),
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := correlate.NewBuilder()
		at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
		frame := 0
		for _, chunk := range bytes.Split(data, []byte{0}) {
			if len(chunk) < 2 {
				continue
			}
			ctl, text := chunk[0], chunk[1:]
			m, err := sip.Parse(text)
			if m == nil || err != nil && m.CallID == "" {
				continue
			}
			frame++
			at = at.Add(time.Duration(ctl>>4) * 250 * time.Millisecond)
			src, dst := addrs[ctl&3], addrs[(ctl>>2)&3]
			b.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: frame, Time: at, Src: src, Dst: dst}, Message: m})
			if ctl&0x40 != 0 {
				frame++
				b.HandleICMP(&decode.ICMPError{
					Meta:    decode.Meta{Frame: frame, Time: at, Src: netip.AddrPortFrom(dst.Addr(), 0), Dst: netip.AddrPortFrom(src.Addr(), 0)},
					Version: 4, Type: 3, Code: ctl & 15, Description: []string{"port unreachable", "fragmentation needed", "time exceeded", "host unreachable"}[ctl&3],
					OrigSrc: src, OrigDst: dst, OrigProto: 17,
				})
			}
		}
		b.Observe(at.Add(time.Minute))
		for _, fd := range diagnose.Run(&diagnose.Input{Model: b.Model()}) {
			if fd.ID == "" || fd.Summary == "" {
				t.Fatalf("finding without id or summary: %+v", fd)
			}
			for i := 1; i < len(fd.Evidence.Frames); i++ {
				if fd.Evidence.Frames[i] <= fd.Evidence.Frames[i-1] {
					t.Fatalf("%s: frames not sorted and unique: %v", fd.ID, fd.Evidence.Frames)
				}
			}
		}
	})
}

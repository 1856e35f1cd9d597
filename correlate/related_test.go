package correlate

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// leg returns an INVITE for Call-ID id with extra header lines and an SDP
// body announcing media at addr (none when addr is "").
func leg(id, extra, addr string) string {
	body := ""
	if addr != "" {
		host, port, _ := strings.Cut(addr, ":")
		body = fmt.Sprintf("v=0\no=- 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\nm=audio %s RTP/AVP 0\n", host, host, port)
	}
	ct := ""
	if body != "" {
		ct = "Content-Type: application/sdp\n"
	}
	return fmt.Sprintf("INVITE sip:bob@10.0.0.2 SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-%s\n"+
		"From: <sip:alice@a.example>;tag=a1\nTo: <sip:bob@b.example>\nCall-ID: %s\nCSeq: 1 INVITE\n%s%sContent-Length: %d\n\n%s",
		id, id, extra, ct, len(strings.ReplaceAll(body, "\n", "\r\n")), body)
}

func TestRelated(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, leg("a-leg", "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000\n", "10.0.0.1:4000"))
	f.send(10*time.Millisecond, bob, alice, leg("b-leg", "X-Call-ID: a-leg\n", "10.0.0.9:6000"))
	f.send(20*time.Millisecond, bob, alice, leg("c-leg", "Session-ID: 47755a9de7794ba387653f2099600ef2;remote=AB30317F1A784DC48FF824D0D3715D86\n", ""))
	f.send(30*time.Millisecond, bob, alice, leg("d-leg", "", "10.0.0.9:6000")) // same SDP as b-leg
	f.send(40*time.Millisecond, bob, alice, leg("other", "Session-ID: 00000000000000000000000000000000\n", "10.0.0.5:7000"))
	f.send(time.Hour, bob, alice, leg("later", "", "10.0.0.9:6000")) // port reused an hour later
	m := f.b.Model()
	byID := func(id string) *Call { return m.Find(id)[0] }

	tests := []struct {
		from []string
		want []string
	}{
		{[]string{"a-leg"}, []string{"b-leg", "c-leg", "d-leg"}},
		{[]string{"d-leg"}, []string{"a-leg", "b-leg", "c-leg"}},
		{[]string{"other"}, nil},
		{[]string{"later"}, nil},
		{[]string{"a-leg", "b-leg"}, []string{"c-leg", "d-leg"}},
	}
	for _, tt := range tests {
		var in []*Call
		for _, id := range tt.from {
			in = append(in, byID(id))
		}
		var got []string
		for _, c := range m.Related(in) {
			got = append(got, c.CallID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Related(%v) = %v, want %v", tt.from, got, tt.want)
		}
	}
}

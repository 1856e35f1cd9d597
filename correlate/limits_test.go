package correlate

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

// Offline (no OnCall) the call limit holds too: the calls idle longest are
// dropped and counted, the latest are kept.
func TestMaxCallsOffline(t *testing.T) {
	b := NewBuilderWith(Options{MaxCalls: 100})
	for i := 0; i < 1000; i++ {
		feed(t, b, i+1, time.Duration(i)*time.Millisecond, withCallID(invite("z9hG4bKf", 1, ""), fmt.Sprintf("flood-%d", i)))
		if b.Calls() > 100 {
			t.Fatalf("holding %d calls after %d Call-IDs, limit 100", b.Calls(), i+1)
		}
	}
	m := b.Model()
	s := b.Stats()
	if len(m.Calls)+s.Evicted != 1000 || len(m.Calls) > 100 || s.Flushed != 0 {
		t.Fatalf("%d calls kept, stats %+v; want at most 100 kept and the rest evicted", len(m.Calls), s)
	}
	if last := m.Calls[len(m.Calls)-1]; last.CallID != "flood-999" {
		t.Errorf("last call kept is %s, want the newest, flood-999", last.CallID)
	}
}

// NewBuilder keeps its old meaning: no limit at all.
func TestNewBuilderUnlimited(t *testing.T) {
	b := NewBuilder()
	for i := 0; i < 300; i++ {
		feed(t, b, i+1, 0, withCallID(invite("z9hG4bKu", 1, ""), fmt.Sprintf("u-%d", i)))
	}
	if n := len(b.Model().Calls); n != 300 || b.Stats().Evicted != 0 {
		t.Errorf("%d calls, %d evicted; want 300 and none", n, b.Stats().Evicted)
	}
}

// A scanner using a new source port per message cannot grow the table of
// address pairs kept for ICMP matching past its bound; old pairs are
// forgotten as time passes, offline as well as streaming.
func TestSentPairsBounded(t *testing.T) {
	raw := strings.ReplaceAll(strings.TrimLeft(invite("z9hG4bKs", 1, ""), "\n"), "\n", "\r\n")
	msg, err := sip.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, streaming := range []bool{false, true} {
		opts := Options{MaxCalls: 10, MaxMessages: 1 << 30} // one Call-ID: keep its messages
		if streaming {
			opts.OnCall = func(*Call) {}
		}
		b := NewBuilderWith(opts)
		const n = maxSentPairs + 5000
		for i := 0; i < n; i++ {
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 16), byte(i >> 8)}), uint16(i))
			b.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Microsecond), Src: src, Dst: bob}, Message: msg})
		}
		if len(b.lastSent) > maxSentPairs || b.Stats().ICMPPairsDropped != n-maxSentPairs {
			t.Errorf("streaming %v: %d pairs held, %d dropped; want at most %d held and %d dropped",
				streaming, len(b.lastSent), b.Stats().ICMPPairsDropped, maxSentPairs, n-maxSentPairs)
		}
		b.Observe(t0.Add(time.Minute))
		if len(b.lastSent) != 0 {
			t.Errorf("streaming %v: %d pairs still held a minute later", streaming, len(b.lastSent))
		}
	}
}

// One Call-ID repeated past MaxMessages: the extra messages are counted on
// the call and in the stats, not kept, and the call stays active.
func TestMaxMessagesPerCall(t *testing.T) {
	b := NewBuilderWith(Options{MaxMessages: 50})
	for i := 0; i < 200; i++ {
		feed(t, b, i+1, time.Duration(i)*time.Second, invite("z9hG4bKrep", 1, ""))
	}
	m := b.Model()
	if len(m.Calls) != 1 {
		t.Fatalf("%d calls, want 1", len(m.Calls))
	}
	c := m.Calls[0]
	if len(c.Messages) != 50 || c.Dropped != 150 || b.Stats().MessagesDropped != 150 {
		t.Errorf("%d messages kept, %d dropped (stats %d); want 50 and 150", len(c.Messages), c.Dropped, b.Stats().MessagesDropped)
	}
	if want := t0.Add(199 * time.Second); !c.End.Equal(want) {
		t.Errorf("call ends %v, want the last message's time %v", c.End, want)
	}
}

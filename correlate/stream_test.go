package correlate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sip"
)

func feed(t *testing.T, b *Builder, frame int, at time.Duration, text string) {
	t.Helper()
	raw := strings.ReplaceAll(strings.TrimLeft(text, "\n"), "\n", "\r\n")
	m, err := sip.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	src, dst := alice, bob
	if !m.IsRequest {
		src, dst = bob, alice
	}
	b.HandleSIP(&decode.SIPMessage{Meta: decode.Meta{Frame: frame, Time: t0.Add(at), Src: src, Dst: dst}, Message: m})
}

func withCallID(text, id string) string {
	return strings.ReplaceAll(text, "Call-ID: call-1", "Call-ID: "+id)
}

// A finished call is handed on after the grace period and forgotten, so the
// builder holds only calls in progress.
func TestFlushFinishedCalls(t *testing.T) {
	var flushed []*Call
	b := NewBuilderWith(Options{OnCall: func(c *Call) { flushed = append(flushed, c) }, Grace: 5 * time.Second})
	for i := 0; i < 3; i++ {
		id := fmt.Sprintf("c%d", i)
		start := time.Duration(i) * time.Minute
		feed(t, b, 4*i+1, start, withCallID(invite("z9hG4bKa"+id, 1, ""), id))
		feed(t, b, 4*i+2, start+time.Second, withCallID(response(486, "Busy Here", "z9hG4bKa"+id, 1, "INVITE", "x"), id))
		feed(t, b, 4*i+3, start+time.Second, withCallID(request("ACK", "z9hG4bKa"+id, 1, "x"), id))
	}
	// The first two calls ended a minute before the last message: flushed.
	if len(flushed) != 2 || b.Calls() != 1 {
		t.Fatalf("flushed %d, held %d; want 2 flushed and 1 held", len(flushed), b.Calls())
	}
	if flushed[0].CallID != "c0" || flushed[0].State != StateRejected || flushed[0].Code != 486 {
		t.Errorf("first flushed call %s %s %d", flushed[0].CallID, flushed[0].State, flushed[0].Code)
	}
	m := b.Model()
	if len(m.Calls) != 0 || len(flushed) != 3 {
		t.Errorf("after Model: %d calls in the model, %d flushed; want 0 and 3", len(m.Calls), len(flushed))
	}
	if s := b.Stats(); s.Calls != 3 || s.Flushed != 3 || s.Evicted != 0 {
		t.Errorf("stats %+v", s)
	}
}

// A call still ringing is not flushed however long the grace, until idle.
func TestNoFlushWhileInProgress(t *testing.T) {
	n := 0
	b := NewBuilderWith(Options{OnCall: func(*Call) { n++ }, Grace: time.Second, IdleTimeout: time.Hour})
	feed(t, b, 1, 0, invite("z9hG4bKp", 1, ""))
	feed(t, b, 2, 100*time.Millisecond, response(180, "Ringing", "z9hG4bKp", 1, "INVITE", "b"))
	b.Observe(t0.Add(10 * time.Minute))
	if n != 0 {
		t.Fatal("a ringing call was flushed before its idle timeout")
	}
	b.Observe(t0.Add(2 * time.Hour))
	if n != 1 {
		t.Fatalf("flushed %d after the idle timeout, want 1", n)
	}
}

// A flood of Call-IDs never holds more than MaxCalls; the evictions are counted.
func TestMaxCallsBoundsMemory(t *testing.T) {
	flushed := 0
	b := NewBuilderWith(Options{OnCall: func(*Call) { flushed++ }, MaxCalls: 100})
	for i := 0; i < 1000; i++ {
		feed(t, b, i+1, time.Duration(i)*time.Millisecond, withCallID(invite("z9hG4bKf", 1, ""), fmt.Sprintf("flood-%d", i)))
		if b.Calls() > 100 {
			t.Fatalf("holding %d calls after %d Call-IDs, limit 100", b.Calls(), i+1)
		}
	}
	s := b.Stats()
	if s.Evicted < 900 {
		t.Errorf("evicted %d, want at least 900", s.Evicted)
	}
	b.Model()
	if flushed != 1000 {
		t.Errorf("flushed %d calls in all, want 1000", flushed)
	}
}

func TestCallEvents(t *testing.T) {
	var got []string
	b := NewBuilderWith(Options{
		OnCall:  func(*Call) {},
		OnEvent: func(e Event) { got = append(got, string(e.Kind)) },
	})
	feed(t, b, 1, 0, invite("z9hG4bKe", 1, ""))
	feed(t, b, 2, 100*time.Millisecond, response(180, "Ringing", "z9hG4bKe", 1, "INVITE", "b"))
	feed(t, b, 3, 2*time.Second, response(200, "OK", "z9hG4bKe", 1, "INVITE", "b"))
	feed(t, b, 4, 2500*time.Millisecond, response(200, "OK", "z9hG4bKe", 1, "INVITE", "b")) // retransmission: no event
	feed(t, b, 5, 2600*time.Millisecond, request("ACK", "z9hG4bKack", 1, "b"))
	feed(t, b, 6, 9*time.Second, request("BYE", "z9hG4bKbye", 2, "b"))
	b.Model()
	if want := "new ringing answered ended finished"; strings.Join(got, " ") != want {
		t.Errorf("events %q, want %q", strings.Join(got, " "), want)
	}
}

// An answered call silent for minutes waits for its idle timeout, not for
// a look every sweep; its BYE brings the look forward, so it is flushed a
// grace period after the BYE's last message, as when looked at every sweep.
func TestDueWaitsForMessageOrIdle(t *testing.T) {
	var flushedAt time.Time
	b := NewBuilderWith(Options{Grace: 5 * time.Second, IdleTimeout: time.Hour, OnCall: func(*Call) {},
		OnEvent: func(e Event) {
			if e.Kind == EventFinished {
				flushedAt = e.Time
			}
		}})
	feed(t, b, 1, 0, invite("z9hG4bKl", 1, ""))
	feed(t, b, 2, time.Second, response(200, "OK", "z9hG4bKl", 1, "INVITE", "b"))
	feed(t, b, 3, time.Second, request("ACK", "z9hG4bKla", 1, "b"))
	for s := 2; s <= 600; s++ {
		b.Observe(t0.Add(time.Duration(s) * time.Second))
	}
	if !flushedAt.IsZero() {
		t.Fatal("an answered call was flushed before its BYE")
	}
	if _, at := b.due.top(); !at.Equal(t0.Add(time.Second + time.Hour)) {
		t.Errorf("the silent call is due at %v, want its idle timeout %v", at, t0.Add(time.Second+time.Hour))
	}
	feed(t, b, 4, 600*time.Second, request("BYE", "z9hG4bKlb", 2, "b"))
	feed(t, b, 5, 600*time.Second+200*time.Millisecond, response(200, "OK", "z9hG4bKlb", 2, "BYE", "b"))
	for ms := 600_500; ms <= 620_000; ms += 500 {
		b.Observe(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	// Sweeps run at 601, 602, ... s; the first one past 605.2 s is at 606 s.
	if want := t0.Add(606 * time.Second); !flushedAt.Equal(want) {
		t.Errorf("flushed at %v, want %v", flushedAt, want)
	}
}

// Call.sent counts the ICMP table's entries that are the call's messages,
// through replacement by newer messages, pruning and flushes, so that a
// flush with none skips looking.
func TestSentCount(t *testing.T) {
	var flushed []*Call
	b := NewBuilderWith(Options{Grace: 5 * time.Second, OnCall: func(c *Call) { flushed = append(flushed, c) }})
	check := func(step int) {
		t.Helper()
		want := map[*Call]int{}
		for _, m := range b.lastSent {
			if m.call.gone {
				t.Fatalf("step %d: the ICMP table holds a message of a flushed call", step)
			}
			want[m.call]++
		}
		for _, c := range b.calls {
			if c.sent != want[c] {
				t.Fatalf("step %d: call %s counts %d entries, holds %d", step, c.CallID, c.sent, want[c])
			}
		}
		for _, c := range flushed {
			if c.sent != 0 {
				t.Fatalf("step %d: flushed call %s counts %d entries", step, c.CallID, c.sent)
			}
		}
	}
	frame := 0
	for i := range 40 {
		id := fmt.Sprintf("s%d", i%7) // Call-IDs come back after their flush
		start := time.Duration(i) * 3 * time.Second
		for j, at := range []time.Duration{0, 10 * time.Millisecond, 2 * time.Second} {
			frame++
			switch j {
			case 0:
				feed(t, b, frame, start+at, withCallID(invite("z9hG4bKs"+id, 1, ""), id))
			case 1:
				feed(t, b, frame, start+at, withCallID(response(486, "Busy Here", "z9hG4bKs"+id, 1, "INVITE", "x"), id))
			default:
				feed(t, b, frame, start+at, withCallID(request("ACK", "z9hG4bKs"+id, 1, "x"), id))
			}
			check(frame)
		}
	}
	b.Model()
	check(frame + 1)
	if len(flushed) < 10 {
		t.Fatalf("only %d calls flushed: the test does not exercise flushes", len(flushed))
	}
}

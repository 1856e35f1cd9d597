package correlate

import (
	"testing"
	"time"
)

// The ACK of a 2xx is found by its dialog's tags, whatever its CSeq, and the
// ACK of a non-2xx (part of the INVITE transaction) is not.
func TestDialogACKs(t *testing.T) {
	f := newFlow(t)
	f.send(0, alice, bob, invite("z9hG4bK1", 1, ""))
	f.send(100*time.Millisecond, bob, alice, response(407, "Proxy Authentication Required", "z9hG4bK1", 1, "INVITE", "x1"))
	f.send(110*time.Millisecond, alice, bob, request("ACK", "z9hG4bK1", 1, "x1"))
	f.send(200*time.Millisecond, alice, bob, invite("z9hG4bK2", 2, ""))
	f.send(time.Second, bob, alice, response(200, "OK", "z9hG4bK2", 2, "INVITE", "b1"))
	f.send(1010*time.Millisecond, alice, bob, request("ACK", "z9hG4bKa1", 2, "b1"))
	f.send(1500*time.Millisecond, bob, alice, response(200, "OK", "z9hG4bK2", 2, "INVITE", "b1"))
	f.send(1510*time.Millisecond, alice, bob, request("ACK", "z9hG4bKa2", 3, "b1")) // wrong CSeq, still this dialog's
	c := f.call()
	var frames []int
	for _, m := range c.DialogACKs("a1", "b1") {
		frames = append(frames, m.Frame)
	}
	if len(frames) != 2 || frames[0] != 6 || frames[1] != 8 {
		t.Errorf("ACK frames %v, want [6 8]", frames)
	}
	if got := c.DialogACKs("a1", "x1"); len(got) != 0 {
		t.Errorf("the ACK of the 407 was returned as a 2xx ACK: frame %d", got[0].Frame)
	}
}

package correlate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The due queue against a plain list: random pushes, moves and removals,
// then every call comes out in due order and each finds its own entry.
func TestDueQueue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q dueQueue
	due := map[*Call]time.Time{}
	var calls []*Call
	for step := range 5000 {
		switch op := r.IntN(10); {
		case op < 5 || len(calls) == 0:
			c := &Call{Order: step, dueSlot: -1}
			at := t0.Add(time.Duration(r.IntN(1000)) * time.Second)
			q.push(c, at)
			due[c] = at
			calls = append(calls, c)
		case op < 8:
			c := calls[r.IntN(len(calls))]
			at := t0.Add(time.Duration(r.IntN(1000)) * time.Second)
			q.fix(q.index(c), at)
			due[c] = at
		default:
			k := r.IntN(len(calls))
			c := calls[k]
			q.remove(q.index(c))
			if q.index(c) != -1 || c.dueSlot != -1 {
				t.Fatalf("step %d: a removed call is still found", step)
			}
			delete(due, c)
			calls = slices.Delete(calls, k, k+1)
		}
		for _, c := range calls {
			if i := q.index(c); i < 0 || !q.h[i].at.Equal(due[c]) {
				t.Fatalf("step %d: call %d found at %d", step, c.Order, i)
			}
		}
	}
	var last time.Time
	for q.len() > 0 {
		c, at := q.top()
		if at.Before(last) || !at.Equal(due[c]) {
			t.Fatalf("call %d out of order: due %v after %v", c.Order, at, last)
		}
		last = at
		q.remove(0)
	}
}

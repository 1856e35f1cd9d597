package correlate

import (
	"slices"
	"time"
)

// dueQueue orders the held calls by when the grace sweep looks at them
// next: when their grace period may be over, given their last message
// then, or, for a call whose state only a new message can change, when it
// goes idle. A sweep looks only at the calls whose wait may be over instead
// of every call held. Each held call is in it once; a flushed call leaves
// it at once, so it holds nothing of calls gone.
//
// It is a binary heap of entries that carry their due time, so ordering
// reads no call. A call finds its entry through a slot (Call.dueSlot) in
// pos, which the heap keeps up to date as entries move: moving an entry
// touches that small array, not the calls, whose memory is cold by then.
type dueQueue struct {
	h    []dueEntry
	pos  []int32 // slot -> index in h
	free []int32 // slots not in use
}

type dueEntry struct {
	at   time.Time
	c    *Call
	slot int32
}

func (q *dueQueue) len() int { return len(q.h) }

// top returns the call due first and when.
func (q *dueQueue) top() (*Call, time.Time) { return q.h[0].c, q.h[0].at }

func (q *dueQueue) less(i, j int) bool { return q.h[i].at.Before(q.h[j].at) }

func (q *dueQueue) swap(i, j int) {
	h := q.h
	h[i], h[j] = h[j], h[i]
	q.pos[h[i].slot], q.pos[h[j].slot] = int32(i), int32(j)
}

func (q *dueQueue) up(j int) {
	for j > 0 {
		i := (j - 1) / 2 // parent
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		j = i
	}
}

func (q *dueQueue) down(i0, n int) bool {
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 { // j1 < 0 after int overflow
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && q.less(j2, j1) {
			j = j2 // right child
		}
		if !q.less(j, i) {
			break
		}
		q.swap(i, j)
		i = j
	}
	return i > i0
}

// push schedules c at at; c must not be in the queue.
func (q *dueQueue) push(c *Call, at time.Time) {
	var slot int32
	if n := len(q.free); n > 0 {
		slot, q.free = q.free[n-1], q.free[:n-1]
	} else {
		slot = int32(len(q.pos))
		q.pos = append(q.pos, 0)
	}
	c.dueSlot = slot
	i := len(q.h)
	q.pos[slot] = int32(i)
	q.h = append(q.h, dueEntry{at, c, slot})
	q.up(i)
}

// index returns where c's entry is, -1 when c is not in the queue.
func (q *dueQueue) index(c *Call) int {
	if c.dueSlot < 0 || int(c.dueSlot) >= len(q.pos) {
		return -1
	}
	i := int(q.pos[c.dueSlot])
	if i < 0 || i >= len(q.h) || q.h[i].c != c {
		return -1
	}
	return i
}

// fix moves the entry at i to its new due time.
func (q *dueQueue) fix(i int, at time.Time) {
	q.h[i].at = at
	if !q.down(i, len(q.h)) {
		q.up(i)
	}
}

// remove takes out the entry at i.
func (q *dueQueue) remove(i int) {
	n := len(q.h) - 1
	e := q.h[i]
	if n != i {
		q.swap(i, n)
		if !q.down(i, n) {
			q.up(i)
		}
	}
	q.h[n] = dueEntry{}
	q.h = q.h[:n]
	q.pos[e.slot] = -1
	q.free = append(q.free, e.slot)
	e.c.dueSlot = -1
}

// watch schedules a new call for the sweep; its first message came at t.
func (b *Builder) watch(c *Call, t time.Time) {
	b.due.push(c, t.Add(b.opts.Grace))
}

// rewatch brings forward the sweep's look at a call that got a message
// while waiting for its idle timeout (see dueFinished).
func (b *Builder) rewatch(c *Call) {
	if !c.idleWait {
		return
	}
	c.idleWait = false
	i := b.due.index(c)
	if i < 0 {
		return
	}
	at := c.End.Add(b.opts.Grace)
	if idle := c.End.Add(b.opts.IdleTimeout); idle.Before(at) {
		at = idle
	}
	if b.due.h[i].at.After(at) {
		b.due.fix(i, at)
	}
}

// unwatch takes a flushed call out of the schedule.
func (b *Builder) unwatch(c *Call) {
	if i := b.due.index(c); i >= 0 {
		b.due.remove(i)
	}
}

// dueFinished returns the calls finished at now among those due, in the
// order of their first message, as a look at every held call would find
// them. A due call with later messages is put back to the end of its new
// grace period (or its idle timeout). One not finished yet is looked at
// again a sweep later while its state may still change with time alone
// (Timer B); after that only a new message (see rewatch) or its idle
// timeout can finish it, and it waits for those.
func (b *Builder) dueFinished(now time.Time) []*Call {
	var done []*Call
	for b.due.len() > 0 {
		c, due := b.due.top()
		if due.After(now) {
			break
		}
		if at := c.End.Add(b.opts.Grace); at.After(now) {
			if idle := c.End.Add(b.opts.IdleTimeout); idle.Before(at) {
				at = idle
			}
			if at.After(now) {
				b.due.fix(0, at)
				continue
			}
		}
		if b.finished(c, now) {
			b.due.remove(0)
			done = append(done, c)
			continue
		}
		next := now.Add(sweepEvery)
		if !now.Before(c.End.Add(TimerB)) {
			// Every Timer B of the call has run out (its requests are no
			// later than its last message): its state is settled until a
			// message comes or it has been idle for IdleTimeout.
			next, c.idleWait = c.End.Add(b.opts.IdleTimeout), true
		}
		b.due.fix(0, next)
	}
	slices.SortFunc(done, func(x, y *Call) int { return x.Order - y.Order })
	return done
}

// compactOrder drops the flushed calls from b.order.
func (b *Builder) compactOrder() {
	if b.gone == 0 {
		return
	}
	b.order = slices.DeleteFunc(b.order, func(c *Call) bool { return c.gone })
	b.gone = 0
}

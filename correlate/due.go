package correlate

import (
	"container/heap"
	"slices"
	"time"
)

// dueHeap orders the held calls by when the grace sweep looks at them next
// (Call.dueAt): when their grace period may be over, given their last
// message then. A sweep looks only at the calls whose wait may be over
// instead of every call held. Each held call is in it once (Call.dueIdx);
// a flushed call leaves it at once, so it holds nothing of calls gone.
type dueHeap []*Call

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].dueAt.Before(h[j].dueAt) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].dueIdx, h[j].dueIdx = i, j
}
func (h *dueHeap) Push(x any) {
	c := x.(*Call)
	c.dueIdx = len(*h)
	*h = append(*h, c)
}
func (h *dueHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	c.dueIdx = -1
	return c
}

// watch schedules a new call for the sweep.
func (b *Builder) watch(c *Call) {
	c.dueAt = c.End.Add(b.opts.Grace)
	heap.Push(&b.due, c)
}

// unwatch takes a flushed call out of the schedule.
func (b *Builder) unwatch(c *Call) {
	if c.dueIdx >= 0 && c.dueIdx < len(b.due) && b.due[c.dueIdx] == c {
		heap.Remove(&b.due, c.dueIdx)
	}
}

// dueFinished returns the calls finished at now among those due, in the
// order of their first message, as a look at every held call would find
// them. A due call with later messages is put back to the end of its new
// grace period (or its idle timeout); one not finished yet is looked at
// again a sweep later.
func (b *Builder) dueFinished(now time.Time) []*Call {
	var done []*Call
	for len(b.due) > 0 && !b.due[0].dueAt.After(now) {
		c := b.due[0]
		if at := c.End.Add(b.opts.Grace); at.After(now) {
			if idle := c.End.Add(b.opts.IdleTimeout); idle.Before(at) {
				at = idle
			}
			c.dueAt = at
			heap.Fix(&b.due, 0)
			continue
		}
		if b.finished(c, now) {
			heap.Pop(&b.due)
			done = append(done, c)
			continue
		}
		c.dueAt = now.Add(sweepEvery)
		heap.Fix(&b.due, 0)
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

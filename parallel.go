package sipscope

import (
	"cmp"
	"errors"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
)

// Parallel analysis: one goroutine reads frames and copies them into
// batches, Options.Workers goroutines decode them, and the calling
// goroutine correlates what they found in capture order.
//
// Each worker has its own Decoder and decodes only the frames whose
// decode.FlowHash falls to it, so the per-flow state a Decoder keeps (TCP
// streams, fragments, recent packets for the duplicate check) sees the
// same frames as with one Decoder; it Advances over the others' frames, so
// its time-outs fire on the same frames too. Every event and problem is
// filed under its frame's index in the batch with the Decoder's Position,
// and merged back frame by frame in Position order before the Builder sees
// it; the pipeline's clock moves frame by frame as in Pipeline.Frame.
// Correlation and diagnosis cannot tell how many workers there were.
// Decoding, SIP parsing above all, is most of the work, so it is what runs
// in parallel; correlation stays in one goroutine because calls span flows
// (a call's SIP and its RTP, a proxy's two legs).

const (
	batchFrames = 1024      // frames per batch
	batchBytes  = 512 << 10 // frame bytes per batch
	// MaxWorkers bounds Options.Workers: more decode nothing faster, and
	// the worker of a frame is kept in a byte.
	MaxWorkers = 64
)

type eventKind uint8

const (
	eventSIP eventKind = iota
	eventICMP
	eventRTP
	eventRTCP
	eventProblem
)

// event is one thing a worker's Decoder produced, with the index in its
// batch of the frame being decoded or advanced over.
type event struct {
	idx  int32
	kind eventKind
	pos  decode.Position
	// rtp is held by value: the Decoder reuses its RTPPacket, and Payload
	// points into the batch's arena, which lives until the batch is
	// correlated. The event lists are reused too, so an RTP frame costs no
	// allocation.
	rtp     decode.RTPPacket
	sip     *decode.SIPMessage
	icmp    *decode.ICMPError
	rtcp    *decode.RTCPPacket
	problem decode.Problem
}

type batch struct {
	seq    int64 // position of frames[0] in the input
	frames []capture.Frame
	worker []uint8 // which worker decodes each frame
	arena  []byte  // the frames' bytes
	events [][]event
	wg     sync.WaitGroup
}

// sink is the decode.Handler of one worker: it files what the Decoder
// produces under the frame being decoded.
type sink struct {
	dec *decode.Decoder
	out *[]event
	idx int32
}

// add appends a zero event (the lists are cleared after use) and returns it.
func (s *sink) add(kind eventKind) *event {
	evs := *s.out
	if len(evs) < cap(evs) {
		evs = evs[:len(evs)+1]
	} else {
		evs = append(evs, event{})
	}
	*s.out = evs
	e := &evs[len(evs)-1]
	e.idx, e.kind, e.pos = s.idx, kind, s.dec.Position()
	return e
}

func (s *sink) HandleSIP(m *decode.SIPMessage)       { s.add(eventSIP).sip = m }
func (s *sink) HandleICMP(e *decode.ICMPError)       { s.add(eventICMP).icmp = e }
func (s *sink) HandleProblem(p decode.Problem)       { s.add(eventProblem).problem = p }
func (s *sink) HandleRTCP(p *decode.RTCPPacket) bool { s.add(eventRTCP).rtcp = p; return false }

// HandleRTP keeps a copy of the packet. Whether it is known media is the
// Builder's to say, later; only a live capture writer asks.
func (s *sink) HandleRTP(p *decode.RTPPacket) bool {
	s.add(eventRTP).rtp = *p
	return false
}

type worker struct {
	id   int
	in   chan *batch
	sink sink
	dec  *decode.Decoder
	// tlsSeq is, for each of the Decoder's EncryptedFlows, the position in
	// the input of the frame that began it.
	tlsSeq  []int64
	flushed []event // what Flush produced at the end of the input
}

func (w *worker) run() {
	for b := range w.in {
		w.sink.out = &b.events[w.id]
		for i := range b.frames {
			f := &b.frames[i]
			w.sink.idx = int32(i)
			if int(b.worker[i]) != w.id {
				w.dec.Advance(f.Time)
				continue
			}
			n := len(w.dec.Stats.EncryptedFlows)
			w.dec.Decode(f)
			for range len(w.dec.Stats.EncryptedFlows) - n {
				w.tlsSeq = append(w.tlsSeq, b.seq+int64(i))
			}
		}
		b.wg.Done()
	}
	w.sink.out, w.sink.idx = &w.flushed, 0
	w.dec.Flush()
}

// analyzeParallel is Analyze with opts.Workers decoding goroutines.
func analyzeParallel(opts Options) (*Result, error) {
	set, err := capture.OpenAll(opts.Files)
	if err != nil {
		return nil, err
	}
	defer set.Close()
	p := NewPipeline(opts)
	nw := min(opts.Workers, MaxWorkers)
	if opts.OnCall != nil {
		// Streaming: the calls that finish are diagnosed on another core
		// too, leaving this goroutine to correlate.
		p.diagnoseAside()
		defer p.drainDiagnosis()
	}

	workers := make([]*worker, nw)
	var wwg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, in: make(chan *batch, 4)}
		w.dec = p.newDecoder(&w.sink)
		w.sink.dec = w.dec
		workers[i] = w
		wwg.Go(w.run)
	}
	// Every worker takes its share of every batch, so a few batches in
	// flight keep all of them busy however many there are; more would only
	// hold memory (batchBytes each).
	inFlight := min(2*nw+2, 10)
	free := make(chan *batch, inFlight)
	for range inFlight {
		free <- &batch{
			frames: make([]capture.Frame, 0, batchFrames),
			worker: make([]uint8, 0, batchFrames),
			arena:  make([]byte, 0, batchBytes),
			events: make([][]event, nw),
		}
	}
	ordered := make(chan *batch, inFlight)
	readErr := make(chan error, 1)
	go func() {
		readErr <- readBatches(set, workers, free, ordered)
	}()

	m := merger{p: p, heads: make([]int, nw), lists: make([][]event, nw)}
	for b := range ordered {
		b.wg.Wait()
		m.correlate(b)
		free <- b
	}
	wwg.Wait() // readBatches has closed the workers' inputs
	if err := <-readErr; err != nil {
		return nil, err
	}
	for i, w := range workers {
		m.lists[i], m.heads[i] = w.flushed, 0
	}
	m.frame(0)
	p.dec.Stats = mergeStats(workers, m.problems)
	return p.Finish(set.Files(), set.Problems())
}

// readBatches copies frames into batches, shares them out and queues them
// for correlation in order. It closes the workers' inputs and ordered.
func readBatches(set *capture.Set, workers []*worker, free, ordered chan *batch) error {
	defer close(ordered)
	defer func() {
		for _, w := range workers {
			close(w.in)
		}
	}()
	var seq int64
	nw := uint64(len(workers))
	var b *batch
	send := func() {
		b.wg.Add(len(workers))
		for _, w := range workers {
			w.in <- b
		}
		ordered <- b
		seq += int64(len(b.frames))
		b = nil
	}
	for {
		f, err := set.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if b != nil {
				send()
			}
			return err
		}
		if b != nil && (len(b.frames) == batchFrames || len(b.arena)+len(f.Data) > cap(b.arena) && len(b.frames) > 0) {
			send()
		}
		if b == nil {
			b = <-free
			b.seq = seq
			b.frames, b.worker, b.arena = b.frames[:0], b.worker[:0], b.arena[:0]
		}
		fr := *f
		start := len(b.arena)
		b.arena = append(b.arena, f.Data...) // may reallocate for a frame above batchBytes; earlier frames keep the old array
		fr.Data = b.arena[start:len(b.arena):len(b.arena)]
		b.frames = append(b.frames, fr)
		b.worker = append(b.worker, uint8(decode.FlowHash(f)%nw))
	}
	if b != nil {
		send()
	}
	return nil
}

// merger hands the workers' events to the Builder in the order one
// Decoder would have produced them.
type merger struct {
	p        *Pipeline
	lists    [][]event // each worker's events, in its order
	heads    []int     // the next event of each list
	problems []decode.Problem
}

// correlate moves the pipeline's clock over each frame of b and delivers
// the frame's events, exactly as Pipeline.Frame would have.
func (m *merger) correlate(b *batch) {
	for w := range m.lists {
		m.lists[w], m.heads[w] = b.events[w], 0
	}
	for i := range b.frames {
		m.p.clock(&b.frames[i])
		m.frame(int32(i))
	}
	for w := range b.events {
		clear(b.events[w]) // let the messages go with their calls
		b.events[w] = b.events[w][:0]
	}
}

// frame delivers the events of frame idx: the smallest Position first, and
// each worker's in its own order.
func (m *merger) frame(idx int32) {
	for {
		best := -1
		for w, evs := range m.lists {
			if h := m.heads[w]; h < len(evs) && evs[h].idx == idx &&
				(best < 0 || evs[h].pos.Less(m.lists[best][m.heads[best]].pos)) {
				best = w
			}
		}
		if best < 0 {
			return
		}
		m.deliver(&m.lists[best][m.heads[best]])
		m.heads[best]++
	}
}

func (m *merger) deliver(e *event) {
	b := m.p.b
	switch e.kind {
	case eventSIP:
		b.HandleSIP(e.sip)
	case eventICMP:
		b.HandleICMP(e.icmp)
	case eventRTP:
		b.HandleRTP(&e.rtp)
	case eventRTCP:
		b.HandleRTCP(e.rtcp)
	case eventProblem:
		if len(m.problems) < decode.MaxProblems {
			m.problems = append(m.problems, e.problem)
		}
	}
}

// mergeStats adds up the workers' counters. problems are the problems in
// the order one Decoder would have met them; the encrypted flows are put in
// the order they began, the first decode.MaxEncryptedFlows of them, as one
// Decoder keeps them.
func mergeStats(workers []*worker, problems []decode.Problem) decode.Stats {
	var st decode.Stats
	type flow struct {
		seq int64
		f   decode.EncryptedFlow
	}
	var flows []flow
	for _, w := range workers {
		st.Add(&w.dec.Stats)
		for i, f := range w.dec.Stats.EncryptedFlows {
			seq := int64(math.MaxInt64) // not begun by a frame: none is, today
			if i < len(w.tlsSeq) {
				seq = w.tlsSeq[i]
			}
			flows = append(flows, flow{seq, f})
		}
	}
	slices.SortStableFunc(flows, func(a, b flow) int { return cmp.Compare(a.seq, b.seq) })
	st.EncryptedFlows = nil
	for _, f := range flows[:min(len(flows), decode.MaxEncryptedFlows)] {
		st.EncryptedFlows = append(st.EncryptedFlows, f.f)
	}
	st.Problems = problems
	if st.Undecoded == nil {
		st.Undecoded = make(map[string]int)
	}
	return st
}

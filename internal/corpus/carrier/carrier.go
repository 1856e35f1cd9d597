// Package carrier generates carrier-like SIP and RTP traffic as a pcap file,
// the benchmark corpus sipscope's performance targets are measured on:
// thousands of overlapping calls between an SBC and its peer carriers, with
// REGISTER and OPTIONS traffic, G.711 RTP at 20 ms both ways (about 93% of
// the packets), some RTP loss and jitter, SIP retransmissions, rejected,
// cancelled and timed-out calls.
//
// The output is a function of the Config alone: the same seed always gives
// the same bytes, and nothing reads the clock. It describes traffic; it must
// never contain analysis.
package carrier

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Config says what traffic to generate. Zero fields take the defaults.
type Config struct {
	Calls          int           // INVITE calls; default 5000
	Seed           uint64        // random seed; the same seed gives the same file
	Start          time.Time     // time of the first call; default 2026-01-05 09:00:00 UTC
	CallsPerSecond float64       // call arrival rate; default 50
	Registrations  int           // REGISTER flows (Call-IDs); default Calls/4
	Options        int           // OPTIONS pings; default Calls/4
	MeanTalk       time.Duration // mean talk time of answered calls; default 1.5 s
	Loss           float64       // RTP packet loss probability; default 0.005
	Jitter         time.Duration // largest arrival jitter of RTP from peers; default 4 ms, below 20 ms
}

func (c *Config) defaults() {
	if c.Calls <= 0 {
		c.Calls = 5000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	}
	if c.CallsPerSecond <= 0 {
		c.CallsPerSecond = 50
	}
	if c.Registrations == 0 {
		c.Registrations = c.Calls / 4
	}
	if c.Options == 0 {
		c.Options = c.Calls / 4
	}
	if c.MeanTalk <= 0 {
		c.MeanTalk = 1500 * time.Millisecond
	}
	if c.Loss == 0 {
		c.Loss = 0.005
	}
	if c.Jitter == 0 {
		c.Jitter = 4 * time.Millisecond
	}
	c.Jitter = min(c.Jitter, 19*time.Millisecond) // keeps each stream in order
}

// Stats says what was generated: the facts a test of an analyser can check.
type Stats struct {
	Frames      int
	SIPMessages int
	RTPPackets  int
	RTPLost     int // RTP packets dropped on purpose (sequence numbers skipped)

	Calls     int // INVITE Call-IDs
	Completed int // answered and ended with BYE
	Rejected  int // final 4xx/5xx to the INVITE
	Cancelled int // CANCEL, 487
	TimedOut  int // INVITE never answered, retransmitted for 32 s

	Registrations int // REGISTER Call-IDs
	RegisterOK    int // of which ended with 200 OK
	Options       int // OPTIONS Call-IDs

	Retransmissions int // SIP requests and responses sent again
	MaxConcurrent   int // most calls in progress (INVITE sent, not ended) at once
	Start, End      time.Time
}

// RTPShare is the fraction of frames that are RTP.
func (s Stats) RTPShare() float64 {
	if s.Frames == 0 {
		return 0
	}
	return float64(s.RTPPackets) / float64(s.Frames)
}

// Network layout: one SBC, carriers peering with it, subscribers registering.
var (
	sbcSIP = netip.MustParseAddrPort("10.0.0.10:5060")
	sbcRTP = netip.MustParseAddr("10.0.0.11")
)

const (
	peers      = 24
	rtpPT      = 8 // PCMA
	rtpPayload = 160
	ptime      = 20 * time.Millisecond
)

func peerSIP(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 20, byte(i / 200), byte(10 + i%200)}), 5060)
}

func peerRTP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 21, byte(i / 200), byte(10 + i%200)})
}

// Write generates the traffic cfg describes and writes it to w as a pcap
// file (Ethernet, microsecond timestamps), in time order.
func Write(w io.Writer, cfg Config) (Stats, error) {
	cfg.defaults()
	bw := bufio.NewWriterSize(w, 1<<20)
	pw, err := pcapgen.NewWriter(bw)
	if err != nil {
		return Stats{}, err
	}
	g := &gen{cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), pw: pw}
	g.stats.Start = cfg.Start
	g.plan()
	if err := g.run(); err != nil {
		return g.stats, err
	}
	if err := bw.Flush(); err != nil {
		return g.stats, fmt.Errorf("carrier: %w", err)
	}
	return g.stats, nil
}

// gen holds the generator's state.
type gen struct {
	cfg   Config
	rnd   *rand.Rand
	pw    *pcapgen.Writer
	stats Stats

	plans []plannedFlow // every flow's kind and start, in start order
	heap  evHeap
	seq   uint64 // tie-break for events at the same time: first pushed, first out

	inProgress int
}

// flow is one Call-ID's script: its SIP messages at fixed times and the RTP
// streams it starts.
type flow struct {
	start time.Time
	msgs  []sipMsg
	rtp   []*rtpStream
	call  bool // counts towards concurrency
	end   time.Time
}

type sipMsg struct {
	at       time.Time
	src, dst netip.AddrPort
	text     []byte
}

type rtpStream struct {
	src, dst netip.AddrPort
	ssrc     uint32
	seq      uint16
	ts       uint32
	start    time.Time
	n, left  int
	jitter   bool
	pkt      [12 + rtpPayload]byte
}

// event is something to write at a time: a SIP message, an RTP stream's
// next packet, or the end of a call (for the concurrency count).
type event struct {
	at   time.Time
	seq  uint64
	msg  *sipMsg
	rtp  *rtpStream
	done bool
}

type evHeap []event

func (h evHeap) less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}

func (g *gen) push(e event) {
	g.seq++
	e.seq = g.seq
	h := append(g.heap, e)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	g.heap = h
}

func (g *gen) pop() event {
	h := g.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	g.heap = h
	return top
}

// run writes every flow's packets in time order: flows are started as the
// clock reaches them, so only the flows in progress are in memory.
func (g *gen) run() error {
	next := 0
	for next < len(g.plans) || len(g.heap) > 0 {
		if next < len(g.plans) && (len(g.heap) == 0 || !g.plans[next].start.After(g.heap[0].at)) {
			g.startFlow(g.build(next))
			next++
			continue
		}
		e := g.pop()
		switch {
		case e.done:
			g.inProgress--
		case e.msg != nil:
			if err := g.write(e.at, e.msg.src, e.msg.dst, e.msg.text); err != nil {
				return err
			}
			g.stats.SIPMessages++
		case e.rtp != nil:
			if err := g.rtpPacket(e.at, e.rtp); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *gen) startFlow(f *flow) {
	for i := range f.msgs {
		g.push(event{at: f.msgs[i].at, msg: &f.msgs[i]})
	}
	for _, s := range f.rtp {
		g.push(event{at: s.start, rtp: s})
	}
	if f.call {
		g.inProgress++
		g.stats.MaxConcurrent = max(g.stats.MaxConcurrent, g.inProgress)
		g.push(event{at: f.end, done: true})
	}
}

func (g *gen) write(at time.Time, src, dst netip.AddrPort, payload []byte) error {
	if err := g.pw.WriteUDP(at, src, dst, payload); err != nil {
		return fmt.Errorf("carrier: %w", err)
	}
	g.stats.Frames++
	if at.After(g.stats.End) {
		g.stats.End = at
	}
	return nil
}

// rtpPacket writes stream s's next packet, unless it is lost, and schedules
// the one after.
func (g *gen) rtpPacket(at time.Time, s *rtpStream) error {
	i := s.n - s.left
	s.left--
	p := s.pkt[:]
	p[1] = rtpPT
	if i == 0 {
		p[1] |= 0x80 // marker on the first packet of a talk spurt
	}
	binary.BigEndian.PutUint16(p[2:], s.seq+uint16(i))
	binary.BigEndian.PutUint32(p[4:], s.ts+uint32(i)*rtpPayload)
	if i > 0 && g.rnd.Float64() < g.cfg.Loss {
		g.stats.RTPLost++
	} else {
		if err := g.write(at, s.src, s.dst, p); err != nil {
			return err
		}
		g.stats.RTPPackets++
	}
	if s.left > 0 {
		next := s.start.Add(time.Duration(i+1) * ptime)
		if s.jitter {
			next = next.Add(time.Duration(g.rnd.Int64N(int64(g.cfg.Jitter) + 1)))
		}
		g.push(event{at: next.Truncate(time.Microsecond), rtp: s})
	}
	return nil
}

// TempFile writes the corpus cfg describes to a file in tb's temporary
// directory and returns its path, for tests and benchmarks.
func TempFile(tb testing.TB, cfg Config) (string, Stats) {
	tb.Helper()
	var buf bytes.Buffer
	st, err := Write(&buf, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "corpus.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path, st
}

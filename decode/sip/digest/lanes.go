package digest

import (
	"math/bits"

	"github.com/sipscope/sipscope/decode/sip/digest/internal/md5x"
)

// The wordlist's fast path for MD5 and MD5-sess targets: candidates are
// batched md5x.Lanes at a time and hashed side by side, H(A1) then KD,
// one candidate a lane. Lane arithmetic only points at candidates: a lane
// that matches is confirmed with the scalar Checker before it is recorded,
// so the passwords found are exactly the scalar path's.

// maxA1Blocks bounds username:realm:password on the lane path: four MD5
// blocks, 247 bytes. A longer candidate is checked on its own.
const maxA1Blocks = 4

// md5Lanes is the lane hash: md5x's fastest on this machine; tests switch
// it to every implementation.
var md5Lanes = (*md5x.State).Hash

// lanes is a worker's batch and the buffers its hashing needs, about 6 KiB.
type lanes struct {
	batch [md5x.Lanes][]byte // candidates waiting, aliasing the caller's buffer until flush
	n     int

	grouped []bool       // by group: MD5 family, checked here
	targets []laneTarget // by target; zero for the other algorithms

	a1    [maxA1Blocks]md5x.Block            // username:realm:password, a lane a candidate
	a1msg [maxA1Blocks * md5x.BlockSize]byte // the same for one candidate, padded in place
	first [1]md5x.Block                      // first block of KD's (or S1's) input
	head  *md5x.Words                        // the constant words last broadcast into first

	ha1, sess, kd md5x.State
	confirm       Checker
}

// laneTarget is a target's constant inputs, padded, with zeros where the
// hex of the hash before goes: the first 8 words, as the hex is 32 bytes.
type laneTarget struct {
	s1 []md5x.Words // hex(H(username:realm:password)) + ":nonce:cnonce", -sess only
	kd []md5x.Words // hex(H(A1)) + suffix
}

// useLanes puts w's MD5 targets on the lane path; candidates then go
// through add and flush.
func (w *worker) useLanes() {
	a := w.a
	l := &lanes{grouped: make([]bool, len(a.groups)), targets: make([]laneTarget, len(a.targets))}
	some := false
	for gi, g := range a.groups {
		if g.family == MD5 {
			l.grouped[gi], some = true, true
		}
	}
	if !some {
		return
	}
	var hole [2 * md5x.Size]byte // where the hex of an MD5 goes
	for i, t := range a.targets {
		if t.alg.family() != MD5 {
			continue
		}
		if t.sess != nil {
			l.targets[i].s1 = md5x.Pad(nil, append(hole[:], t.sess...))
		}
		l.targets[i].kd = md5x.Pad(nil, append(hole[:], t.suffix...))
	}
	w.lanes = l
}

// add checks pw against every target still open: at once for the targets
// off the lane path, in the next flush for the others. pw must stay
// unchanged until then.
func (w *worker) add(pw []byte) {
	l := w.lanes
	if l == nil {
		w.try(pw)
		return
	}
	for gi := range w.a.groups {
		if !l.grouped[gi] {
			w.tryGroup(&w.a.groups[gi], pw)
		}
	}
	l.batch[l.n] = pw
	l.n++
	if l.n == len(l.batch) {
		w.flush()
	}
}

// flush checks the batched candidates against the MD5 targets still open.
// A short batch costs as much as a full one: the idle lanes hash stale
// input, and their results are ignored.
func (w *worker) flush() {
	l := w.lanes
	if l == nil || l.n == 0 {
		return
	}
	n := l.n
	l.n = 0
	a := w.a
	for gi := range a.groups {
		g := &a.groups[gi]
		if !l.grouped[gi] || !a.open(g) {
			continue
		}
		// One round a block count of H(A1)'s input: a single round unless
		// the passwords' lengths straddle a block boundary.
		todo := uint32(1)<<n - 1
		for todo != 0 {
			first := bits.TrailingZeros32(todo)
			nb := md5x.Blocks(len(g.prefix) + len(l.batch[first]))
			if nb > maxA1Blocks {
				w.tryGroup(g, l.batch[first])
				todo &^= 1 << first
				continue
			}
			// The prefix fits: it is shorter than the first candidate's input.
			copy(l.a1msg[:], g.prefix)
			var round uint32
			for i := first; i < n; i++ {
				pw := l.batch[i]
				if todo>>i&1 == 1 && md5x.Blocks(len(g.prefix)+len(pw)) == nb {
					k := len(g.prefix) + copy(l.a1msg[len(g.prefix):], pw)
					md5x.PutPadded(l.a1[:], i, md5x.PadInPlace(l.a1msg[:], k))
					round |= 1 << i
				}
			}
			todo &^= round
			l.ha1.Reset()
			md5Lanes(&l.ha1, l.a1[:nb], nil)
			for _, ti := range g.targets {
				if !a.done[ti].Load() {
					w.checkLanes(ti, round)
				}
			}
		}
	}
}

// open reports whether some target of g has its password unknown.
func (a *Audit) open(g *group) bool {
	for _, i := range g.targets {
		if !a.done[i].Load() {
			return true
		}
	}
	return false
}

// checkLanes finishes target ti's response for the lanes in round, from
// H(username:realm:password) in l.ha1, and records the candidates that
// give it.
func (w *worker) checkLanes(ti int, round uint32) {
	l := w.lanes
	t := w.a.targets[ti]
	lt := &l.targets[ti]
	ha1 := &l.ha1
	if lt.s1 != nil {
		l.hash(&l.sess, ha1, lt.s1)
		ha1 = &l.sess
	}
	l.hash(&l.kd, ha1, lt.kd)
	w.checks += int64(bits.OnesCount32(round))
	hits := l.kd.Match((*[md5x.Size]byte)(t.want[:md5x.Size])) & round
	for hits != 0 {
		i := bits.TrailingZeros32(hits)
		hits &= hits - 1
		if pw := l.batch[i]; l.confirm.Check(t, pw) {
			w.a.record(ti, pw)
		}
	}
}

// hash sets dst to the MD5 of hex(prev) followed by the constant part of
// in, every lane.
func (l *lanes) hash(dst, prev *md5x.State, in []md5x.Words) {
	if l.head != &in[0] {
		l.first[0].Broadcast(&in[0], 8)
		l.head = &in[0]
	}
	l.first[0].PutHex(prev)
	dst.Reset()
	md5Lanes(dst, l.first[:], in[1:])
}

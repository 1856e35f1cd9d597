package digest

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Audit searches for the passwords behind a set of Targets: the few
// guesses of Try on the calling goroutine, or a whole wordlist with
// Wordlist on every core. A target whose password is found is not tried
// again. Methods may not be called concurrently with each other.
type Audit struct {
	targets []*Target
	groups  []group
	done    []atomic.Bool
	left    atomic.Int64
	mu      sync.Mutex
	found   []string
}

// group holds targets that share H(username:realm:password): same hash
// function and same username and realm. Its inner hash is computed once per
// candidate, however many responses the user sent.
type group struct {
	family  Algorithm // MD5, SHA256 or SHA512_256: the function of the inner hash
	prefix  []byte
	targets []int
}

func (a Algorithm) family() Algorithm {
	switch a {
	case MD5Sess:
		return MD5
	case SHA256Sess:
		return SHA256
	case SHA512_256Sess:
		return SHA512_256
	}
	return a
}

// NewAudit returns an audit of targets; indexes in its answers are indexes
// into targets.
func NewAudit(targets []*Target) *Audit {
	a := &Audit{targets: targets, done: make([]atomic.Bool, len(targets)), found: make([]string, len(targets))}
	a.left.Store(int64(len(targets)))
	index := make(map[string]int)
	for i, t := range targets {
		key := t.alg.family().String() + "\x00" + string(t.prefix)
		g, ok := index[key]
		if !ok {
			g = len(a.groups)
			index[key] = g
			a.groups = append(a.groups, group{family: t.alg.family(), prefix: t.prefix})
		}
		a.groups[g].targets = append(a.groups[g].targets, i)
	}
	return a
}

// Found returns the password found for target i, and whether one was.
func (a *Audit) Found(i int) (string, bool) {
	if !a.done[i].Load() {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.found[i], true
}

// Remaining is the number of targets whose password is still unknown.
func (a *Audit) Remaining() int { return int(a.left.Load()) }

func (a *Audit) record(i int, password []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.done[i].Load() {
		return
	}
	a.found[i] = string(password)
	a.done[i].Store(true)
	a.left.Add(-1)
}

// Try checks passwords against the targets whose password is unknown, on
// the calling goroutine, and returns the number of checks made.
func (a *Audit) Try(passwords ...string) int64 {
	w := a.newWorker()
	for _, p := range passwords {
		w.try([]byte(p))
	}
	return w.checks
}

// TryTarget checks passwords against target i only, if its password is
// still unknown, and returns the number of checks made. It is how each
// target gets the guesses derived from its own username.
func (a *Audit) TryTarget(i int, passwords ...string) int64 {
	var c Checker
	var n int64
	t := a.targets[i]
	for _, p := range passwords {
		if a.done[i].Load() {
			break
		}
		n++
		if c.Check(t, []byte(p)) {
			a.record(i, []byte(p))
		}
	}
	return n
}

// worker holds one goroutine's buffers: for each target the KD input laid
// out once, hex(H(A1)) at the front then the target's constant suffix, so
// that a candidate costs two or three hash calls and no copying of the
// constant parts.
type worker struct {
	a       *Audit
	a1      []byte
	kd, s1  [][]byte
	checks  int64
	scratch [maxSize]byte
	lanes   *lanes // the MD5 targets' batch, when on the lane path (lanes.go)
}

func (a *Audit) newWorker() *worker {
	w := &worker{a: a, kd: make([][]byte, len(a.targets)), s1: make([][]byte, len(a.targets))}
	for i, t := range a.targets {
		n := 2 * t.alg.Size()
		w.kd[i] = append(make([]byte, n, n+len(t.suffix)), t.suffix...)
		if t.sess != nil {
			w.s1[i] = append(make([]byte, n, n+len(t.sess)), t.sess...)
		}
	}
	return w
}

// try checks one candidate against every target still open, one target
// after the other: the scalar path.
func (w *worker) try(pw []byte) {
	for gi := range w.a.groups {
		w.tryGroup(&w.a.groups[gi], pw)
	}
}

// tryGroup checks one candidate against the targets of g still open.
func (w *worker) tryGroup(g *group, pw []byte) {
	a := w.a
	n := 0 // size of the inner hash, 0 until computed
	var inner [maxSize]byte
	for _, i := range g.targets {
		if a.done[i].Load() {
			continue
		}
		if n == 0 {
			w.a1 = append(append(w.a1[:0], g.prefix...), pw...)
			n = g.family.sum(&inner, w.a1)
		}
		t := a.targets[i]
		kd := w.kd[i]
		if t.sess != nil {
			s1 := w.s1[i]
			hex.Encode(s1, inner[:n])
			t.alg.sum(&w.scratch, s1)
			hex.Encode(kd, w.scratch[:n])
		} else {
			hex.Encode(kd, inner[:n])
		}
		w.checks++
		if t.match(kd) {
			a.record(i, pw)
		}
	}
}

// lines tries every line of data (without its line end; empty lines are
// skipped) and returns how many it tried. The lines are all checked when
// it returns: data may be reused.
func (w *worker) lines(data []byte) int64 {
	var n int64
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if len(line) == 0 {
			continue
		}
		n++
		w.add(line)
	}
	w.flush()
	return n
}

// chunk is a block of whole lines handed to a worker, with the buffer it
// lives in, which goes back to the free list once checked.
type chunk struct {
	buf, data []byte
}

// Progress is how far a wordlist audit has gone.
type Progress struct {
	Bytes   int64 // wordlist bytes read
	Words   int64 // candidates tried
	Checks  int64 // candidate × response checks made
	Found   int   // targets whose password is known
	Targets int
}

// WordlistOptions tune Audit.Wordlist.
type WordlistOptions struct {
	// Workers is the number of checking goroutines; 0 means
	// runtime.GOMAXPROCS(0), every core.
	Workers int
	// Progress, when set, is called from the reading goroutine after each
	// block of the wordlist is handed out (every few thousand words).
	Progress func(Progress)
}

// WordlistStats says what a wordlist audit did.
type WordlistStats struct {
	Progress
	// LongLines counts lines longer than a read block (256 KiB), skipped:
	// no one types such a password into a phone.
	LongLines int
}

// blockSize is the unit of work handed to a worker: big enough that channel
// traffic is noise next to hashing, small enough that progress moves.
const blockSize = 256 << 10

// Wordlist tries every line of r (without its line end; empty lines are
// skipped) against every target whose password is unknown, on
// opts.Workers goroutines. It stops early when every password is found or
// ctx is done, and returns ctx's error then, or r's read error.
func (a *Audit) Wordlist(ctx context.Context, r io.Reader, opts WordlistOptions) (WordlistStats, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var st WordlistStats
	st.Targets = len(a.targets)
	var words, checks atomic.Int64
	free := make(chan []byte, 2*workers+1)
	for range cap(free) {
		free <- make([]byte, blockSize)
	}
	work := make(chan chunk, 2*workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := a.newWorker()
			w.useLanes()
			for c := range work {
				before := w.checks
				words.Add(w.lines(c.data))
				checks.Add(w.checks - before)
				free <- c.buf
			}
		}()
	}
	progress := func() Progress {
		return Progress{Bytes: st.Bytes, Words: words.Load(), Checks: checks.Load(),
			Found: len(a.targets) - a.Remaining(), Targets: len(a.targets)}
	}
	var err error
	buf := <-free
	fill := 0         // bytes of buf holding unread wordlist
	skipping := false // inside a line longer than a block
	for eof := false; !eof; {
		if err = ctx.Err(); err != nil || a.Remaining() == 0 {
			break
		}
		n, rerr := io.ReadFull(r, buf[fill:])
		st.Bytes += int64(n)
		fill += n
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			eof = true
		default:
			err = rerr
		}
		if err != nil {
			break
		}
		start := 0
		if skipping {
			i := bytes.IndexByte(buf[:fill], '\n')
			if i < 0 {
				fill = 0
				continue
			}
			skipping = false
			start = i + 1
		}
		end := fill
		if !eof {
			end = bytes.LastIndexByte(buf[start:fill], '\n') + 1
			if end == 0 {
				// No line end in a whole block: drop this line.
				st.LongLines++
				skipping = true
				fill = 0
				continue
			}
			end += start
		}
		next := <-free
		fill = copy(next, buf[end:fill])
		work <- chunk{buf: buf, data: buf[start:end]}
		buf = next
		if opts.Progress != nil {
			opts.Progress(progress())
		}
	}
	close(work)
	wg.Wait()
	st.Progress = progress()
	return st, err
}

// Guess is a password derived from a username, with how it was derived.
type Guess struct {
	Password string
	Why      string // "the username", "the username reversed", "empty", ...
}

// Guesses returns the passwords people derive from a username, tried on
// every response even without a wordlist: the name itself and in other
// cases, reversed, doubled, with the usual digits and '!' appended, and the
// empty password of a phone left unconfigured. Duplicates are dropped, the
// first reason kept.
func Guesses(username string) []Guess {
	if username == "" {
		return []Guess{{"", "empty"}}
	}
	runes := []rune(username)
	title := strings.ToUpper(string(runes[:1])) + strings.ToLower(string(runes[1:]))
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		runes[i], runes[j] = runes[j], runes[i]
	}
	const other, digits = "the username in another case", "the username with digits appended"
	cands := []Guess{
		{username, "the username"},
		{strings.ToLower(username), other}, {strings.ToUpper(username), other}, {title, other},
		{string(runes), "the username reversed"},
		{username + username, "the username twice"},
		{username + "1", digits}, {username + "12", digits}, {username + "123", digits}, {username + "1234", digits},
		{username + "!", "the username with '!' appended"},
		{"", "empty"},
	}
	out := cands[:0]
	seen := make(map[string]bool, len(cands))
	for _, c := range cands {
		if !seen[c.Password] {
			seen[c.Password] = true
			out = append(out, c)
		}
	}
	return out
}

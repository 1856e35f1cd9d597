package digest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/decode/sip/digest/internal/md5x"
)

// eachLaneImpl runs f with md5Lanes switched to every md5x implementation
// this machine runs, the portable one included.
func eachLaneImpl(t *testing.T, f func(t *testing.T)) {
	for _, im := range md5x.Impls() {
		t.Run(im.Name, func(t *testing.T) {
			old := md5Lanes
			md5Lanes = im.Hash
			defer func() { md5Lanes = old }()
			f(t)
		})
	}
}

// md5Vectors are the vectors on the lane path: MD5 and MD5-sess, every qop.
func md5Vectors() []vector {
	var vs []vector
	for _, v := range vectors {
		if v.p.Algorithm.family() == MD5 {
			vs = append(vs, v)
		}
	}
	return vs
}

// lanesFind hands a lane worker size candidates, the password at pos and
// fillers elsewhere, and reports whether the password was found.
func lanesFind(t *testing.T, v vector, size, pos int, filler func(i int) string) bool {
	t.Helper()
	a := NewAudit([]*Target{mustTarget(t, v)})
	w := a.newWorker()
	w.useLanes()
	if w.lanes == nil {
		t.Fatal("MD5 target not on the lane path")
	}
	for i := range size {
		pw := filler(i)
		if i == pos {
			pw = v.password
		}
		w.add([]byte(pw))
	}
	w.flush()
	got, ok := a.Found(0)
	if ok && got != v.password {
		t.Errorf("found %q, the password is %q", got, v.password)
	}
	// Every candidate is checked once, until the password is found.
	if w.checks > int64(size) || !ok && w.checks != int64(size) {
		t.Errorf("%d checks for %d candidates, password at %d", w.checks, size, pos)
	}
	return ok
}

// The password is found in every lane of a full batch, of the batch after
// it, and of every short tail batch.
func TestLanesEveryPosition(t *testing.T) {
	filler := func(i int) string { return fmt.Sprint("filler", i) }
	eachLaneImpl(t, func(t *testing.T) {
		for _, v := range md5Vectors() {
			for pos := range 2 * md5x.Lanes {
				if !lanesFind(t, v, 2*md5x.Lanes, pos, filler) {
					t.Errorf("%s: password in lane %d of two full batches not found", v.name, pos)
				}
			}
			for size := 1; size < md5x.Lanes; size++ {
				for pos := range size {
					if !lanesFind(t, v, md5x.Lanes+size, md5x.Lanes+pos, filler) {
						t.Errorf("%s: password in lane %d of a tail of %d not found", v.name, pos, size)
					}
				}
			}
			if lanesFind(t, v, md5x.Lanes+3, -1, filler) {
				t.Errorf("%s: found without its password", v.name)
			}
		}
	})
}

// Batches whose H(A1) inputs span different numbers of blocks, and
// candidates too long for the lanes, among them the password.
func TestLanesMixedLengths(t *testing.T) {
	// Lengths around every block boundary of "alice:sip.example.com:" + pw,
	// up to past the lanes' four blocks.
	lengths := []int{0, 1, 30, 33, 34, 35, 97, 98, 99, 161, 162, 163, 224, 225, 226, 227, 300, 5000}
	filler := func(i int) string { return strings.Repeat("x", lengths[(i*7)%len(lengths)]) }
	base := vectors[5].p // MD5 qop=auth, user alice
	eachLaneImpl(t, func(t *testing.T) {
		for _, alg := range []Algorithm{MD5, MD5Sess} {
			for _, n := range lengths {
				p := base
				p.Algorithm = alg
				pw := strings.Repeat("p", n)
				v := vector{name: fmt.Sprint(alg, " ", n, "-byte password"), p: p, password: pw, response: p.Response(pw)}
				for _, pos := range []int{0, 5, md5x.Lanes - 1, md5x.Lanes + 2} {
					if !lanesFind(t, v, md5x.Lanes+4, pos, filler) {
						t.Errorf("%s in lane %d not found", v.name, pos)
					}
				}
			}
		}
	})
}

// A lane that claims a match is confirmed by the scalar check: with a lane
// hash that says every lane matches, only the password is recorded.
func TestLanesConfirmHits(t *testing.T) {
	v := vectors[1]
	tg := mustTarget(t, v)
	old := md5Lanes
	defer func() { md5Lanes = old }()
	md5Lanes = func(s *md5x.State, blocks []md5x.Block, shared []md5x.Words) {
		old(s, blocks, shared)
		for i := range s {
			for l := range s[i] {
				s[i][l] = uint32(tg.want[4*i]) | uint32(tg.want[4*i+1])<<8 | uint32(tg.want[4*i+2])<<16 | uint32(tg.want[4*i+3])<<24
			}
		}
	}
	a := NewAudit([]*Target{tg})
	w := a.newWorker()
	w.useLanes()
	for _, pw := range []string{"a", "b", "c"} {
		w.add([]byte(pw))
	}
	w.flush()
	if _, ok := a.Found(0); ok {
		t.Fatal("a wrong password recorded on the lanes' word")
	}
	w.add([]byte("d"))
	w.add([]byte(v.password))
	w.flush()
	if got, ok := a.Found(0); !ok || got != v.password {
		t.Errorf("found %q, %v; want %q", got, ok, v.password)
	}
}

// The wordlist finds what the scalar path finds, on every target at once,
// with the passwords at scattered positions.
func TestLanesWordlistEqualsScalar(t *testing.T) {
	var lines []string
	for i := range 5000 {
		lines = append(lines, fmt.Sprintf("w%d%s", i, strings.Repeat("z", i%70)))
	}
	for i, v := range vectors {
		at := (i*617 + 11) % len(lines)
		lines = append(lines[:at], append([]string{v.password}, lines[at:]...)...)
	}
	list := strings.Join(lines, "\n")
	scalar := NewAudit(allTargets(t))
	scalar.Try(lines...)
	want := found(scalar)
	if len(want) != len(vectors) {
		t.Fatalf("scalar path found %d of %d", len(want), len(vectors))
	}
	eachLaneImpl(t, func(t *testing.T) {
		for _, workers := range []int{1, 2} {
			a := NewAudit(allTargets(t))
			st, err := a.Wordlist(context.Background(), strings.NewReader(list), WordlistOptions{Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			if got := found(a); !reflect.DeepEqual(got, want) {
				t.Errorf("%d workers: wordlist found %v, scalar %v", workers, got, want)
			}
			if st.Words != int64(len(lines)) {
				t.Errorf("%d words, want %d", st.Words, len(lines))
			}
		}
	})
}

// The lane path allocates nothing per candidate, for every MD5 target.
func TestLanesDoNotAllocate(t *testing.T) {
	for _, v := range md5Vectors() {
		a := NewAudit([]*Target{mustTarget(t, v)})
		w := a.newWorker()
		w.useLanes()
		pw := []byte("a candidate")
		for range md5x.Lanes {
			w.add(pw)
		}
		if n := testing.AllocsPerRun(10*md5x.Lanes, func() { w.add(pw) }); n != 0 {
			t.Errorf("%s: %v allocations per candidate", v.name, n)
		}
	}
}

// BenchmarkDigestMD5AuthImpls is BenchmarkDigestMD5Auth on each md5x
// implementation.
func BenchmarkDigestMD5AuthImpls(b *testing.B) {
	for _, im := range md5x.Impls() {
		b.Run(im.Name, func(b *testing.B) {
			old := md5Lanes
			md5Lanes = im.Hash
			defer func() { md5Lanes = old }()
			benchCandidates(b, vectors[1])
		})
	}
}

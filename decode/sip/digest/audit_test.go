package digest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func mustTarget(t testing.TB, v vector) *Target {
	t.Helper()
	tg, err := NewTarget(v.p, v.response)
	if err != nil {
		t.Fatalf("%s: NewTarget: %v", v.name, err)
	}
	return tg
}

func TestCheckerEveryVector(t *testing.T) {
	var c Checker
	for _, v := range vectors {
		tg := mustTarget(t, v)
		if !c.Check(tg, []byte(v.password)) {
			t.Errorf("%s: Check(right password) = false", v.name)
		}
		for _, wrong := range []string{"", v.password[:len(v.password)-1], v.password + " ", strings.ToUpper(v.password)} {
			if wrong != v.password && c.Check(tg, []byte(wrong)) {
				t.Errorf("%s: Check(%q) = true", v.name, wrong)
			}
		}
		// Upper-case hex in the header is the same response.
		up, err := NewTarget(v.p, strings.ToUpper(v.response))
		if err != nil || !c.Check(up, []byte(v.password)) {
			t.Errorf("%s: upper-case response not accepted: %v", v.name, err)
		}
		if tg.Algorithm() != v.p.Algorithm {
			t.Errorf("%s: Algorithm() = %v", v.name, tg.Algorithm())
		}
	}
}

func TestNewTargetErrors(t *testing.T) {
	p := vectors[0].p
	tests := []struct {
		mod  func(p *Params)
		resp string
		err  string
	}{
		{func(p *Params) { p.Algorithm = Unknown }, vectors[0].response, "digest: malformed: cannot check algorithm unknown"},
		{func(p *Params) { p.QOP = "auth-conf" }, vectors[0].response, `digest: malformed: unknown qop "auth-conf"`},
		{func(p *Params) {}, "", "digest: malformed: response is 0 characters, MD5 needs 32 hex digits"},
		{func(p *Params) { p.Algorithm = SHA256 }, vectors[0].response, "digest: malformed: response is 32 characters, SHA-256 needs 64 hex digits"},
		{func(p *Params) {}, strings.Repeat("g", 32), "digest: malformed: response is not hex: encoding/hex: invalid byte: U+0067 'g'"},
	}
	for i, tt := range tests {
		q := p
		tt.mod(&q)
		_, err := NewTarget(q, tt.resp)
		if err == nil || err.Error() != tt.err || !errors.Is(err, ErrMalformed) {
			t.Errorf("%d: NewTarget error = %v, want %s", i, err, tt.err)
		}
	}
}

// Checking a candidate allocates nothing once the buffers have grown: the
// issue's "no allocation per candidate", for every algorithm.
func TestCheckerDoesNotAllocate(t *testing.T) {
	for _, v := range vectors {
		tg := mustTarget(t, v)
		var c Checker
		pw := []byte("a candidate")
		c.Check(tg, pw)
		if n := testing.AllocsPerRun(100, func() { c.Check(tg, pw) }); n != 0 {
			t.Errorf("%s: %v allocations per Check", v.name, n)
		}
		a := NewAudit([]*Target{tg})
		w := a.newWorker()
		if n := testing.AllocsPerRun(100, func() { w.try(pw) }); n != 0 {
			t.Errorf("%s: %v allocations per audit candidate", v.name, n)
		}
	}
}

func allTargets(t testing.TB) []*Target {
	var ts []*Target
	for _, v := range vectors {
		ts = append(ts, mustTarget(t, v))
	}
	return ts
}

func found(a *Audit) map[int]string {
	out := make(map[int]string)
	for i := range a.targets {
		if p, ok := a.Found(i); ok {
			out[i] = p
		}
	}
	return out
}

func TestAuditTry(t *testing.T) {
	a := NewAudit(allTargets(t))
	// 22 targets; "s3cret!" fits the 18 second-opinion vectors, which share
	// one user and realm but three hash functions: 4 + 3 groups.
	if len(a.groups) != 7 {
		t.Errorf("%d groups, want 7", len(a.groups))
	}
	n := a.Try("nope", "s3cret!")
	if n != 2*int64(len(vectors)) {
		t.Errorf("Try made %d checks, want %d", n, 2*len(vectors))
	}
	if got, want := a.Remaining(), 4; got != want {
		t.Errorf("Remaining = %d, want %d", got, want)
	}
	// Found targets are not tried again.
	if n := a.Try("Circle Of Life"); n != 4 {
		t.Errorf("second Try made %d checks, want 4", n)
	}
	if p, ok := a.Found(0); !ok || p != "Circle Of Life" {
		t.Errorf("Found(0) = %q, %v", p, ok)
	}
	if n := a.TryTarget(3, "1010", "1011", "1012"); n != 2 {
		t.Errorf("TryTarget made %d checks, want 2 (stops at the match)", n)
	}
	if p, _ := a.Found(3); p != "1011" {
		t.Errorf("seed password = %q", p)
	}
	if n := a.TryTarget(3, "x"); n != 0 {
		t.Errorf("TryTarget on a found target made %d checks", n)
	}
	if _, ok := a.Found(1); ok {
		t.Error("RFC 7616 MD5 found without its password")
	}
}

// wordlist builds a wordlist of n filler words of 40 bytes with extra lines
// spliced in at given positions.
func wordlist(n int, extra map[int]string) string {
	var b strings.Builder
	for i := range n {
		if e, ok := extra[i]; ok {
			b.WriteString(e)
		}
		fmt.Fprintf(&b, "filler-%08d-to-span-several-blocks\n", i)
	}
	return b.String()
}

func TestAuditWordlist(t *testing.T) {
	// 20000 lines of 40 bytes: several blocks.
	list := wordlist(20000, map[int]string{
		10:    "Circle Of Life\r\n", // CRLF line ends are stripped
		10000: "\n\nCircle of Life\n",
		19999: "1011\n",
	}) + "s3cret!" // last line without a line end
	want := map[int]string{0: "Circle Of Life", 1: "Circle of Life", 2: "Circle of Life", 3: "1011"}
	for i := 4; i < len(vectors); i++ {
		want[i] = "s3cret!"
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			a := NewAudit(allTargets(t))
			var calls int
			st, err := a.Wordlist(context.Background(), iotest.HalfReader(strings.NewReader(list)), WordlistOptions{
				Workers:  workers,
				Progress: func(Progress) { calls++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := found(a); !reflect.DeepEqual(got, want) {
				t.Errorf("found %v, want %v", got, want)
			}
			if st.Words != 20004 || st.Bytes != int64(len(list)) || st.Found != len(vectors) || st.Targets != len(vectors) {
				t.Errorf("stats %+v", st)
			}
			if st.Checks < st.Words || st.Checks > st.Words*int64(len(vectors)) {
				t.Errorf("checks %d for %d words", st.Checks, st.Words)
			}
			if calls == 0 {
				t.Error("Progress never called")
			}
		})
	}
}

// A line longer than a block is skipped and counted, and the lines after
// it are still tried.
func TestAuditWordlistLongLine(t *testing.T) {
	list := "a\n" + strings.Repeat("x", 3*blockSize) + "\nb\n" + strings.Repeat("y", blockSize-1) + "\n1011\n"
	a := NewAudit([]*Target{mustTarget(t, vectors[3])})
	st, err := a.Wordlist(context.Background(), strings.NewReader(list), WordlistOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := a.Found(0); !ok || p != "1011" {
		t.Errorf("Found = %q, %v", p, ok)
	}
	if st.LongLines != 1 || st.Words != 4 {
		t.Errorf("LongLines %d, Words %d; want 1, 4", st.LongLines, st.Words)
	}
}

// The audit stops reading once every password is found.
func TestAuditWordlistStopsWhenAllFound(t *testing.T) {
	list := "1011\n" + wordlist(500000, nil)
	a := NewAudit([]*Target{mustTarget(t, vectors[3])})
	st, err := a.Wordlist(context.Background(), strings.NewReader(list), WordlistOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	// At most the blocks in flight when the first was done were read.
	if st.Bytes >= int64(len(list)) {
		t.Errorf("read all %d bytes after the only password was found", st.Bytes)
	}
}

func TestAuditWordlistErrors(t *testing.T) {
	a := NewAudit([]*Target{mustTarget(t, vectors[3])})
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(wordlist(1000, nil)), iotest.ErrReader(boom))
	if _, err := a.Wordlist(context.Background(), r, WordlistOptions{}); !errors.Is(err, boom) {
		t.Errorf("read error: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := a.Wordlist(ctx, strings.NewReader("1011\n"), WordlistOptions{})
	if !errors.Is(err, context.Canceled) || st.Words != 0 {
		t.Errorf("cancelled: err %v, words %d", err, st.Words)
	}
	if _, ok := a.Found(0); ok {
		t.Error("found a password after cancellation")
	}
}

func TestGuesses(t *testing.T) {
	tests := []struct {
		user string
		want []string
	}{
		{"1011", []string{"1011", "1101", "10111011", "10111", "101112", "1011123", "10111234", "1011!", ""}},
		{"Alice", []string{"Alice", "alice", "ALICE", "ecilA", "AliceAlice", "Alice1", "Alice12", "Alice123", "Alice1234", "Alice!", ""}},
		{"élan", []string{"élan", "ÉLAN", "Élan", "nalé", "élanélan", "élan1", "élan12", "élan123", "élan1234", "élan!", ""}},
		{"", []string{""}},
	}
	for _, tt := range tests {
		var got []string
		for _, g := range Guesses(tt.user) {
			got = append(got, g.Password)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Guesses(%q) =\n %q, want\n %q", tt.user, got, tt.want)
		}
	}
	why := map[string]string{}
	for _, g := range Guesses("Alice") {
		why[g.Password] = g.Why
	}
	for pw, want := range map[string]string{"Alice": "the username", "alice": "the username in another case",
		"ecilA": "the username reversed", "Alice123": "the username with digits appended", "": "empty"} {
		if why[pw] != want {
			t.Errorf("Guesses(Alice): %q is %q, want %q", pw, why[pw], want)
		}
	}
}

package digest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// benchWords are distinct candidates, none of them the password, so that
// every iteration does the full work of a miss.
var benchWords = func() [][]byte {
	ws := make([][]byte, 4096)
	for i := range ws {
		ws[i] = fmt.Appendf(nil, "pass%06d", i)
	}
	return ws
}()

// benchCandidates is one core checking candidates against v's response as
// the wordlist does: one op is one candidate handed to the worker, which
// batches MD5 targets' candidates for the lane path.
func benchCandidates(b *testing.B, v vector) {
	benchWorker(b, v, true)
}

// benchScalar is the same one candidate at a time, one hash call after
// the other: the path of Try, and of the wordlist before the lanes.
func benchScalar(b *testing.B, v vector) {
	benchWorker(b, v, false)
}

func benchWorker(b *testing.B, v vector, batched bool) {
	tg := mustTarget(b, v)
	a := NewAudit([]*Target{tg})
	w := a.newWorker()
	check := w.try
	if batched {
		w.useLanes()
		check = w.add
	}
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		check(benchWords[n&(len(benchWords)-1)])
		n++
	}
	w.flush()
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "candidates/s")
	if int(w.checks) != n || a.Remaining() != 1 {
		b.Fatalf("%d checks for %d candidates", w.checks, n)
	}
}

// BenchmarkDigestMD5Auth is one core checking candidates against an MD5
// qop=auth response (RFC 7616 §3.9.1's: 44-character nonce and cnonce, so
// KD's input spans three MD5 blocks and H(A1)'s one: four blocks a candidate).
func BenchmarkDigestMD5Auth(b *testing.B) { benchCandidates(b, vectors[1]) }

// BenchmarkDigestMD5AuthScalar is the same without the lanes: crypto/md5,
// one candidate at a time.
func BenchmarkDigestMD5AuthScalar(b *testing.B) { benchScalar(b, vectors[1]) }

// BenchmarkDigestMD5Seed is the same on the seed's REGISTER (UUID nonce).
func BenchmarkDigestMD5Seed(b *testing.B) { benchCandidates(b, vectors[3]) }

// BenchmarkDigestMD5NoQOP is RFC 2069 with an 8-digit nonce, as Asterisk
// sends: KD fits in two blocks.
func BenchmarkDigestMD5NoQOP(b *testing.B) {
	benchCandidates(b, vector{name: "asterisk", p: Params{Algorithm: MD5, Username: "telephone1", Realm: "asterisk",
		Nonce: "54bd660f", Method: "REGISTER", URI: "sip:172.16.98.101;transport=UDP"},
		response: "9d8d8d88f4fbf069f90ebba0f6aa1cb8"})
}

func BenchmarkDigestSHA256Auth(b *testing.B) { benchCandidates(b, vectors[2]) }

func BenchmarkDigestSHA512_256SessAuthInt(b *testing.B) {
	for _, v := range vectors {
		if v.p.Algorithm == SHA512_256Sess && v.p.QOP == QOPAuthInt {
			benchCandidates(b, v)
			return
		}
	}
	b.Fatal("no vector")
}

// BenchmarkAuditWordlist runs the whole wordlist path (reading, splitting,
// workers on every core) on an MD5 qop=auth target; candidates/s is the sum
// over runtime.GOMAXPROCS workers.
func BenchmarkAuditWordlist(b *testing.B) {
	var sb strings.Builder
	for _, w := range benchWords {
		sb.Write(w)
		sb.WriteByte('\n')
	}
	block := sb.String()
	list := strings.Repeat(block, 64) // 262144 words
	tg := mustTarget(b, vectors[1])
	b.ReportAllocs()
	b.SetBytes(int64(len(list)))
	var words int64
	start := time.Now()
	for b.Loop() {
		a := NewAudit([]*Target{tg})
		st, err := a.Wordlist(context.Background(), strings.NewReader(list), WordlistOptions{})
		if err != nil {
			b.Fatal(err)
		}
		words += st.Words
	}
	b.ReportMetric(float64(words)/time.Since(start).Seconds(), "candidates/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "workers")
}

func BenchmarkResponse(b *testing.B) {
	v := vectors[1]
	b.ReportAllocs()
	for b.Loop() {
		if v.p.Response(v.password) != v.response {
			b.Fatal("wrong")
		}
	}
}

package digest

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
)

// Target is one captured digest response to test passwords against, with
// everything that does not depend on the password computed once: H(A2), the
// constant tail of the response's input and the response decoded to bytes.
// A Target is immutable and may be shared by goroutines; each goroutine
// checks passwords with its own Checker.
type Target struct {
	alg    Algorithm
	prefix []byte // "username:realm:", the password follows
	sess   []byte // ":nonce:cnonce" for the -sess algorithms, nil otherwise
	suffix []byte // ":nonce:nc:cnonce:qop:H(A2)", or ":nonce:H(A2)" without a qop
	want   [maxSize]byte
}

// NewTarget prepares response (hex, any case) for checking. It fails when
// the algorithm is Unknown, the qop is not one of the three, or the
// response is not a hex digest of the algorithm's size.
func NewTarget(p Params, response string) (*Target, error) {
	size := p.Algorithm.Size()
	if size == 0 {
		return nil, fmt.Errorf("%w: cannot check algorithm %s", ErrMalformed, p.Algorithm)
	}
	if p.QOP != QOPNone && p.QOP != QOPAuth && p.QOP != QOPAuthInt {
		return nil, fmt.Errorf("%w: unknown qop %q", ErrMalformed, p.QOP)
	}
	t := &Target{alg: p.Algorithm}
	if len(response) != 2*size {
		return nil, fmt.Errorf("%w: response is %d characters, %s needs %d hex digits", ErrMalformed, len(response), p.Algorithm, 2*size)
	}
	if _, err := hex.Decode(t.want[:], []byte(response)); err != nil {
		return nil, fmt.Errorf("%w: response is not hex: %v", ErrMalformed, err)
	}
	t.prefix = []byte(p.Username + ":" + p.Realm + ":")
	if p.Algorithm.Session() {
		t.sess = []byte(":" + p.Nonce + ":" + p.CNonce)
	}
	if p.QOP == QOPNone {
		t.suffix = []byte(":" + p.Nonce + ":" + p.HA2())
	} else {
		t.suffix = []byte(":" + p.Nonce + ":" + p.NC + ":" + p.CNonce + ":" + p.QOP + ":" + p.HA2())
	}
	return t, nil
}

// Algorithm returns the target's algorithm.
func (t *Target) Algorithm() Algorithm { return t.alg }

// Checker tests passwords against Targets without allocating once its
// buffers have grown to fit. It is not safe for concurrent use: give each
// goroutine its own. The zero value is ready.
type Checker struct {
	a1  []byte // prefix + password
	s1  []byte // hex(H(prefix+password)) + sess
	kd  []byte // hex(H(A1)) + suffix
	ha1 [2 * maxSize]byte
}

// Check reports whether password gives the target's response.
func (c *Checker) Check(t *Target, password []byte) bool {
	n := c.inner(t, password)
	c.kd = append(append(c.kd[:0], c.ha1[:n]...), t.suffix...)
	return t.match(c.kd)
}

// inner computes hex(H(A1)) into c.ha1 and returns its length.
func (c *Checker) inner(t *Target, password []byte) int {
	c.a1 = append(append(c.a1[:0], t.prefix...), password...)
	var sum [maxSize]byte
	n := t.alg.sum(&sum, c.a1)
	hex.Encode(c.ha1[:], sum[:n])
	if t.sess != nil {
		c.s1 = append(append(c.s1[:0], c.ha1[:2*n]...), t.sess...)
		t.alg.sum(&sum, c.s1)
		hex.Encode(c.ha1[:], sum[:n])
	}
	return 2 * n
}

// match reports whether KD(H(A1), ...) over kd is the target's response.
func (t *Target) match(kd []byte) bool {
	if t.alg == MD5 || t.alg == MD5Sess {
		// The common case stays on md5.Sum and an array compare.
		return md5.Sum(kd) == [md5.Size]byte(t.want[:md5.Size])
	}
	var sum [maxSize]byte
	n := t.alg.sum(&sum, kd)
	return bytes.Equal(sum[:n], t.want[:n])
}

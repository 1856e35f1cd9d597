// Package digest is the arithmetic of SIP digest authentication (RFC 3261
// §22.4, which borrows HTTP's digest scheme: RFC 2069, RFC 2617, RFC 7616 and
// RFC 8760): the response a client computes from a password, the challenge
// and credentials parameters it is computed from, and a fast password
// checker for auditing captured responses against a wordlist.
//
// It is pure computation: no state between calls, no I/O but the wordlist
// reader given to an Audit, and it never knows about transactions or calls.
// Which challenge a response answers is the caller's business.
package digest

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"strings"
)

// ErrMalformed is wrapped by every error about bad challenge or credentials
// parameters.
var ErrMalformed = errors.New("digest: malformed")

// Algorithm is a digest algorithm (RFC 7616 §6.1, RFC 8760).
type Algorithm uint8

// Algorithms. The zero value is Unknown: a name sipscope cannot verify
// (AKAv1-MD5, a typo, ...).
const (
	Unknown Algorithm = iota
	MD5
	MD5Sess
	SHA256
	SHA256Sess
	SHA512_256
	SHA512_256Sess
)

var algorithmNames = [...]string{"unknown", "MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"}

// ParseAlgorithm reads an algorithm parameter, case-insensitively. An absent
// parameter ("") means MD5, as RFC 2617 §3.2.1 says.
func ParseAlgorithm(s string) Algorithm {
	if s == "" {
		return MD5
	}
	for i := MD5; int(i) < len(algorithmNames); i++ {
		if strings.EqualFold(s, algorithmNames[i]) {
			return i
		}
	}
	return Unknown
}

// String returns the algorithm's name as RFC 7616 spells it.
func (a Algorithm) String() string {
	if int(a) < len(algorithmNames) {
		return algorithmNames[a]
	}
	return algorithmNames[Unknown]
}

// Session reports whether the algorithm is a "-sess" variant, whose H(A1)
// folds in the nonce and cnonce.
func (a Algorithm) Session() bool {
	return a == MD5Sess || a == SHA256Sess || a == SHA512_256Sess
}

// Size is the length of the algorithm's hash in bytes (16 for MD5, 32 for
// the others), 0 for Unknown. A response is twice as many hex digits.
func (a Algorithm) Size() int {
	switch a {
	case MD5, MD5Sess:
		return md5.Size
	case SHA256, SHA256Sess:
		return sha256.Size
	case SHA512_256, SHA512_256Sess:
		return sha512.Size256
	}
	return 0
}

// sum hashes data into dst and returns the hash length; no allocation.
func (a Algorithm) sum(dst *[maxSize]byte, data []byte) int {
	switch a {
	case MD5, MD5Sess:
		s := md5.Sum(data)
		return copy(dst[:], s[:])
	case SHA256, SHA256Sess:
		s := sha256.Sum256(data)
		return copy(dst[:], s[:])
	case SHA512_256, SHA512_256Sess:
		s := sha512.Sum512_256(data)
		return copy(dst[:], s[:])
	}
	return 0
}

// maxSize is the largest hash size of any algorithm.
const maxSize = 32

// Hex returns the lower-case hex digest of the parts joined by ':', the
// H(...) and KD(...) of RFC 7616 §3.4.1; "" for Unknown.
func (a Algorithm) Hex(parts ...string) string {
	if a.Size() == 0 {
		return ""
	}
	return a.hexBytes([]byte(strings.Join(parts, ":")))
}

func (a Algorithm) hexBytes(data []byte) string {
	var s [maxSize]byte
	n := a.sum(&s, data)
	return hex.EncodeToString(s[:n])
}

// Quality of protection values (RFC 7616 §3.3). No qop at all is RFC 2069's
// original scheme, kept by RFC 2617 for compatibility.
const (
	QOPNone    = ""
	QOPAuth    = "auth"
	QOPAuthInt = "auth-int"
)

// Params is everything a digest response depends on, except the password.
type Params struct {
	Algorithm Algorithm
	// Username is the name hashed into A1: the user's real name, also when
	// the credentials carry a userhash (RFC 7616 §3.4.4) instead.
	Username string
	Realm    string
	Nonce    string
	CNonce   string // client nonce; needed with a qop and by the -sess algorithms
	NC       string // nonce count as sent, 8 hex digits; needed with a qop
	QOP      string // QOPNone, QOPAuth or QOPAuthInt
	Method   string // the method of the request that carried the credentials
	URI      string // the digest-uri parameter, as sent
	Body     []byte // the request's body, hashed into A2 for auth-int
}

// HA1 returns H(A1) for password (RFC 7616 §3.4.2): H(username:realm:password),
// then for the -sess variants H(that:nonce:cnonce). The inner hash stays in
// hex, as RFC 7616 writes it (RFC 2617's sample code used raw bytes there).
func (p *Params) HA1(password string) string {
	ha1 := p.Algorithm.Hex(p.Username, p.Realm, password)
	if p.Algorithm.Session() {
		ha1 = p.Algorithm.Hex(ha1, p.Nonce, p.CNonce)
	}
	return ha1
}

// HA2 returns H(A2) (RFC 7616 §3.4.3): H(method:uri), or for auth-int
// H(method:uri:H(body)).
func (p *Params) HA2() string {
	if p.QOP == QOPAuthInt {
		return p.Algorithm.Hex(p.Method, p.URI, p.Algorithm.hexBytes(p.Body))
	}
	return p.Algorithm.Hex(p.Method, p.URI)
}

// Response returns the request-digest a client knowing password sends:
// KD(H(A1), nonce:nc:cnonce:qop:H(A2)) with a qop, KD(H(A1), nonce:H(A2))
// without one (RFC 2069). It is "" for an Unknown algorithm.
func (p *Params) Response(password string) string {
	if p.Algorithm.Size() == 0 {
		return ""
	}
	return p.response(p.HA1(password))
}

func (p *Params) response(ha1 string) string {
	if p.QOP == QOPNone {
		return p.Algorithm.Hex(ha1, p.Nonce, p.HA2())
	}
	return p.Algorithm.Hex(ha1, p.Nonce, p.NC, p.CNonce, p.QOP, p.HA2())
}

// Verify reports whether response (hex, any case) is what a client knowing
// password sends. It takes no shortcut on timing: it is for auditing
// captures, not for guarding a server.
func (p *Params) Verify(password, response string) bool {
	want := p.Response(password)
	return want != "" && strings.EqualFold(want, response)
}

// UserHash returns the userhash a client sends instead of its name when the
// server asks for one (RFC 7616 §3.4.4): H(username:realm).
func UserHash(a Algorithm, username, realm string) string {
	return a.Hex(username, realm)
}

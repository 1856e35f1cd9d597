// Package auth answers "is the phone sending the right password?" from a
// capture alone: it extracts every digest challenge (401/407) and every
// response to one (Authorization, Proxy-Authorization), pairs each response
// with the challenge it answers, and verifies it against the passwords it
// is given, the username's obvious variants and, when asked, a wordlist.
//
// It reads the correlated model and never re-parses packets beyond the
// typed header access decode/sip gives; it never imports the diagnose
// package (whose auth.* rules read its Result) nor the report stage.
package auth

import (
	"cmp"
	"context"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode/sip/digest"
)

// Statuses of a Credential.
const (
	// StatusValid: a password given by the user fits the response.
	StatusValid = "valid"
	// StatusInvalid: a password is known for the user (given, or recovered
	// from another of its responses) and none fits: the client sent a wrong one.
	StatusInvalid = "invalid"
	// StatusRecovered: no given password fits, but a guess (the username or
	// a variant of it) or a wordlist word does.
	StatusRecovered = "recovered"
	// StatusUnverified: no password is known for the user.
	StatusUnverified = "unverified"
	// StatusMalformed: the credentials lack a field, carry a digest uri that
	// is not the Request-URI, an unknown algorithm, or do not match their
	// challenge. Reason says which, and whether a password fits anyway.
	StatusMalformed = "malformed"
)

// Where a fitting password came from.
const (
	SourceGiven    = "given"
	SourceGuess    = "username"
	SourceWordlist = "wordlist"
)

// Options say which passwords to try.
type Options struct {
	// Passwords are the passwords the user knows, tried first.
	Passwords []Password
	// Wordlist, when set, is read once, one candidate a line, and every
	// line is tried against every response. Without it only the guesses
	// derived from each username are tried, which is cheap.
	Wordlist io.Reader
	// Workers is the number of goroutines of the wordlist audit; 0 means
	// every core.
	Workers int
	// Progress, when set, is called during the wordlist audit.
	Progress func(digest.Progress)
}

// Challenge is one digest challenge of a 401 or 407 response.
type Challenge struct {
	Frame    int
	File     int
	Time     time.Time
	CallID   string
	Src, Dst netip.AddrPort
	Code     int    // 401 or 407
	Header   string // WWW-Authenticate or Proxy-Authenticate
	Method   string // the CSeq method of the challenged request
	digest.Challenge
	// Problems lists what is wrong with it (missing nonce, unknown algorithm).
	Problems []string
	// Answers are the credentials that answer it, in capture order.
	Answers []*Credential

	txn *correlate.Transaction
}

// Credential is one digest response sent in a request.
type Credential struct {
	Frame      int
	File       int
	Time       time.Time
	CallID     string
	Src, Dst   netip.AddrPort
	Method     string // of the request that carried it
	RequestURI string
	Header     string // Authorization or Proxy-Authorization
	digest.Credentials
	// Name is the user the response was computed for: Username, or the
	// name whose hash Username is when the client sent a userhash ("" when
	// none of the known users matches).
	Name string

	Status string
	// Reason says in a sentence why the status is what it is.
	Reason string
	// Problems lists what makes the credentials malformed.
	Problems []string

	// Challenge is the challenge answered (same realm and nonce, the last
	// one before it), nil when the capture holds none.
	Challenge *Challenge
	// ResponseCode is the final response the server gave to the request,
	// 0 when none was captured; ResponseFrame is its frame.
	ResponseCode  int
	ResponseFrame int

	// Password is the password that fits, "" when none does (or when it is
	// the empty password: see Fits). Show it only when the user asks.
	Password string
	// Fits says a password fits (Password may be empty).
	Fits bool
	// Source says where the fitting password came from: SourceGiven,
	// SourceGuess or SourceWordlist.
	Source string
	// Weak says why the fitting password is weak ("the username", "the
	// username reversed", "empty", "in the wordlist"), "" when it is not
	// known to be.
	Weak string

	msg    *correlate.Message
	target int // index in the audit, -1 when not checkable
}

// Result is what Analyze found.
type Result struct {
	Challenges  []*Challenge  // in capture order
	Credentials []*Credential // in capture order
	// Checks counts the candidate × response checks made.
	Checks int64
	// Wordlist describes the wordlist audit, nil when there was none.
	Wordlist *digest.WordlistStats
	// Skipped counts credentials not listed: those in ACK and CANCEL, which
	// copy the INVITE's (RFC 3261 §13.2.2.4, §9.1) and are no new answer.
	Skipped int
}

// Analyze extracts, pairs and verifies every digest exchange of the model.
// It fails only when the wordlist cannot be read or ctx ends during its
// audit; what was found by then is returned with the error.
func Analyze(ctx context.Context, m *correlate.Model, opts Options) (*Result, error) {
	res := &Result{}
	for _, msg := range capturedOrder(m) {
		if msg.IsRequest {
			res.addCredentials(msg)
		} else {
			res.addChallenges(msg)
		}
	}
	res.pair()
	err := res.verify(ctx, opts)
	return res, err
}

// capturedOrder returns every message with a digest header, first
// transmissions only, in capture order.
func capturedOrder(m *correlate.Model) []*correlate.Message {
	var out []*correlate.Message
	for _, c := range m.Calls {
		for _, msg := range c.Messages {
			if msg.Retransmission {
				continue
			}
			if msg.IsRequest && (hasHeader(msg, "Authorization") || hasHeader(msg, "Proxy-Authorization")) ||
				!msg.IsRequest && (msg.StatusCode == 401 || msg.StatusCode == 407) {
				out = append(out, msg)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *correlate.Message) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Frame, b.Frame)
	})
	return out
}

func hasHeader(m *correlate.Message, key string) bool {
	_, ok := m.Header(key)
	return ok
}

func (r *Result) addChallenges(m *correlate.Message) {
	key := "WWW-Authenticate"
	if m.StatusCode == 407 {
		key = "Proxy-Authenticate"
	}
	for _, a := range m.Auth(key) {
		if !strings.EqualFold(a.Scheme, "Digest") {
			continue
		}
		dc, err := digest.ParseChallenge(a)
		ch := &Challenge{
			Frame: m.Frame, File: m.File, Time: m.Time, CallID: m.CallID, Src: m.Src, Dst: m.Dst,
			Code: m.StatusCode, Header: key, Method: m.CSeq.Method, Challenge: dc,
			Problems: problemsOf(err), txn: m.Transaction,
		}
		r.Challenges = append(r.Challenges, ch)
	}
}

func (r *Result) addCredentials(m *correlate.Message) {
	if m.Method == "ACK" || m.Method == "CANCEL" {
		r.Skipped++
		return
	}
	for _, key := range []string{"Authorization", "Proxy-Authorization"} {
		for _, a := range m.Auth(key) {
			if !strings.EqualFold(a.Scheme, "Digest") {
				continue
			}
			dc, err := digest.ParseCredentials(a)
			c := &Credential{
				Frame: m.Frame, File: m.File, Time: m.Time, CallID: m.CallID, Src: m.Src, Dst: m.Dst,
				Method: m.Method, RequestURI: m.RequestURI, Header: key, Credentials: dc,
				Problems: problemsOf(err), msg: m, target: -1,
			}
			if dc.URI != "" && m.RequestURI != "" && !SameURI(dc.URI, m.RequestURI) {
				c.Problems = append(c.Problems, "digest uri "+quote(dc.URI)+" is not the Request-URI "+quote(m.RequestURI))
			}
			if t := m.Transaction; t != nil && t.Final != nil {
				c.ResponseCode, c.ResponseFrame = t.Final.StatusCode, t.Final.Frame
			}
			r.Credentials = append(r.Credentials, c)
		}
	}
}

func problemsOf(err error) []string {
	if me, ok := err.(*digest.MalformedError); ok {
		return append([]string(nil), me.Problems...)
	}
	if err != nil {
		return []string{err.Error()}
	}
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// pair links each credential to the challenge it answers: the last one
// before it, in any call, with the same realm and nonce, preferring one of
// the same algorithm when a response offered several. A client may reuse
// a nonce in later requests and other Call-IDs (RFC 3261 §22.3).
func (r *Result) pair() {
	type key struct{ realm, nonce string }
	seen := make(map[key][]*Challenge)
	ci := 0
	for _, c := range r.Credentials {
		for ; ci < len(r.Challenges) && before(r.Challenges[ci], c); ci++ {
			ch := r.Challenges[ci]
			if ch.Nonce != "" {
				k := key{ch.Realm, ch.Nonce}
				seen[k] = append(seen[k], ch)
			}
		}
		cands := seen[key{c.Realm, c.Nonce}]
		if c.Nonce == "" || len(cands) == 0 {
			continue
		}
		ch := cands[len(cands)-1]
		alg := digest.ParseAlgorithm(c.Algorithm)
		for i := len(cands) - 1; i >= 0; i-- {
			if digest.ParseAlgorithm(cands[i].Algorithm) == alg {
				ch = cands[i]
				break
			}
		}
		c.Challenge = ch
		ch.Answers = append(ch.Answers, c)
		c.Problems = append(c.Problems, mismatches(c, ch)...)
	}
}

// before reports whether the challenge was captured before the credential.
func before(ch *Challenge, c *Credential) bool {
	if !ch.Time.Equal(c.Time) {
		return ch.Time.Before(c.Time)
	}
	if ch.File != c.File {
		return ch.File < c.File
	}
	return ch.Frame < c.Frame
}

// mismatches lists how credentials disagree with the challenge they answer.
func mismatches(c *Credential, ch *Challenge) []string {
	var out []string
	if ca, ha := digest.ParseAlgorithm(c.Algorithm), digest.ParseAlgorithm(ch.Algorithm); ca != digest.Unknown && ca != ha {
		out = append(out, "algorithm "+ca.String()+" but the challenge in frame "+itoa(ch.Frame)+" asked for "+ha.String())
	}
	// No qop when one is offered is RFC 2069 compatibility, allowed by RFC
	// 2617 (auth.weak-algorithm reports it); a qop never offered is not.
	if c.QOP != digest.QOPNone && (c.QOP == digest.QOPAuth || c.QOP == digest.QOPAuthInt) && !ch.Offers(c.QOP) {
		out = append(out, "qop "+c.QOP+" was not offered by the challenge in frame "+itoa(ch.Frame))
	}
	if ch.Opaque != "" && c.Opaque != ch.Opaque {
		out = append(out, "opaque differs from the challenge's in frame "+itoa(ch.Frame))
	}
	wantHeader := "Authorization"
	if ch.Header == "Proxy-Authenticate" {
		wantHeader = "Proxy-Authorization"
	}
	if c.Header != wantHeader {
		out = append(out, c.Header+" answers a "+ch.Header+" challenge (frame "+itoa(ch.Frame)+"): "+wantHeader+" expected")
	}
	return out
}

package digest

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/sipscope/sipscope/decode/sip"
)

// MalformedError lists every problem found in one challenge or credentials
// value, so that a report can say all of them at once.
type MalformedError struct {
	Problems []string
}

// Error lists the problems, separated by semicolons.
func (e *MalformedError) Error() string {
	return "digest: malformed: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

func problems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	return &MalformedError{Problems: p}
}

// Challenge is a digest challenge from a WWW-Authenticate (401) or
// Proxy-Authenticate (407) header.
type Challenge struct {
	Realm     string
	Nonce     string
	Opaque    string
	Domain    string
	Algorithm string   // as sent; "" when absent, which means MD5
	QOP       []string // the qop options offered, lower-cased, in order; nil for none (RFC 2069)
	Stale     bool     // the previous nonce was stale, not the password wrong
	Userhash  bool     // the server accepts a hashed username (RFC 7616)
}

// ParseChallenge reads a digest challenge. On error the Challenge holds
// what could be read and the error, a *MalformedError, lists each problem.
func ParseChallenge(a sip.Auth) (Challenge, error) {
	var c Challenge
	var bad []string
	if !strings.EqualFold(a.Scheme, "Digest") {
		return c, problems([]string{fmt.Sprintf("scheme %q is not Digest", a.Scheme)})
	}
	p := a.Params
	var ok bool
	if c.Realm, ok = p["realm"]; !ok {
		bad = append(bad, "missing realm")
	}
	if c.Nonce, ok = p["nonce"]; !ok || c.Nonce == "" {
		bad = append(bad, "missing nonce")
	}
	c.Opaque, c.Domain, c.Algorithm = p["opaque"], p["domain"], p["algorithm"]
	if ParseAlgorithm(c.Algorithm) == Unknown {
		bad = append(bad, fmt.Sprintf("unknown algorithm %q", c.Algorithm))
	}
	if q, has := p["qop"]; has {
		for _, opt := range strings.Split(q, ",") {
			opt = strings.ToLower(strings.TrimSpace(opt))
			if opt == "" {
				continue
			}
			if opt != QOPAuth && opt != QOPAuthInt {
				bad = append(bad, fmt.Sprintf("unknown qop %q", opt))
			}
			c.QOP = append(c.QOP, opt)
		}
	}
	c.Stale = strings.EqualFold(p["stale"], "true")
	c.Userhash = strings.EqualFold(p["userhash"], "true")
	return c, problems(bad)
}

// Offers reports whether the challenge offers qop (QOPNone: offers no qop).
func (c *Challenge) Offers(qop string) bool {
	if qop == QOPNone {
		return len(c.QOP) == 0
	}
	for _, q := range c.QOP {
		if q == qop {
			return true
		}
	}
	return false
}

// Credentials are a digest response from an Authorization or
// Proxy-Authorization header.
type Credentials struct {
	// Username is the username parameter, or the decoded username* (RFC 7616
	// §3.4.4 extended notation for names that are not ASCII). With Userhash
	// it is H(name:realm), not the name.
	Username  string
	Realm     string
	Nonce     string
	URI       string
	Response  string
	Algorithm string // as sent; "" when absent, which means MD5
	CNonce    string
	NC        string // as sent; 8 hex digits when valid
	QOP       string // lower-cased
	Opaque    string
	Userhash  bool
}

// ParseCredentials reads digest credentials. It checks that the parameters
// the response depends on are there and well formed; on error the
// Credentials hold what could be read and the error, a *MalformedError,
// lists each problem ("empty response", "unknown algorithm "AKAv1-MD5"").
// Whether the uri matches the Request-URI is the caller's check.
func ParseCredentials(a sip.Auth) (Credentials, error) {
	var c Credentials
	if !strings.EqualFold(a.Scheme, "Digest") {
		return c, problems([]string{fmt.Sprintf("scheme %q is not Digest", a.Scheme)})
	}
	var bad []string
	p := a.Params
	need := func(name string) string {
		v, ok := p[name]
		switch {
		case !ok:
			bad = append(bad, "missing "+name)
		case v == "":
			bad = append(bad, "empty "+name)
		}
		return v
	}
	c.Userhash = strings.EqualFold(p["userhash"], "true")
	if ext, ok := p["username*"]; ok {
		name, err := decodeExtValue(ext)
		if err != nil {
			bad = append(bad, "bad username*: "+err.Error())
		}
		c.Username = name
		if _, both := p["username"]; both {
			bad = append(bad, "both username and username*")
		}
	} else {
		c.Username = need("username")
	}
	var ok bool
	if c.Realm, ok = p["realm"]; !ok {
		bad = append(bad, "missing realm")
	}
	c.Nonce = need("nonce")
	c.URI = need("uri")
	c.Response = need("response")
	c.Algorithm, c.Opaque = p["algorithm"], p["opaque"]
	c.CNonce, c.NC = p["cnonce"], p["nc"]
	c.QOP = strings.ToLower(p["qop"])
	alg := ParseAlgorithm(c.Algorithm)
	if alg == Unknown {
		bad = append(bad, fmt.Sprintf("unknown algorithm %q", c.Algorithm))
	} else if c.Response != "" && !isHex(c.Response, 2*alg.Size()) {
		bad = append(bad, fmt.Sprintf("response is not %d hex digits as %s needs", 2*alg.Size(), alg))
	}
	switch c.QOP {
	case QOPNone:
		if _, has := p["qop"]; has {
			bad = append(bad, "empty qop")
		}
	case QOPAuth, QOPAuthInt:
		need("cnonce")
		if nc := need("nc"); nc != "" && !isHex(nc, 8) {
			bad = append(bad, fmt.Sprintf("nc %q is not 8 hex digits", nc))
		}
	default:
		bad = append(bad, fmt.Sprintf("unknown qop %q", c.QOP))
	}
	if alg.Session() && c.QOP == QOPNone && c.CNonce == "" {
		bad = append(bad, alg.String()+" without a cnonce")
	}
	return c, problems(bad)
}

// Params returns the digest parameters of the credentials for a request
// with method and body, hashing username as the name (pass the real name
// when the credentials carry a userhash).
func (c *Credentials) Params(username, method string, body []byte) Params {
	return Params{
		Algorithm: ParseAlgorithm(c.Algorithm), Username: username, Realm: c.Realm,
		Nonce: c.Nonce, CNonce: c.CNonce, NC: c.NC, QOP: c.QOP,
		Method: method, URI: c.URI, Body: body,
	}
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// decodeExtValue decodes an RFC 8187 ext-value: charset'[language]'pct-encoded.
// Only UTF-8 is accepted, as RFC 7616 requires.
func decodeExtValue(s string) (string, error) {
	charset, rest, ok := strings.Cut(s, "'")
	if !ok {
		return "", fmt.Errorf("no charset in %q", s)
	}
	if !strings.EqualFold(charset, "UTF-8") {
		return "", fmt.Errorf("charset %q is not UTF-8", charset)
	}
	_, value, ok := strings.Cut(rest, "'")
	if !ok {
		return "", fmt.Errorf("no language part in %q", s)
	}
	// PathUnescape, not QueryUnescape: '+' is not a space here.
	return url.PathUnescape(value)
}

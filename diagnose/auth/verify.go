package auth

import (
	"context"
	"strconv"
	"strings"

	"github.com/sipscope/sipscope/decode/sip/digest"
)

func itoa(i int) string { return strconv.Itoa(i) }

// outcome is what is known of one audit target's password.
type outcome struct {
	source, why string
}

// verify settles the status of every credential: given passwords first,
// then the guesses derived from the username, then the wordlist.
func (r *Result) verify(ctx context.Context, opts Options) error {
	if len(r.Credentials) == 0 && opts.Wordlist == nil {
		return nil // nothing to check (most calls, audited one by one)
	}
	var targets []*digest.Target
	index := make(map[string]int)
	for _, c := range r.Credentials {
		c.Name = c.Username
		if c.Userhash {
			c.Name = resolveUserhash(c, opts.Passwords)
		}
		if c.Name == "" && c.Userhash {
			continue
		}
		p := c.Params(c.Name, c.Method, c.msg.Body)
		t, err := digest.NewTarget(p, c.Response)
		if err != nil {
			continue
		}
		// Identical responses (a client resending the same Authorization)
		// are one target: checked once.
		key := strings.Join([]string{p.Algorithm.String(), p.Username, p.Realm, p.Nonce, p.CNonce, p.NC, p.QOP,
			p.Method, p.URI, strings.ToLower(c.Response)}, "\x00")
		if p.QOP == digest.QOPAuthInt {
			key += "\x00" + string(p.Body)
		}
		i, ok := index[key]
		if !ok {
			i = len(targets)
			index[key] = i
			targets = append(targets, t)
		}
		c.target = i
	}
	audit := digest.NewAudit(targets)
	outcomes := make([]outcome, len(targets))
	settle := func(i int, source, why string) {
		if outcomes[i].source == "" {
			if _, ok := audit.Found(i); ok {
				outcomes[i] = outcome{source, why}
			}
		}
	}
	for _, c := range r.Credentials {
		if c.target < 0 {
			continue
		}
		for _, p := range opts.Passwords {
			if p.Matches(c.Name, c.Realm) {
				r.Checks += audit.TryTarget(c.target, p.Password)
				settle(c.target, SourceGiven, "")
			}
		}
	}
	for _, c := range r.Credentials {
		if c.target < 0 {
			continue
		}
		for _, g := range digest.Guesses(c.Name) {
			r.Checks += audit.TryTarget(c.target, g.Password)
			settle(c.target, SourceGuess, g.Why)
		}
	}
	var err error
	if opts.Wordlist != nil {
		var st digest.WordlistStats
		st, err = audit.Wordlist(ctx, opts.Wordlist, digest.WordlistOptions{Workers: opts.Workers, Progress: opts.Progress})
		r.Wordlist = &st
		r.Checks += st.Checks
		for i := range targets {
			settle(i, SourceWordlist, "in the wordlist")
		}
	}
	r.settle(audit, outcomes, opts)
	return err
}

// resolveUserhash finds the known user whose H(name:realm) the client sent.
func resolveUserhash(c *Credential, known []Password) string {
	alg := digest.ParseAlgorithm(c.Algorithm)
	for _, p := range known {
		for _, name := range []string{p.User, p.User + "@" + p.Realm} {
			if (p.Realm == "" || p.Realm == c.Realm || name != p.User) &&
				strings.EqualFold(digest.UserHash(alg, name, c.Realm), c.Username) {
				return name
			}
		}
	}
	return ""
}

// settle turns what the audit found into each credential's status.
func (r *Result) settle(audit *digest.Audit, outcomes []outcome, opts Options) {
	// Passwords found for one response of a user are known passwords for
	// the user's other responses: one that none fits is invalid.
	type account struct{ name, realm string }
	recovered := make(map[account]*Credential)
	for _, c := range r.Credentials {
		if c.target < 0 {
			continue
		}
		pw, ok := audit.Found(c.target)
		if !ok {
			continue
		}
		o := outcomes[c.target]
		c.Fits, c.Password, c.Source = true, pw, o.source
		switch o.source {
		case SourceGiven:
			c.Weak = weakness(c.Name, pw)
		default:
			c.Weak = o.why
		}
		if a := (account{c.Name, c.Realm}); recovered[a] == nil {
			recovered[a] = c
		}
	}
	for _, c := range r.Credentials {
		var verdict string
		c.Status, verdict = r.status(c, recovered[account{c.Name, c.Realm}], opts)
		if len(c.Problems) > 0 {
			c.Status = StatusMalformed
			c.Reason = strings.Join(c.Problems, "; ")
			if verdict != "" {
				c.Reason += "; " + verdict
			}
			continue
		}
		c.Reason = verdict
	}
}

// weakness says why a given password is weak: it is one of the guesses.
func weakness(name, pw string) string {
	for _, g := range digest.Guesses(name) {
		if g.Password == pw {
			return g.Why
		}
	}
	return ""
}

// status returns the status of a well-formed credential and a sentence
// saying why; for a malformed one the sentence says what verification found.
// Passwords given by the user are the reference: when there are some for
// the account, the response is valid or invalid by them alone, and what
// guessing found only adds to the sentence.
func (r *Result) status(c *Credential, other *Credential, opts Options) (string, string) {
	who := c.Name
	if c.Realm != "" {
		who += "@" + c.Realm
	}
	given := countGiven(opts.Passwords, c)
	found := ""
	switch {
	case c.Fits && c.Source == SourceGuess:
		found = "the password it sends is " + c.Weak
	case c.Fits && c.Source == SourceWordlist:
		found = "the password it sends is in the wordlist"
	}
	switch {
	case c.target < 0 && c.Userhash && c.Name == "":
		return StatusUnverified, "the client hides its name (userhash) and no user given with --password hashes to it"
	case c.target < 0:
		return StatusMalformed, ""
	case c.Fits && c.Source == SourceGiven:
		s := "fits the password given for " + who
		if len(c.Problems) == 0 && (c.ResponseCode == 401 || c.ResponseCode == 403 || c.ResponseCode == 407) {
			s += ", yet the server answered " + itoa(c.ResponseCode) + ": it holds another password for " + c.Name + " or refuses the account"
		}
		return StatusValid, s
	case given > 0:
		s := "the password given for " + who + " does not fit"
		if given > 1 {
			s = "none of the " + itoa(given) + " passwords given for " + who + " fits"
		}
		if found != "" {
			s += "; " + found
		}
		return StatusInvalid, s
	case c.Fits:
		return StatusRecovered, found
	case other != nil:
		return StatusInvalid, "the password that fits " + c.Name + "'s response in frame " + itoa(other.Frame) + " does not fit this one"
	}
	s := "no password known for " + who
	if r.Wordlist != nil {
		s += "; no word of the wordlist fits"
	}
	return StatusUnverified, s
}

func countGiven(ps []Password, c *Credential) int {
	n := 0
	for _, p := range ps {
		if p.Matches(c.Name, c.Realm) {
			n++
		}
	}
	return n
}

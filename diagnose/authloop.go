package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sipscope/sipscope/correlate"
)

// auth.loop (error): requests of one method in one Call-ID were challenged
// (401 or 407) at least authLoopChallenges times in a row with no 2xx in
// between or after. The finding tells apart credentials that were sent and
// rejected (a wrong password or realm, a stale nonce reused) from
// credentials that were never sent (the UA has none, or ignores the
// challenge). A single challenge followed by a failure is call.failed's.
func init() {
	Register(Rule{Name: "auth.loop", Call: authLoopFindings})
}

// authLoopChallenges is how many consecutive challenges without success make
// a loop: one challenge is the normal digest handshake.
const authLoopChallenges = 2

// authRun is a sequence of transactions of one method that ends at a 2xx
// (a success) or at the end of the capture.
type authRun struct {
	method     string
	challenges []*correlate.Message // 401/407 final responses
	requests   []*correlate.Message // first copy of each request of the run
	retried    []*correlate.Message // requests after a challenge
	final      *correlate.Message   // the last final response of the run
	success    bool
}

// authRuns splits a call's transactions into runs per method.
func authRuns(c *correlate.Call) []*authRun {
	var open, runs []*authRun // open: the runs not ended by a 2xx, one per method
	for _, t := range c.Transactions {
		req := t.Request()
		if req == nil || t.Method == "ACK" || t.Method == "CANCEL" {
			continue
		}
		// Only requests that start something: re-INVITEs and in-dialog
		// requests are challenged less often and are not retried the same way.
		if t.Method == "INVITE" && req.To.Tag != "" {
			continue
		}
		var r *authRun
		at := -1
		for i, o := range open {
			if o.method == t.Method {
				r, at = o, i
				break
			}
		}
		if r == nil {
			r = &authRun{method: t.Method}
			at = len(open)
			open = append(open, r)
			runs = append(runs, r)
		}
		r.requests = append(r.requests, req)
		if len(r.challenges) > 0 {
			r.retried = append(r.retried, req)
		}
		if t.Final == nil {
			continue
		}
		r.final = t.Final
		switch code := t.FinalCode(); {
		case code == 401 || code == 407:
			r.challenges = append(r.challenges, t.Final)
		case code >= 200 && code < 300:
			r.success = true
			open = slices.Delete(open, at, at+1) // the next request of this method starts a new run
		}
	}
	return runs
}

// credentials splits the requests retried after a challenge into those
// that carry credentials and those that do not.
func (r *authRun) credentials() (with, without []*correlate.Message) {
	for _, req := range r.retried {
		if hasCredentials(req) {
			with = append(with, req)
		} else {
			without = append(without, req)
		}
	}
	return with, without
}

// stale counts the challenges of the run that say stale=true.
func (r *authRun) stale() int {
	n := 0
	for _, ch := range r.challenges {
		for _, key := range []string{"WWW-Authenticate", "Proxy-Authenticate"} {
			for _, a := range ch.Auth(key) {
				if strings.EqualFold(a.Params["stale"], "true") {
					n++
				}
			}
		}
	}
	return n
}

// hasCredentials reports whether a request carries digest credentials with a
// response (an empty response="" is the "probe" some UAs send first).
func hasCredentials(m *correlate.Message) bool {
	for _, key := range []string{"Authorization", "Proxy-Authorization"} {
		for _, a := range m.Auth(key) {
			if a.Token != "" || a.Params["response"] != "" {
				return true
			}
		}
	}
	return false
}

// authLoops returns the runs that are loops.
func authLoops(c *correlate.Call) []*authRun {
	// Most calls hold fewer challenges than a loop takes: no runs to build.
	challenges := 0
	for _, t := range c.Transactions {
		if code := t.FinalCode(); code == 401 || code == 407 {
			challenges++
		}
	}
	if challenges < authLoopChallenges {
		return nil
	}
	var out []*authRun
	for _, r := range authRuns(c) {
		if !r.success && len(r.challenges) >= authLoopChallenges {
			out = append(out, r)
		}
	}
	return out
}

func authLoopFindings(c *correlate.Call, in *Input) []Finding {
	var out []Finding
	for _, r := range authLoops(c) {
		first := r.requests[0]
		withCreds, without := r.credentials()
		stale := r.stale()
		var codes []string
		for _, ch := range r.challenges {
			codes = append(codes, ch.Summary())
		}
		codes = uniqueStrings(codes)
		facts := map[string]any{
			"method":                      r.method,
			"challenges":                  len(r.challenges),
			"challenge_codes":             codes,
			"requests_with_credentials":   len(withCreds),
			"requests_without":            len(without),
			"stale_challenges":            stale,
			"server":                      first.Dst.String(),
			"final":                       r.final.Summary(),
			"credentials_sent":            len(withCreds) > 0,
			"challenge_frames":            frameNumbers(r.challenges),
			"credentialed_request_frames": frameNumbers(withCreds),
		}
		who := first.From.URI.Raw
		if r.method == "REGISTER" {
			who = first.To.URI.Raw
		}
		f := Finding{ID: "auth.loop", Severity: Error, CallID: c.CallID}
		f.Summary = fmt.Sprintf("%s for %s from %s to %s was challenged %s (%s) without success: ",
			r.method, who, first.Src, first.Dst, times(len(r.challenges)), strings.Join(codes, ", "))
		if len(withCreds) > 0 {
			var users, realms []string
			for _, m := range withCreds {
				for _, key := range []string{"Authorization", "Proxy-Authorization"} {
					for _, a := range m.Auth(key) {
						if u := a.Params["username"]; u != "" {
							users = append(users, u)
						}
						if re := a.Params["realm"]; re != "" {
							realms = append(realms, re)
						}
					}
				}
			}
			users, realms = uniqueStrings(users), uniqueStrings(realms)
			facts["usernames"], facts["realms"] = nonNil(users), nonNil(realms)
			f.Summary += fmt.Sprintf("credentials were sent and rejected %s (username %s, realm %s)",
				times(len(withCreds)), quoteList(users), quoteList(realms))
			f.Advice = "The server refuses the credentials: check the password and the auth username configured for this account, and that the realm " +
				"the UA answers is the one challenged."
			if stale > 0 {
				f.Summary += fmt.Sprintf("; %s said stale=true", count(stale, "challenge"))
				f.Advice += " The server flagged the nonce as stale: the UA reuses an old nonce instead of the one in the latest challenge."
			}
		} else {
			f.Summary += "credentials were never sent: the UA retried without an Authorization or Proxy-Authorization header"
			f.Advice = "Configure credentials (auth username and password) on the UA, or trust it without authentication on the server " +
				"(an IP-based ACL). A UA that ignores 407 may not support proxy authentication."
		}
		if r.final != r.challenges[len(r.challenges)-1] {
			f.Summary += fmt.Sprintf("; it ended with %s", r.final.Summary())
		}
		f.Summary += "."
		frames := frameSet{}
		frames.msgs(r.requests...)
		frames.msgs(r.challenges...)
		frames.msgs(r.final)
		f.Evidence = frames.evidence(facts)
		out = append(out, f)
	}
	return out
}

func quoteList(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

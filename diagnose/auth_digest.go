package diagnose

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/sipscope/sipscope/decode/sip/digest"
	"github.com/sipscope/sipscope/diagnose/auth"
)

// The digest authentication rules read the audit of package auth, which
// pairs challenges and responses across calls: they are capture rules.
func init() {
	Register(Rule{Name: "auth.invalid-response", Capture: authInvalidResponse})
	Register(Rule{Name: "auth.weak-password", Capture: authWeakPassword})
	Register(Rule{Name: "auth.nonce-reused", Capture: authNonceReused})
	Register(Rule{Name: "auth.weak-algorithm", Capture: authWeakAlgorithm})
}

// authOf returns the audit, computing the default one when the caller
// gave none.
func authOf(in *Input) *auth.Result {
	if in.Auth == nil {
		// Without a wordlist the audit cannot fail.
		in.Auth, _ = auth.Analyze(context.Background(), in.Model, auth.Options{})
	}
	return in.Auth
}

func authAccount(c *auth.Credential) string {
	if c.Realm == "" {
		return c.Name
	}
	return c.Name + " (realm " + c.Realm + ")"
}

func authFrames(cs []*auth.Credential) []int {
	out := make([]int, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Frame)
	}
	return out
}

// authCodes lists the distinct final codes the server gave, in order.
func authCodes(cs []*auth.Credential) []int {
	var out []int
	for _, c := range cs {
		if c.ResponseCode != 0 && !authHasCode(out, c.ResponseCode) {
			out = append(out, c.ResponseCode)
		}
	}
	return out
}

func authHasCode(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func authCodeList(codes []int) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
	}
	return strings.Join(parts, ", ")
}

// authInvalidResponse: a password is known for the user and the response does
// not fit it. One finding per call and account.
func authInvalidResponse(in *Input) []Finding {
	type key struct{ call, name, realm string }
	groups := make(map[key][]*auth.Credential)
	var order []key
	for _, c := range authOf(in).Credentials {
		if c.Status != auth.StatusInvalid {
			continue
		}
		k := key{c.CallID, c.Name, c.Realm}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	var out []Finding
	for _, k := range order {
		cs := groups[k]
		first := cs[0]
		codes := authCodes(cs)
		summary := "The client at " + first.Src.String() + " authenticating as " + authAccount(first) +
			" sends a wrong password: " + first.Reason
		if len(codes) > 0 {
			summary += "; the server answered " + authCodeList(codes)
		}
		advice := "Re-enter the password for " + first.Name + " on the device (look for a stale provisioning profile, a trailing space, the wrong account or realm)."
		if authHasCode(codes, 200) || authHasCode(codes, 202) {
			advice = "The server accepted it, so the password given to sipscope is not the one the server holds for " + first.Name + ": check it, then run again."
		}
		out = append(out, Finding{
			ID: "auth.invalid-response", Severity: Error, CallID: first.CallID, Summary: summary,
			Evidence: Evidence{Frames: authFrames(cs), Facts: map[string]any{
				"username": first.Name, "realm": first.Realm, "client": first.Src.String(),
				"responses": len(cs), "response_codes": codes,
			}},
			Advice: advice,
		})
	}
	return out
}

// authWeakPassword: a password that fits is one of the username's variants,
// empty, or in the wordlist. One finding per account, wherever it appears.
func authWeakPassword(in *Input) []Finding {
	type key struct{ name, realm string }
	groups := make(map[key][]*auth.Credential)
	var order []key
	for _, c := range authOf(in).Credentials {
		if !c.Fits || c.Weak == "" {
			continue
		}
		k := key{c.Name, c.Realm}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], c)
	}
	var out []Finding
	for _, k := range order {
		cs := groups[k]
		first := cs[0]
		out = append(out, Finding{
			ID: "auth.weak-password", Severity: Warning, CallID: first.CallID,
			Summary: "The password of " + authAccount(first) + " is weak: it is " + first.Weak +
				"; anyone holding one of its digest responses can find it offline",
			Evidence: Evidence{Frames: authFrames(cs), Facts: map[string]any{
				"username": first.Name, "realm": first.Realm, "weakness": first.Weak, "found_by": first.Source,
				"responses": len(cs),
			}},
			Advice: "Give " + first.Name + " a long random password on the server and the device: scanners try the extension number and its variants first, and toll fraud follows.",
		})
	}
	return out
}

// authNonceReused: the server hands out one nonce in challenges to different
// requests, or a client sends one nonce (and nonce count) in different
// requests. Retransmissions are not reuse.
func authNonceReused(in *Input) []Finding {
	a := authOf(in)
	var out []Finding

	type key struct{ realm, nonce string }
	byNonce := make(map[key][]*auth.Challenge)
	var order []key
	for _, ch := range a.Challenges {
		if ch.Nonce == "" {
			continue
		}
		k := key{ch.Realm, ch.Nonce}
		if byNonce[k] == nil {
			order = append(order, k)
		}
		byNonce[k] = append(byNonce[k], ch)
	}
	for _, k := range order {
		chs := byNonce[k]
		frames, calls := []int{}, map[string]bool{}
		lastFrame := -1
		for _, ch := range chs {
			// Several challenges in one response share its frame.
			if ch.Frame != lastFrame {
				frames = append(frames, ch.Frame)
				lastFrame = ch.Frame
			}
			calls[ch.CallID] = true
		}
		if len(frames) < 2 {
			continue
		}
		first := chs[0]
		out = append(out, Finding{
			ID: "auth.nonce-reused", Severity: Warning, CallID: first.CallID,
			Summary: "The server at " + first.Src.String() + " issued the same nonce " + strconv.Quote(authClip(k.nonce)) +
				" in " + strconv.Itoa(len(frames)) + " challenges (" + strconv.Itoa(len(calls)) + " Call-IDs): a response captured once can be replayed",
			Evidence: Evidence{Frames: frames, Facts: map[string]any{
				"kind": "server", "server": first.Src.String(), "realm": k.realm, "nonce": k.nonce,
				"challenges": len(frames), "call_ids": len(calls),
			}},
			Advice: "Make the server generate a fresh nonce for every challenge, with a timestamp it checks, and track nonce counts.",
		})
	}

	type ckey struct{ realm, nonce, nc, cnonce string }
	bySend := make(map[ckey][]*auth.Credential)
	var corder []ckey
	for _, c := range a.Credentials {
		if c.Nonce == "" || c.Response == "" {
			continue
		}
		k := ckey{c.Realm, c.Nonce, c.NC, c.CNonce}
		if bySend[k] == nil {
			corder = append(corder, k)
		}
		bySend[k] = append(bySend[k], c)
	}
	for _, k := range corder {
		cs := bySend[k]
		if len(cs) < 2 {
			continue
		}
		first := cs[0]
		summary := "The client at " + first.Src.String() + " sent nonce " + strconv.Quote(authClip(k.nonce))
		if first.QOP == digest.QOPNone {
			summary += " in " + strconv.Itoa(len(cs)) + " requests without qop: nothing tells them from a replay"
		} else {
			summary += " with the same nonce count " + k.nc + " and cnonce in " + strconv.Itoa(len(cs)) +
				" requests: a server that checks nonce counts rejects all but the first"
		}
		codes := authCodes(cs)
		out = append(out, Finding{
			ID: "auth.nonce-reused", Severity: Warning, CallID: first.CallID, Summary: summary,
			Evidence: Evidence{Frames: authFrames(cs), Facts: map[string]any{
				"kind": "client", "client": first.Src.String(), "username": first.Name, "realm": k.realm,
				"nonce": k.nonce, "nc": k.nc, "requests": len(cs), "response_codes": codes,
			}},
			Advice: "Have the client increment nc for every request that reuses a nonce (qop=auth), or answer each challenge once; a server accepting the reuse should be made to refuse it.",
		})
	}
	return out
}

// authWeakAlgorithm: a server challenges with MD5 alone and no qop (RFC 2069's
// scheme: no client nonce, no nonce count), or a client answers without a
// qop the server offered.
func authWeakAlgorithm(in *Input) []Finding {
	a := authOf(in)
	type msgKey struct{ file, frame int }
	weakMsg := make(map[msgKey]bool)
	var msgs []msgKey
	for _, ch := range a.Challenges {
		k := msgKey{ch.File, ch.Frame}
		alg := digest.ParseAlgorithm(ch.Algorithm)
		weak := (alg == digest.MD5 || alg == digest.MD5Sess) && len(ch.QOP) == 0
		prev, seen := weakMsg[k]
		if !seen {
			msgs = append(msgs, k)
			prev = true
		}
		weakMsg[k] = prev && weak // every challenge of the response is weak
	}
	type srvKey struct{ server, realm string }
	groups := make(map[srvKey][]*auth.Challenge)
	var order []srvKey
	for _, ch := range a.Challenges {
		k := msgKey{ch.File, ch.Frame}
		if !weakMsg[k] {
			continue
		}
		weakMsg[k] = false // once per response
		sk := srvKey{ch.Src.String(), ch.Realm}
		if groups[sk] == nil {
			order = append(order, sk)
		}
		groups[sk] = append(groups[sk], ch)
	}
	var out []Finding
	for _, k := range order {
		chs := groups[k]
		frames := make([]int, len(chs))
		for i, ch := range chs {
			frames[i] = ch.Frame
		}
		out = append(out, Finding{
			ID: "auth.weak-algorithm", Severity: Info, CallID: chs[0].CallID,
			Summary: "The server at " + k.server + " (realm " + k.realm + ") challenges with MD5 and no qop (RFC 2069): " +
				"responses carry no client nonce or count, so a captured one can be replayed and its password attacked offline",
			Evidence: Evidence{Frames: frames, Facts: map[string]any{
				"kind": "server", "server": k.server, "realm": k.realm, "challenges": len(chs),
			}},
			Advice: "Offer qop=\"auth\" in the server's challenges, and SHA-256 (RFC 8760) next to MD5 for the phones that support it.",
		})
	}

	type cliKey struct{ client, name, realm string }
	downgrades := make(map[cliKey][]*auth.Credential)
	var corder []cliKey
	for _, c := range a.Credentials {
		if c.Challenge == nil || c.QOP != digest.QOPNone || len(c.Challenge.QOP) == 0 {
			continue
		}
		k := cliKey{c.Src.String(), c.Name, c.Realm}
		if downgrades[k] == nil {
			corder = append(corder, k)
		}
		downgrades[k] = append(downgrades[k], c)
	}
	for _, k := range corder {
		cs := downgrades[k]
		first := cs[0]
		out = append(out, Finding{
			ID: "auth.weak-algorithm", Severity: Info, CallID: first.CallID,
			Summary: "The client at " + k.client + " authenticating as " + authAccount(first) +
				" answers without qop although the server offered " + strings.Join(first.Challenge.QOP, ", ") +
				": it falls back to RFC 2069's replayable scheme",
			Evidence: Evidence{Frames: authFrames(cs), Facts: map[string]any{
				"kind": "client", "client": k.client, "username": first.Name, "realm": first.Realm,
				"offered_qop": first.Challenge.QOP, "responses": len(cs),
			}},
			Advice: "Update or reconfigure the client so that it uses qop=auth; a server may refuse responses without qop.",
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Evidence.Frames[0] < out[j].Evidence.Frames[0] })
	return out
}

// authClip shortens a nonce for a sentence; Facts keep it whole.
func authClip(s string) string {
	if len(s) > 24 {
		return s[:24] + "..."
	}
	return s
}

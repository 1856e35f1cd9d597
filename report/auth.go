package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/decode/sip/digest"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/diagnose/auth"
)

// JSONCredential is one digest response (Authorization or
// Proxy-Authorization) with its verification.
type JSONCredential struct {
	Frame      int    `json:"frame"`
	File       string `json:"file"`
	Time       string `json:"time"`
	CallID     string `json:"call_id"`
	Src        string `json:"src"`
	Dst        string `json:"dst"`
	Method     string `json:"method"`
	RequestURI string `json:"request_uri"`
	Header     string `json:"header"`
	Username   string `json:"username"`
	// User is the name behind a userhash, when a known user matched it.
	User      string `json:"user,omitempty"`
	Userhash  bool   `json:"userhash,omitempty"`
	Realm     string `json:"realm"`
	URI       string `json:"uri"`
	Algorithm string `json:"algorithm"` // as RFC 7616 spells it; MD5 when absent; as sent when unknown
	QOP       string `json:"qop"`
	NC        string `json:"nc"`
	Nonce     string `json:"nonce"`
	CNonce    string `json:"cnonce,omitempty"`
	// Status is valid, invalid, recovered, unverified or malformed.
	Status   string   `json:"status"`
	Reason   string   `json:"reason"`
	Problems []string `json:"problems,omitempty"`
	// ResponseCode is the server's final answer to the request, 0 if none was captured.
	ResponseCode  int `json:"response_code"`
	ResponseFrame int `json:"response_frame,omitempty"`
	// ChallengeFrame is the frame of the challenge answered, 0 if none was captured.
	ChallengeFrame  int    `json:"challenge_frame"`
	ChallengeCallID string `json:"challenge_call_id,omitempty"`
	ChallengeCode   int    `json:"challenge_code,omitempty"`
	// PasswordSource says where the fitting password came from: given,
	// username (a guess derived from it) or wordlist; "" when none fits.
	PasswordSource string `json:"password_source,omitempty"`
	Weak           string `json:"weak,omitempty"`
	// Password is present only with --show-passwords, and then also when
	// it is the empty password.
	Password *string `json:"password,omitempty"`
}

// JSONChallenge is one digest challenge of a 401 or 407.
type JSONChallenge struct {
	Frame      int      `json:"frame"`
	File       string   `json:"file"`
	Time       string   `json:"time"`
	CallID     string   `json:"call_id"`
	Src        string   `json:"src"`
	Dst        string   `json:"dst"`
	Code       int      `json:"code"`
	Header     string   `json:"header"`
	Method     string   `json:"method"`
	Realm      string   `json:"realm"`
	Nonce      string   `json:"nonce"`
	Algorithm  string   `json:"algorithm"`
	QOP        []string `json:"qop"`
	Opaque     string   `json:"opaque,omitempty"`
	Stale      bool     `json:"stale,omitempty"`
	Userhash   bool     `json:"userhash,omitempty"`
	Problems   []string `json:"problems,omitempty"`
	AnsweredBy []int    `json:"answered_by"`
}

// JSONAuthAudit says how much password checking was done.
type JSONAuthAudit struct {
	Checks        int64 `json:"checks"`
	WordlistWords int64 `json:"wordlist_words,omitempty"`
	WordlistBytes int64 `json:"wordlist_bytes,omitempty"`
	LongLines     int   `json:"wordlist_long_lines_skipped,omitempty"`
	// Skipped counts ACK and CANCEL credentials, copies of the INVITE's.
	Skipped int `json:"skipped_ack_cancel,omitempty"`
}

// algorithmName shows an algorithm as RFC 7616 spells it (MD5 when the
// parameter is absent), or as sent when it is unknown.
func algorithmName(s string) string {
	if a := digest.ParseAlgorithm(s); a != digest.Unknown {
		return a.String()
	}
	return s
}

// AuthFindings returns the auth.* findings.
func AuthFindings(fs []diagnose.Finding) []diagnose.Finding {
	var out []diagnose.Finding
	for _, f := range fs {
		if strings.HasPrefix(f.ID, "auth.") {
			out = append(out, f)
		}
	}
	return out
}

// BuildAuthJSON converts the digest audit of a result into the JSON report:
// credentials, challenges and the auth.* findings. Passwords are included
// only when showPasswords.
func BuildAuthJSON(res *sipscope.Result, showPasswords bool) *JSONReport {
	out := &JSONReport{
		Capture: buildCapture(&res.Capture), Calls: []JSONCall{}, Findings: AuthFindings(res.Findings),
		Credentials: []JSONCredential{}, Challenges: []JSONChallenge{},
	}
	if out.Findings == nil {
		out.Findings = []diagnose.Finding{}
	}
	a := res.Auth
	if a == nil {
		return out
	}
	for _, c := range a.Credentials {
		jc := JSONCredential{
			Frame: c.Frame, File: fileName(res.Capture.Files, c.File), Time: Timestamp(c.Time), CallID: c.CallID,
			Src: c.Src.String(), Dst: c.Dst.String(), Method: c.Method, RequestURI: c.RequestURI, Header: c.Header,
			Username: c.Username, Userhash: c.Userhash, Realm: c.Realm, URI: c.URI,
			Algorithm: algorithmName(c.Algorithm), QOP: c.QOP, NC: c.NC, Nonce: c.Nonce, CNonce: c.CNonce,
			Status: c.Status, Reason: c.Reason, Problems: c.Problems,
			ResponseCode: c.ResponseCode, ResponseFrame: c.ResponseFrame,
			PasswordSource: c.Source, Weak: c.Weak,
		}
		if c.Userhash {
			jc.User = c.Name
		}
		if ch := c.Challenge; ch != nil {
			jc.ChallengeFrame, jc.ChallengeCallID, jc.ChallengeCode = ch.Frame, ch.CallID, ch.Code
		}
		if showPasswords && c.Fits {
			pw := c.Password
			jc.Password = &pw
		}
		out.Credentials = append(out.Credentials, jc)
	}
	for _, ch := range a.Challenges {
		jc := JSONChallenge{
			Frame: ch.Frame, File: fileName(res.Capture.Files, ch.File), Time: Timestamp(ch.Time), CallID: ch.CallID,
			Src: ch.Src.String(), Dst: ch.Dst.String(), Code: ch.Code, Header: ch.Header, Method: ch.Method,
			Realm: ch.Realm, Nonce: ch.Nonce, Algorithm: algorithmName(ch.Algorithm), QOP: ch.QOP,
			Opaque: ch.Opaque, Stale: ch.Stale, Userhash: ch.Userhash, Problems: ch.Problems,
			AnsweredBy: []int{},
		}
		if jc.QOP == nil {
			jc.QOP = []string{}
		}
		for _, c := range ch.Answers {
			jc.AnsweredBy = append(jc.AnsweredBy, c.Frame)
		}
		out.Challenges = append(out.Challenges, jc)
	}
	out.AuthAudit = &JSONAuthAudit{Checks: a.Checks, Skipped: a.Skipped}
	if w := a.Wordlist; w != nil {
		out.AuthAudit.WordlistWords, out.AuthAudit.WordlistBytes, out.AuthAudit.LongLines = w.Words, w.Bytes, w.LongLines
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func frameRef(res *sipscope.Result, file, frame int) string {
	if frame == 0 {
		return "-"
	}
	if len(res.Capture.Files) > 1 {
		return itoa(file+1) + ":" + itoa(frame)
	}
	return itoa(frame)
}

// AuthText writes the digest audit: challenges, responses with their
// status and the server's answer, notes saying why, and the auth.*
// findings. Passwords are shown only when showPasswords.
func AuthText(w io.Writer, res *sipscope.Result, showPasswords bool) error {
	a := res.Auth
	if a == nil || len(a.Challenges) == 0 && len(a.Credentials) == 0 {
		fmt.Fprintln(w, "No digest challenges or responses in the capture.")
		return nil
	}
	fmt.Fprintf(w, "Challenges (%d)\n", len(a.Challenges))
	if len(a.Challenges) == 0 {
		fmt.Fprintln(w, "  none captured")
	} else {
		t := newTable(w, "FRAME", "CODE", "SERVER", "REALM", "ALGORITHM", "QOP", "NONCE", "ANSWERED BY", "CALL-ID")
		for _, ch := range a.Challenges {
			var by []string
			for _, c := range ch.Answers {
				by = append(by, frameRef(res, c.File, c.Frame))
			}
			if err := t.Append(frameRef(res, ch.File, ch.Frame), itoa(ch.Code), ch.Src.String(),
				Clean(ch.Realm, false), Clean(algorithmName(ch.Algorithm), false), Clean(dash(strings.Join(ch.QOP, ",")), false),
				Clean(clipText(ch.Nonce, 20), false), dash(strings.Join(by, ", ")), Clean(ch.CallID, false)); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
	}

	fmt.Fprintf(w, "\nResponses (%d)\n", len(a.Credentials))
	if len(a.Credentials) == 0 {
		fmt.Fprintln(w, "  none captured")
	} else {
		header := []any{"FRAME", "METHOD", "USERNAME", "REALM", "ALGORITHM", "QOP", "NC", "CHALLENGE", "ANSWER", "STATUS"}
		if showPasswords {
			header = append(header, "PASSWORD")
		}
		header = append(header, "CALL-ID")
		t := newTable(w, header...)
		for _, c := range a.Credentials {
			challenge := "-"
			if c.Challenge != nil {
				challenge = frameRef(res, c.Challenge.File, c.Challenge.Frame)
			}
			answer := "-"
			if c.ResponseCode != 0 {
				answer = itoa(c.ResponseCode) + " (" + frameRef(res, c.File, c.ResponseFrame) + ")"
			}
			row := []any{frameRef(res, c.File, c.Frame), Clean(c.Method, false), Clean(c.Username, false),
				Clean(c.Realm, false), Clean(algorithmName(c.Algorithm), false), Clean(dash(c.QOP), false),
				Clean(dash(c.NC), false), challenge, answer, c.Status}
			if showPasswords {
				pw := "-"
				if c.Fits {
					pw = quoteText(c.Password)
				}
				row = append(row, pw)
			}
			row = append(row, Clean(c.CallID, false))
			if err := t.Append(row...); err != nil {
				return err
			}
		}
		if err := t.Render(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		for _, c := range a.Credentials {
			fmt.Fprintf(w, "  frame %s  %s: %s\n", frameRef(res, c.File, c.Frame), c.Status, Clean(c.Reason, false))
		}
	}

	fmt.Fprintf(w, "\n%s\n", auditLine(a))
	fs := AuthFindings(res.Findings)
	fmt.Fprintf(w, "\nFindings (%d)\n", len(fs))
	if len(fs) == 0 {
		fmt.Fprintln(w, "  none")
		return nil
	}
	FindingsText(w, fs)
	return nil
}

func auditLine(a *auth.Result) string {
	s := "Password checks: " + itoa(int(a.Checks))
	if w := a.Wordlist; w != nil {
		s += fmt.Sprintf(" (wordlist: %d words", w.Words)
		if w.LongLines > 0 {
			s += fmt.Sprintf(", %d over-long lines skipped", w.LongLines)
		}
		s += ")"
	} else {
		s += " (given passwords, usernames and their variants; --wordlist FILE tries more)"
	}
	if a.Skipped > 0 {
		s += fmt.Sprintf("; not listed: %d ACK/CANCEL copying an INVITE's credentials", a.Skipped)
	}
	return s + "."
}

// quoteText shows a password in quotes, escaped for the terminal, so that
// an empty one or one with spaces reads unambiguously.
func quoteText(s string) string {
	return `"` + Clean(strings.ReplaceAll(s, `"`, `\"`), false) + `"`
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

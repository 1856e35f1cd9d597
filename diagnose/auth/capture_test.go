package auth_test

import (
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose/auth"
	"github.com/sipscope/sipscope/internal/testenv"
)

func analyze(t *testing.T, path string, opts auth.Options) *sipscope.Result {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, Auth: opts})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// row is what a test states about one credential.
type row struct {
	Frame, Challenge, Code, CodeFrame          int
	Method, Username, Realm, URI, Alg, QOP, NC string
	Status                                     string
}

func rows(res *auth.Result) []row {
	var out []row
	for _, c := range res.Credentials {
		r := row{Frame: c.Frame, Code: c.ResponseCode, CodeFrame: c.ResponseFrame, Method: c.Method,
			Username: c.Username, Realm: c.Realm, URI: c.URI, Alg: c.Algorithm, QOP: c.QOP, NC: c.NC, Status: c.Status}
		if c.Challenge != nil {
			r.Challenge = c.Challenge.Frame
		}
		out = append(out, r)
	}
	return out
}

// The seed (testdata/freeswitch-nat.pcap): frame 1 is a REGISTER with an
// empty nonce and response, answered by the 401 of frame 2; frame 3 answers
// that challenge (nonce b54499e4-..., cnonce b8877d7c..., response
// e55ca998...) with password 1011 and gets the 200 of frame 4.
func TestSeedCapture(t *testing.T) {
	path := testenv.Testdata("freeswitch-nat.pcap")
	frame1 := row{Frame: 1, Code: 401, CodeFrame: 2, Method: "REGISTER", Username: "1011", Realm: "47.98.109.96",
		URI: "sip:47.98.109.96", Status: auth.StatusMalformed}
	frame3 := row{Frame: 3, Challenge: 2, Code: 200, CodeFrame: 4, Method: "REGISTER", Username: "1011", Realm: "47.98.109.96",
		URI: "sip:47.98.109.96", Alg: "MD5", QOP: "auth", NC: "00000001"}
	tests := []struct {
		name   string
		opts   auth.Options
		status string
		source string
	}{
		{"right password", auth.Options{Passwords: []auth.Password{{User: "1011", Password: "1011"}}}, auth.StatusValid, auth.SourceGiven},
		{"right password for the realm", auth.Options{Passwords: []auth.Password{{User: "1011", Realm: "47.98.109.96", Password: "1011"}}}, auth.StatusValid, auth.SourceGiven},
		{"wrong password", auth.Options{Passwords: []auth.Password{{User: "1011", Password: "1012"}}}, auth.StatusInvalid, auth.SourceGuess},
		{"wordlist holding it", auth.Options{Wordlist: strings.NewReader("123456\npassword\n1011\n")}, auth.StatusRecovered, auth.SourceGuess},
		{"nothing given: the username is tried", auth.Options{}, auth.StatusRecovered, auth.SourceGuess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := analyze(t, path, tt.opts)
			want3 := frame3
			want3.Status = tt.status
			if got := rows(res.Auth); !reflect.DeepEqual(got, []row{frame1, want3}) {
				t.Fatalf("credentials\n %+v\nwant\n %+v", got, []row{frame1, want3})
			}
			c1, c3 := res.Auth.Credentials[0], res.Auth.Credentials[1]
			if c1.Reason != "empty nonce; empty response" {
				t.Errorf("frame 1 reason %q", c1.Reason)
			}
			if c3.Nonce != "b54499e4-9083-4853-a1c4-d9b0756af9a2" || c3.CNonce != "b8877d7c2d75cd7c67ec9ab96d9c55ea" ||
				c3.Response != "e55ca998d27ee109798c60b2ef646ff3" {
				t.Errorf("frame 3 is not the seed's REGISTER: %+v", c3.Credentials)
			}
			if !c3.Fits || c3.Password != "1011" || c3.Source != tt.source || c3.Weak != "the username" {
				t.Errorf("frame 3: fits %v password %q source %q weak %q", c3.Fits, c3.Password, c3.Source, c3.Weak)
			}
			if len(res.Auth.Challenges) != 1 || res.Auth.Challenges[0].Frame != 2 || len(res.Auth.Challenges[0].Answers) != 1 {
				t.Errorf("challenges %+v", res.Auth.Challenges)
			}
			var ids []string
			for _, f := range res.Findings {
				if strings.HasPrefix(f.ID, "auth.") && f.ID != "auth.loop" {
					ids = append(ids, f.ID+" "+strconv.Itoa(f.Evidence.Frames[0]))
				}
			}
			want := []string{"auth.weak-password 3"}
			if tt.status == auth.StatusInvalid {
				want = []string{"auth.invalid-response 3", "auth.weak-password 3"}
			}
			if !reflect.DeepEqual(ids, want) {
				t.Errorf("auth findings %v, want %v", ids, want)
			}
		})
	}
}

// sip-auth-failure.pcapng (Asterisk, realm "asterisk", RFC 2069: MD5 without
// qop) holds two challenged requests of user telephone1, both refused:
// REGISTER frame 1, 401 frame 2 (nonce 54bd660f), REGISTER with credentials
// frame 3, 403 frame 4; SUBSCRIBE frame 5, 401 frame 6 (nonce 6fb72fd3),
// SUBSCRIBE with credentials frame 7, 403 frame 8. The password is not
// known: both responses stay unverified.
func TestAuthFailureCapture(t *testing.T) {
	path := testenv.PublicCapture(t, "sip-auth-failure.pcapng")
	res := analyze(t, path, auth.Options{})
	want := []row{
		{Frame: 3, Challenge: 2, Code: 403, CodeFrame: 4, Method: "REGISTER", Username: "telephone1", Realm: "asterisk",
			URI: "sip:172.16.98.101;transport=UDP", Alg: "MD5", Status: auth.StatusUnverified},
		{Frame: 7, Challenge: 6, Code: 403, CodeFrame: 8, Method: "SUBSCRIBE", Username: "telephone1", Realm: "asterisk",
			URI: "sip:telephone1@172.16.98.101;transport=UDP", Alg: "MD5", Status: auth.StatusUnverified},
	}
	if got := rows(res.Auth); !reflect.DeepEqual(got, want) {
		t.Errorf("credentials\n %+v\nwant\n %+v", got, want)
	}
	var chs []string
	for _, ch := range res.Auth.Challenges {
		chs = append(chs, strconv.Itoa(ch.Frame)+" "+strconv.Itoa(ch.Code)+" "+ch.Realm+" "+ch.Nonce+" "+ch.Algorithm+" "+strings.Join(ch.QOP, ","))
	}
	if want := []string{"2 401 asterisk 54bd660f MD5 ", "6 401 asterisk 6fb72fd3 MD5 "}; !reflect.DeepEqual(chs, want) {
		t.Errorf("challenges %q, want %q", chs, want)
	}
	var weak [][]int
	for _, f := range res.Findings {
		if f.ID == "auth.weak-algorithm" {
			weak = append(weak, f.Evidence.Frames)
		}
	}
	if !reflect.DeepEqual(weak, [][]int{{2, 6}}) {
		t.Errorf("auth.weak-algorithm frames %v, want one finding on frames 2 and 6", weak)
	}
	// A wordlist without the password leaves them unverified, and says so.
	res = analyze(t, path, auth.Options{Wordlist: strings.NewReader("telephone\nasterisk\n1234\n")})
	for _, c := range res.Auth.Credentials {
		if c.Status != auth.StatusUnverified || !strings.HasSuffix(c.Reason, "no word of the wordlist fits") {
			t.Errorf("frame %d with a wordlist: %s (%s)", c.Frame, c.Status, c.Reason)
		}
	}
	if w := res.Auth.Wordlist; w == nil || w.Words != 3 {
		t.Errorf("wordlist stats %+v", w)
	}
}

// tshark's second opinion: the frames it sees carrying digest challenges
// and credentials are the ones sipscope lists, SIP over WebSocket included.
func TestDigestFramesMatchTshark(t *testing.T) {
	tshark := testenv.RequireTool(t, "tshark")
	for _, path := range []string{
		testenv.PublicCapture(t, "sip-auth-failure.pcapng"), // frames 2, 3, 6, 7
		testenv.Testdata("freeswitch-nat.pcap"),             // frames 1, 2, 3
		testenv.PublicCapture(t, "sip_tcp_websocket.pcap"),  // 407 and INVITE with credentials over WebSocket
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out, err := exec.Command(tshark, "-n", "-r", path, "-Y",
				"sip.WWW-Authenticate or sip.Proxy-Authenticate or sip.Authorization or sip.Proxy-Authorization",
				"-T", "fields", "-e", "frame.number", "-e", "sip.Method").Output()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, out)
			}
			var want []string
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				frame, method, _ := strings.Cut(line, "\t")
				if line == "" || method == "ACK" || method == "CANCEL" {
					continue // copies of the INVITE's credentials, not listed
				}
				want = append(want, frame)
			}
			res := analyze(t, path, auth.Options{})
			var got []string
			for _, ch := range res.Auth.Challenges {
				got = append(got, strconv.Itoa(ch.Frame))
			}
			for _, c := range res.Auth.Credentials {
				got = append(got, strconv.Itoa(c.Frame))
			}
			got = sortedUnique(got)
			if len(got) < 2 || !reflect.DeepEqual(got, sortedUnique(want)) {
				t.Errorf("frames with digest headers: sipscope %v, tshark %v", got, want)
			}
		})
	}
}

func sortedUnique(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	// numeric sort
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && atoi(out[j]) < atoi(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

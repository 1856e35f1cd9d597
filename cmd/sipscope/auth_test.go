package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/scenario"
	"github.com/sipscope/sipscope/internal/testenv"
)

// runAuthCmd executes the command line with stdin and returns stdout and stderr.
func runAuthCmd(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := newRootCmd(&out, &errOut)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

var (
	seedCapture   = testenv.Testdata("freeswitch-nat.pcap")
	digestCapture = testenv.Testdata("digest-auth.pcap")
)

// authRelative makes the capture paths in the output independent of where the
// repository is checked out.
func authRelative(s string) string {
	return strings.ReplaceAll(s, testenv.RepoRoot()+string(filepath.Separator), "")
}

func TestAuthGolden(t *testing.T) {
	accounts := []string{
		"--password", "alice=" + scenario.DAAlicePassword,
		"--password", "bob=" + scenario.DABobPassword,
		"--password", "carol@pbx.example.com=" + scenario.DACarolPassword,
		"--password", "dave=" + scenario.DADavePassword,
	}
	tests := []struct {
		golden string
		args   []string
	}{
		{"auth-seed.txt", []string{"auth", seedCapture, "--password", "1011=1011"}},
		{"auth-seed-wrong.json", []string{"auth", seedCapture, "--password", "1011=1012", "--format", "json", "--show-passwords"}},
		{"auth-digest.txt", append([]string{"auth", digestCapture}, accounts...)},
		{"auth-digest-nothing-given.txt", []string{"auth", digestCapture}},
		{"auth-digest.json", append([]string{"auth", digestCapture, "--format", "json"}, accounts...)},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			out, errOut, err := runAuthCmd(t, "", tt.args...)
			if err != nil || errOut != "" {
				t.Fatalf("%v\n%s", err, errOut)
			}
			golden(t, tt.golden, authRelative(out))
		})
	}
}

// The public Asterisk capture: both responses unverified, each with its
// challenge and the 403 that answered it.
func TestAuthFailureCaptureGolden(t *testing.T) {
	path := testenv.PublicCapture(t, "sip-auth-failure.pcapng")
	out, _, err := runAuthCmd(t, "", "auth", path)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "auth-sip-auth-failure.txt", strings.ReplaceAll(out, filepath.Dir(path)+string(filepath.Separator), ""))
}

// Passwords show only with --show-passwords, in the table and in JSON,
// whether they were given, guessed or found in the wordlist.
func TestAuthShowPasswords(t *testing.T) {
	dir := t.TempDir()
	words := filepath.Join(dir, "words.txt")
	if err := os.WriteFile(words, []byte("123456\nhunter2\n"+scenario.DADavePassword+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	secrets := []string{scenario.DAAlicePassword, "hunter2", scenario.DADavePassword}
	for _, format := range []string{"table", "json"} {
		args := []string{"auth", digestCapture, "--format", format, "--wordlist", words,
			"--password", "alice=" + scenario.DAAlicePassword}
		out, _, err := runAuthCmd(t, "", args...)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output shows %q without --show-passwords", format, s)
			}
		}
		out, _, err = runAuthCmd(t, "", append(args, "--show-passwords")...)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append(secrets, "1001") {
			if !strings.Contains(out, `"`+s+`"`) {
				t.Errorf("%s output with --show-passwords lacks %q", format, s)
			}
		}
	}
}

// --passwords and --password-stdin read user[@realm]:password lines; the
// JSON says which password fits which response.
func TestAuthPasswordInputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "accounts.txt")
	if err := os.WriteFile(file, []byte("# PBX accounts\nalice:"+scenario.DAAlicePassword+"\nbob@pbx.example.com:"+scenario.DABobPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	status := func(out string) map[int]string {
		var r struct {
			Credentials []struct {
				Frame  int    `json:"frame"`
				Status string `json:"status"`
			} `json:"credentials"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		m := map[int]string{}
		for _, c := range r.Credentials {
			m[c.Frame] = c.Status
		}
		return m
	}
	out, _, err := runAuthCmd(t, "carol:"+scenario.DACarolPassword+"\n", "auth", digestCapture, "--format", "json",
		"--passwords", file, "--password-stdin")
	if err != nil {
		t.Fatal(err)
	}
	got := status(out)
	want := map[int]string{3: "valid", 7: "recovered", 11: "invalid", 16: "valid", 21: "valid", 25: "valid", 29: "malformed"}
	for f, s := range want {
		if got[f] != s {
			t.Errorf("frame %d: %s, want %s (all: %v)", f, got[f], s, got)
		}
	}
}

func TestAuthErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("alice Zebra\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"auth", seedCapture, "--password", "1011:1011"}, `--password: password "1011:...": want USER[@REALM]=PASSWORD`},
		{"", []string{"auth", seedCapture, "--passwords", bad}, "--passwords: " + bad + ":1: want user[@realm]:password"},
		{"", []string{"auth", seedCapture, "--passwords", filepath.Join(dir, "none.txt")}, "--passwords: open " + filepath.Join(dir, "none.txt") + ": no such file or directory"},
		{"x:y\n", []string{"auth", "-", "--password-stdin"}, "--password-stdin: standard input is already the capture"},
		{"", []string{"auth", seedCapture, "--wordlist", filepath.Join(dir, "none.txt")}, "--wordlist: open " + filepath.Join(dir, "none.txt") + ": no such file or directory"},
		{"", []string{"auth", seedCapture, "--wordlist", bad + ".gz"}, "--wordlist: open " + bad + ".gz: no such file or directory"},
		{"", []string{"auth", seedCapture, "--format", "xml"}, `--format "xml": want one of [table json]`},
	}
	for _, tt := range tests {
		_, _, err := runAuthCmd(t, tt.stdin, tt.args...)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%v: error %v, want %s", tt.args, err, tt.want)
		}
	}
}

// A gzip wordlist is read as gzip, and progress goes to stderr only when
// asked (the test's stderr is no terminal).
func TestAuthWordlistGzipAndProgress(t *testing.T) {
	dir := t.TempDir()
	words := filepath.Join(dir, "words.txt.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("letmein\nhunter2\n"))
	zw.Close()
	if err := os.WriteFile(words, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runAuthCmd(t, "", "auth", digestCapture, "--wordlist", words, "--format", "json")
	if err != nil || errOut != "" {
		t.Fatalf("%v, stderr %q", err, errOut)
	}
	if !strings.Contains(out, `"password_source": "wordlist"`) || !strings.Contains(out, `"wordlist_words": 2`) {
		t.Errorf("hunter2 not found through the gzip wordlist:\n%s", out)
	}
	_, errOut, err = runAuthCmd(t, "", "auth", digestCapture, "--wordlist", words, "--progress", "--format", "json")
	if err != nil || !strings.HasPrefix(errOut, "wordlist: done, 2 words, ") || !strings.HasSuffix(errOut, "2 of 7 passwords found\n") {
		t.Errorf("progress %q, %v", errOut, err)
	}
}

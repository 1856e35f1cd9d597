package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/decode/sip/digest"
	"github.com/sipscope/sipscope/diagnose/auth"
	"github.com/sipscope/sipscope/report"
)

func init() { register(newAuthCmd) }

type authOptions struct {
	Files         []string
	Format        string
	Passwords     []string // --password USER[@REALM]=PASS
	PasswordFiles []string // --passwords FILE
	PasswordStdin bool
	Wordlist      string
	ShowPasswords bool
	Progress      bool
	// stdin is where --password-stdin reads.
	stdin io.Reader
	// progress reports the wordlist audit, nil when it stays quiet.
	progress *progress
}

func newAuthCmd(io *streams) *cobra.Command {
	opts := &authOptions{}
	cmd := &cobra.Command{
		Use:   "auth FILE...",
		Short: "Verify SIP digest responses: right password, wrong one, or weak",
		Long: `auth lists every digest challenge (401/407) and every response to one
(Authorization, Proxy-Authorization), pairs each response with the challenge it
answers and the server's final answer, and checks it against the passwords you
give, the username's obvious variants and, with --wordlist, every word of a list.

Status of a response: valid (a password given fits), invalid (a known password
does not fit: the client sends a wrong one), recovered (found by guessing or the
wordlist), unverified (no password known for that user), malformed (missing
fields, digest uri not the Request-URI, unknown algorithm, or not matching its
challenge). Passwords are shown only with --show-passwords.`,
		Example: `  sipscope auth testdata/freeswitch-nat.pcap --password 1011=1011
  sipscope auth capture.pcap --passwords accounts.txt --format json
  pass show sip/1011 | sipscope auth capture.pcap --password-stdin
  sipscope auth capture.pcap --wordlist rockyou.txt.gz --show-passwords`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			opts.stdin = cmd.InOrStdin()
			return runAuth(io, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "table", "output format: table or json")
	f.StringArrayVar(&opts.Passwords, "password", nil, "a known password, USER[@REALM]=PASS; repeatable (visible in the process list: prefer --passwords or --password-stdin)")
	f.StringArrayVar(&opts.PasswordFiles, "passwords", nil, "file of known passwords, one user[@realm]:password a line ('#' starts a comment); repeatable")
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read known passwords from standard input, in the --passwords format")
	f.StringVar(&opts.Wordlist, "wordlist", "", "file of candidate passwords, one a line (.gz read as gzip), tried against every response on every core")
	f.BoolVar(&opts.ShowPasswords, "show-passwords", false, "show the password that fits each response")
	f.BoolVar(&opts.Progress, "progress", false, "report wordlist progress on stderr even when it is not a terminal")
	return cmd
}

func runAuth(io *streams, opts *authOptions) error {
	if err := checkFormat(opts.Format, "table", "json"); err != nil {
		return err
	}
	aopts, closeAll, err := authInputs(io, opts)
	if err != nil {
		return err
	}
	defer closeAll()
	res, err := analyzeWith(sipscope.Options{Files: opts.Files, Auth: aopts})
	if err != nil {
		return err
	}
	if opts.progress != nil && res.Auth.Wordlist != nil {
		opts.progress.done(res.Auth.Wordlist.Progress)
	}
	if opts.Format == "json" {
		return report.WriteJSON(io.Out, report.BuildAuthJSON(res, opts.ShowPasswords))
	}
	report.CaptureText(io.Out, &res.Capture)
	fmt.Fprintln(io.Out)
	if noSIP(io.Out, res) {
		return nil
	}
	return report.AuthText(io.Out, res, opts.ShowPasswords)
}

// authInputs reads the known passwords and opens the wordlist.
func authInputs(s *streams, opts *authOptions) (auth.Options, func(), error) {
	var a auth.Options
	closeAll := func() {}
	for _, s := range opts.Passwords {
		p, err := auth.ParsePassword(s)
		if err != nil {
			return a, closeAll, fmt.Errorf("--password: %w", err)
		}
		a.Passwords = append(a.Passwords, p)
	}
	for _, name := range opts.PasswordFiles {
		ps, err := readPasswordFile(name)
		if err != nil {
			return a, closeAll, fmt.Errorf("--passwords: %w", err)
		}
		a.Passwords = append(a.Passwords, ps...)
	}
	if opts.PasswordStdin {
		for _, f := range opts.Files {
			if f == "-" {
				return a, closeAll, errors.New("--password-stdin: standard input is already the capture")
			}
		}
		ps, err := auth.ReadPasswords(opts.stdin, "standard input")
		if err != nil {
			return a, closeAll, fmt.Errorf("--password-stdin: %w", err)
		}
		a.Passwords = append(a.Passwords, ps...)
	}
	if opts.Wordlist == "" {
		return a, closeAll, nil
	}
	f, err := os.Open(opts.Wordlist)
	if err != nil {
		return a, closeAll, fmt.Errorf("--wordlist: %w", err)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	var r io.Reader = f
	closeAll = func() { f.Close() }
	if strings.HasSuffix(opts.Wordlist, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			return a, func() {}, fmt.Errorf("--wordlist: %s: %w", opts.Wordlist, err)
		}
		r, size = gz, 0 // the uncompressed size is unknown
	}
	a.Wordlist = r
	if opts.Progress || isTerminal(s.Err) {
		now := time.Now()
		opts.progress = &progress{w: s.Err, size: size, terminal: isTerminal(s.Err), start: now, last: now}
		a.Progress = opts.progress.update
	}
	return a, closeAll, nil
}

func readPasswordFile(name string) ([]auth.Password, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return auth.ReadPasswords(f, name)
}

// isTerminal reports whether w is a character device, where a progress
// line that rewrites itself reads well.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress writes the wordlist audit's status line on stderr: at most
// every half second on a terminal, rewritten in place; every ten seconds
// elsewhere (--progress into a log), one line each time.
type progress struct {
	w        io.Writer
	size     int64 // wordlist size in bytes, 0 if unknown
	terminal bool
	start    time.Time
	last     time.Time
}

func (p *progress) update(st digest.Progress) {
	now := time.Now()
	every := 10 * time.Second
	if p.terminal {
		every = 500 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.write(st, now, false)
}

// done writes the final status line, ending it with a newline.
func (p *progress) done(st digest.Progress) { p.write(st, time.Now(), true) }

func (p *progress) write(st digest.Progress, now time.Time, final bool) {
	rate := float64(st.Checks) / now.Sub(p.start).Seconds()
	pct := ""
	if p.size > 0 {
		pct = fmt.Sprintf("%5.1f%% ", 100*float64(st.Bytes)/float64(p.size))
	}
	if final {
		pct = "done, "
	}
	end := "\n"
	if p.terminal {
		// Rewrite the line in place; clear what a longer line left.
		fmt.Fprint(p.w, "\r\x1b[K")
		if !final {
			end = ""
		}
	}
	fmt.Fprintf(p.w, "wordlist: %s%d words, %.2fM checks/s, %d of %d passwords found%s",
		pct, st.Words, rate/1e6, st.Found, st.Targets, end)
}

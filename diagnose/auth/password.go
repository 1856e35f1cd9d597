package auth

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Password is a password the user knows for a digest username, in one
// realm or in any.
type Password struct {
	User     string
	Realm    string // "" for any realm
	Password string
}

// Matches reports whether p is a password for name in realm. "alice@example.com"
// matches both the username "alice" in realm "example.com" and the
// username "alice@example.com" (IMS private identities look like that) in
// any realm.
func (p Password) Matches(name, realm string) bool {
	if p.Realm == "" {
		return p.User == name
	}
	return p.User == name && p.Realm == realm || p.User+"@"+p.Realm == name
}

// ParsePassword parses the --password flag's USER[@REALM]=PASS. The first
// '=' ends the user part, so the password may hold '='; the last '@'
// starts the realm.
func ParsePassword(s string) (Password, error) {
	who, pw, ok := strings.Cut(s, "=")
	if !ok {
		return Password{}, fmt.Errorf("password %q: want USER[@REALM]=PASSWORD", redact(s))
	}
	return newPassword(who, pw)
}

func newPassword(who, pw string) (Password, error) {
	p := Password{User: who, Password: pw}
	if i := strings.LastIndexByte(who, '@'); i >= 0 {
		p.User, p.Realm = who[:i], who[i+1:]
	}
	if p.User == "" {
		return Password{}, fmt.Errorf("password for %q: empty user", who)
	}
	return p, nil
}

// redact keeps the user part of a USER=PASS string for error messages.
func redact(s string) string {
	if i := strings.IndexAny(s, "=:"); i >= 0 {
		return s[:i] + s[i:i+1] + "..."
	}
	if len(s) > 3 {
		return s[:3] + "..."
	}
	return "..."
}

// ReadPasswords reads one user[@realm]:password a line, as --passwords and
// --password-stdin take them: the first ':' ends the user part, so the
// password may hold ':' (a realm cannot; give such a one with --password).
// Blank lines and lines starting with '#' are skipped; a CR before the line
// end is dropped. name is used in error messages.
func ReadPasswords(r io.Reader, name string) ([]Password, error) {
	var out []Password
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		who, pw, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("%s:%d: want user[@realm]:password", name, n)
		}
		p, err := newPassword(who, pw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

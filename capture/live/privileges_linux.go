//go:build linux

package live

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// DropPrivileges switches the whole process (every thread: Go applies
// setuid and setgid to all of them on Linux) to the user name and its
// groups, as tcpdump -Z does. Call it after Open: the socket stays usable.
// Running unprivileged as that user already is not an error; switching to
// another user without root is.
func DropPrivileges(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("live: --user: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("live: --user %s: uid %q gid %q are not numbers", name, u.Uid, u.Gid)
	}
	if os.Geteuid() != 0 {
		if os.Getuid() == uid && os.Geteuid() == uid {
			return nil
		}
		return fmt.Errorf("live: --user %s: only root can switch users (running as uid %d)", name, os.Geteuid())
	}
	var groups []int
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil {
				groups = append(groups, g)
			}
		}
	}
	if len(groups) == 0 {
		groups = []int{gid}
	}
	// Groups first, then the group, then the user: after setuid there is
	// no right left to change the others.
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("live: --user %s: setgroups: %w", name, err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("live: --user %s: setgid: %w", name, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("live: --user %s: setuid: %w", name, err)
	}
	if os.Getuid() != uid || os.Geteuid() != uid || os.Getgid() != gid {
		return fmt.Errorf("live: --user %s: still uid %d gid %d after dropping privileges", name, os.Geteuid(), os.Getegid())
	}
	return nil
}

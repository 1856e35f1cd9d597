// Package testenv holds what tests need to find real peers and shared
// captures: a test that needs a tool, root or the shared captures skips with a
// clear message on a developer's laptop and fails when CI is set, so CI always
// runs it.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// InCI reports whether the CI environment variable is set.
func InCI() bool { return os.Getenv("CI") != "" }

// Unavailable skips the test with why, or fails it under CI.
func Unavailable(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI is set but %s", why)
	}
	t.Skipf("skipping: %s (set CI=1 to make this a failure)", why)
}

// RequireTool returns the path of an executable, or skips (fails under CI).
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(t, name+" is not installed (apt-get install "+debianPackage(name)+")")
	}
	return p
}

// RequireRoot skips unless the test runs as root (fails under CI).
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "this test needs root")
	}
}

func debianPackage(tool string) string {
	switch tool {
	case "sipp":
		return "sip-tester"
	case "tshark", "capinfos":
		return "tshark"
	}
	return tool
}

// RepoRoot returns the repository's top directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Testdata returns the path of a file in the repository's testdata/.
func Testdata(name string) string {
	return filepath.Join(RepoRoot(), "testdata", name)
}

// PublicCaptures returns the directory of the shared public captures
// (../shared/captures/public seen from the repository root), or skips the
// test (fails under CI) when it is absent.
func PublicCaptures(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(), "..", "shared", "captures", "public")
	if _, err := os.Stat(dir); err != nil {
		Unavailable(t, "the shared captures are not at "+dir)
	}
	return dir
}

// PublicCapture returns the path of one shared public capture.
func PublicCapture(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(PublicCaptures(t), name)
	if _, err := os.Stat(p); err != nil {
		Unavailable(t, "missing shared capture "+p)
	}
	return p
}

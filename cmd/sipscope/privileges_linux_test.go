//go:build linux

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/testenv"
)

// buildSipscope builds the command into a directory every user can read.
func buildSipscope(t *testing.T) string {
	t.Helper()
	goTool := testenv.RequireTool(t, "go")
	dir, err := os.MkdirTemp("", "sipscope-bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "sipscope")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runCapture starts cmd (a sipscope live on lo for the given port), waits
// until it captures, runs check, sends one SIP OPTIONS to the port, waits
// for its event line, interrupts sipscope as Ctrl-C would and returns all
// it printed; sipscope must exit 0.
func runCapture(t *testing.T, cmd *exec.Cmd, port int, check func(pid int)) string {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	// The start line comes after the privileges are dropped.
	esc := bufio.NewScanner(stderr)
	var errText strings.Builder
	for esc.Scan() {
		errText.WriteString(esc.Text() + "\n")
		if strings.HasPrefix(esc.Text(), "sipscope: capturing on lo") {
			break
		}
	}
	errDone := make(chan struct{})
	go func() {
		for esc.Scan() {
			errText.WriteString(esc.Text() + "\n")
		}
		close(errDone)
	}()
	if check != nil {
		check(cmd.Process.Pid)
	}
	callID := "probe-" + strconv.Itoa(port)
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	msg := "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKp\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n" +
		"To: <sip:probe@127.0.0.1>\r\nCall-ID: " + callID + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := conn.WriteTo([]byte(msg), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	var out strings.Builder
	osc := bufio.NewScanner(stdout)
	interrupted := false
	for osc.Scan() {
		out.WriteString(osc.Text() + "\n")
		if !interrupted && strings.Contains(osc.Text(), "new ") && strings.Contains(osc.Text(), callID) {
			if err := cmd.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			interrupted = true
		}
	}
	<-errDone
	if err := cmd.Wait(); err != nil || !interrupted {
		t.Fatalf("sipscope: %v (probe seen: %v)\n%s\n%s", err, interrupted, errText.String(), out.String())
	}
	if !strings.Contains(out.String(), "Live capture stopped (interrupted)") {
		t.Errorf("no final report after the interrupt:\n%s", out.String())
	}
	return out.String()
}

// --user: started as root, sipscope opens the socket, then runs as the
// user, and still captures.
func TestLiveDropsToUser(t *testing.T) {
	testenv.RequireRoot(t)
	bin := buildSipscope(t)
	port := freePorts(t, 1)
	cmd := exec.Command(bin, "live", "-i", "lo", "--port", strconv.Itoa(port), "--user", "nobody", "--all-events", "--stats-every", "0")
	out := runCapture(t, cmd, port, func(pid int) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 5 && f[0] == "Uid:" {
				if f[1] != "65534" || f[2] != "65534" || f[3] != "65534" {
					t.Errorf("with --user nobody, sipscope runs as %s", l)
				}
				return
			}
		}
		t.Error("no Uid line in /proc status")
	})
	if !strings.Contains(out, "probe-"+strconv.Itoa(port)) {
		t.Errorf("the probe was not captured after dropping privileges:\n%s", out)
	}
}

// Without root, CAP_NET_RAW alone is enough (setcap cap_net_raw+ep).
func TestLiveWithOnlyCapNetRaw(t *testing.T) {
	testenv.RequireRoot(t)
	setpriv := testenv.RequireTool(t, "setpriv")
	bin := buildSipscope(t)
	port := freePorts(t, 1)
	cmd := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
		"--inh-caps=-all,+net_raw", "--ambient-caps=-all,+net_raw", "--bounding-set=-all,+net_raw",
		bin, "live", "-i", "lo", "--port", strconv.Itoa(port), "--all-events", "--stats-every", "0")
	out := runCapture(t, cmd, port, nil)
	if !strings.Contains(out, "probe-"+strconv.Itoa(port)) {
		t.Errorf("the probe was not captured with CAP_NET_RAW only:\n%s", out)
	}
	// And without it, the error says what to do.
	cmd = exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
		bin, "live", "-i", "lo", "--count", "1")
	b, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(b), "CAP_NET_RAW") {
		t.Errorf("without CAP_NET_RAW: err %v, output %s", err, b)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sipscope/sipscope/internal/testenv"
)

// The sipscope binary, sniffing lo, stops on SIGINT and on SIGTERM with exit
// status 0, having printed the events of the call it saw and the final
// report. A real process and a real signal: what an operator does with
// Ctrl-C or systemctl stop.
func TestLiveStopsOnSignal(t *testing.T) {
	testenv.RequireRoot(t)
	bin := filepath.Join(t.TempDir(), "sipscope")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			port := freePorts(t, 1)
			cmd := exec.CommandContext(ctx, bin, "live", "-i", "lo", "--port", fmt.Sprint(port), "--stats-every", "0", "--all-events")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			ready := make(chan string, 1)
			var errText bytes.Buffer
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					errText.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), "capturing on lo") {
						ready <- sc.Text()
					}
				}
				close(ready)
			}()
			if _, ok := <-ready; !ok {
				_ = cmd.Wait()
				t.Fatalf("live did not start capturing:\n%s", errText.String())
			}
			// An OPTIONS and its 200 OK over 127.0.0.1, to the captured port.
			c, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
			id := fmt.Sprintf("signal-%d-%d", port, time.Now().UnixNano())
			req := options(id, c.LocalAddr().String())
			if _, err := c.WriteTo([]byte(req), dst); err != nil {
				t.Fatal(err)
			}
			// Wait for its event line (bounded by ctx), then signal.
			var out bytes.Buffer
			seen, outDone := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(outDone)
				sc := bufio.NewScanner(stdout)
				once := false
				for sc.Scan() {
					out.WriteString(sc.Text() + "\n")
					if !once && strings.Contains(sc.Text(), id) {
						once = true
						close(seen)
					}
				}
			}()
			select {
			case <-seen:
			case <-ctx.Done():
				t.Fatal("no event for the OPTIONS before the deadline")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			<-outDone
			err = cmd.Wait()
			if err != nil { // an *exec.ExitError for a status other than 0
				t.Fatalf("exit: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errText.String())
			}
			for _, want := range []string{"Live capture stopped (interrupted)", id} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// options is an OPTIONS request from addr (host:port) with Call-ID id.
func options(id, addr string) string {
	return "OPTIONS sip:probe@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + addr + ";branch=z9hG4bK-" + id + "\r\n" +
		"From: <sip:probe@" + addr + ">;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: " + id + "\r\nCSeq: 1 OPTIONS\r\n" +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
}

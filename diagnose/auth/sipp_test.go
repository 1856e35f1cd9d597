package auth_test

import (
	"bufio"
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

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/diagnose/auth"
	"github.com/sipscope/sipscope/internal/testenv"
)

// sippUAS is a registrar that challenges every REGISTER (MD5, qop=auth)
// and checks the answer with sipp's own digest code (verifyauth): 200 when
// alice's password Zebra-42 fits, 403 otherwise.
const sippUAS = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="registrar with digest">
  <recv request="REGISTER"/>
  <send><![CDATA[

      SIP/2.0 401 Unauthorized
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      WWW-Authenticate: Digest realm="sipp.test", nonce="nonce-[pid]-[call_number]", algorithm=MD5, qop="auth"
      Content-Length: 0

    ]]></send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="alice" password="Zebra-42"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <send next="end"><![CDATA[

      SIP/2.0 403 Forbidden
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag02[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <label id="good"/>
  <send><![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag02[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:alice@[remote_ip]:[remote_port]>;expires=60
      Content-Length: 0

    ]]></send>
  <label id="end"/>
</scenario>
`

// sippUAC registers alice, answering the challenge with a password. sipp
// puts sip:remote_ip:remote_port in the digest uri, so the Request-URI is
// that too, unless the test wants them to differ.
const sippUAC = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500"><![CDATA[

      REGISTER %[1]s SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@sipp.test>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@sipp.test>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>
      Max-Forwards: 70
      Expires: 60
      Content-Length: 0

    ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[

      REGISTER %[1]s SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@sipp.test>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@sipp.test>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:alice@[local_ip]:[local_port]>
      [authentication username=alice password=%[2]s]
      Max-Forwards: 70
      Expires: 60
      Content-Length: 0

    ]]></send>
  <recv response="200" optional="true" next="done"/>
  <recv response="403"/>
  <label id="done"/>
</scenario>
`

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startCapture runs tcpdump on lo for the two ports and returns once it
// listens; stop ends it and returns the capture's path. --immediate-mode
// matters: without it packets wait in the kernel ring for a block timeout
// and a tcpdump stopped early never writes them.
func startCapture(t *testing.T, ctx context.Context, dir string, ports ...int) (stop func() string) {
	t.Helper()
	tcpdump := testenv.RequireTool(t, "tcpdump")
	path := filepath.Join(dir, "sipp.pcap")
	filter := fmt.Sprintf("udp and host 127.0.0.1 and (port %d or port %d)", ports[0], ports[1])
	cmd := exec.CommandContext(ctx, tcpdump, "-i", "lo", "--immediate-mode", "-U", "-Z", "root", "-w", path, filter)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	ready := false
	for sc.Scan() {
		if strings.Contains(sc.Text(), "listening on") {
			ready = true
			break
		}
	}
	if !ready {
		_ = cmd.Wait()
		t.Fatalf("tcpdump did not start listening: %v", sc.Err())
	}
	go func() { // drain the rest so tcpdump never blocks on stderr
		for sc.Scan() {
		}
	}()
	return func() string {
		// Packets reach tcpdump a moment after they reach sipp: wait, a
		// bounded number of times, until every message is on disk.
		for range 100 {
			if countFrames(path) >= 4*4 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		return path
	}
}

// A real registrar (sipp, verifying with its own digest code) and a real
// client (sipp) on 127.0.0.1, captured on lo: sipscope agrees with the
// registrar on every response, and says why it refused.
func TestSippRegistrar(t *testing.T) {
	testenv.RequireRoot(t)
	sipp := testenv.RequireTool(t, "sipp")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	uas, uac := freeUDPPort(t), freeUDPPort(t)
	target := fmt.Sprintf("sip:127.0.0.1:%d", uas)
	clients := []struct {
		ruri, password string
	}{
		{target, "Zebra-42"},          // right password
		{target, "Zebra-43"},          // wrong password
		{target, "alice"},             // wrong password, and a weak one
		{"sip:sipp.test", "Zebra-42"}, // right password, but the digest uri is not the Request-URI
	}
	if err := os.WriteFile(filepath.Join(dir, "uas.xml"), []byte(sippUAS), 0o644); err != nil {
		t.Fatal(err)
	}
	stop := startCapture(t, ctx, dir, uas, uac)
	server := exec.CommandContext(ctx, sipp, "-sf", "uas.xml", "-i", "127.0.0.1", "-p", fmt.Sprint(uas),
		"-m", fmt.Sprint(len(clients)), "-nostdin", "-timeout", "60s")
	server.Dir = dir
	serverOut, err := os.Create(filepath.Join(dir, "uas.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer serverOut.Close()
	server.Stdout, server.Stderr = serverOut, serverOut
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		name := fmt.Sprintf("uac%d.xml", i)
		if err := os.WriteFile(filepath.Join(dir, name), fmt.Appendf(nil, sippUAC, c.ruri, c.password), 0o644); err != nil {
			t.Fatal(err)
		}
		// The client retransmits until the server is up, so no wait is needed.
		client := exec.CommandContext(ctx, sipp, "-sf", name, "-i", "127.0.0.1", "-p", fmt.Sprint(uac),
			fmt.Sprintf("127.0.0.1:%d", uas), "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error")
		client.Dir = dir
		if out, err := client.CombinedOutput(); err != nil {
			t.Fatalf("sipp client %d: %v\n%s", i, err, lastLines(out, 20))
		}
	}
	if err := server.Wait(); err != nil {
		out, _ := os.ReadFile(serverOut.Name())
		t.Fatalf("sipp server: %v\n%s", err, lastLines(out, 20))
	}
	path := stop()

	res := analyze(t, path, auth.Options{Passwords: []auth.Password{{User: "alice", Password: "Zebra-42"}}})
	a := res.Auth
	if len(a.Credentials) != len(clients) || len(a.Challenges) != len(clients) {
		t.Fatalf("%d credentials and %d challenges, want %d each", len(a.Credentials), len(a.Challenges), len(clients))
	}
	want := []struct {
		status string
		code   int
		weak   string
	}{
		{auth.StatusValid, 200, ""},
		{auth.StatusInvalid, 403, ""},
		{auth.StatusInvalid, 403, "the username"},
		{auth.StatusMalformed, 200, ""},
	}
	for i, c := range a.Credentials {
		w := want[i]
		if c.Status != w.status || c.ResponseCode != w.code || c.Weak != w.weak {
			t.Errorf("client %d (frame %d): %s, answer %d, weak %q (%s); want %s, %d, %q",
				i, c.Frame, c.Status, c.ResponseCode, c.Weak, c.Reason, w.status, w.code, w.weak)
		}
		if ch := c.Challenge; ch == nil || ch.CallID != c.CallID || ch.Frame >= c.Frame || ch.Code != 401 {
			t.Errorf("client %d: challenge %+v", i, ch)
		}
		if c.Algorithm != "MD5" || c.QOP != "auth" || c.NC != "00000001" || c.CNonce == "" {
			t.Errorf("client %d: sipp sent algorithm %q qop %q nc %q cnonce %q", i, c.Algorithm, c.QOP, c.NC, c.CNonce)
		}
	}
	if c := a.Credentials[3]; c.Reason != `digest uri "`+target+`" is not the Request-URI "sip:sipp.test"; fits the password given for alice@sipp.test` {
		t.Errorf("client 3 reason: %s", c.Reason)
	}
	ids := map[string]int{}
	for _, f := range res.Findings {
		ids[f.ID]++
	}
	if ids["auth.invalid-response"] != 2 || ids["auth.weak-password"] != 1 || ids["auth.nonce-reused"] != 0 || ids["auth.weak-algorithm"] != 0 {
		t.Errorf("findings %v", ids)
	}
}

func countFrames(path string) int {
	s, err := capture.OpenAll([]string{path})
	if err != nil {
		return 0
	}
	defer s.Close()
	for {
		if _, err := s.Next(); err != nil {
			return s.Frames()
		}
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

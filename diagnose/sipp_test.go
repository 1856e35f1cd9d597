package diagnose_test

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
	"sync"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/testenv"
)

// sippUAC is a UAC scenario whose ACK goes to a port nothing listens on:
// sipp's setdest action redirects the rest of the call there. Each 200 OK
// retransmission makes sipp re-send its last message, the ACK, there too.
const sippUAC = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="UAC whose ACK goes to a dead port">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <nop><action><setdest host="127.0.0.1" port="DEADPORT" protocol="udp"/></action></nop>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="2500"/>
</scenario>
`

// freeUDPPorts returns n UDP ports on 127.0.0.1 that were free a moment ago:
// the kernel picks them, so concurrent tests on this machine do not clash.
func freeUDPPorts(t *testing.T, n int) []int {
	t.Helper()
	var conns []net.PacketConn
	var ports []int
	for range n {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		ports = append(ports, c.LocalAddr().(*net.UDPAddr).Port)
	}
	for _, c := range conns {
		c.Close()
	}
	return ports
}

// procOutput collects a process's output for failure messages, which may
// read it while the process still writes.
type procOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *procOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *procOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A real UAC (sipp) sends its ACK to a port nothing listens on while a real
// UAS (sipp -sn uas) retransmits its 200 OK; tcpdump captures lo. The
// capture gives the same ack.misrouted finding as the seed, with the ICMP
// port unreachable errors the kernel sent back in its evidence.
func TestSippAckToDeadPort(t *testing.T) {
	testenv.RequireRoot(t)
	sipp := testenv.RequireTool(t, "sipp")
	tcpdump := testenv.RequireTool(t, "tcpdump")

	// Everything is bounded by this deadline: processes are killed at it.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	ports := freeUDPPorts(t, 5)
	uas, uac, dead, uasMedia, uacMedia := ports[0], ports[1], ports[2], ports[3], ports[4]
	dir := t.TempDir()
	scenario := filepath.Join(dir, "uac.xml")
	if err := os.WriteFile(scenario, []byte(strings.ReplaceAll(sippUAC, "DEADPORT", fmt.Sprint(dead))), 0o644); err != nil {
		t.Fatal(err)
	}
	pcap := filepath.Join(dir, "lo.pcap")

	filter := fmt.Sprintf("udp port %d or udp port %d or udp port %d or icmp", uas, uac, dead)
	dump := exec.CommandContext(ctx, tcpdump, "-i", "lo", "-n", "-U", "-w", pcap, filter)
	stderr, err := dump.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := dump.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = dump.Process.Signal(os.Interrupt)
			_ = dump.Wait()
		}
	}
	defer stop()
	// tcpdump says "listening on lo" once it captures.
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				ready <- nil
				for sc.Scan() { // drain, so tcpdump never blocks on stderr
				}
				return
			}
		}
		ready <- fmt.Errorf("tcpdump ended without listening: %v", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("tcpdump did not start listening before the deadline")
	}

	var uasOut, uacOut procOutput
	server := exec.CommandContext(ctx, sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", fmt.Sprint(uas), "-mp", fmt.Sprint(uasMedia),
		"-m", "1", "-timeout", "20s", "-nostdin")
	server.Stdout, server.Stderr = &uasOut, &uasOut
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = server.Process.Kill()
		_ = server.Wait()
	}()
	// sipp binds its socket at start; poll until the UAS port is taken
	// rather than sleeping a guessed time.
	for {
		c, err := net.ListenPacket("udp4", fmt.Sprintf("127.0.0.1:%d", uas))
		if err != nil {
			break // sipp holds it
		}
		c.Close()
		select {
		case <-ctx.Done():
			t.Fatalf("sipp UAS never bound port %d:\n%s", uas, uasOut.String())
		case <-time.After(20 * time.Millisecond):
		}
	}

	client := exec.CommandContext(ctx, sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", fmt.Sprint(uac), "-mp", fmt.Sprint(uacMedia),
		"-m", "1", "-timeout", "20s", "-nostdin", fmt.Sprintf("127.0.0.1:%d", uas))
	client.Stdout, client.Stderr = &uacOut, &uacOut
	if err := client.Run(); err != nil {
		t.Fatalf("sipp UAC: %v\n%s", err, uacOut.String())
	}
	stop()

	res, err := sipscope.Analyze(sipscope.Options{Files: []string{pcap}})
	if err != nil {
		t.Fatal(err)
	}
	fs := findingsWithID(res.Findings, "ack.misrouted")
	if len(fs) != 1 {
		t.Fatalf("%d ack.misrouted findings, want 1; findings:\n%s\nUAS output:\n%s", len(fs), describeFindings(res.Findings), uasOut.String())
	}
	f := fs[0]
	if f.Severity != diagnose.Error {
		t.Errorf("severity %s, want error", f.Severity)
	}
	deadAddr := fmt.Sprintf("127.0.0.1:%d", dead)
	wantSummaryParts(t, f, "ACKs to "+deadAddr+" (not the 200 OK's Contact)", fmt.Sprintf("the 200 OK came from 127.0.0.1:%d", uas),
		"ICMP port unreachable errors came back")
	retrans := factOf[int](t, f, "retransmissions")
	acks := factOf[[]int](t, f, "ack_frames")
	icmp := factOf[[]int](t, f, "icmp_frames")
	// One ACK per 200 OK while the UAC runs (it quits 2.5 s after its
	// first ACK; on a loaded machine the UAS's third retransmission, due at
	// 3.5 s, may come before it is gone or after), one ICMP error per ACK.
	if retrans < 1 || len(acks) < 2 || len(acks) != retrans+1 && len(acks) != retrans || len(icmp) != len(acks) {
		t.Errorf("%d retransmissions, ACK frames %v, ICMP frames %v: want one ACK per 200 OK the UAC saw and one ICMP error per ACK", retrans, acks, icmp)
	}
	for _, n := range icmp {
		found := false
		for _, e := range f.Evidence.Frames {
			found = found || e == n
		}
		if !found {
			t.Errorf("ICMP frame %d not in the evidence frames %v", n, f.Evidence.Frames)
		}
	}
}

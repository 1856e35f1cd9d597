package scenario

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/pion/rtp"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

var update = flag.Bool("update", false, "rewrite the golden captures in testdata/")

const (
	goldenFreeswitchNAT = "../../testdata/freeswitch-nat.pcap"
	seedFreeswitchNAT   = "../../../shared/seed/freeswitch-nat-call.md"
)

func generate(t *testing.T, pkts []pcapgen.Packet) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFreeswitchNATGolden checks that testdata/freeswitch-nat.pcap is
// exactly what the generator makes; -update rewrites it.
func TestFreeswitchNATGolden(t *testing.T) {
	got := generate(t, FreeswitchNAT())
	if *update {
		if err := os.WriteFile(goldenFreeswitchNAT, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", goldenFreeswitchNAT, len(got))
		return
	}
	want, err := os.ReadFile(goldenFreeswitchNAT)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/scenario -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator's output (%d vs %d bytes); run go test ./internal/scenario -update", goldenFreeswitchNAT, len(want), len(got))
	}
	if again := generate(t, FreeswitchNAT()); !bytes.Equal(again, got) {
		t.Fatal("two runs of the generator differ")
	}
}

// captured is one frame of the golden capture, decoded.
type captured struct {
	n        int // 1-based frame number
	time     time.Time
	src, dst netip.AddrPort
	udp      []byte // UDP payload
	icmp     *layers.ICMPv4
	quoted   []byte // ICMP: the quoted datagram
}

func readGolden(t *testing.T) []captured {
	t.Helper()
	f, err := os.Open(goldenFreeswitchNAT)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []captured
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip == nil {
			t.Fatalf("frame %d: no IPv4: %v", n, p)
		}
		c := captured{n: n, time: ci.Timestamp}
		src, _ := netip.AddrFromSlice(ip.SrcIP)
		dst, _ := netip.AddrFromSlice(ip.DstIP)
		switch l := p.TransportLayer().(type) {
		case *layers.UDP:
			c.src, c.dst = netip.AddrPortFrom(src, uint16(l.SrcPort)), netip.AddrPortFrom(dst, uint16(l.DstPort))
			c.udp = l.Payload
		default:
			icmp, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if icmp == nil {
				t.Fatalf("frame %d: neither UDP nor ICMP: %v", n, p)
			}
			c.src, c.dst = netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
			c.icmp, c.quoted = icmp, icmp.Payload
		}
		out = append(out, c)
	}
}

func isSIP(b []byte) bool {
	return bytes.HasPrefix(b, []byte("SIP/2.0 ")) || regexp.MustCompile(`^[A-Z]+ sip:`).Match(b)
}

func startLine(b []byte) string {
	line, _, _ := bytes.Cut(b, []byte("\r\n"))
	return string(line)
}

// TestFreeswitchNATCapture states the facts of the golden capture that the
// analysis of this case will rely on.
//
// tshark 4.0 agrees: -z sip,stat counts 12 SIP messages, 2 of them resent;
// -z rtp,streams (heuristic RTP on) sees two g711A streams of 150 packets,
// no loss: 0xEDFC4942 phone -> server with max jitter 1.973 ms (mean 1.705),
// 0x5A3C9E17 server -> phone with max jitter 0.075 ms; with checksum
// validation on, it reports no bad IP, UDP or ICMP checksum.
func TestFreeswitchNATCapture(t *testing.T) {
	frames := readGolden(t)
	var sip, icmp, rtpFrames []captured
	for _, c := range frames {
		switch {
		case c.icmp != nil:
			icmp = append(icmp, c)
		case isSIP(c.udp):
			sip = append(sip, c)
		default:
			rtpFrames = append(rtpFrames, c)
		}
	}

	// 12 SIP messages: REGISTER, 401, REGISTER, 200, INVITE, 100, then
	// three 200 OKs, each answered by an ACK to the wrong port.
	wantSIP := []struct {
		start    string
		src, dst netip.AddrPort
	}{
		{"REGISTER sip:47.98.109.96 SIP/2.0", FSPhone, FSServer},
		{"SIP/2.0 401 Unauthorized", FSServer, FSPhone},
		{"REGISTER sip:47.98.109.96 SIP/2.0", FSPhone, FSServer},
		{"SIP/2.0 200 OK", FSServer, FSPhone},
		{"INVITE sip:1014@47.98.109.96 SIP/2.0", FSPhone, FSServer},
		{"SIP/2.0 100 Trying", FSServer, FSPhone},
		{"SIP/2.0 200 OK", FSServer, FSPhone},
		{"ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0", FSPhone, FSContact},
		{"SIP/2.0 200 OK", FSServer, FSPhone},
		{"ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0", FSPhone, FSContact},
		{"SIP/2.0 200 OK", FSServer, FSPhone},
		{"ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0", FSPhone, FSContact},
	}
	if len(sip) != len(wantSIP) {
		t.Fatalf("%d SIP messages, want %d", len(sip), len(wantSIP))
	}
	var layout []string
	for i, w := range wantSIP {
		c := sip[i]
		if got := startLine(c.udp); got != w.start || c.src != w.src || c.dst != w.dst {
			t.Errorf("SIP message %d (frame %d): %q %v -> %v; want %q %v -> %v", i+1, c.n, got, c.src, c.dst, w.start, w.src, w.dst)
		}
		layout = append(layout, fmt.Sprintf("%d:%s", c.n, strings.Fields(startLine(c.udp))[0:2]))
		checkContentLength(t, c)
	}
	t.Logf("SIP frames: %s", strings.Join(layout, " "))

	// The ACKs go to port 50620, each with its own branch; the server's
	// kernel answers each within a millisecond, quoting it.
	oks := []captured{sip[6], sip[8], sip[10]}
	acks := []captured{sip[7], sip[9], sip[11]}
	if len(icmp) != 3 {
		t.Fatalf("%d ICMP messages, want 3", len(icmp))
	}
	for i, ack := range acks {
		if ack.dst.Port() != 50620 {
			t.Errorf("ACK %d (frame %d) goes to port %d, want 50620", i+1, ack.n, ack.dst.Port())
		}
		if !bytes.Contains(ack.udp, []byte("branch="+fsACKBranches[i]+";")) {
			t.Errorf("ACK %d lacks branch %s", i+1, fsACKBranches[i])
		}
		if d := ack.time.Sub(oks[i].time); d < 35*time.Millisecond || d > 45*time.Millisecond {
			t.Errorf("ACK %d comes %v after its 200 OK, want ~40 ms", i+1, d)
		}
		ic := icmp[i]
		if ic.n != ack.n+1 || ic.time.Sub(ack.time) > time.Millisecond {
			t.Errorf("ICMP %d is frame %d at +%v, want frame %d right after the ACK", i+1, ic.n, ic.time.Sub(ack.time), ack.n+1)
		}
		if ic.icmp.TypeCode != layers.CreateICMPv4TypeCode(3, 3) || ic.src.Addr() != FSServer.Addr() || ic.dst.Addr() != FSPhone.Addr() {
			t.Errorf("ICMP %d: %v %v -> %v", i+1, ic.icmp.TypeCode, ic.src.Addr(), ic.dst.Addr())
		}
		// The quote: IPv4 header (20 bytes), UDP header to port 50620, then
		// the start of the ACK itself.
		q := ic.quoted
		if len(q) != 548 || q[9] != 17 || int(q[22])<<8|int(q[23]) != 50620 || !bytes.HasPrefix(ack.udp, q[28:]) {
			t.Errorf("ICMP %d quotes %d bytes, not the ACK to 50620", i+1, len(q))
		}
	}

	// FreeSWITCH retransmits the same 200 OK at T1 spacing: 500 ms, then 1 s.
	for i, want := range []time.Duration{500 * time.Millisecond, time.Second} {
		if d := oks[i+1].time.Sub(oks[i].time); d != want {
			t.Errorf("200 OK %d comes %v after the previous one, want %v", i+2, d, want)
		}
		if !bytes.Equal(oks[i+1].udp, oks[0].udp) {
			t.Errorf("200 OK %d differs from the first", i+2)
		}
	}

	checkRTP(t, rtpFrames, FSPhoneRTP, FSServerRTP, FSPhoneSSRC)
	checkRTP(t, rtpFrames, FSServerRTP, FSPhoneRTP, FSServerSSRC)
	if n := len(sip) + len(icmp) + len(rtpFrames); n != len(frames) || len(rtpFrames) != 2*FSRTPPackets {
		t.Errorf("%d frames: %d SIP, %d ICMP, %d RTP", len(frames), len(sip), len(icmp), len(rtpFrames))
	}

	// The capture stops before FreeSWITCH's fourth 200 OK would be due
	// (2 s after the third) and ends on media, 1.5 s after the last ACK.
	end := frames[len(frames)-1].time
	if end.After(oks[2].time.Add(2*time.Second)) || end.Sub(acks[2].time) > 1600*time.Millisecond {
		t.Errorf("capture ends %v after the last ACK", end.Sub(acks[2].time))
	}
	for i := 1; i < len(frames); i++ {
		if frames[i].time.Before(frames[i-1].time) {
			t.Errorf("frame %d goes back in time", frames[i].n)
		}
	}
	if start := time.Date(2018, 8, 28, 10, 14, 19, 0, time.UTC); frames[0].time.Before(start) || frames[0].time.Sub(start) > time.Second {
		t.Errorf("capture starts at %v", frames[0].time)
	}
}

// checkContentLength checks that a message's Content-Length is the length
// of its body.
func checkContentLength(t *testing.T, c captured) {
	t.Helper()
	head, body, ok := bytes.Cut(c.udp, []byte("\r\n\r\n"))
	if !ok {
		t.Errorf("frame %d: no end of headers", c.n)
		return
	}
	m := regexp.MustCompile(`(?m)^Content-Length: (\d+)\r?$`).FindSubmatch(append(head, '\r'))
	if m == nil {
		t.Errorf("frame %d: no Content-Length", c.n)
		return
	}
	if n, _ := strconv.Atoi(string(m[1])); n != len(body) {
		t.Errorf("frame %d: Content-Length %d, body of %d bytes", c.n, n, len(body))
	}
	if bytes.Contains(bytes.ReplaceAll(c.udp, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("frame %d: a line ends without CR", c.n)
	}
}

// checkRTP checks one direction of media: FSRTPPackets G.711 A-law packets
// of 160 bytes, sequence numbers and timestamps stepping by 1 and 160,
// 20 ms apart give or take 2 ms of jitter.
func checkRTP(t *testing.T, frames []captured, src, dst netip.AddrPort, ssrc uint32) {
	t.Helper()
	var prev *rtp.Packet
	var prevTime time.Time
	n := 0
	for _, c := range frames {
		if c.src != src || c.dst != dst {
			continue
		}
		var p rtp.Packet
		if err := p.Unmarshal(c.udp); err != nil {
			t.Fatalf("frame %d: %v", c.n, err)
		}
		if p.Version != 2 || p.PayloadType != 8 || p.SSRC != ssrc || len(p.Payload) != 160 || p.Marker != (n == 0) {
			t.Errorf("frame %d: RTP %v", c.n, p.Header)
		}
		if prev != nil {
			if p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+160 {
				t.Errorf("frame %d: seq %d ts %d after %d %d", c.n, p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp)
			}
			if d := c.time.Sub(prevTime); d < 16*time.Millisecond || d > 24*time.Millisecond {
				t.Errorf("frame %d: %v after the previous packet", c.n, d)
			}
		}
		prev, prevTime = &p, c.time
		n++
	}
	if n != FSRTPPackets {
		t.Errorf("%v -> %v: %d RTP packets, want %d", src, dst, n, FSRTPPackets)
	}
}

// TestFreeswitchNATMatchesSeed checks that every line of every SIP message
// appears verbatim in the seed log it was reconstructed from.
func TestFreeswitchNATMatchesSeed(t *testing.T) {
	seed, err := os.ReadFile(seedFreeswitchNAT)
	if err != nil {
		t.Skipf("seed log not available: %v", err)
	}
	text := strings.ReplaceAll(string(seed), `\<`, "<") // a markdown escape
	msgs := []string{fsRegister1, fsRegister401, fsRegister2, fsRegister200, fsInvite, fsTrying, fsInvite200}
	for i, b := range fsACKBranches {
		msgs = append(msgs, strings.Replace(fsACK, "BRANCH", b, 1))
		if !strings.Contains(text, "branch="+b+";") {
			t.Errorf("ACK %d branch %s is not in the seed", i+1, b)
		}
	}
	for _, m := range msgs {
		for _, line := range strings.Split(m, "\n") {
			if line != "" && !strings.Contains(text, line) {
				t.Errorf("%q: line not in the seed: %q", startLine([]byte(m)), line)
			}
		}
	}
}

func TestALaw(t *testing.T) {
	// Values of the ITU-T G.711 reference encoder.
	for _, tt := range []struct {
		in   int16
		want byte
	}{{0, 0xd5}, {-1, 0x55}, {8, 0xd5}, {16, 0xd4}, {-8, 0x55}, {32767, 0xaa}, {-32768, 0x2a}, {1024, 0xe5}, {-1024, 0x7a}} {
		if got := alaw(tt.in); got != tt.want {
			t.Errorf("alaw(%d) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

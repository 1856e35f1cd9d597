package decode_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/hep"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/scenario"
	"github.com/sipscope/sipscope/internal/testenv"
)

var (
	hepAgent = netip.MustParseAddrPort("127.0.0.1:40000")
	hepHomer = netip.MustParseAddrPort("127.0.0.1:9060")
)

// fsSIP returns the SIP packets of the FreeSWITCH NAT scenario.
func fsSIP() []pcapgen.Packet {
	var out []pcapgen.Packet
	for _, p := range scenario.FreeswitchNAT() {
		if p.Proto == pcapgen.UDP && p.Payload[0] != 0x80 { // not RTP
			out = append(out, p)
		}
	}
	return out
}

// hepCapture returns the SIP of the FreeSWITCH case as an agent would send
// it to HOMER: each message a HEPv3 packet to port 9060, captured one second
// apart from 2025 on.
func hepCapture(t testing.TB) []pcapgen.Packet {
	t.Helper()
	var pkts []pcapgen.Packet
	for i, p := range fsSIP() {
		b, err := hep.AppendV3(nil, &hep.Packet{Src: p.Src, Dst: p.Dst, Proto: hep.ProtoUDP, Time: p.Time, Type: hep.TypeSIP, AgentID: 2001, Payload: p.Payload})
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, pcapgen.Packet{Time: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC), Src: hepAgent, Dst: hepHomer, Proto: pcapgen.UDP, Payload: b})
	}
	return pkts
}

// describe lists messages with what HEP must carry over: time, addresses,
// transport and start line.
func describe(msgs []*decode.SIPMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%s %v>%v %v %s", m.Time.Format(time.RFC3339Nano), m.Src, m.Dst, m.Transport, m.FirstLine()))
	}
	return out
}

// SIP inside HEP packets in a capture is decoded with the addresses, ports
// and time of the HEP chunks and the outer frame number, as if captured
// where the agent saw it. A HEPv2 packet on port 9060 is read too; a broken
// HEPv3 packet is counted with its frame.
func TestHEPInCapture(t *testing.T) {
	direct, _ := decodeFile(t, testenv.Testdata("freeswitch-nat.pcap"))
	pkts := hepCapture(t)
	n := len(pkts)
	// One more message as HEPv2, and a HEPv3 packet cut short.
	v2 := []byte{2, 16, 2, 17, 0x13, 0xc4, 0x13, 0xc4, 10, 0, 0, 1, 10, 0, 0, 2}
	v2 = append(v2, 0x40, 0xe2, 0x01, 0x00, 0, 0, 0, 0, 0xd2, 0x07, 0, 0) // 123456 s, 0 µs, capture id 2002, little-endian
	v2 = append(v2, "OPTIONS sip:10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: v2\r\nCSeq: 1 OPTIONS\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nContent-Length: 0\r\n\r\n"...)
	last := pkts[n-1].Time
	pkts = append(pkts,
		pcapgen.Packet{Time: last.Add(time.Second), Src: hepAgent, Dst: hepHomer, Proto: pcapgen.UDP, Payload: v2},
		pcapgen.Packet{Time: last.Add(2 * time.Second), Src: hepAgent, Dst: netip.MustParseAddrPort("127.0.0.1:9999"), Proto: pcapgen.UDP, Payload: pkts[0].Payload[:40]},
	)
	r, d := decodeBytesT(t, pkts)
	if got, want := describe(r.sip[:n]), describe(direct.sip); !slices.Equal(got, want) {
		t.Errorf("HEP-carried messages differ from the capture's own:\n got %q\nwant %q", got, want)
	}
	for i, m := range r.sip {
		if m.Frame != i+1 || m.Encapsulation != "HEP" {
			t.Errorf("message %d: frame %d, encapsulation %q; want frame %d, HEP", i+1, m.Frame, m.Encapsulation, i+1)
		}
	}
	if len(r.sip) != n+1 || r.sip[n].FirstLine() != "OPTIONS sip:10.0.0.2 SIP/2.0" || r.sip[n].Src.String() != "10.0.0.1:5060" || r.sip[n].Time.Unix() != 123456 {
		t.Errorf("HEPv2 message not read: %q", describe(r.sip[n:]))
	}
	if d.Stats.HEPPackets != n+1 || d.Stats.Undecoded[decode.ReasonHEP] != 1 || len(d.Stats.Problems) != 1 || d.Stats.Problems[0].Frame != n+2 {
		t.Errorf("HEP packets %d (want %d), undecoded %v, problems %v (want the cut packet, frame %d)", d.Stats.HEPPackets, n+1, d.Stats.Undecoded, d.Stats.Problems, n+2)
	}
}

func decodeBytesT(t *testing.T, pkts []pcapgen.Packet) (*recorder, *decode.Decoder) {
	t.Helper()
	return decodePackets(t, pkts)
}

// sngrep, a HEP peer of its own, reads our HEPv3 encoding: from a capture of
// our packets (-E parses HEP in captured traffic) it writes the messages it
// found as plain packets, and tshark reads those back with the original
// addresses, ports, microsecond timestamps and bytes.
func TestHEPEncodingReadBySngrep(t *testing.T) {
	sngrep := testenv.RequireTool(t, "sngrep")
	tshark := testenv.RequireTool(t, "tshark")
	dir := t.TempDir()
	in, out := filepath.Join(dir, "hep.pcap"), filepath.Join(dir, "sip.pcap")
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, hepCapture(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sngrep, "-F", "-I", in, "-E", "-N", "-q", "-O", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sngrep: %v\n%s", err, b)
	}
	b, err := exec.Command(tshark, "-n", "-r", out, "-T", "fields", "-e", "frame.time_epoch",
		"-e", "ip.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "udp.dstport", "-e", "udp.payload").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// sngrep writes each message it parsed from HEP twice; the set counts.
		if !slices.Contains(got, l) {
			got = append(got, l)
		}
	}
	var want []string
	for _, p := range fsSIP() {
		want = append(want, fmt.Sprintf("%d.%06d000\t%v\t%d\t%v\t%d\t%s", p.Time.Unix(), p.Time.Nanosecond()/1000,
			p.Src.Addr(), p.Src.Port(), p.Dst.Addr(), p.Dst.Port(), hex.EncodeToString(p.Payload)))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("sngrep+tshark read %d packets from our HEP, want %d:\n got %.300q\nwant %.300q", len(got), len(want), got, want)
	}
}

// readHEP reads n frames from l, with a deadline so a lost datagram fails
// the test instead of hanging it.
func readHEP(t *testing.T, l *capture.HEPListener, n int) *recorder {
	t.Helper()
	r := &recorder{}
	d := decode.NewDecoder(r)
	if err := l.SetDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		f, err := l.Next()
		if err != nil {
			t.Fatalf("after %d of %d packets: %v", i, n, err)
		}
		if f.Number != i+1 || f.LinkType != capture.LinkTypeHEP {
			t.Fatalf("frame %d of link type %v, want %d, HEP", f.Number, f.LinkType, i+1)
		}
		d.Decode(f)
	}
	if len(d.Stats.Undecoded) != 0 {
		t.Errorf("undecoded: %v", d.Stats.Undecoded)
	}
	return r
}

// A HEP listener on 127.0.0.1 receives what a HEP sender sends: our own
// encoder here, so the test needs no tool.
func TestListenHEP(t *testing.T) {
	l, err := capture.ListenHEP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	conn, err := net.Dial("udp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pkts := hepCapture(t)
	for _, p := range pkts {
		if _, err := conn.Write(p.Payload); err != nil {
			t.Fatal(err)
		}
	}
	r := readHEP(t, l, len(pkts))
	direct, _ := decodeFile(t, testenv.Testdata("freeswitch-nat.pcap"))
	if got, want := describe(r.sip), describe(direct.sip); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	l.Close()
	if _, err := l.Next(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next after Close: %v, want net.ErrClosed", err)
	}
}

// sngrep, reading the FreeSWITCH capture and sending what it finds as HEP
// (-H), is a real agent: `sipscope live --hep-listen` gets the same messages,
// addresses and times from it as from the capture itself.
func TestListenHEPFromSngrep(t *testing.T) {
	sngrep := testenv.RequireTool(t, "sngrep")
	l, err := capture.ListenHEP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.UDPAddr).Port
	cmd := exec.Command(sngrep, "-F", "-I", testenv.Testdata("freeswitch-nat.pcap"), "-N", "-q", "-H", "udp:127.0.0.1:"+strconv.Itoa(port))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sngrep: %v\n%s", err, b)
	}
	direct, _ := decodeFile(t, testenv.Testdata("freeswitch-nat.pcap"))
	r := readHEP(t, l, len(direct.sip))
	if got, want := describe(r.sip), describe(direct.sip); !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

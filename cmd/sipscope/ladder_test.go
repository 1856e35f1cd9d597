package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/scenario"
	"github.com/sipscope/sipscope/internal/testenv"
)

func TestLadderCommand(t *testing.T) {
	seed := testenv.Testdata("freeswitch-nat.pcap")
	tests := []struct {
		name       string
		args       []string
		contains   []string
		notContain []string
	}{
		{
			name:     "text by default",
			args:     []string{"ladder", seed, "--call", "dda8"},
			contains: []string{"Call-ID dda811eb-0664-dae3-31bb-8b8e12741336", "47.98.109.96:50620", "200 OK (INVITE) [retransmission]", "│"},
		},
		{
			name:       "ascii, narrow, collapsed",
			args:       []string{"ladder", seed, "--call", "dda8", "--ascii", "--width", "80", "--collapse-retrans"},
			contains:   []string{"200 OK (INVITE) x3", "frames 7, 58, 161"},
			notContain: []string{"│", "[retransmission]"},
		},
		{
			name:       "--redact ips with a space",
			args:       []string{"ladder", seed, "--call", "dda8", "--redact", "ips"},
			contains:   []string{"203.0.113.2:50620", "user2 -> user1"},
			notContain: []string{"47.98.109.96", "1011"},
		},
		{
			name:       "--redact alone keeps addresses",
			args:       []string{"ladder", seed, "--redact", "--call", "dda8"},
			contains:   []string{"47.98.109.96:50620", "user2 -> user1"},
			notContain: []string{"1011 ->"},
		},
		{
			name:     "aliases and by-host",
			args:     []string{"ladder", seed, "--call", "dda8", "--by-host", "--alias", "47.98.109.96=FreeSWITCH", "--alias", "112.25.222.170=phone (NAT)"},
			contains: []string{"FreeSWITCH", "phone (NAT)"},
		},
		{
			name:     "mermaid",
			args:     []string{"ladder", seed, "--call", "dda8", "--format", "mermaid"},
			contains: []string{"sequenceDiagram\n", "C1->>C3: #35;10 1.245s"},
		},
		{
			name:     "plantuml",
			args:     []string{"ladder", seed, "--call", "dda8", "--format", "plantuml"},
			contains: []string{"@startuml\n", "C3 ->x C1"},
		},
		{
			name:     "svg",
			args:     []string{"ladder", seed, "--call", "dda8", "--format", "svg"},
			contains: []string{"<svg xmlns=\"http://www.w3.org/2000/svg\""},
		},
		{
			name:       "html with the raw text, digest masked",
			args:       []string{"ladder", seed, "--call", "dda8", "--call", "f772", "--format", "html"},
			contains:   []string{"<!DOCTYPE html>", "ACK sip:1014@47.98.109.96:50620;transport=udp SIP/2.0", `nonce=&#34;nonce-1&#34;`, `response=&#34;redacted&#34;`},
			notContain: []string{"e55ca998d27ee109798c60b2ef646ff3"},
		},
		{
			name:     "--no-redact-auth shows the digest",
			args:     []string{"ladder", seed, "--call", "f772", "--format", "html", "--no-redact-auth"},
			contains: []string{"e55ca998d27ee109798c60b2ef646ff3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := run(t, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.notContain {
				if strings.Contains(out, s) {
					t.Errorf("output contains %q", s)
				}
			}
		})
	}
}

func TestLadderErrors(t *testing.T) {
	seed := testenv.Testdata("freeswitch-nat.pcap")
	for _, args := range [][]string{
		{"ladder", seed, "--call", "dda8", "--format", "png"},
		{"ladder", seed, "--call", "nosuchcall"},
		{"ladder", seed, "--call", "dda8", "--redact=everything"},
		{"ladder", seed, "--call", "dda8", "--alias", "not-an-ip=x"},
		{"ladder", seed, "--call", "dda8", "--width", "20"},
		{"ladder", seed},
	} {
		if _, _, err := run(t, args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestLadderOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.html")
	out, _, err := run(t, "ladder", testenv.Testdata("freeswitch-nat.pcap"), "--call", "dda8", "--format", "html", "-o", path)
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		t.Errorf("output on stdout with -o: %q", out)
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("file: %v, %.40q", err, b)
	}
}

func TestLoadAliases(t *testing.T) {
	file := filepath.Join(t.TempDir(), "aliases")
	if err := os.WriteFile(file, []byte("# lab\n10.0.0.1 = sbc\n\n[2001:db8::1]:5060=core # port-specific\n10.0.0.2=old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := loadAliases([]string{"10.0.0.2=pbx", "::ffff:10.0.0.3=gw"}, file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"10.0.0.1": "sbc", "[2001:db8::1]:5060": "core", "10.0.0.2": "pbx", "10.0.0.3": "gw"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aliases %v, want %v", got, want)
	}
	if err := os.WriteFile(file, []byte("10.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadAliases(nil, file); err == nil || !strings.Contains(err.Error(), "aliases:1") {
		t.Errorf("bad line: error %v, want one naming the file and line", err)
	}
}

func TestExportCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.pcapng")
	_, errOut, err := run(t, "export", testenv.Testdata("freeswitch-nat.pcap"), "--call", "dda8", "-w", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "wrote 311 frames of 1 call(s)") {
		t.Errorf("summary %q", errOut)
	}
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Calls) != 1 || res.Model.Calls[0].CallID != "dda811eb-0664-dae3-31bb-8b8e12741336" {
		t.Errorf("exported pcapng holds %d calls", len(res.Model.Calls))
	}
	if _, _, err := run(t, "export", testenv.Testdata("freeswitch-nat.pcap"), "--call", "dda8"); err == nil {
		t.Error("export without -w: no error")
	}
}

func FuzzLoadAliases(f *testing.F) {
	f.Add("10.0.0.1=sbc")
	f.Add("[2001:db8::1]:5060 = core")
	f.Add("=")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := loadAliases([]string{s}, "")
		if err != nil {
			return
		}
		if len(got) != 1 {
			t.Fatalf("one alias gave %v", got)
		}
	})
}

// An ICMP error about media (the far end refuses the RTP) is drawn in the
// call's ladder, as ICMP errors about SIP are.
func TestLadderDrawsICMPAboutMedia(t *testing.T) {
	pkts := scenario.OneWayAudio()
	var rtp *pcapgen.Packet
	for i := range pkts {
		if pkts[i].Dst == scenario.OWSBCRTP {
			rtp = &pkts[i]
			break
		}
	}
	if rtp == nil {
		t.Fatal("no RTP in the scenario")
	}
	icmp := pcapgen.Packet{Time: rtp.Time.Add(time.Millisecond), Src: scenario.OWSBCRTP, Proto: pcapgen.ICMPPortUnreachable, Quote: rtp}
	pkts = append(pkts, icmp)
	sort.SliceStable(pkts, func(i, j int) bool { return pkts[i].Time.Before(pkts[j].Time) })
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "icmp-media.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := analyze([]string{path})
	if err != nil || len(res.Model.Calls) != 1 {
		t.Fatalf("analyze: %v", err)
	}
	out, _, err := run(t, "ladder", path, "--call", res.Model.Calls[0].CallID, "--format", "text")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ICMP port unreachable", "(media)"} {
		if !strings.Contains(out, want) {
			t.Errorf("ladder lacks %q:\n%s", want, out)
		}
	}
}

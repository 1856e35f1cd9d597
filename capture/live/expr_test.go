package live

import (
	"errors"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/sipscope/sipscope/internal/testenv"
)

func TestParseDD(t *testing.T) {
	for _, c := range []struct {
		name string
		in   string
		n    int
		err  string
	}{
		{"tcpdump output", "{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x0000ffff },\n{ 0x6, 0, 0, 0x00000000 },\n", 4, ""},
		{"decimal and no trailing comma", "{ 6, 0, 0, 65535 }", 1, ""},
		{"empty", "\n\n", 0, "empty program"},
		{"not an instruction", "(000) ldh [12]\n", 0, "not an instruction"},
		{"three fields", "{ 0x6, 0, 0 },", 0, "3 fields"},
		{"jump past the end", "{ 0x15, 0, 5, 0x800 },\n{ 0x6, 0, 0, 0 },", 0, "jumps past the end"},
		{"ja past the end", "{ 0x05, 0, 0, 0xffffffff },\n{ 0x6, 0, 0, 0 },", 0, "jumps past the end"},
		{"no return at the end", "{ 0x28, 0, 0, 0x0c },", 0, "does not end with a return"},
		{"jt too large", "{ 0x15, 256, 0, 0 },\n{ 0x6, 0, 0, 0 },", 0, "out of range"},
		{"not a number", "{ 0x15, x, 0, 0 },", 0, "field"},
	} {
		t.Run(c.name, func(t *testing.T) {
			prog, err := ParseDD([]byte(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrFilter) {
					t.Fatalf("error %v, want one containing %q wrapping ErrFilter", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(prog) != c.n {
				t.Fatalf("%d instructions, want %d", len(prog), c.n)
			}
		})
	}
}

func FuzzParseDD(f *testing.F) {
	f.Add([]byte("{ 0x28, 0, 0, 0x0000000c },\n{ 0x15, 0, 1, 0x00000800 },\n{ 0x6, 0, 0, 0x0000ffff },\n{ 0x6, 0, 0, 0x00000000 },\n"))
	f.Add([]byte("{ 0x05, 0, 0, 0x1 },\n{ 0x6, 0, 0, 0 },"))
	f.Fuzz(func(t *testing.T, b []byte) {
		prog, err := ParseDD(b)
		if err != nil {
			return
		}
		// What ParseDD accepts is structurally sound: every jump lands in
		// the program and combining it with the prelude keeps that true.
		if err := check(prog); err != nil {
			t.Fatal(err)
		}
		out, err := combine(prog, Link{Cooked: true, Loopbacks: []int{1}})
		if err != nil {
			return
		}
		if err := check(out); err != nil {
			t.Fatalf("combined program: %v", err)
		}
	})
}

func TestCompileExprRefusesVLAN(t *testing.T) {
	_, err := CompileExpr("vlan and udp port 5060")
	if err == nil || !strings.Contains(err.Error(), "vlan") {
		t.Fatalf("error %v, want a refusal naming vlan", err)
	}
}

// The expression is compiled by libpcap (through tcpdump) and runs after the
// prelude: what the expression selects passes, fragments and ICMP pass
// whatever it says, the rest is dropped, on both kinds of socket.
func TestCompileExprWithTcpdump(t *testing.T) {
	testenv.RequireTool(t, "tcpdump")
	compile, err := CompileExpr("udp port 5060 or tcp port 5061")
	if err != nil {
		t.Fatal(err)
	}
	for _, cooked := range []bool{false, true} {
		raw, err := compile(Link{Cooked: cooked, Snaplen: 2000, Loopbacks: []int{1}})
		if err != nil {
			t.Fatal(err)
		}
		prog := make([]bpf.Instruction, len(raw))
		for i, r := range raw {
			prog[i] = r.Disassemble()
		}
		for _, c := range []struct {
			name string
			p    pkt
			pass bool
		}{
			{"udp 5060", udp(40000, 5060), true},
			{"tcp 5061", tcp(5061, 40000), true},
			{"udp 5061", udp(5061, 40000), false},
			{"dns", udp(53, 40000), false},
			{"ipv6 udp 5060", v6(udp(5060, 40000)), true},
			{"fragment", pkt{proto: layers.IPProtocolUDP, frag: true}, true},
			{"icmp", pkt{proto: layers.IPProtocolICMPv4}, true},
			{"gre", pkt{proto: layers.IPProtocolGRE}, false},
		} {
			frame := c.p.ip(t)
			if !cooked {
				frame = ethernet(c.p.etherType(), nil, frame)
			}
			n := run(t, prog, frame, anc{proto: uint32(c.p.etherType()), ifindex: 2})
			if (n > 0) != c.pass {
				t.Errorf("cooked=%v %s: kept %d, want pass=%v", cooked, c.name, n, c.pass)
			}
			if n > 2000 {
				t.Errorf("cooked=%v %s: kept %d bytes, above the snap length", cooked, c.name, n)
			}
		}
	}
	if _, err := compile(Link{}); err != nil {
		t.Fatal(err)
	}
	bad, err := CompileExpr("udp port")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad(Link{}); err == nil || !errors.Is(err, ErrFilter) || !strings.Contains(err.Error(), "syntax") {
		t.Errorf("bad expression: error %v, want libpcap's syntax error", err)
	}
}

package live

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// A tcpdump-style filter expression is compiled by libpcap itself, through
// the tcpdump program (tcpdump -dd prints the program libpcap generates),
// never by a compiler of ours: libpcap's grammar is large and a filter that
// is subtly wrong is worse than none. sipscope stays pure Go; only --filter
// needs tcpdump installed.
//
// libpcap compiles for a link type without opening a device when it reads
// a capture file, so CompileExpr hands tcpdump an empty pcap file of the
// link type the socket delivers: Ethernet for Ethernet and loopback
// devices, raw IP for cooked sockets (whose data starts at the IP header,
// exactly what a raw-IP program expects). The result runs after sipscope's
// own prelude, which drops loopback duplicates, drops non-IP on cooked
// sockets and passes fragments and ICMP, as every sipscope filter does.
//
// Expressions that libpcap compiles differently for a live Linux socket
// than for a file are refused: "vlan" (the kernel strips the tag that the
// file program looks for).

// ErrNoTcpdump is returned by CompileExpr when tcpdump is not installed.
var ErrNoTcpdump = errors.New("live: --filter needs tcpdump installed (apt-get install tcpdump) to compile the expression with libpcap; --port and --port-range need nothing")

// refusedWords are filter keywords whose offline compilation is wrong on a
// live Linux socket.
var refusedWords = map[string]string{
	"vlan": "the kernel strips VLAN tags before the filter runs, so libpcap's file program would not match",
}

var wordRE = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// CompileExpr returns a function that compiles a tcpdump-style expression
// for a socket's link, for Options.Program. tcpdump is looked up in PATH.
func CompileExpr(expr string) (func(Link) ([]bpf.RawInstruction, error), error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("%w: empty expression", ErrFilter)
	}
	for _, w := range wordRE.FindAllString(expr, -1) {
		if why, bad := refusedWords[strings.ToLower(w)]; bad {
			return nil, fmt.Errorf("%w: %q is not supported in --filter: %s", ErrFilter, w, why)
		}
	}
	tcpdump, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, ErrNoTcpdump
	}
	return func(l Link) ([]bpf.RawInstruction, error) {
		user, err := libpcapProgram(tcpdump, expr, l)
		if err != nil {
			return nil, err
		}
		return combine(user, l)
	}, nil
}

// libpcapProgram runs tcpdump -dd on an empty capture file of l's link type.
func libpcapProgram(tcpdump, expr string, l Link) ([]bpf.RawInstruction, error) {
	dir, err := os.MkdirTemp("", "sipscope-filter")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	linkType := uint32(1) // LINKTYPE_ETHERNET
	if l.Cooked {
		linkType = 101 // LINKTYPE_RAW
	}
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], uint32(snaplen(l.Snaplen)))
	binary.LittleEndian.PutUint32(hdr[20:], linkType)
	file := filepath.Join(dir, "empty.pcap")
	if err := os.WriteFile(file, hdr[:], 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, tcpdump, "-r", file, "-dd", "--", expr)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		// tcpdump first says which file it reads; the error is last.
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return nil, fmt.Errorf("%w: %q: %s (%v)", ErrFilter, expr, strings.TrimPrefix(msg, "tcpdump: "), err)
	}
	return ParseDD(stdout.Bytes())
}

// ParseDD reads a program in the format of tcpdump -dd, one instruction per
// line as "{ 0x28, 0, 0, 0x0000000c },". It checks the program as the
// kernel would: not empty, at most 4096 instructions, jumps inside it, ending
// in a return.
func ParseDD(out []byte) ([]bpf.RawInstruction, error) {
	var prog []bpf.RawInstruction
	for n, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "{") || !strings.HasSuffix(strings.TrimSuffix(line, ","), "}") {
			return nil, fmt.Errorf("%w: tcpdump -dd line %d: %q is not an instruction", ErrFilter, n+1, clip(line))
		}
		body := strings.TrimSuffix(strings.TrimSuffix(line, ","), "}")[1:]
		f := strings.Split(body, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("%w: tcpdump -dd line %d: %d fields, want 4", ErrFilter, n+1, len(f))
		}
		var v [4]uint64
		for i, s := range f {
			x, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
			if err != nil {
				return nil, fmt.Errorf("%w: tcpdump -dd line %d: field %q: %v", ErrFilter, n+1, clip(s), err)
			}
			v[i] = x
		}
		if v[0] > 0xffff || v[1] > 0xff || v[2] > 0xff {
			return nil, fmt.Errorf("%w: tcpdump -dd line %d: field out of range", ErrFilter, n+1)
		}
		prog = append(prog, bpf.RawInstruction{Op: uint16(v[0]), Jt: uint8(v[1]), Jf: uint8(v[2]), K: uint32(v[3])})
		if len(prog) > maxInstructions {
			return nil, fmt.Errorf("%w: program longer than %d instructions", ErrFilter, maxInstructions)
		}
	}
	if err := check(prog); err != nil {
		return nil, err
	}
	return prog, nil
}

// maxInstructions is the kernel's BPF_MAXINSNS.
const maxInstructions = 4096

// Classic BPF opcode classes and fields used by check.
const (
	classMask = 0x07
	classJmp  = 0x05
	classRet  = 0x06
	jmpOpMask = 0xf0
	jmpJA     = 0x00
)

// check does the part of the kernel's validation that concerns structure:
// every jump lands inside the program and the last instruction returns.
func check(prog []bpf.RawInstruction) error {
	if len(prog) == 0 {
		return fmt.Errorf("%w: empty program", ErrFilter)
	}
	for i, ins := range prog {
		if ins.Op&classMask != classJmp {
			continue
		}
		var far uint64
		if ins.Op&jmpOpMask == jmpJA {
			far = uint64(ins.K)
		} else {
			far = uint64(max(ins.Jt, ins.Jf))
		}
		if uint64(i)+1+far >= uint64(len(prog)) {
			return fmt.Errorf("%w: instruction %d jumps past the end", ErrFilter, i)
		}
	}
	if prog[len(prog)-1].Op&classMask != classRet {
		return fmt.Errorf("%w: program does not end with a return", ErrFilter)
	}
	return nil
}

// combine puts sipscope's prelude in front of a libpcap program: loopback
// duplicates and non-IP are dropped, fragments and ICMP pass, and the rest
// is the user's program's decision. libpcap's jumps are relative, so the
// program runs unchanged after the prelude; its accept value is capped at
// the snap length.
func combine(user []bpf.RawInstruction, l Link) ([]bpf.RawInstruction, error) {
	a := newAsm()
	a.prelude(l)
	a.jeq(etherIPv4, "ipv4", "")
	a.jeq(etherIPv6, "ipv6", "drop")
	a.alwaysPass("user", "user", "user")
	a.label("accept")
	a.op(bpf.RetConstant{Val: uint32(snaplen(l.Snaplen))})
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
	a.label("user")
	ins, err := a.resolve()
	if err != nil {
		return nil, err
	}
	pre, err := bpf.Assemble(ins)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFilter, err)
	}
	out := append(pre, user...)
	limit := uint32(snaplen(l.Snaplen))
	for i := len(pre); i < len(out); i++ {
		if r, ok := out[i].Disassemble().(bpf.RetConstant); ok && r.Val > limit {
			out[i].K = limit
		}
	}
	if len(out) > maxInstructions {
		return nil, fmt.Errorf("%w: program longer than %d instructions", ErrFilter, maxInstructions)
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

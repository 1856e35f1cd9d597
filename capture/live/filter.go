package live

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// Limits on a port filter. Classic BPF jumps forward at most 255
// instructions; these keep every jump of the largest program within that.
const (
	MaxPorts  = 32
	MaxRanges = 16
)

// DefaultSnaplen is how many bytes of each packet are captured by default:
// all of any IP packet.
const DefaultSnaplen = 65535

// ErrFilter wraps every error about a filter the user gave.
var ErrFilter = errors.New("live: filter")

// PortRange is an inclusive range of TCP/UDP ports.
type PortRange struct{ Lo, Hi uint16 }

func (r PortRange) String() string { return fmt.Sprintf("%d-%d", r.Lo, r.Hi) }

// Filter says which packets the kernel hands to sipscope. The kernel runs it
// (as classic BPF) before a packet is copied to the ring, so what it drops
// costs nearly nothing.
//
// Whatever the ports, IPv4 and IPv6 fragments (their ports are not visible,
// and a SIP INVITE with a large SDP is often fragmented) and ICMP/ICMPv6
// (port unreachable and packet too big are the evidence of many SIP faults)
// always pass, and non-IP traffic (ARP, LLDP, ...) never does.
type Filter struct {
	// Ports are TCP and UDP ports, matched as source or destination.
	Ports []uint16
	// Ranges are TCP and UDP port ranges, matched as source or destination.
	Ranges []PortRange
	// When Ports is given without Ranges, UDP on every port still passes:
	// RTP goes wherever the SDP of a call puts it, which a static filter
	// cannot know, so the analysis (which binds RTP to SDP) sees all of it.
	// Give Ranges (the media port range of the PBX or SBC) to narrow UDP.
}

// AllUDP reports whether the filter passes UDP on every port.
func (f Filter) AllUDP() bool { return len(f.Ranges) == 0 }

// Empty reports whether the filter passes all IP traffic.
func (f Filter) Empty() bool { return len(f.Ports) == 0 && len(f.Ranges) == 0 }

// String describes the filter in words, for the operator.
func (f Filter) String() string {
	if f.Empty() {
		return "all IP traffic"
	}
	var parts []string
	if len(f.Ports) > 0 {
		ps := make([]string, len(f.Ports))
		for i, p := range f.Ports {
			ps[i] = strconv.Itoa(int(p))
		}
		parts = append(parts, "TCP/UDP port "+strings.Join(ps, ","))
	}
	for _, r := range f.Ranges {
		parts = append(parts, "TCP/UDP ports "+r.String())
	}
	if f.AllUDP() {
		parts = append(parts, "UDP on any port (for RTP; --port-range narrows it)")
	}
	return strings.Join(parts, ", ") + ", IP fragments, ICMP"
}

// ParsePorts reads port lists such as "5060,5080" (each element of specs may
// hold several, comma-separated). Ports are sorted and deduplicated.
func ParsePorts(specs []string) ([]uint16, error) {
	var out []uint16
	seen := map[uint16]bool{}
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			p, err := parsePort(s)
			if err != nil {
				return nil, err
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) > MaxPorts {
		return nil, fmt.Errorf("%w: %d ports, at most %d (use --port-range)", ErrFilter, len(out), MaxPorts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// ParsePortRanges reads ranges such as "10000-20000"; each element of specs
// may hold several, comma-separated.
func ParsePortRanges(specs []string) ([]PortRange, error) {
	var out []PortRange
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			lo, hi, ok := strings.Cut(s, "-")
			if !ok {
				return nil, fmt.Errorf("%w: port range %q: want LOW-HIGH, e.g. 10000-20000", ErrFilter, s)
			}
			l, err := parsePort(lo)
			if err != nil {
				return nil, err
			}
			h, err := parsePort(hi)
			if err != nil {
				return nil, err
			}
			if l > h {
				return nil, fmt.Errorf("%w: port range %q: low end above high end", ErrFilter, s)
			}
			out = append(out, PortRange{l, h})
		}
	}
	if len(out) > MaxRanges {
		return nil, fmt.Errorf("%w: %d port ranges, at most %d", ErrFilter, len(out), MaxRanges)
	}
	return out, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: port %q: want a number from 1 to 65535", ErrFilter, s)
	}
	return uint16(n), nil
}

// Link describes the frames a socket delivers, which decides how a filter
// finds the IP header.
type Link struct {
	// Cooked is set for a socket that delivers packets from the IP header
	// on (SOCK_DGRAM: the "any" pseudo-interface, tunnels, PPP). The
	// filter then reads the EtherType from the socket's metadata. Otherwise
	// frames start with an Ethernet header (Ethernet and loopback devices).
	Cooked bool
	// Snaplen is how many bytes of a passing packet are kept.
	Snaplen int
	// Loopbacks lists the interface indexes on which the kernel delivers
	// every packet twice, once as outgoing and once as incoming (loopback
	// devices). Their outgoing copies are dropped, as libpcap does, so
	// each packet is seen once.
	Loopbacks []int
}

// Packet types and ancillary fields the filters test (linux/if_packet.h).
const (
	packetOutgoing = 4
	etherIPv4      = 0x0800
	etherIPv6      = 0x86dd
)

// vlanTPIDs are the tag protocol identifiers of 802.1Q and 802.1ad tags. The
// kernel strips the outer tag before a packet socket sees it; an inner tag
// of a double-tagged frame stays in the frame.
var vlanTPIDs = []uint32{0x8100, 0x88a8, 0x9100}

// Scratch memory slots.
const (
	memProto = 0 // IP protocol / IPv6 next header
	memTmp   = 1
)

// Compile turns f into a classic BPF program for frames of link l.
func Compile(f Filter, l Link) ([]bpf.Instruction, error) {
	a := newAsm()
	a.prelude(l)
	if f.Empty() {
		a.jeq(etherIPv4, "accept", "")
		a.jeq(etherIPv6, "accept", "drop")
		a.end(l)
		return a.resolve()
	}
	a.jeq(etherIPv4, "ipv4", "")
	a.jeq(etherIPv6, "ipv6", "drop")
	a.alwaysPass("ports", "drop", "accept")

	// Ports: X holds the transport header offset, M[memProto] the protocol.
	a.label("ports")
	for _, off := range []uint32{0, 2} { // source port, then destination port
		a.op(bpf.LoadIndirect{Off: off, Size: 2})
		for _, p := range f.Ports {
			a.jeq(uint32(p), "accept", "")
		}
		for _, r := range f.Ranges {
			next := a.newLabel()
			a.jge(uint32(r.Lo), "", next)
			a.jgt(uint32(r.Hi), next, "accept")
			a.label(next)
		}
	}
	if f.AllUDP() {
		a.op(bpf.LoadScratch{Dst: bpf.RegA, N: memProto})
		a.jeq(17, "accept", "drop")
	} else {
		a.ja("drop")
	}
	a.end(l)
	return a.resolve()
}

// prelude drops the duplicate outgoing copies of loopback devices and leaves
// the EtherType in A and the offset of the IP header in X.
func (a *asm) prelude(l Link) {
	if len(l.Loopbacks) > 0 {
		a.op(bpf.LoadExtension{Num: bpf.ExtType})
		a.jeq(packetOutgoing, "", "l3")
		a.op(bpf.LoadExtension{Num: bpf.ExtInterfaceIndex})
		for _, idx := range l.Loopbacks {
			a.jeq(uint32(idx), "drop", "")
		}
		a.label("l3")
	}
	if l.Cooked {
		a.op(bpf.LoadConstant{Dst: bpf.RegX, Val: 0})
		a.op(bpf.LoadExtension{Num: bpf.ExtProto})
		return
	}
	a.op(bpf.LoadConstant{Dst: bpf.RegX, Val: 14})
	a.op(bpf.LoadAbsolute{Off: 12, Size: 2})
	// Up to two tags left in the frame (the kernel took the outer one).
	for i := 0; i < 2; i++ {
		tag, done := a.newLabel(), a.newLabel()
		for _, tpid := range vlanTPIDs {
			a.jeq(tpid, tag, "")
		}
		a.ja(done)
		a.label(tag)
		// The inner EtherType is 2 bytes past the current IP offset
		// guess; the IP header moves 4 bytes on.
		a.op(bpf.LoadIndirect{Off: 2, Size: 2})
		a.op(bpf.StoreScratch{Src: bpf.RegA, N: memTmp})
		a.op(bpf.TXA{})
		a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 4})
		a.op(bpf.TAX{})
		a.op(bpf.LoadScratch{Dst: bpf.RegA, N: memTmp})
		a.label(done)
	}
}

// alwaysPass emits the IPv4 and IPv6 branches: fragments and ICMP go to
// accept; TCP and UDP go to next with the transport header offset in X and
// the protocol in M[memProto]; IPv6 packets whose next header is an
// extension header other than a fragment header, which a classic BPF program
// cannot walk to the ports, go to ext; other protocols go to other.
func (a *asm) alwaysPass(next, other, ext string) {
	a.label("ipv4")
	a.op(bpf.LoadIndirect{Off: 9, Size: 1})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: memProto})
	a.op(bpf.LoadIndirect{Off: 6, Size: 2})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x3fff}) // more-fragments flag and offset
	a.jeq(0, "", "accept")
	a.op(bpf.LoadScratch{Dst: bpf.RegA, N: memProto})
	a.jeq(1, "accept", "") // ICMP
	v4l4 := a.newLabel()
	a.jeq(17, v4l4, "")
	a.jeq(6, v4l4, other)
	a.label(v4l4)
	a.op(bpf.LoadIndirect{Off: 0, Size: 1})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0x0f})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpShiftLeft, Val: 2})
	a.op(bpf.ALUOpX{Op: bpf.ALUOpAdd})
	a.op(bpf.TAX{})
	a.ja(next)

	a.label("ipv6")
	a.op(bpf.LoadIndirect{Off: 6, Size: 1})
	a.op(bpf.StoreScratch{Src: bpf.RegA, N: memProto})
	a.jeq(44, "accept", "")                  // fragment header
	a.jeq(58, "accept", "")                  // ICMPv6
	for _, nh := range []uint32{0, 43, 60} { // hop-by-hop, routing, destination options
		a.jeq(nh, ext, "")
	}
	v6l4 := a.newLabel()
	a.jeq(17, v6l4, "")
	a.jeq(6, v6l4, other)
	a.label(v6l4)
	a.op(bpf.TXA{})
	a.op(bpf.ALUOpConstant{Op: bpf.ALUOpAdd, Val: 40})
	a.op(bpf.TAX{})
	a.ja(next)
}

// end emits the two exits.
func (a *asm) end(l Link) {
	a.label("accept")
	a.op(bpf.RetConstant{Val: uint32(snaplen(l.Snaplen))})
	a.label("drop")
	a.op(bpf.RetConstant{Val: 0})
}

func snaplen(n int) int {
	if n <= 0 {
		return DefaultSnaplen
	}
	return n
}

// asm is a small assembler with named jump targets: the program is written
// top to bottom, and resolve turns labels into the relative skips classic
// BPF wants, failing when a conditional jump would exceed 255.
type asm struct {
	ins    []bpf.Instruction
	labels map[string]int
	fixups []fixup
	n      int
}

type fixup struct {
	at          int
	true, false string // labels; "" is the next instruction
}

func newAsm() *asm { return &asm{labels: map[string]int{}} }

func (a *asm) op(i bpf.Instruction) { a.ins = append(a.ins, i) }

func (a *asm) label(name string) { a.labels[name] = len(a.ins) }

func (a *asm) newLabel() string {
	a.n++
	return "L" + strconv.Itoa(a.n)
}

func (a *asm) cond(c bpf.JumpTest, val uint32, t, f string) {
	a.fixups = append(a.fixups, fixup{at: len(a.ins), true: t, false: f})
	a.op(bpf.JumpIf{Cond: c, Val: val})
}

func (a *asm) jeq(val uint32, t, f string) { a.cond(bpf.JumpEqual, val, t, f) }
func (a *asm) jge(val uint32, t, f string) { a.cond(bpf.JumpGreaterOrEqual, val, t, f) }
func (a *asm) jgt(val uint32, t, f string) { a.cond(bpf.JumpGreaterThan, val, t, f) }

func (a *asm) ja(target string) {
	a.fixups = append(a.fixups, fixup{at: len(a.ins), true: target})
	a.op(bpf.Jump{})
}

func (a *asm) skip(from int, label string) (uint32, error) {
	if label == "" {
		return 0, nil
	}
	to, ok := a.labels[label]
	if !ok {
		return 0, fmt.Errorf("live: filter assembler: no label %q", label)
	}
	if to <= from {
		return 0, fmt.Errorf("live: filter assembler: backward jump to %q", label)
	}
	return uint32(to - from - 1), nil
}

func (a *asm) resolve() ([]bpf.Instruction, error) {
	for _, fx := range a.fixups {
		t, err := a.skip(fx.at, fx.true)
		if err != nil {
			return nil, err
		}
		switch ins := a.ins[fx.at].(type) {
		case bpf.Jump:
			ins.Skip = t
			a.ins[fx.at] = ins
		case bpf.JumpIf:
			f, err := a.skip(fx.at, fx.false)
			if err != nil {
				return nil, err
			}
			if t > 255 || f > 255 {
				return nil, fmt.Errorf("%w: program too large for classic BPF jumps", ErrFilter)
			}
			ins.SkipTrue, ins.SkipFalse = uint8(t), uint8(f)
			a.ins[fx.at] = ins
		}
	}
	return a.ins, nil
}

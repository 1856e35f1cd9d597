//go:build linux

package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// ARPHRD values (linux/if_arp.h) of devices whose frames start with an
// Ethernet header. Every other device type is read cooked.
const (
	arphrdEther    = 1
	arphrdLoopback = 772
)

// Interface is a live capture on a network interface.
type Interface struct {
	name     string
	tp       *afpacket.TPacket
	link     Link
	linkType layers.LinkType
	frame    capture.Frame
	skipped  uint64 // frames that were not IP on a cooked socket
}

// Open opens an AF_PACKET socket on opts.Interface with a TPACKET_V3 ring
// and attaches the filter. It needs CAP_NET_RAW (root has it); nothing
// after Open does, so the caller may drop privileges.
func Open(opts Options) (*Interface, error) {
	name := opts.Interface
	if name == "" {
		return nil, errors.New("live: no interface given (use -i NAME, or -i any)")
	}
	l := Link{Snaplen: snaplen(opts.Snaplen)}
	bind := name
	if name == "any" {
		if opts.Promiscuous {
			return nil, errors.New("live: --promisc needs a named interface, not \"any\"")
		}
		bind, l.Cooked = "", true
	} else {
		if _, err := net.InterfaceByName(name); err != nil {
			return nil, fmt.Errorf("live: interface %q: %w", name, err)
		}
		typ, err := arphrd(name)
		l.Cooked = err != nil || (typ != arphrdEther && typ != arphrdLoopback)
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("live: listing interfaces: %w", err)
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagLoopback != 0 && (bind == "" || ifc.Name == name) {
			l.Loopbacks = append(l.Loopbacks, ifc.Index)
		}
	}
	prog, err := opts.program(l)
	if err != nil {
		return nil, err
	}

	socket, lt := afpacket.SocketRaw, layers.LinkTypeEthernet
	if l.Cooked {
		// Frames start at the IP header; files written from them say
		// raw IP, which every tool reads.
		socket, lt = afpacket.SocketDgram, layers.LinkTypeRaw
	}
	ring := opts.RingSize
	if ring <= 0 {
		ring = DefaultRingSize
	}
	poll := opts.PollTimeout
	if poll <= 0 {
		poll = DefaultPollTimeout
	}
	tp, err := afpacket.NewTPacket(
		afpacket.OptInterface(bind),
		afpacket.OptSocketType(socket),
		afpacket.TPacketVersion3,
		afpacket.OptBlockSize(blockSize),
		afpacket.OptNumBlocks(max(ring/blockSize, 1)),
		afpacket.OptBlockTimeout(blockTimeout),
		afpacket.OptPollTimeout(poll),
	)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("live: %s: %w (run as root, or give the binary CAP_NET_RAW: setcap cap_net_raw+ep $(which sipscope))", name, err)
		}
		return nil, fmt.Errorf("live: %s: %w", name, err)
	}
	if err := tp.SetBPF(prog); err != nil {
		tp.Close()
		return nil, fmt.Errorf("live: %s: attaching the filter: %w", name, err)
	}
	if opts.Promiscuous {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			return nil, fmt.Errorf("live: %s: promiscuous mode: %w", name, err)
		}
	}
	return &Interface{name: name, tp: tp, link: l, linkType: lt}, nil
}

// arphrd reads the device type of an interface.
func arphrd(name string) (int, error) {
	b, err := os.ReadFile("/sys/class/net/" + name + "/type")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

// Next returns the next captured frame; see Source.
func (s *Interface) Next() (*capture.Frame, error) {
	for {
		data, ci, err := s.tp.ZeroCopyReadPacketData()
		switch {
		case errors.Is(err, afpacket.ErrTimeout):
			return nil, ErrTimeout
		case err != nil:
			return nil, fmt.Errorf("live: %s: %w", s.name, err)
		}
		if s.link.Cooked && (len(data) == 0 || (data[0]>>4 != 4 && data[0]>>4 != 6)) {
			// Only frames queued between binding the socket and attaching
			// the filter can get here: the filter passes IP only.
			s.skipped++
			continue
		}
		s.frame.Time = ci.Timestamp
		s.frame.LinkType = s.linkType
		s.frame.Data = data
		s.frame.Length = ci.Length
		return &s.frame, nil
	}
}

// LinkType returns the link type of the frames: Ethernet, or raw IP for a
// cooked socket.
func (s *Interface) LinkType() layers.LinkType { return s.linkType }

// Link returns how the socket delivers frames, which the filter was
// compiled for.
func (s *Interface) Link() Link { return s.link }

// Stats returns the kernel's packet and drop counters since Open.
func (s *Interface) Stats() Stats {
	_, v3, err := s.tp.SocketStats()
	if err != nil {
		return Stats{}
	}
	return Stats{Packets: uint64(v3.Packets()), Drops: uint64(v3.Drops())}
}

// Close closes the socket.
func (s *Interface) Close() error {
	s.tp.Close()
	return nil
}

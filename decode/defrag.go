package decode

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/gopacket/gopacket/ip4defrag"
	"github.com/gopacket/gopacket/ip6defrag"
	"github.com/gopacket/gopacket/layers"
)

// Reassembly limits. A datagram whose fragments do not all arrive within
// FragmentTimeout of its first one is dropped and counted, as Linux does
// (net.ipv4.ipfrag_time is 30 s); at most maxPendingDatagrams datagrams and
// maxPendingBytes bytes of fragments are held at once, so a flood of
// fragments that never complete cannot grow memory without bound.
const (
	FragmentTimeout     = 30 * time.Second
	maxPendingDatagrams = 1024
	maxPendingBytes     = 8 << 20
	// sweepEvery is how far capture time moves between two looks for
	// timed-out datagrams.
	sweepEvery = time.Second
)

type fragKey struct {
	src, dst [16]byte
	id       uint32
	proto    uint8 // IPv4 only; IPv6 keys on addresses and Identification
	v6       bool
}

// pendingDatagram is one datagram under reassembly. Each has its own gopacket
// defragmenter: gopacket applies the receiver's rules (overlaps, repeats,
// the final fragment), while the reassembler owns time-outs and limits in
// capture time, which ip6defrag cannot do (it stamps fragments with the wall
// clock).
type pendingDatagram struct {
	v4        *ip4defrag.IPv4Defragmenter
	v6        *ip6defrag.IPv6Defragmenter
	first     time.Time
	fragments int
	bytes     int
	file      int
	lastFrame int
	key       fragKey
	born      uint64 // Decoder.ticks when the first fragment came: its Position key
}

type reassembler struct {
	m         map[fragKey]*pendingDatagram
	bytes     int
	lastSweep time.Time
	nextSweep time.Time          // lastSweep + sweepEvery
	due       []*pendingDatagram // reused by sweep
}

func newReassembler() *reassembler { return &reassembler{m: make(map[fragKey]*pendingDatagram)} }

// pending returns the datagram k belongs to, making room for it when needed.
// It returns nil when the fragment must be dropped.
func (r *reassembler) pending(d *Decoder, m *Meta, k fragKey, size int) *pendingDatagram {
	p := r.m[k]
	if p != nil && m.Time.Sub(p.first) > FragmentTimeout {
		// Timed out, though no sweep has looked yet: this fragment starts
		// a datagram of its own.
		r.timeout(d, p)
		p = nil
	}
	if p == nil {
		if len(r.m) >= maxPendingDatagrams {
			d.problem(m.File, m.Frame, ReasonFragment, fmt.Sprintf("%s: %d datagrams already under reassembly", ReasonFragment, maxPendingDatagrams))
			return nil
		}
		p = &pendingDatagram{first: m.Time, file: m.File, key: k, born: d.ticks}
		if k.v6 {
			p.v6 = ip6defrag.NewIPv6Defragmenter()
		} else {
			p.v4 = ip4defrag.NewIPv4Defragmenter()
		}
		r.m[k] = p
	}
	if r.bytes+size > maxPendingBytes {
		r.drop(d, k, p, fmt.Sprintf("%s: over %d bytes of fragments held", ReasonFragment, maxPendingBytes))
		return nil
	}
	p.fragments++
	p.bytes += size
	r.bytes += size
	p.lastFrame = m.Frame
	return p
}

func (r *reassembler) drop(d *Decoder, k fragKey, p *pendingDatagram, why string) {
	d.problem(p.file, p.lastFrame, ReasonFragment, why)
	r.done(k, p)
}

func (r *reassembler) done(k fragKey, p *pendingDatagram) {
	r.bytes -= p.bytes
	delete(r.m, k)
}

// sweep drops the datagrams whose fragments did not all arrive within
// FragmentTimeout, in the order they began. It looks every sweepEvery of
// capture time, counted from the frames alone (every frame, fragment or
// not, moves the clock), and whenever time goes back.
func (r *reassembler) sweep(d *Decoder, now time.Time) {
	if now.Before(r.nextSweep) && !now.Before(r.lastSweep) {
		return
	}
	r.lastSweep, r.nextSweep = now, now.Add(sweepEvery)
	if len(r.m) == 0 {
		return
	}
	due := r.due[:0]
	for _, p := range r.m {
		if now.Sub(p.first) > FragmentTimeout {
			due = append(due, p)
		}
	}
	sortDatagrams(due)
	for _, p := range due {
		d.pos = Position{PhaseFragments, p.born}
		r.timeout(d, p)
	}
	clear(due)
	r.due = due[:0]
}

func (r *reassembler) timeout(d *Decoder, p *pendingDatagram) {
	r.drop(d, p.key, p, fmt.Sprintf("%s: %d fragments, the rest not seen within %v", ReasonFragment, p.fragments, FragmentTimeout))
}

func (r *reassembler) flush(d *Decoder) {
	ps := make([]*pendingDatagram, 0, len(r.m))
	for _, p := range r.m {
		ps = append(ps, p)
	}
	sortDatagrams(ps)
	for _, p := range ps {
		d.pos = Position{PhaseFlushFragments, p.born}
		r.drop(d, p.key, p, fmt.Sprintf("%s: %d fragments, the rest not in the capture", ReasonFragment, p.fragments))
	}
}

// sortDatagrams puts datagrams in Position key order; those begun on the
// same frame (nested tunnels) by their keys.
func sortDatagrams(ps []*pendingDatagram) {
	slices.SortFunc(ps, func(a, b *pendingDatagram) int {
		if a.born != b.born {
			if a.born < b.born {
				return -1
			}
			return 1
		}
		if c := bytes.Compare(a.key.src[:], b.key.src[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.key.dst[:], b.key.dst[:]); c != 0 {
			return c
		}
		if a.key.id != b.key.id {
			if a.key.id < b.key.id {
				return -1
			}
			return 1
		}
		if a.key.proto != b.key.proto {
			return int(a.key.proto) - int(b.key.proto)
		}
		if a.key.v6 != b.key.v6 {
			if b.key.v6 {
				return -1
			}
			return 1
		}
		return 0
	})
}

// fragment4 adds an IPv4 fragment; the last one to arrive completes the
// datagram, which is decoded with that frame's number, as Wireshark shows it.
func (d *Decoder) fragment4(m *Meta, ip *layers.IPv4) {
	d.interest |= InterestFragment
	k := fragKey{id: uint32(ip.Id), proto: uint8(ip.Protocol)}
	copy(k.src[:], ip.SrcIP.To16())
	copy(k.dst[:], ip.DstIP.To16())
	p := d.frags.pending(d, m, k, len(ip.Payload))
	if p == nil {
		return
	}
	// The defragmenter keeps the layer it is given: hand it a copy that
	// does not alias the capture buffer or the decoder's reused layer.
	c := &layers.IPv4{
		Version: ip.Version, IHL: ip.IHL, TOS: ip.TOS, Length: ip.Length, Id: ip.Id,
		Flags: ip.Flags, FragOffset: ip.FragOffset, TTL: ip.TTL, Protocol: ip.Protocol,
		SrcIP: append(net.IP(nil), ip.SrcIP...), DstIP: append(net.IP(nil), ip.DstIP...),
	}
	c.Payload = append([]byte(nil), ip.Payload...)
	out, err := p.v4.DefragIPv4WithTimestamp(c, m.Time)
	if err != nil {
		d.frags.drop(d, k, p, ReasonFragment+": "+err.Error())
		return
	}
	if out == nil {
		return
	}
	d.frags.done(k, p)
	d.Stats.Reassembled++
	m.Fragments = p.fragments
	src, dst := addrOf(out.SrcIP), addrOf(out.DstIP)
	first := out.Protocol.LayerType()
	if d.parsers[first] == nil {
		return
	}
	d.walk(m, first, out.Payload, src, dst)
}

// fragment6 adds an IPv6 fragment, as fragment4 does.
func (d *Decoder) fragment6(m *Meta, ip *layers.IPv6, fh *layers.IPv6Fragment) {
	d.interest |= InterestFragment
	k := fragKey{id: fh.Identification, v6: true}
	copy(k.src[:], ip.SrcIP.To16())
	copy(k.dst[:], ip.DstIP.To16())
	p := d.frags.pending(d, m, k, len(fh.Payload))
	if p == nil {
		return
	}
	c := &layers.IPv6{
		Version: ip.Version, TrafficClass: ip.TrafficClass, FlowLabel: ip.FlowLabel,
		NextHeader: ip.NextHeader, HopLimit: ip.HopLimit,
		SrcIP: append(net.IP(nil), ip.SrcIP...), DstIP: append(net.IP(nil), ip.DstIP...),
	}
	f := &layers.IPv6Fragment{
		NextHeader: fh.NextHeader, FragmentOffset: fh.FragmentOffset,
		MoreFragments: fh.MoreFragments, Identification: fh.Identification,
	}
	f.Payload = append([]byte(nil), fh.Payload...)
	out := p.v6.DefragIPv6(c, f)
	if out == nil {
		return
	}
	d.frags.done(k, p)
	d.Stats.Reassembled++
	m.Fragments = p.fragments
	first := out.NextHeader.LayerType()
	if d.parsers[first] == nil {
		return
	}
	d.walk(m, first, out.Payload, addrOf(out.SrcIP), addrOf(out.DstIP))
}

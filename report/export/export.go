// Package export writes the frames of chosen calls to a new capture file,
// with their original bytes and timestamps, to attach beside a ladder: the
// SIP messages (every TCP segment that carried them), the RTP and RTCP
// their SDP announced, and the ICMP errors that answered either.
//
// It re-reads the capture files and copies frames by (file, frame number)
// and by media address; memory grows with the chosen calls, never with the
// capture. It shows what the model says belongs to the calls and never
// re-parses SIP.
package export

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/decode/sdp"
)

// Format is the kind of file written.
type Format int

// Formats.
const (
	PCAP   Format = iota // pcap with nanosecond timestamps; one link type only
	PCAPNG               // pcapng; one interface per link type
)

// ErrMixedLinkTypes is returned when frames of several link types would go
// into a pcap file, which has room for one.
var ErrMixedLinkTypes = errors.New("export: the frames have several link types; write pcapng (.pcapng) instead")

// mediaGrace is how long after a call's last SIP message its media is
// still taken, when the call ended (BYE) inside the capture.
const mediaGrace = 2 * time.Second

type frameKey struct{ file, frame int }

type flowKey struct {
	file     int
	src, dst netip.AddrPort
}

// segments is a run of TCP frames on one flow direction: those after
// frame After (the end of the previous SIP message on the flow) up to
// Upto (the end of this one) carried this message.
type segments struct{ after, upto int }

// window is a media endpoint a call announced, and when it is the call's.
type window struct {
	from, until time.Time // until zero: to the end of the capture
}

// Selection is what belongs to the chosen calls.
type Selection struct {
	frames map[frameKey]bool
	tcp    map[flowKey][]segments
	media  map[netip.AddrPort][]window
	icmp   map[netip.AddrPort][]window // media endpoints whose ICMP errors to keep
}

// Select works out the frames of calls in the model m.
func Select(m *correlate.Model, calls []*correlate.Call) *Selection {
	s := &Selection{frames: map[frameKey]bool{}, tcp: map[flowKey][]segments{}, media: map[netip.AddrPort][]window{}}
	chosen := make(map[*correlate.Call]bool, len(calls))
	for _, c := range calls {
		chosen[c] = true
	}
	// Where each SIP message on a stream transport ended, for every call:
	// a chosen message's segments start after the previous message's end.
	prevEnd := map[*correlate.Message]int{}
	last := map[flowKey]int{}
	for _, msg := range streamMessages(m) {
		k := flowKey{msg.File, msg.Src, msg.Dst}
		prevEnd[msg] = last[k]
		last[k] = msg.Frame
	}
	for _, c := range calls {
		for _, msg := range c.Messages {
			s.frames[frameKey{msg.File, msg.Frame}] = true
			if msg.Transport != decode.UDP {
				k := flowKey{msg.File, msg.Src, msg.Dst}
				s.tcp[k] = append(s.tcp[k], segments{after: prevEnd[msg], upto: msg.Frame})
			}
		}
		for _, ic := range c.ICMP {
			s.frames[frameKey{ic.File, ic.Frame}] = true
		}
		s.addMedia(m, c, chosen)
	}
	for _, ic := range m.ICMP {
		if ic.Message != nil {
			continue // quotes SIP: kept above when it is a chosen call's
		}
		if s.inMedia(ic.OrigSrc, ic.Time) || s.inMedia(ic.OrigDst, ic.Time) {
			s.frames[frameKey{ic.File, ic.Frame}] = true
		}
	}
	return s
}

// streamMessages returns the model's SIP messages that came over TCP (or
// TLS, WebSocket), in frame order per file.
func streamMessages(m *correlate.Model) []*correlate.Message {
	var out []*correlate.Message
	for _, c := range m.Calls {
		for _, msg := range c.Messages {
			if msg.Transport != decode.UDP {
				out = append(out, msg)
			}
		}
	}
	// Insertion sort by (file, frame): few stream messages per capture.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && before(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func before(a, b *correlate.Message) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Frame < b.Frame
}

// addMedia adds the RTP and RTCP endpoints c's SDP announced, each from the
// first SDP that named it until the call ended (or the capture did, when
// no BYE was seen), cut short where another call announces the same
// endpoint: a media port reused by a later call is that call's.
func (s *Selection) addMedia(m *correlate.Model, c *correlate.Call, chosen map[*correlate.Call]bool) {
	eps := announced(c)
	if len(eps) == 0 {
		return
	}
	var end time.Time
	if !c.EndTime.IsZero() {
		end = c.End.Add(mediaGrace)
	}
	for ap, from := range eps {
		until := end
		for _, o := range m.Calls {
			if chosen[o] {
				continue
			}
			if t, ok := announced(o)[ap]; ok && t.After(from) && (until.IsZero() || t.Before(until)) {
				until = t
			}
		}
		s.media[ap] = append(s.media[ap], window{from: from, until: until})
	}
}

// announced returns the media endpoints (RTP and RTCP) in c's SDP bodies,
// with the time of the first message announcing each.
func announced(c *correlate.Call) map[netip.AddrPort]time.Time {
	out := map[netip.AddrPort]time.Time{}
	for _, msg := range c.Messages {
		if len(msg.Body) == 0 || msg.ContentType != "application/sdp" {
			continue
		}
		sess, err := sdp.Parse(msg.Body)
		if err != nil {
			continue
		}
		for i := range sess.Media {
			md := &sess.Media[i]
			if !md.Addr.IsValid() || md.Addr.IsUnspecified() || md.Port == 0 {
				continue
			}
			for _, ap := range []netip.AddrPort{md.RTP(), md.RTCP} {
				if !ap.IsValid() {
					continue
				}
				if _, seen := out[ap]; !seen {
					out[ap] = msg.Time
				}
			}
		}
	}
	return out
}

func (s *Selection) inMedia(ap netip.AddrPort, t time.Time) bool {
	for _, w := range s.media[ap] {
		if !t.Before(w.from) && (w.until.IsZero() || t.Before(w.until)) {
			return true
		}
	}
	return false
}

// Stats counts what Write copied.
type Stats struct {
	Frames  int // all frames written
	SIP     int // frames holding a whole SIP message or its last segment
	Segment int // earlier TCP segments of SIP messages
	Media   int // RTP and RTCP (UDP to or from an announced endpoint)
	ICMP    int // frames kept by number that are not SIP (ICMP errors)
}

// Write re-reads files and writes the selected frames to w in capture order
// (the files merged by time, as everywhere in sipscope). Frame numbers in
// the new file start again from 1.
func Write(files []string, s *Selection, w io.Writer, f Format) (Stats, error) {
	var st Stats
	set, err := capture.OpenAll(files)
	if err != nil {
		return st, err
	}
	defer set.Close()
	out := &writer{w: w, format: f}
	peek := decode.NewPeeker()
	for {
		fr, err := set.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, err
		}
		keep := false
		if s.frames[frameKey{fr.File, fr.Number}] {
			keep = true
			if e, ok := peek.Peek(fr); ok && (e.Proto == 17 || e.Proto == 6) {
				st.SIP++
			} else {
				st.ICMP++
			}
		} else if e, ok := peek.Peek(fr); ok {
			switch {
			case e.Proto == 17 && !e.Fragment && (s.inMedia(e.Src, fr.Time) || s.inMedia(e.Dst, fr.Time)):
				keep = true
				st.Media++
			case e.Proto == 6 && e.Payload > 0 && s.inSegments(fr, e):
				keep = true
				st.Segment++
			}
		}
		if !keep {
			continue
		}
		if err := out.write(fr); err != nil {
			return st, err
		}
		st.Frames++
	}
	if err := out.flush(); err != nil {
		return st, err
	}
	return st, nil
}

func (s *Selection) inSegments(fr *capture.Frame, e decode.Endpoints) bool {
	for _, seg := range s.tcp[flowKey{fr.File, e.Src, e.Dst}] {
		if fr.Number > seg.after && fr.Number <= seg.upto {
			return true
		}
	}
	return false
}

// snapLen is the snapshot length written in the file header: as large as
// any capture tool uses, so no kept frame is longer.
const snapLen = 262144

// writer creates the pcap or pcapng writer at the first frame, when the
// link type is known.
type writer struct {
	w      io.Writer
	format Format
	pcap   *pcapgo.Writer
	ng     *pcapgo.NgWriter
	link   layers.LinkType
	ifaces map[layers.LinkType]int
}

func (o *writer) write(fr *capture.Frame) error {
	ci := gopacket.CaptureInfo{Timestamp: fr.Time, CaptureLength: len(fr.Data), Length: max(fr.Length, len(fr.Data))}
	if o.format == PCAPNG {
		if o.ng == nil {
			ng, err := pcapgo.NewNgWriterInterface(o.w, ngInterface(fr.LinkType), pcapgo.NgWriterOptions{})
			if err != nil {
				return fmt.Errorf("export: %w", err)
			}
			o.ng, o.ifaces = ng, map[layers.LinkType]int{fr.LinkType: 0}
		}
		id, ok := o.ifaces[fr.LinkType]
		if !ok {
			var err error
			if id, err = o.ng.AddInterface(ngInterface(fr.LinkType)); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			o.ifaces[fr.LinkType] = id
		}
		ci.InterfaceIndex = id
		return o.ng.WritePacket(ci, fr.Data)
	}
	if o.pcap == nil {
		o.pcap = pcapgo.NewWriterNanos(o.w)
		if err := o.pcap.WriteFileHeader(snapLen, fr.LinkType); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		o.link = fr.LinkType
	}
	if fr.LinkType != o.link {
		return ErrMixedLinkTypes
	}
	return o.pcap.WritePacket(ci, fr.Data)
}

func ngInterface(lt layers.LinkType) pcapgo.NgInterface {
	return pcapgo.NgInterface{LinkType: lt, SnapLength: snapLen, TimestampResolution: 9, Name: "sipscope-export"}
}

func (o *writer) flush() error {
	if o.ng != nil {
		return o.ng.Flush()
	}
	return nil
}

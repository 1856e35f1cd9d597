// Package ladder draws SIP call flows as ladder (sequence) diagrams for
// tickets, chats and postmortems: one Diagram model built from correlated
// calls, findings and media summaries, then one renderer per format (Text,
// Mermaid, PlantUML, SVG, HTML).
//
// Build does all the choosing (columns, labels, redaction); renderers only
// lay out and escape what the Diagram holds, so every format shows the same
// facts and the same pseudonyms. Like the rest of report, it shows facts the
// earlier stages computed and never computes facts of its own; it never
// re-reads packets.
package ladder

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode/sdp"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/report/redact"
)

// Options says how to build a diagram.
type Options struct {
	// ByHost draws one column per host instead of one per address:port.
	ByHost bool
	// Aliases names columns: keys are an address ("192.0.2.1") or an
	// address and port ("192.0.2.1:5060", which wins). Unnamed columns take
	// the User-Agent or Server header first seen from that address.
	Aliases map[string]string
	// CollapseRetrans draws a retransmitted message as one arrow with a
	// count instead of one arrow per copy.
	CollapseRetrans bool
	// MultiFile shows frames as FILE:FRAME (1-based file number), for
	// diagrams drawn from several capture files.
	MultiFile bool
	// Redact says what to mask; the command sets Auth unless --no-redact-auth.
	Redact redact.Options
}

// Media is one media stream summarised by RTP analysis, drawn as one line
// between its endpoints. The caller fills it when stream statistics exist;
// Build draws none otherwise.
type Media struct {
	Src, Dst   netip.AddrPort
	Start, End time.Time // first and last packet
	Proto      string    // "RTP", "SRTP", "RTCP", ...
	Codec      string    // "PCMA", "" when unknown
	Packets    int
	Lost       int
	Jitter     time.Duration // RFC 3550 interarrival jitter, 0 when unknown
}

// Label is the media line's text, e.g.
// "RTP PCMA 150 pkts, 0 lost, jitter 0.3 ms".
func (m *Media) Label() string {
	var b strings.Builder
	b.WriteString(orDefault(m.Proto, "RTP"))
	if m.Codec != "" {
		b.WriteString(" " + m.Codec)
	}
	b.WriteString(" " + strconv.Itoa(m.Packets) + " pkts, " + strconv.Itoa(m.Lost) + " lost")
	if m.Jitter > 0 {
		b.WriteString(", jitter " + strconv.FormatFloat(float64(m.Jitter)/float64(time.Millisecond), 'f', 1, 64) + " ms")
	}
	return b.String()
}

// Kind is what an Item draws.
type Kind int

// Item kinds.
const (
	KindMessage Kind = iota // a SIP message
	KindICMP                // an ICMP error answering a SIP message
	KindMedia               // a media stream summary
)

// Diagram is a ladder ready to render. Every string in it is already
// redacted; renderers escape it for their format.
type Diagram struct {
	Legs     []Leg
	Columns  []Column
	Items    []Item // in time order
	Findings []Finding
	Start    time.Time // time of the first item; Item.Rel counts from it
	// Redacted says what was masked, for the header.
	Redacted redact.Options

	multiFile bool
}

// Leg is one call (Call-ID) drawn on the diagram.
type Leg struct {
	Name     string // "A", "B", ...
	CallID   string
	From, To string // users, or URIs when there is no user part
	State    string // state with code, e.g. "rejected (486)"
	Start    time.Time
	Duration time.Duration
	Messages int
}

// Column is one lifeline: an address:port, or a host with Options.ByHost.
type Column struct {
	Addr string // as shown, redacted: "47.98.109.96:5060"
	Name string // alias or User-Agent/Server, "" when none
}

// Item is one arrow: a SIP message, an ICMP error or a media line.
type Item struct {
	Kind     Kind
	From, To int // column indices
	Leg      int // index in Diagram.Legs; -1 for media
	File     int // 0-based capture file of Frame
	Frame    int // 1-based frame number; 0 for media
	// Frames lists the frames of the copies folded into this arrow by
	// Options.CollapseRetrans, the first included; nil otherwise.
	Frames []int
	Time   time.Time
	Rel    time.Duration // since Diagram.Start
	Delta  time.Duration // since the previous message or ICMP error (media lines do not count)
	Label  string        // "INVITE", "200 OK", "ICMP port unreachable", a media label
	CSeq   string        // the CSeq method, shown after responses: "INVITE"
	SDP    []string      // one summary per m= line: "PCMA 192.168.1.107:54898 sendrecv"
	Note   string        // extra line: what an ICMP error quotes, a media line's endpoints
	// Retransmission marks a copy the transaction layer had already seen.
	Retransmission bool
	Findings       []int  // indices in Diagram.Findings that point at this item (drawn as [!N] markers)
	Notes          []int  // findings whose one-line note is drawn under this item: each at its first item only
	Raw            string // the message text, redacted; "" for media
}

// Details returns the extra label lines of an arrow: its SDP summaries,
// its note and, for collapsed copies, their frames.
func (it *Item) Details() []string {
	var out []string
	for _, s := range it.SDP {
		out = append(out, "SDP "+s)
	}
	if it.Note != "" {
		out = append(out, it.Note)
	}
	if len(it.Frames) > 1 {
		parts := make([]string, len(it.Frames))
		for i, f := range it.Frames {
			parts[i] = strconv.Itoa(f)
		}
		out = append(out, "frames "+strings.Join(parts, ", "))
	}
	return out
}

// Copies returns how many messages the arrow stands for (1 unless collapsed).
func (it *Item) Copies() int {
	if len(it.Frames) == 0 {
		return 1
	}
	return len(it.Frames)
}

// Text returns the arrow's main label: "200 OK (INVITE)", "INVITE",
// with " x3" for collapsed copies.
func (it *Item) Text() string {
	s := it.Label
	if it.CSeq != "" {
		s += " (" + it.CSeq + ")"
	}
	if n := it.Copies(); n > 1 {
		s += " x" + strconv.Itoa(n)
	} else if it.Retransmission {
		s += " [retransmission]"
	}
	return s
}

// Finding is a diagnose finding as drawn: pointed at the items whose frames
// its evidence lists.
type Finding struct {
	ID       string
	Severity string
	Summary  string
	Advice   string
	Frames   []int
	Items    []int // indices in Diagram.Items
}

// FrameLabel returns how an item's frame is shown: "10", or "2:10" for a
// diagram drawn from several files; "" for media.
func (d *Diagram) FrameLabel(it *Item) string {
	if it.Frame == 0 {
		return ""
	}
	if d.multiFile {
		return strconv.Itoa(it.File+1) + ":" + strconv.Itoa(it.Frame)
	}
	return strconv.Itoa(it.Frame)
}

// Build makes the diagram of calls (several for the legs of one call), with
// the findings that concern them and the media streams given (nil when no
// RTP analysis ran).
func Build(calls []*correlate.Call, findings []diagnose.Finding, media []Media, opts Options) *Diagram {
	b := &builder{
		d:       &Diagram{Redacted: opts.Redact, multiFile: opts.MultiFile},
		opts:    opts,
		r:       redact.New(opts.Redact),
		columns: map[string]int{},
		merged:  map[mergeKey]int{},
	}
	b.learn(calls)
	type event struct {
		t   time.Time
		seq int
		add func()
	}
	var evs []event
	for li, c := range calls {
		for _, m := range c.Messages {
			evs = append(evs, event{t: m.Time, seq: len(evs), add: func() { b.message(li, m) }})
		}
		for _, ic := range c.ICMP {
			evs = append(evs, event{t: ic.Time, seq: len(evs), add: func() { b.icmp(li, ic) }})
		}
	}
	for i := range media {
		m := &media[i]
		evs = append(evs, event{t: m.Start, seq: len(evs), add: func() { b.media(m) }})
	}
	// Stable: equal times keep the order they were added (legs as given).
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].t.Before(evs[j].t) })
	for _, e := range evs {
		e.add()
	}
	for li, c := range calls {
		b.leg(li, c)
	}
	b.times()
	b.names(calls)
	b.findings(calls, findings)
	return b.d
}

type mergeKey struct {
	txn      *correlate.Transaction
	label    string
	from, to int
}

type builder struct {
	d       *Diagram
	opts    Options
	r       *redact.Redactor
	columns map[string]int // column key -> index
	keys    []string       // column index -> key (unredacted), for names
	merged  map[mergeKey]int
}

// learn shows the redactor every text before anything is drawn, so
// pseudonyms are numbered by first appearance in the call flow and are the
// same in every label and every raw text.
func (b *builder) learn(calls []*correlate.Call) {
	if b.opts.Redact.None() {
		return
	}
	for _, c := range calls {
		for _, m := range c.Messages {
			b.r.Learn(m.Src.Addr().String())
			b.r.Learn(m.Dst.Addr().String())
			b.r.Learn(string(m.Raw))
		}
	}
}

func (b *builder) key(ap netip.AddrPort) string {
	if b.opts.ByHost || ap.Port() == 0 {
		return ap.Addr().Unmap().String()
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
}

func (b *builder) column(ap netip.AddrPort) int {
	k := b.key(ap)
	if i, ok := b.columns[k]; ok {
		return i
	}
	shown := b.r.Addr(ap.Addr())
	if !b.opts.ByHost && ap.Port() != 0 {
		shown = b.r.AddrPort(ap)
	}
	b.columns[k] = len(b.d.Columns)
	b.keys = append(b.keys, k)
	b.d.Columns = append(b.d.Columns, Column{Addr: shown})
	return len(b.d.Columns) - 1
}

// hostColumn returns the first column on the host of ap, creating one for
// ap when there is none: where a media line or an ICMP error is drawn.
func (b *builder) hostColumn(ap netip.AddrPort) int {
	if i, ok := b.columns[b.key(ap)]; ok {
		return i
	}
	host := ap.Addr().Unmap()
	for i, k := range b.keys {
		if a, err := netip.ParseAddrPort(k); err == nil && a.Addr() == host {
			return i
		}
		if a, err := netip.ParseAddr(k); err == nil && a == host {
			return i
		}
	}
	return b.column(ap)
}

func (b *builder) clean(s string) string { return b.r.Text(s) }

func (b *builder) message(leg int, m *correlate.Message) {
	from, to := b.column(m.Src), b.column(m.Dst)
	it := Item{Kind: KindMessage, From: from, To: to, Leg: leg, File: m.File, Frame: m.Frame,
		Time: m.Time, Retransmission: m.Retransmission, Raw: b.clean(string(m.Raw))}
	if m.IsRequest {
		it.Label = b.clean(m.Method)
		if m.CSeq.Method != "" && m.CSeq.Method != m.Method {
			it.CSeq = "CSeq " + b.clean(m.CSeq.Method)
		}
	} else {
		it.Label = strconv.Itoa(m.StatusCode)
		if m.Reason != "" {
			it.Label += " " + b.clean(m.Reason)
		}
		it.CSeq = b.clean(m.CSeq.Method)
	}
	it.SDP = b.sdpSummary(m)
	if b.opts.CollapseRetrans && m.Transaction != nil {
		k := mergeKey{m.Transaction, it.Label, from, to}
		if i, ok := b.merged[k]; ok && m.Retransmission {
			first := &b.d.Items[i]
			if first.Frames == nil {
				first.Frames = []int{first.Frame}
			}
			first.Frames = append(first.Frames, m.Frame)
			return
		}
		if !m.Retransmission {
			b.merged[k] = len(b.d.Items)
		}
	}
	b.d.Items = append(b.d.Items, it)
}

// codecsShown bounds the codecs listed per m= line; the rest are counted.
const codecsShown = 3

func (b *builder) sdpSummary(m *correlate.Message) []string {
	if len(m.Body) == 0 || !strings.EqualFold(m.ContentType, "application/sdp") {
		return nil
	}
	s, err := sdp.Parse(m.Body)
	if err != nil {
		return nil
	}
	var out []string
	for i := range s.Media {
		md := &s.Media[i]
		var parts []string
		if md.Type != "audio" {
			parts = append(parts, b.clean(md.Type))
		}
		var codecs []string
		for _, c := range md.CodecNames() {
			if strings.EqualFold(c, "telephone-event") || strings.EqualFold(c, "CN") {
				continue // signalling, not a codec to choose
			}
			codecs = append(codecs, b.clean(c))
		}
		if len(codecs) > codecsShown {
			codecs = append(codecs[:codecsShown], "+"+strconv.Itoa(len(codecs)-codecsShown))
		}
		if len(codecs) > 0 {
			parts = append(parts, strings.Join(codecs, ","))
		}
		switch {
		case md.Port == 0:
			parts = append(parts, "rejected")
		case md.Addr.IsValid():
			parts = append(parts, b.r.AddrPort(netip.AddrPortFrom(md.Addr, uint16(md.Port))))
		default:
			parts = append(parts, "port "+strconv.Itoa(md.Port))
		}
		if md.Port != 0 {
			parts = append(parts, md.Direction.String())
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

func (b *builder) icmp(leg int, ic *correlate.ICMP) {
	// The ICMP error comes from the host that refused the packet; when that
	// is the packet's destination, draw it from the destination's column.
	var from int
	if ic.Src.Addr().Unmap() == ic.OrigDst.Addr().Unmap() {
		from = b.column(ic.OrigDst)
	} else {
		from = b.column(ic.Src)
	}
	to := b.hostColumn(ic.OrigSrc)
	it := Item{Kind: KindICMP, From: from, To: to, Leg: leg, File: ic.File, Frame: ic.Frame, Time: ic.Time,
		Label: "ICMP " + ic.Description}
	it.Note = "quotes " + b.r.AddrPort(ic.OrigSrc) + " -> " + b.r.AddrPort(ic.OrigDst)
	if ic.Message != nil {
		it.Note += " (frame " + strconv.Itoa(ic.Message.Frame) + ")"
	} else {
		it.Note += " (media)"
	}
	b.d.Items = append(b.d.Items, it)
}

func (b *builder) media(m *Media) {
	from, to := b.hostColumn(m.Src), b.hostColumn(m.Dst)
	b.d.Items = append(b.d.Items, Item{Kind: KindMedia, From: from, To: to, Leg: -1, Time: m.Start,
		Label: b.clean(m.Label()),
		Note:  b.r.AddrPort(m.Src) + " -> " + b.r.AddrPort(m.Dst) + ", " + formatDuration(m.End.Sub(m.Start))})
}

func (b *builder) leg(i int, c *correlate.Call) {
	state := c.State
	if c.Code != 0 && c.State != correlate.StateAnswered && c.State != correlate.StateCompleted {
		state += " (" + strconv.Itoa(c.Code) + ")"
	}
	b.d.Legs = append(b.d.Legs, Leg{
		Name: legName(i), CallID: b.clean(c.CallID),
		From: b.clean(orDefault(c.FromUser, c.From)), To: b.clean(orDefault(c.ToUser, c.To)),
		State: state, Start: c.Start, Duration: c.Duration(), Messages: len(c.Messages),
	})
}

func legName(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return "L" + strconv.Itoa(i+1)
}

func (b *builder) times() {
	if len(b.d.Items) == 0 {
		return
	}
	b.d.Start = b.d.Items[0].Time
	prev := b.d.Start
	for i := range b.d.Items {
		it := &b.d.Items[i]
		it.Rel, it.Delta = it.Time.Sub(b.d.Start), it.Time.Sub(prev)
		if it.Kind != KindMedia {
			prev = it.Time
		}
	}
}

// names gives each column its alias, else the User-Agent or Server header
// of the first message sent from it.
func (b *builder) names(calls []*correlate.Call) {
	for i, k := range b.keys {
		if name, ok := b.opts.Aliases[k]; ok {
			b.d.Columns[i].Name = name
			continue
		}
		if ap, err := netip.ParseAddrPort(k); err == nil {
			if name, ok := b.opts.Aliases[ap.Addr().String()]; ok {
				b.d.Columns[i].Name = name
			}
		}
	}
	for _, c := range calls {
		for _, m := range c.Messages {
			i := b.columns[b.key(m.Src)]
			if b.d.Columns[i].Name != "" {
				continue
			}
			ua := m.UserAgent
			if ua == "" {
				ua = m.Server
			}
			if ua != "" {
				b.d.Columns[i].Name = b.clean(ua)
			}
		}
	}
}

// findings keeps the findings about the drawn calls (and capture-wide ones
// that point at a drawn frame) and marks the items their frames name.
func (b *builder) findings(calls []*correlate.Call, fs []diagnose.Finding) {
	ids := map[string]bool{}
	for _, c := range calls {
		ids[c.CallID] = true
	}
	byFrame := map[int][]int{}
	for i := range b.d.Items {
		it := &b.d.Items[i]
		if it.Frame == 0 {
			continue
		}
		frames := it.Frames
		if frames == nil {
			frames = []int{it.Frame}
		}
		for _, f := range frames {
			byFrame[f] = append(byFrame[f], i)
		}
	}
	sorted := append([]diagnose.Finding(nil), fs...)
	diagnose.Sort(sorted)
	for _, f := range sorted {
		var items []int
		for _, fr := range f.Evidence.Frames {
			for _, i := range byFrame[fr] {
				if !containsInt(items, i) {
					items = append(items, i)
				}
			}
		}
		if !ids[f.CallID] && (f.CallID != "" || len(items) == 0) {
			continue
		}
		n := len(b.d.Findings)
		b.d.Findings = append(b.d.Findings, Finding{ID: f.ID, Severity: f.Severity.String(),
			Summary: b.clean(f.Summary), Advice: b.clean(f.Advice), Frames: f.Evidence.Frames, Items: items})
		for _, i := range items {
			b.d.Items[i].Findings = append(b.d.Items[i].Findings, n)
		}
		if len(items) > 0 {
			// The note once, at the first arrow in the diagram; the other
			// arrows carry the marker only, so a finding that cites nine
			// frames does not repeat its sentence nine times.
			first := items[0]
			for _, i := range items {
				first = min(first, i)
			}
			b.d.Items[first].Notes = append(b.d.Items[first].Notes, n)
		}
	}
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// formatDuration shows d in seconds with millisecond precision: "1.204s".
func formatDuration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

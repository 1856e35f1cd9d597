package report

import (
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
)

func itoa(i int) string { return strconv.Itoa(i) }

func newTable(w io.Writer, header ...any) *tablewriter.Table {
	t := tablewriter.NewTable(w,
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(header...)
	return t
}

// TimeOfDay formats t for tables: date and time to the millisecond, UTC.
func TimeOfDay(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// Duration formats d as seconds with millisecond precision.
func Duration(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) + "s"
}

// State formats a call state with its status code.
func State(c *correlate.Call) string {
	if c.Code != 0 && c.State != correlate.StateAnswered && c.State != correlate.StateCompleted {
		return c.State + " (" + itoa(c.Code) + ")"
	}
	return c.State
}

func user(u, uri string) string {
	if u != "" {
		return u
	}
	return uri
}

// CaptureText writes the capture summary.
func CaptureText(w io.Writer, cs *sipscope.CaptureSummary) {
	fmt.Fprintf(w, "Capture: %s\n", Clean(strings.Join(cs.Files, ", "), false))
	span := "-"
	if !cs.Start.IsZero() {
		span = TimeOfDay(cs.Start) + " .. " + TimeOfDay(cs.End) + " (" + Duration(cs.End.Sub(cs.Start)) + ")"
	}
	fmt.Fprintf(w, "  frames %d, SIP messages %d, %s\n", cs.Frames, cs.SIPMessages, span)
	var counts []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{cs.Duplicates, "duplicate frames dropped"},
		{cs.Reassembled, "IP datagrams reassembled"},
		{cs.TCPRetransmissions, "TCP retransmissions dropped"},
		{cs.HEPPackets, "HEP packets"},
	} {
		if c.n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", c.what, c.n))
		}
	}
	if len(counts) > 0 {
		fmt.Fprintf(w, "  %s\n", strings.Join(counts, ", "))
	}
	for _, f := range cs.EncryptedFlows {
		sni := ""
		if f.ServerName != "" {
			sni = " (" + Clean(f.ServerName, false) + ")"
		}
		fmt.Fprintf(w, "  SIP over TLS, not decrypted: %v -> %v%s from frame %d, %d segments, %d bytes\n",
			f.Client, f.Server, sni, f.FirstFrame, f.Frames, f.Bytes)
	}
	if len(cs.Undecoded) > 0 {
		parts := make([]string, 0, len(cs.Undecoded))
		for _, k := range SortedKeys(cs.Undecoded) {
			parts = append(parts, fmt.Sprintf("%s: %d", Clean(k, false), cs.Undecoded[k]))
		}
		fmt.Fprintf(w, "  undecoded: %s\n", strings.Join(parts, ", "))
		for i, p := range cs.Problems {
			if i == 5 {
				fmt.Fprintf(w, "    ... %d more (see --format json)\n", len(cs.Problems)-5)
				break
			}
			fmt.Fprintf(w, "    frame %d of %s: %s\n", p.Frame, Clean(p.File, false), Clean(p.Reason, false))
		}
	}
	if cs.CallsEvicted > 0 || cs.ICMPDropped > 0 || cs.MessagesDropped > 0 || cs.StreamsDropped > 0 {
		var parts []string
		if cs.CallsEvicted > 0 {
			parts = append(parts, fmt.Sprintf("%d calls evicted (--max-calls %d)", cs.CallsEvicted, cs.MaxCalls))
		}
		if cs.MessagesDropped > 0 {
			parts = append(parts, fmt.Sprintf("%d messages dropped (--max-call-messages %d)", cs.MessagesDropped, cs.MaxMessages))
		}
		if cs.ICMPDropped > 0 {
			parts = append(parts, fmt.Sprintf("%d ICMP errors dropped (--max-icmp %d)", cs.ICMPDropped, cs.MaxICMP))
		}
		if cs.StreamsDropped > 0 {
			parts = append(parts, fmt.Sprintf("%d RTP streams not measured (--max-streams %d)", cs.StreamsDropped, cs.MaxStreams))
		}
		fmt.Fprintf(w, "  limits reached: %s\n", strings.Join(parts, ", "))
	}
}

// CallsTable writes one row per call.
func CallsTable(w io.Writer, calls []*correlate.Call) error { return CallRowsTable(w, RowsOf(calls)) }

// CallRow is what the calls table and CSV show of a call: kept instead of
// the call when a capture is streamed, so that listing every call costs a
// row each, not its messages.
type CallRow struct {
	Order                      int
	CallID, Kind               string
	FromUser, ToUser, From, To string
	State                      string // as State gives it, with the code
	RawState                   string // correlate's state
	Code                       int
	Start                      time.Time
	Duration                   time.Duration
	Messages, Retransmissions  int
}

// RowOf summarises c.
func RowOf(c *correlate.Call) CallRow {
	return CallRow{Order: c.Order, CallID: c.CallID, Kind: c.Kind, FromUser: c.FromUser, ToUser: c.ToUser,
		From: c.From, To: c.To, State: State(c), RawState: c.State, Code: c.Code, Start: c.Start,
		Duration: c.Duration(), Messages: len(c.Messages), Retransmissions: c.Retransmissions}
}

// RowsOf summarises calls.
func RowsOf(calls []*correlate.Call) []CallRow {
	rows := make([]CallRow, len(calls))
	for i, c := range calls {
		rows[i] = RowOf(c)
	}
	return rows
}

// SortRows puts rows in the order of Model.Calls: by start, then by order
// of the first message.
func SortRows(rows []CallRow) {
	sort.SliceStable(rows, func(i, j int) bool {
		if !rows[i].Start.Equal(rows[j].Start) {
			return rows[i].Start.Before(rows[j].Start)
		}
		return rows[i].Order < rows[j].Order
	})
}

// CallRowsTable writes one row per call.
func CallRowsTable(w io.Writer, rows []CallRow) error {
	t := newTable(w, "CALL-ID", "KIND", "FROM", "TO", "STATE", "START", "DURATION", "MSGS", "RETRANS")
	for _, r := range rows {
		if err := t.Append(
			Clean(r.CallID, false), Clean(r.Kind, false),
			Clean(user(r.FromUser, r.From), false), Clean(user(r.ToUser, r.To), false),
			r.State, TimeOfDay(r.Start), Duration(r.Duration),
			itoa(r.Messages), itoa(r.Retransmissions),
		); err != nil {
			return err
		}
	}
	return t.Render()
}

// RegistrationsTable writes one row per registration flow.
func RegistrationsTable(w io.Writer, calls []*correlate.Call) error {
	t := newTable(w, "AOR", "CONTACT", "STATE", "CHALLENGES", "ATTEMPTS", "EXPIRES", "CALL-ID")
	n := 0
	for _, c := range calls {
		r := c.Registration
		if r == nil {
			continue
		}
		n++
		exp := "-"
		if r.Expires >= 0 {
			exp = itoa(r.Expires) + "s"
		}
		if err := t.Append(Clean(r.AOR, false), Clean(strings.Join(r.Contacts, ", "), false), State(c),
			itoa(r.Challenges), itoa(r.Attempts), exp, Clean(c.CallID, false)); err != nil {
			return err
		}
	}
	if n == 0 {
		return nil
	}
	return t.Render()
}

// MessagesTable writes every message of a call in time order.
func MessagesTable(w io.Writer, res *sipscope.Result, c *correlate.Call) error {
	t := newTable(w, "FRAME", "TIME", "+REL", "SOURCE", "", "DESTINATION", "PROTO", "MESSAGE", "CSEQ", "NOTE")
	multi := len(res.Capture.Files) > 1
	for _, m := range c.Messages {
		frame := itoa(m.Frame)
		if multi {
			frame = itoa(m.File+1) + ":" + frame
		}
		note := ""
		if m.Retransmission {
			note = "retransmission"
		}
		if err := t.Append(frame, TimeOfDay(m.Time), "+"+Duration(m.Time.Sub(c.Start)),
			m.Src.String(), "->", m.Dst.String(), m.Transport.String(),
			Clean(m.Summary(), false), Clean(cseq(m), false), note); err != nil {
			return err
		}
	}
	return t.Render()
}

// RawMessages writes the full text of every message of a call.
func RawMessages(w io.Writer, c *correlate.Call) {
	for _, m := range c.Messages {
		note := ""
		if m.Retransmission {
			note = " (retransmission)"
		}
		fmt.Fprintf(w, "--- frame %d  %s  %s -> %s %s%s\n", m.Frame, TimeOfDay(m.Time), m.Src, m.Dst, m.Transport, note)
		fmt.Fprintln(w, strings.TrimRight(Clean(string(m.Raw), true), "\n"))
		fmt.Fprintln(w)
	}
}

// Overview writes the one-screen summary: registrations, then calls, then
// findings, every one of them.
func Overview(w io.Writer, res *sipscope.Result) error { return OverviewTally(w, res, nil, 0) }

// OverviewTally is Overview for a result that lists only some of the calls
// (see sipscope.AnalyzeOverview), t counting them all: each table's title
// gives the total, and under a table cut short a line says how many are not
// listed and what states they all ended in. A nil t means every call is
// listed. findingsLimit > 0 lists at most that many findings, worst first,
// and counts the rest by id.
func OverviewTally(w io.Writer, res *sipscope.Result, t *sipscope.Tally, findingsLimit int) error {
	var regs, calls []*correlate.Call
	for _, c := range res.Model.Calls {
		if c.Kind == correlate.KindRegistration {
			regs = append(regs, c)
		} else {
			calls = append(calls, c)
		}
	}
	nRegs, nCalls := len(regs), len(calls)
	if t != nil {
		nRegs, nCalls = t.Registrations, t.Calls-t.Registrations
	}
	if nRegs > 0 {
		fmt.Fprintf(w, "Registrations (%d)\n", nRegs)
		if len(regs) > 0 {
			if err := RegistrationsTable(w, regs); err != nil {
				return err
			}
		}
		notListed(w, nRegs-len(regs), t, true)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Calls and other dialogs (%d)\n", nCalls)
	switch {
	case nCalls == 0:
		fmt.Fprintln(w, "  none")
	case len(calls) > 0:
		if err := CallsTable(w, calls); err != nil {
			return err
		}
	}
	notListed(w, nCalls-len(calls), t, false)
	if t != nil && res.Streamed {
		fmt.Fprintf(w, "  (streamed: %d calls were diagnosed one by one as they finished; checks across calls saw only those held at once)\n",
			res.Correlate.Flushed)
	}
	total, byID := len(res.Findings)+res.FindingsDropped, map[string]int{}
	for _, f := range res.Findings {
		byID[f.ID]++
	}
	if t != nil && t.FindingsByID != nil {
		total, byID = t.Findings, maps.Clone(t.FindingsByID)
	}
	fmt.Fprintf(w, "\nFindings (%d)\n", total)
	if total == 0 {
		fmt.Fprintln(w, "  none: no rule found a problem")
		return nil
	}
	shown := res.Findings
	if findingsLimit > 0 && len(shown) > findingsLimit {
		shown = shown[:findingsLimit]
	}
	FindingsText(w, shown)
	if rest := total - len(shown); rest > 0 {
		for _, f := range shown {
			byID[f.ID]--
		}
		var parts []string
		for _, id := range sortedByCount(byID) {
			if byID[id] > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", Clean(id, false), byID[id]))
			}
		}
		fmt.Fprintf(w, "... %d more findings not listed", rest)
		if len(parts) > 0 {
			fmt.Fprintf(w, ": %s", strings.Join(parts, ", "))
		}
		fmt.Fprintln(w, "; sipscope diagnose lists them all")
	}
	return nil
}

// notListed writes, under a table cut short, how many rows are missing and
// the states of all the table's calls, most frequent first.
func notListed(w io.Writer, missing int, t *sipscope.Tally, registrations bool) {
	if missing <= 0 || t == nil {
		return
	}
	counts := map[string]int{}
	for k, n := range t.States {
		isReg := strings.HasPrefix(k, correlate.KindRegistration+" ")
		if isReg != registrations {
			continue
		}
		if registrations {
			k = strings.TrimPrefix(k, correlate.KindRegistration+" ")
		}
		counts[k] += n
	}
	var parts []string
	for _, k := range sortedByCount(counts) {
		parts = append(parts, Clean(k, false)+" "+itoa(counts[k]))
	}
	fmt.Fprintf(w, "... %d more not listed (--limit); all of them: %s\n", missing, strings.Join(parts, ", "))
}

// sortedByCount returns m's keys, most frequent first, ties by name.
func sortedByCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}

// Package report renders analysis results: tables, JSON and, later, ladder
// diagrams and exports. It shows facts the earlier stages computed; it never
// computes facts of its own.
package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
)

// JSONReport is the one object every --format json output is made of.
// Field names are a contract: add fields, never rename them.
type JSONReport struct {
	Capture  *JSONCapture       `json:"capture,omitempty"`
	Calls    []JSONCall         `json:"calls"`
	Findings []diagnose.Finding `json:"findings"`
	// Credentials, Challenges and AuthAudit are the digest audit of
	// `sipscope auth`; other commands leave them out.
	Credentials []JSONCredential `json:"credentials,omitzero"`
	Challenges  []JSONChallenge  `json:"challenges,omitzero"`
	AuthAudit   *JSONAuthAudit   `json:"auth_audit,omitempty"`
}

// JSONCapture summarises the input.
type JSONCapture struct {
	Files       []string       `json:"files"`
	Frames      int            `json:"frames"`
	SIPMessages int            `json:"sip_messages"`
	Start       string         `json:"start_time,omitempty"`
	End         string         `json:"end_time,omitempty"`
	Undecoded   map[string]int `json:"undecoded"`
	Problems    []JSONProblem  `json:"problems,omitempty"`
	// Transport-level counts; omitted when zero.
	Duplicates         int                 `json:"duplicates,omitempty"`
	Reassembled        int                 `json:"reassembled_datagrams,omitempty"`
	TCPRetransmissions int                 `json:"tcp_retransmissions,omitempty"`
	HEPPackets         int                 `json:"hep_packets,omitempty"`
	EncryptedFlows     []JSONEncryptedFlow `json:"encrypted_flows,omitempty"`
	// Limits reached: calls pushed out past max_calls (dropped offline,
	// handed over early when streaming) and ICMP errors not kept.
	CallsEvicted    int        `json:"calls_evicted"`
	ICMPDropped     int        `json:"icmp_dropped"`
	MessagesDropped int        `json:"messages_dropped"`
	StreamsDropped  int        `json:"streams_dropped"`
	Limits          JSONLimits `json:"limits"`
}

// JSONEncryptedFlow is a SIP over TLS connection, not decrypted.
type JSONEncryptedFlow struct {
	File       string `json:"file"`
	FirstFrame int    `json:"first_frame"`
	Client     string `json:"client"`
	Server     string `json:"server"`
	ServerName string `json:"server_name,omitempty"`
	Frames     int    `json:"frames"`
	Bytes      int    `json:"bytes"`
}

// JSONLimits are the resource limits in force for the run.
type JSONLimits struct {
	MaxCalls        int `json:"max_calls"`
	MaxICMP         int `json:"max_icmp"`
	MaxCallMessages int `json:"max_call_messages"`
	MaxStreams      int `json:"max_streams"`
}

// JSONProblem is one input problem.
type JSONProblem struct {
	File   string `json:"file"`
	Frame  int    `json:"frame"`
	Reason string `json:"reason"`
}

// JSONCall is one call (or registration, or other Call-ID).
type JSONCall struct {
	CallID          string            `json:"call_id"`
	Kind            string            `json:"kind"`
	FromUser        string            `json:"from_user"`
	ToUser          string            `json:"to_user"`
	From            string            `json:"from"`
	To              string            `json:"to"`
	State           string            `json:"state"`
	Code            int               `json:"code,omitempty"`
	StartTime       string            `json:"start_time"`
	DurationMS      float64           `json:"duration_ms"`
	PostDialDelayMS *float64          `json:"pdd_ms,omitempty"`
	AnswerDelayMS   *float64          `json:"answer_ms,omitempty"`
	TalkTimeMS      *float64          `json:"talk_ms,omitempty"`
	MessageCount    int               `json:"message_count"`
	MessagesDropped int               `json:"messages_dropped,omitempty"` // past max_call_messages, not in messages
	Retransmissions int               `json:"retransmissions"`
	Transactions    int               `json:"transactions"`
	Dialogs         []JSONDialog      `json:"dialogs,omitempty"`
	Registration    *JSONRegistration `json:"registration,omitempty"`
	Messages        []JSONMessage     `json:"messages"`
}

// JSONDialog is one dialog of a call.
type JSONDialog struct {
	FromTag string `json:"from_tag"`
	ToTag   string `json:"to_tag"`
	State   string `json:"state"`
}

// JSONRegistration describes a registration flow.
type JSONRegistration struct {
	AOR        string    `json:"aor"`
	Contacts   []string  `json:"contacts"`
	Expires    int       `json:"expires"`
	Challenges int       `json:"challenges"`
	Attempts   int       `json:"attempts"`
	LastCode   int       `json:"last_code"`
	Registered bool      `json:"registered"`
	RefreshesS []float64 `json:"refresh_intervals_s,omitempty"`
}

// JSONMessage is one SIP message of a call.
type JSONMessage struct {
	Frame          int    `json:"frame"`
	File           string `json:"file"`
	Time           string `json:"time"`
	Src            string `json:"src"`
	Dst            string `json:"dst"`
	Transport      string `json:"transport"`
	Encapsulation  string `json:"encapsulation,omitempty"` // "HEP" when it came from a HOMER agent
	Fragments      int    `json:"ip_fragments,omitempty"`  // IP fragments it was reassembled from
	Summary        string `json:"summary"`
	CSeq           string `json:"cseq"`
	Retransmission bool   `json:"retransmission"`
	Raw            string `json:"raw,omitempty"`
}

// Timestamp formats t as RFC 3339 with nanoseconds, in UTC: always nine
// digits of fraction (time.RFC3339Nano drops trailing zeros), so that
// timestamps have one width and sort as strings.
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timestampLayout)
}

const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func optMS(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	v := ms(d)
	return &v
}

// BuildJSON converts a result into the JSON report. withRaw adds each
// message's full text.
func BuildJSON(res *sipscope.Result, calls []*correlate.Call, withRaw bool) *JSONReport {
	out := &JSONReport{Capture: buildCapture(&res.Capture), Calls: []JSONCall{}, Findings: []diagnose.Finding{}}
	for _, c := range calls {
		out.Calls = append(out.Calls, buildCall(res, c, withRaw))
		out.Findings = append(out.Findings, diagnose.ForCall(res.Findings, c.CallID)...)
	}
	if len(calls) == len(res.Model.Calls) {
		// Every call is shown: keep findings about no call in particular too.
		out.Findings = append(out.Findings, diagnose.ForCall(res.Findings, "")...)
	}
	diagnose.Sort(out.Findings)
	return out
}

func buildCapture(cs *sipscope.CaptureSummary) *JSONCapture {
	jc := &JSONCapture{
		Files: cs.Files, Frames: cs.Frames, SIPMessages: cs.SIPMessages,
		Start: Timestamp(cs.Start), End: Timestamp(cs.End),
		Undecoded:    map[string]int{},
		CallsEvicted: cs.CallsEvicted, ICMPDropped: cs.ICMPDropped, MessagesDropped: cs.MessagesDropped,
		StreamsDropped: cs.StreamsDropped,
		Limits:         JSONLimits{MaxCalls: cs.MaxCalls, MaxICMP: cs.MaxICMP, MaxCallMessages: cs.MaxMessages, MaxStreams: cs.MaxStreams},
	}
	for k, v := range cs.Undecoded {
		jc.Undecoded[k] = v
	}
	for _, p := range cs.Problems {
		jc.Problems = append(jc.Problems, JSONProblem(p))
	}
	jc.Duplicates, jc.Reassembled = cs.Duplicates, cs.Reassembled
	jc.TCPRetransmissions, jc.HEPPackets = cs.TCPRetransmissions, cs.HEPPackets
	for _, f := range cs.EncryptedFlows {
		jc.EncryptedFlows = append(jc.EncryptedFlows, JSONEncryptedFlow{
			File: f.File, FirstFrame: f.FirstFrame, Client: f.Client.String(), Server: f.Server.String(),
			ServerName: f.ServerName, Frames: f.Frames, Bytes: f.Bytes,
		})
	}
	return jc
}

func buildCall(res *sipscope.Result, c *correlate.Call, withRaw bool) JSONCall {
	return JSONCallOf(res.Capture.Files, c, withRaw)
}

// JSONCallOf converts one call; files names the inputs, by Frame.File.
func JSONCallOf(files []string, c *correlate.Call, withRaw bool) JSONCall {
	jc := JSONCall{
		CallID: c.CallID, Kind: c.Kind, FromUser: c.FromUser, ToUser: c.ToUser,
		From: c.From, To: c.To, State: c.State, Code: c.Code,
		StartTime: Timestamp(c.Start), DurationMS: ms(c.Duration()),
		PostDialDelayMS: optMS(c.PostDialDelay()), AnswerDelayMS: optMS(c.AnswerDelay()),
		TalkTimeMS:   optMS(c.TalkTime()),
		MessageCount: len(c.Messages), MessagesDropped: c.Dropped, Retransmissions: c.Retransmissions,
		Transactions: len(c.Transactions),
		Messages:     make([]JSONMessage, 0, len(c.Messages)),
	}
	for _, d := range c.Dialogs {
		jc.Dialogs = append(jc.Dialogs, JSONDialog{FromTag: d.FromTag, ToTag: d.ToTag, State: d.State})
	}
	if r := c.Registration; r != nil {
		jr := &JSONRegistration{AOR: r.AOR, Contacts: r.Contacts, Expires: r.Expires,
			Challenges: r.Challenges, Attempts: r.Attempts, LastCode: r.LastCode, Registered: r.Registered}
		if jr.Contacts == nil {
			jr.Contacts = []string{}
		}
		for _, d := range r.Refreshes {
			jr.RefreshesS = append(jr.RefreshesS, d.Seconds())
		}
		jc.Registration = jr
	}
	for _, m := range c.Messages {
		jm := JSONMessage{
			Frame: m.Frame, File: fileName(files, m.File), Time: Timestamp(m.Time),
			Src: m.Src.String(), Dst: m.Dst.String(), Transport: m.Transport.String(),
			Encapsulation: m.Encapsulation, Fragments: m.Fragments,
			Summary: m.Summary(), CSeq: cseq(m), Retransmission: m.Retransmission,
		}
		if withRaw {
			jm.Raw = string(m.Raw)
		}
		jc.Messages = append(jc.Messages, jm)
	}
	return jc
}

func cseq(m *correlate.Message) string {
	if m.CSeq.Method == "" {
		return ""
	}
	return itoa(int(m.CSeq.Seq)) + " " + m.CSeq.Method
}

func fileName(files []string, i int) string {
	if i >= 0 && i < len(files) {
		return files[i]
	}
	return ""
}

// JSONCallStream builds the JSON report of a streamed analysis: Add converts
// each call as it is handed over (sipscope.Options.OnCall), so the parsed
// messages go with the call and only what the report shows stays; Report
// adds the calls the Result's Model still holds and puts them all in the
// order of an offline analysis.
type JSONCallStream struct {
	files   []string
	withRaw bool
	calls   []streamedCall
}

type streamedCall struct {
	start time.Time
	order int
	jc    JSONCall
}

// NewJSONCallStream returns an empty JSONCallStream; files names the inputs as
// given to the analysis, withRaw adds each message's text.
func NewJSONCallStream(files []string, withRaw bool) *JSONCallStream {
	return &JSONCallStream{files: files, withRaw: withRaw}
}

// Add converts one finished call.
func (s *JSONCallStream) Add(c *correlate.Call) {
	s.calls = append(s.calls, streamedCall{start: c.Start, order: c.Order, jc: JSONCallOf(s.files, c, s.withRaw)})
}

// Report returns the report of every call added and every call of
// res.Model, with res's capture summary and findings, as BuildJSON does for
// every call of a model.
func (s *JSONCallStream) Report(res *sipscope.Result) *JSONReport {
	for _, c := range res.Model.Calls {
		s.Add(c)
	}
	sort.SliceStable(s.calls, func(i, j int) bool {
		a, b := s.calls[i], s.calls[j]
		if !a.start.Equal(b.start) {
			return a.start.Before(b.start)
		}
		return a.order < b.order
	})
	byCall := make(map[string][]diagnose.Finding)
	for _, f := range res.Findings {
		byCall[f.CallID] = append(byCall[f.CallID], f)
	}
	out := &JSONReport{Capture: buildCapture(&res.Capture), Calls: make([]JSONCall, 0, len(s.calls)), Findings: []diagnose.Finding{}}
	for _, sc := range s.calls {
		out.Calls = append(out.Calls, sc.jc)
		out.Findings = append(out.Findings, byCall[sc.jc.CallID]...)
		delete(byCall, sc.jc.CallID) // a Call-ID streamed as two calls has its findings once
	}
	out.Findings = append(out.Findings, byCall[""]...)
	diagnose.Sort(out.Findings)
	return out
}

// WriteJSON writes v as indented JSON. Beyond what encoding/json escapes
// (control characters, <, >, &, U+2028, U+2029), DEL, C1 controls and Unicode
// format characters (bidi overrides) from packets are written as \uXXXX
// escapes: the same strings to a JSON reader, inert in a terminal.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(escapeJSONText(buf.Bytes()))
	return err
}

// escapeJSONText rewrites DEL, C1 controls and format characters in encoded JSON
// as \u escapes (surrogate pairs above the BMP). They can only occur inside
// strings, where the escape means the same character.
func escapeJSONText(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf && b[i] != 0x7f {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if !(r >= 0x7f && r < 0xa0) && !unicode.Is(unicode.Cf, r) {
			i += size
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+64)
		}
		out = append(out, b[:i]...)
		if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		b = b[i+size:]
		i = 0
	}
	if out == nil {
		return b
	}
	return append(out, b...)
}

// SortedKeys returns m's keys in order, for stable output.
func SortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
)

// Live output: one line per call event and per finding while a live
// capture runs, as text or as NDJSON (one JSON object per line, each with a
// "type": "event", "finding" or "report"), then the final report.

// JSONLiveEvent is one call event in NDJSON. Field names are a contract.
type JSONLiveEvent struct {
	Type     string `json:"type"` // "event"
	Event    string `json:"event"`
	Time     string `json:"time"`
	CallID   string `json:"call_id"`
	Kind     string `json:"kind"`
	FromUser string `json:"from_user"`
	ToUser   string `json:"to_user"`
	// State and Code are the call's settled state: set on "finished"
	// (and on "failed" for a timeout), empty while the call goes on.
	State string `json:"state,omitempty"`
	Code  int    `json:"code,omitempty"`
	// Message is the summary of the message behind the event ("200 OK");
	// empty for a timeout or a flush.
	Message string `json:"message,omitempty"`
	Frame   int    `json:"frame,omitempty"`
	File    string `json:"file,omitempty"`
	// DurationMS and Messages are set on "finished".
	DurationMS float64 `json:"duration_ms,omitempty"`
	Messages   int     `json:"message_count,omitempty"`
}

// JSONLiveFinding is one finding in NDJSON: the finding's own fields
// beside "type".
type JSONLiveFinding struct {
	Type string `json:"type"` // "finding"
	diagnose.Finding
}

// JSONLiveReport is the final NDJSON line: the same report as analyze
// --format json, plus what the live run counted.
type JSONLiveReport struct {
	Type string `json:"type"` // "report"
	*JSONReport
	Live JSONLiveStats `json:"live"`
}

// JSONLiveStats are a live run's counters.
type JSONLiveStats struct {
	Stopped       string         `json:"stopped,omitempty"`
	ElapsedS      float64        `json:"elapsed_s"`
	Frames        int            `json:"frames"`
	Written       int            `json:"frames_written"`
	Files         []string       `json:"files_kept,omitempty"`
	FilesDeleted  int            `json:"files_deleted"`
	WriteError    string         `json:"write_error,omitempty"`
	Calls         int            `json:"calls_seen"`
	CallStates    map[string]int `json:"call_states,omitempty"`
	CallsNotKept  int            `json:"calls_not_kept"`
	Evicted       int            `json:"calls_evicted"`
	ICMPDropped   int            `json:"icmp_dropped"`
	KernelPackets uint64         `json:"kernel_packets"`
	KernelDrops   uint64         `json:"kernel_drops"`
}

// fileOf names the file a frame is in, given the file list (nil when
// frames are not written).
func fileOf(files []string, i int) string {
	if i >= 0 && i < len(files) {
		return files[i]
	}
	return ""
}

// BuildLiveEvent converts a call event for NDJSON. files names the written
// files by index, nil when none are written.
func BuildLiveEvent(ev correlate.Event, files []string) JSONLiveEvent {
	c := ev.Call
	out := JSONLiveEvent{Type: "event", Event: string(ev.Kind), Time: Timestamp(ev.Time),
		CallID: c.CallID, Kind: c.Kind, FromUser: c.FromUser, ToUser: c.ToUser, State: c.State, Code: c.Code}
	if m := ev.Message; m != nil {
		out.Message = m.Summary()
		if files != nil {
			out.Frame, out.File = m.Frame, fileOf(files, m.File)
		}
	}
	if ev.Kind == correlate.EventFinished {
		out.DurationMS, out.Messages = ms(c.Duration()), len(c.Messages)
	}
	return out
}

// LiveEventText writes one call event as a line.
func LiveEventText(w io.Writer, ev correlate.Event, files []string) {
	c := ev.Call
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-8s  %s -> %s", TimeOfDay(ev.Time), ev.Kind,
		Clean(user(c.FromUser, c.From), false), Clean(user(c.ToUser, c.To), false))
	if c.Kind != correlate.KindCall {
		fmt.Fprintf(&b, " [%s]", c.Kind)
	}
	switch ev.Kind {
	case correlate.EventFinished:
		fmt.Fprintf(&b, "  %s, %s, %d messages", State(c), Duration(c.Duration()), len(c.Messages))
	case correlate.EventFailed:
		if ev.Message == nil { // a timeout found at flush: no message says it
			fmt.Fprintf(&b, "  %s", State(c))
		}
	}
	if m := ev.Message; m != nil {
		fmt.Fprintf(&b, "  %s", Clean(m.Summary(), false))
		if files != nil {
			fmt.Fprintf(&b, " (frame %d of %s)", m.Frame, Clean(filepath.Base(fileOf(files, m.File)), false))
		}
	}
	fmt.Fprintf(&b, "  call-id %s\n", Clean(c.CallID, false))
	io.WriteString(w, b.String())
}

// LiveFindingText writes one finding as a line (two with its advice): the
// time is the end of the call it is about.
func LiveFindingText(w io.Writer, at time.Time, f diagnose.Finding) {
	fmt.Fprintf(w, "%s  finding   %-7s %s  %s", TimeOfDay(at), strings.ToUpper(f.Severity.String()), f.ID, Clean(f.Summary, false))
	if len(f.Evidence.Frames) > 0 {
		fmt.Fprintf(w, "  (frames %s)", frameList(f.Evidence.Frames))
	}
	if f.CallID != "" {
		fmt.Fprintf(w, "  call-id %s", Clean(f.CallID, false))
	}
	fmt.Fprintln(w)
	if f.Advice != "" {
		fmt.Fprintf(w, "%s  fix: %s\n", strings.Repeat(" ", 23+2+8), Clean(f.Advice, false))
	}
}

// LiveStatsText writes the periodic stats line (for stderr).
func LiveStatsText(w io.Writer, st sipscope.LiveStats) {
	fmt.Fprintf(w, "sipscope: %s: %d frames (%.0f/s), calls %d held, %d finished, %d evicted; kernel %d packets, %d dropped",
		st.Elapsed.Truncate(time.Second), st.Frames, st.PerSecond, st.Held, st.Flushed, st.Evicted,
		st.Kernel.Packets, st.Kernel.Drops)
	if st.Files > 0 {
		fmt.Fprintf(w, "; written %d frames, %d files", st.Written, st.Files)
	}
	if st.WriteError != "" {
		fmt.Fprintf(w, "; WRITING STOPPED: %s", Clean(st.WriteError, false))
	}
	fmt.Fprintln(w)
}

func buildLiveStats(lr *sipscope.LiveResult) JSONLiveStats {
	st := lr.Stats
	out := JSONLiveStats{
		Stopped: lr.Stopped, ElapsedS: st.Elapsed.Seconds(), Frames: st.Frames, Written: st.Written,
		Files: lr.KeptFiles, FilesDeleted: lr.DeletedFiles, WriteError: st.WriteError,
		Calls: st.Calls, CallStates: lr.States, CallsNotKept: lr.CallsNotKept,
		Evicted: st.Evicted, ICMPDropped: st.ICMPDropped,
		KernelPackets: st.Kernel.Packets, KernelDrops: st.Kernel.Drops,
	}
	return out
}

// BuildLiveReport converts the final report for NDJSON.
func BuildLiveReport(lr *sipscope.LiveResult) JSONLiveReport {
	return JSONLiveReport{Type: "report", JSONReport: BuildJSON(lr.Result, lr.Model.Calls, false), Live: buildLiveStats(lr)}
}

// WriteNDJSON writes v as one line of JSON, escaped as WriteJSON escapes:
// DEL, C1 controls and format characters from packets become \u escapes,
// inert in a terminal following the stream.
func WriteNDJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(escapeJSONText(b), '\n'))
	return err
}

// LiveSummary writes the final report of a live capture: how it ended and
// what it counted, then the same report as analyze.
func LiveSummary(w io.Writer, lr *sipscope.LiveResult) error {
	st := lr.Stats
	fmt.Fprintf(w, "\nLive capture stopped (%s) after %s: %d frames; kernel %d packets, %d dropped\n",
		lr.Stopped, st.Elapsed.Truncate(time.Millisecond), st.Frames, st.Kernel.Packets, st.Kernel.Drops)
	finished := 0
	var parts []string
	for _, k := range SortedKeys(lr.States) {
		finished += lr.States[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, lr.States[k]))
	}
	fmt.Fprintf(w, "  calls finished: %d", finished)
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	if lr.CallsNotKept > 0 {
		fmt.Fprintf(w, "  the tables list the %d most recent calls; %d older ones are counted above only (--report-calls)\n",
			len(lr.Model.Calls), lr.CallsNotKept)
	}
	if st.Evicted > 0 || st.ICMPDropped > 0 {
		fmt.Fprintf(w, "  limits: %d calls flushed early (call table full), %d ICMP errors not kept\n", st.Evicted, st.ICMPDropped)
	}
	if len(lr.KeptFiles) > 0 || st.Written > 0 {
		fmt.Fprintf(w, "  written: %d frames; %d files kept, %d deleted by --keep\n", st.Written, len(lr.KeptFiles), lr.DeletedFiles)
	}
	if st.WriteError != "" {
		fmt.Fprintf(w, "  writing stopped: %s\n", Clean(st.WriteError, false))
	}
	fmt.Fprintln(w)
	CaptureText(w, &lr.Capture)
	fmt.Fprintln(w)
	if noSIPLive(w, lr) {
		return nil
	}
	return Overview(w, lr.Result)
}

func noSIPLive(w io.Writer, lr *sipscope.LiveResult) bool {
	if lr.Capture.SIPMessages > 0 {
		return false
	}
	fmt.Fprintf(w, "No SIP messages in %d frames.\n", lr.Capture.Frames)
	return true
}

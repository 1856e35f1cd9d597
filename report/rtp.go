package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
)

// JSONMedia is what `sipscope rtp --format json` writes. Field names are a
// contract: add fields, never rename them.
type JSONMedia struct {
	Streams  []JSONStream       `json:"streams"`
	DTMF     []JSONDTMF         `json:"dtmf"`
	Findings []diagnose.Finding `json:"findings"` // the media.* findings about these streams' calls
}

// JSONStream is one RTP stream. Times are in milliseconds; figures follow
// Wireshark's RTP stream analysis (see correlate.Stream).
type JSONStream struct {
	SSRC         string  `json:"ssrc"` // "0x" and 8 hex digits, as Wireshark shows it
	Src          string  `json:"src"`
	Dst          string  `json:"dst"`
	CallID       string  `json:"call_id"`
	From         string  `json:"from,omitempty"` // "caller" or "callee"
	To           string  `json:"to,omitempty"`
	Heuristic    bool    `json:"heuristic,omitempty"`
	Announced    string  `json:"announced,omitempty"`    // the SDP address the stream was matched on
	ExpectedSrc  string  `json:"expected_src,omitempty"` // the address the sender's SDP announced
	SDPFrame     int     `json:"sdp_frame,omitempty"`
	PayloadType  int     `json:"payload_type"`
	PayloadTypes []int   `json:"payload_types"`
	Codec        string  `json:"codec"`
	ClockRate    int     `json:"clock_rate"`
	Packets      int     `json:"packets"`
	Expected     int     `json:"expected"`
	Lost         int     `json:"lost"`
	LossPct      float64 `json:"loss_pct"`
	Duplicates   int     `json:"duplicates"`
	SeqErrors    int     `json:"seq_errors"`
	MinDeltaMS   float64 `json:"min_delta_ms"`
	MeanDeltaMS  float64 `json:"mean_delta_ms"`
	MaxDeltaMS   float64 `json:"max_delta_ms"`
	MinJitterMS  float64 `json:"min_jitter_ms"`
	MeanJitterMS float64 `json:"mean_jitter_ms"`
	MaxJitterMS  float64 `json:"max_jitter_ms"`
	MaxSkewMS    float64 `json:"max_skew_ms"`
	MOS          float64 `json:"mos"`      // 0 when not rated (telephone-events only)
	RFactor      float64 `json:"r_factor"` // 0 when not rated
	// MOSAssumptions says what the E-model estimate rests on.
	MOSAssumptions []string  `json:"mos_assumptions,omitempty"`
	StartTime      string    `json:"start_time"`
	DurationMS     float64   `json:"duration_ms"`
	FirstFrame     int       `json:"first_frame"`
	LastFrame      int       `json:"last_frame"`
	FirstFile      string    `json:"first_file,omitempty"` // when several files were read
	LastFile       string    `json:"last_file,omitempty"`
	RTCP           *JSONRTCP `json:"rtcp,omitempty"`
}

// JSONRTCP is what RTCP said about a stream.
type JSONRTCP struct {
	Reports         int      `json:"reports"`
	FractionLostPct float64  `json:"fraction_lost_pct"`
	CumulativeLost  int32    `json:"cumulative_lost"`
	JitterMS        float64  `json:"jitter_ms"`
	MaxJitterMS     float64  `json:"max_jitter_ms"`
	RTTMS           *float64 `json:"rtt_ms,omitempty"`
	MaxRTTMS        *float64 `json:"max_rtt_ms,omitempty"`
	SenderReports   int      `json:"sender_reports"`
	VoIPRFactor     *int     `json:"xr_r_factor,omitempty"`
	VoIPMOSLQ       *float64 `json:"xr_mos_lq,omitempty"`
}

// JSONDTMF is one key press.
type JSONDTMF struct {
	CallID     string  `json:"call_id"`
	Digit      string  `json:"digit"`
	Source     string  `json:"source"` // "RFC 4733" or "SIP INFO"
	Frame      int     `json:"frame"`
	Time       string  `json:"time"`
	DurationMS float64 `json:"duration_ms"`
	Src        string  `json:"src"`
	Dst        string  `json:"dst"`
}

// round3 keeps three decimals, as Wireshark prints them, so JSON output is
// stable across platforms.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// MediaStreams returns the streams to show: every stream of the capture,
// or those of the given calls.
func MediaStreams(res *sipscope.Result, calls []*correlate.Call) []*correlate.Stream {
	if calls == nil {
		return res.Model.Streams
	}
	var out []*correlate.Stream
	for _, s := range res.Model.Streams {
		if s.Call != nil && slices.Contains(calls, s.Call) {
			out = append(out, s)
		}
	}
	return out
}

// BuildMediaJSON converts streams (and the DTMF and media findings of
// their calls, or of calls when given) into the JSON report.
func BuildMediaJSON(res *sipscope.Result, streams []*correlate.Stream, calls []*correlate.Call) *JSONMedia {
	out := &JSONMedia{Streams: []JSONStream{}, DTMF: []JSONDTMF{}, Findings: []diagnose.Finding{}}
	multi := len(res.Capture.Files) > 1
	for _, s := range streams {
		js := JSONStream{
			SSRC: fmt.Sprintf("0x%08X", s.SSRC), Src: s.Src.String(), Dst: s.Dst.String(), CallID: s.CallID(),
			From: s.From, To: s.To, Heuristic: s.Heuristic,
			PayloadType: int(s.PayloadType), PayloadTypes: []int{}, Codec: s.Codec, ClockRate: s.ClockRate,
			Packets: s.Packets, Expected: s.Expected, Lost: s.Lost, LossPct: round3(s.LossPercent()),
			Duplicates: s.Duplicates, SeqErrors: s.SeqErrors,
			MinDeltaMS: round3(s.MinDeltaMS), MeanDeltaMS: round3(s.MeanDeltaMS), MaxDeltaMS: round3(s.MaxDeltaMS),
			MinJitterMS: round3(s.MinJitterMS), MeanJitterMS: round3(s.MeanJitterMS), MaxJitterMS: round3(s.MaxJitterMS),
			MaxSkewMS: round3(s.MaxSkewMS), MOS: round3(s.Quality.MOS), RFactor: round3(s.Quality.RFactor),
			MOSAssumptions: s.Quality.Assumptions,
			StartTime:      Timestamp(s.Start), DurationMS: ms(s.Duration()),
			FirstFrame: s.FirstFrame, LastFrame: s.LastFrame,
		}
		if s.Announced.IsValid() {
			js.Announced = s.Announced.String()
		}
		if s.ExpectedSrc.IsValid() {
			js.ExpectedSrc = s.ExpectedSrc.String()
		}
		if s.SDP != nil && s.SDP.Message != nil {
			js.SDPFrame = s.SDP.Message.Frame
		}
		for _, pt := range s.PayloadTypes {
			js.PayloadTypes = append(js.PayloadTypes, int(pt))
		}
		if multi {
			js.FirstFile, js.LastFile = fileName(res.Capture.Files, s.FirstFile), fileName(res.Capture.Files, s.LastFile)
		}
		if r := s.RTCP; r.Reports > 0 || r.SenderReports > 0 || r.VoIP != nil {
			jr := &JSONRTCP{Reports: r.Reports, FractionLostPct: round3(r.FractionLostPct), CumulativeLost: r.CumulativeLost,
				JitterMS: round3(r.JitterMS), MaxJitterMS: round3(r.MaxJitterMS), SenderReports: r.SenderReports}
			if r.RTTSamples > 0 {
				last, maxRTT := round3(r.LastRTTMS), round3(r.MaxRTTMS)
				jr.RTTMS, jr.MaxRTTMS = &last, &maxRTT
			}
			if v := r.VoIP; v != nil {
				if v.RFactor >= 0 {
					rf := v.RFactor
					jr.VoIPRFactor = &rf
				}
				if v.MOSLQ > 0 {
					mos := v.MOSLQ
					jr.VoIPMOSLQ = &mos
				}
			}
			js.RTCP = jr
		}
		out.Streams = append(out.Streams, js)
	}
	if calls == nil {
		calls = mediaCalls(res, streams)
	}
	for _, c := range calls {
		for _, d := range c.Media.DTMF {
			out.DTMF = append(out.DTMF, JSONDTMF{CallID: c.CallID, Digit: d.Digit, Source: d.Source, Frame: d.Frame,
				Time: Timestamp(d.Time), DurationMS: ms(d.Duration), Src: d.Src.String(), Dst: d.Dst.String()})
		}
		for _, f := range diagnose.ForCall(res.Findings, c.CallID) {
			if strings.HasPrefix(f.ID, "media.") {
				out.Findings = append(out.Findings, f)
			}
		}
	}
	return out
}

// mediaCalls returns, in the model's order, the calls with something to
// say about media: a stream, a DTMF digit (SIP INFO needs no stream), or a
// media finding (media.none: an answered call with no RTP at all).
func mediaCalls(res *sipscope.Result, streams []*correlate.Stream) []*correlate.Call {
	with := map[*correlate.Call]bool{}
	for _, c := range streamCalls(streams) {
		with[c] = true
	}
	media := map[string]bool{}
	for _, f := range res.Findings {
		if strings.HasPrefix(f.ID, "media.") && f.CallID != "" {
			media[f.CallID] = true
		}
	}
	var out []*correlate.Call
	for _, c := range res.Model.Calls {
		if with[c] || len(c.Media.DTMF) > 0 || media[c.CallID] {
			out = append(out, c)
		}
	}
	return out
}

// streamCalls returns the calls the streams belong to, in order.
func streamCalls(streams []*correlate.Stream) []*correlate.Call {
	var out []*correlate.Call
	for _, s := range streams {
		if s.Call != nil && !slices.Contains(out, s.Call) {
			out = append(out, s.Call)
		}
	}
	return out
}

func fmtMS(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// StreamsTable writes one row per stream: addresses, SSRC, codec, packets
// and loss, max delta, mean and max jitter, MOS, and the frames it spans.
func StreamsTable(w io.Writer, res *sipscope.Result, streams []*correlate.Stream) error {
	t := newTable(w, "SOURCE", "", "DESTINATION", "SSRC", "CODEC", "PKTS", "LOST", "MAX DELTA", "JITTER MEAN/MAX", "SKEW", "MOS", "FRAMES", "CALL-ID")
	multi := len(res.Capture.Files) > 1
	frame := func(file, n int) string {
		if multi {
			return itoa(file+1) + ":" + itoa(n)
		}
		return itoa(n)
	}
	for _, s := range streams {
		codec := s.Codec
		if codec == "" {
			codec = "PT " + itoa(int(s.PayloadType))
		}
		if len(s.PayloadTypes) > 1 {
			codec += fmt.Sprintf(" (+%d PT)", len(s.PayloadTypes)-1)
		}
		lost := itoa(s.Lost)
		if s.Expected > 0 {
			lost += fmt.Sprintf(" (%.1f%%)", s.LossPercent())
		}
		if s.Duplicates > 0 {
			lost += fmt.Sprintf(" +%d dup", s.Duplicates)
		}
		jitter, skew, mos := "-", "-", "-"
		if s.ClockRate > 0 && s.Packets > 1 && !strings.EqualFold(s.Codec, "telephone-event") {
			jitter = fmtMS(s.MeanJitterMS) + " / " + fmtMS(s.MaxJitterMS)
			skew = fmtMS(s.MaxSkewMS)
		}
		if s.Quality.MOS > 0 {
			mos = strconv.FormatFloat(s.Quality.MOS, 'f', 2, 64)
		}
		callID := s.CallID()
		if s.Heuristic {
			callID = "(heuristic)"
		}
		if err := t.Append(s.Src.String(), "->", s.Dst.String(), fmt.Sprintf("0x%08X", s.SSRC), Clean(codec, false),
			itoa(s.Packets), lost, fmtMS(s.MaxDeltaMS), jitter, skew, mos,
			frame(s.FirstFile, s.FirstFrame)+"-"+frame(s.LastFile, s.LastFrame), Clean(callID, false)); err != nil {
			return err
		}
	}
	return t.Render()
}

// MediaText writes the streams table, then what RTCP reported, the DTMF
// of the streams' calls (or of calls, when given), the media findings and
// the assumptions behind the MOS figures.
func MediaText(w io.Writer, res *sipscope.Result, streams []*correlate.Stream, calls []*correlate.Call) error {
	fmt.Fprintf(w, "RTP streams (%d)\n", len(streams))
	if len(streams) == 0 {
		fmt.Fprintln(w, "  none")
	} else if err := StreamsTable(w, res, streams); err != nil {
		return err
	}
	var rtcpLines []string
	for _, s := range streams {
		r := s.RTCP
		if r.Reports == 0 && r.SenderReports == 0 && r.VoIP == nil {
			continue
		}
		line := fmt.Sprintf("  0x%08X %s -> %s: %d receiver reports, %d sender reports", s.SSRC, s.Src, s.Dst, r.Reports, r.SenderReports)
		if r.Reports > 0 {
			line += fmt.Sprintf("; last: %.1f%% lost, %d cumulative, jitter %s ms", r.FractionLostPct, r.CumulativeLost, fmtMS(r.JitterMS))
		}
		if r.RTTSamples > 0 {
			line += fmt.Sprintf("; round trip %s ms (max %s)", fmtMS(r.LastRTTMS), fmtMS(r.MaxRTTMS))
		}
		if v := r.VoIP; v != nil && v.MOSLQ > 0 {
			line += fmt.Sprintf("; endpoint's own MOS-LQ %.1f", v.MOSLQ)
		}
		rtcpLines = append(rtcpLines, line)
	}
	if len(rtcpLines) > 0 {
		fmt.Fprintf(w, "\nRTCP\n%s\n", strings.Join(rtcpLines, "\n"))
	}
	if calls == nil {
		calls = mediaCalls(res, streams)
	}
	var dtmf []string
	var findings []diagnose.Finding
	for _, c := range calls {
		for _, d := range c.Media.DTMF {
			dur := "-"
			if d.Duration > 0 {
				dur = Duration(d.Duration)
			}
			dtmf = append(dtmf, fmt.Sprintf("  %-5s %-9s frame %-6d %s  %s -> %s  %s", Clean(d.Digit, false), d.Source, d.Frame,
				dur, d.Src, d.Dst, Clean(c.CallID, false)))
		}
		for _, f := range diagnose.ForCall(res.Findings, c.CallID) {
			if strings.HasPrefix(f.ID, "media.") {
				findings = append(findings, f)
			}
		}
	}
	if len(dtmf) > 0 {
		fmt.Fprintf(w, "\nDTMF (%d)\n%s\n", len(dtmf), strings.Join(dtmf, "\n"))
	}
	if len(findings) > 0 {
		fmt.Fprintf(w, "\nMedia findings (%d)\n", len(findings))
		FindingsText(w, findings)
	}
	mediaAssumptions(w, streams)
	return nil
}

// mediaAssumptions writes what the MOS figures rest on: what holds for
// every rated stream once, then what holds for some streams only.
func mediaAssumptions(w io.Writer, streams []*correlate.Stream) {
	var rated []*correlate.Stream
	for _, s := range streams {
		if s.Quality.MOS > 0 {
			rated = append(rated, s)
		}
	}
	if len(rated) == 0 {
		return
	}
	var common []string
	for _, a := range rated[0].Quality.Assumptions {
		all := true
		for _, s := range rated[1:] {
			all = all && slices.Contains(s.Quality.Assumptions, a)
		}
		if all {
			common = append(common, a)
		}
	}
	fmt.Fprintf(w, "\nMOS is an ITU-T G.107 E-model estimate: %s.\n", strings.Join(common, "; "))
	for _, s := range rated {
		var own []string
		for _, a := range s.Quality.Assumptions {
			if !slices.Contains(common, a) {
				own = append(own, a)
			}
		}
		if len(own) > 0 {
			fmt.Fprintf(w, "  0x%08X %s -> %s: %s.\n", s.SSRC, s.Src, s.Dst, Clean(strings.Join(own, "; "), false))
		}
	}
}

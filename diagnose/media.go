package diagnose

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sipscope/sipscope/correlate"
)

// Media rules judge the RTP of answered calls against what their SDP let
// flow:
//
//   - media.none: an answered call with no RTP at all, either way.
//   - media.one-way: RTP flows one way only; names the silent direction and
//     the SDP address it should have reached.
//   - media.source-mismatch: RTP comes from an address the sender's SDP did
//     not announce (NAT, or asymmetric RTP).
//   - media.loss, media.jitter: a stream lost or jittered past the
//     thresholds below, as measured at the capture point.
//   - media.late-start: a direction's first RTP came more than
//     MediaLateStart after the answer.
//   - media.codec-mismatch: a stream carried a payload type the SDP answer
//     did not list.
//
// Calls whose media window (answer to BYE or to the end of the capture) is
// shorter than MediaMinWindow are not judged for missing media: there was
// no time for any.
func init() {
	Register(Rule{Name: "media.", Call: mediaFindings, Capture: mediaUnboundFindings})
}

// Thresholds of the media rules.
const (
	// MediaMinWindow is how long an answered call must have lasted in the
	// capture before missing RTP is a finding.
	MediaMinWindow = time.Second
	// MediaLateStart is how long after the answer a direction's first RTP
	// may come before it is late: speech in between is lost.
	MediaLateStart = time.Second
	// MediaLossWarning and MediaLossError are loss percentages: from 1% a
	// G.711 call with concealment starts to sound rough (G.113 Bpl 25.1),
	// from 5% it is hard to follow.
	MediaLossWarning = 1.0
	MediaLossError   = 5.0
	// MediaJitterWarningMS is a maximum jitter, MediaJitterErrorMS a mean
	// one, in ms: short spikes past 30 ms overrun common jitter buffers
	// (40-60 ms), a mean past 30 ms overruns them all the time.
	MediaJitterWarningMS = 30.0
	MediaJitterErrorMS   = 30.0
)

func mediaFindings(c *correlate.Call, in *Input) []Finding {
	if c.Kind != correlate.KindCall {
		return nil
	}
	var out []Finding
	out = append(out, mediaPresence(c, in)...)
	out = append(out, mediaSourceMismatch(c)...)
	out = append(out, mediaLateStart(c)...)
	out = append(out, mediaStreamQuality(c.CallID, c.Media.Streams, c)...)
	out = append(out, mediaCodecMismatch(c)...)
	return out
}

// mediaUnboundFindings judges the streams the heuristic found without SDP.
func mediaUnboundFindings(in *Input) []Finding {
	var unbound []*correlate.Stream
	for _, s := range in.Model.Streams {
		if s.Call == nil {
			unbound = append(unbound, s)
		}
	}
	return mediaStreamQuality("", unbound, nil)
}

// mediaParty names the side of call c with the given role for sentences:
// the caller or the callee, with its user when known; "the sender" for a
// role not known or when there is no call.
func mediaParty(c *correlate.Call, role string) string {
	name := func(role, user string) string {
		if user == "" {
			return "the " + role
		}
		return "the " + role + " (" + user + ")"
	}
	switch {
	case c == nil:
	case role == correlate.RoleCaller:
		return name("caller", c.FromUser)
	case role == correlate.RoleCallee:
		return name("callee", c.ToUser)
	}
	return "the sender"
}

// mediaAnswer returns the 2xx that answered the call's first INVITE.
func mediaAnswer(c *correlate.Call) *correlate.Message {
	for _, m := range c.Messages {
		if !m.IsRequest && m.CSeq.Method == "INVITE" && m.StatusCode >= 200 && m.StatusCode < 300 {
			return m
		}
	}
	return nil
}

// mediaWindow is the time media had to flow: from the answer to the BYE,
// or to the end of the capture.
func mediaWindow(c *correlate.Call, in *Input) time.Duration {
	if c.AnswerTime.IsZero() {
		return 0
	}
	end := in.Model.End
	if !c.EndTime.IsZero() {
		end = c.EndTime
	}
	return end.Sub(c.AnswerTime)
}

func mediaExpected(c *correlate.Call) []*correlate.MediaFlow {
	var out []*correlate.MediaFlow
	for _, f := range c.Media.Flows {
		if f.Expected {
			out = append(out, f)
		}
	}
	return out
}

// mediaPresence emits media.none and media.one-way.
func mediaPresence(c *correlate.Call, in *Input) []Finding {
	if c.State != correlate.StateAnswered && c.State != correlate.StateCompleted {
		return nil
	}
	expected := mediaExpected(c)
	window := mediaWindow(c, in)
	if len(expected) == 0 || window < MediaMinWindow {
		return nil
	}
	answer := mediaAnswer(c)
	total := 0
	for _, f := range c.Media.Flows {
		total += f.Packets
	}
	if total == 0 {
		return []Finding{mediaNone(c, in, expected, answer, window)}
	}
	var out []Finding
	for _, silent := range expected {
		if silent.Packets > 0 {
			continue
		}
		var flowing *correlate.MediaFlow
		for _, f := range c.Media.Flows {
			if f.Media == silent.Media && f.From == silent.To && f.Packets > 0 {
				flowing = f
			}
		}
		if flowing == nil {
			continue
		}
		out = append(out, mediaOneWay(c, silent, flowing, window))
	}
	return out
}

func mediaNone(c *correlate.Call, in *Input, expected []*correlate.MediaFlow, answer *correlate.Message, window time.Duration) Finding {
	var frames []int
	if answer != nil {
		frames = append(frames, answer.Frame)
	}
	targets := []string{}
	for _, f := range expected {
		targets = append(targets, f.Target.String())
		if f.TargetSDP != nil && f.TargetSDP.Message != nil {
			frames = append(frames, f.TargetSDP.Message.Frame)
		}
	}
	slices.Sort(frames)
	frames = slices.Compact(frames)
	f := Finding{
		ID: "media.none", Severity: Error, CallID: c.CallID,
		Summary: fmt.Sprintf("The call was answered but no RTP flowed either way in %s (the SDP asked for it at %s).",
			mediaSeconds(window), strings.Join(slices.Compact(targets), " and ")),
		Evidence: Evidence{Frames: frames, Facts: map[string]any{
			"targets": targets, "media_window_ms": window.Milliseconds(), "rtp_on_other_flows": in.Model.Media.UnmatchedRTP,
		}},
		Advice: "Check that both ends send RTP to the addresses in the SDP and that firewalls pass the UDP ports; " +
			"an inactive or 0.0.0.0 SDP in a later re-INVITE would also stop it.",
	}
	if len(in.Model.Streams) == 0 && in.Model.Media.UnmatchedRTP == 0 {
		// A capture filtered to signalling cannot tell.
		f.Severity = Info
		f.Summary = fmt.Sprintf("The call was answered but the capture holds no RTP at all (the SDP asked for it at %s).",
			strings.Join(slices.Compact(targets), " and "))
		f.Advice = "If the capture was filtered to SIP (port 5060 only), capture the media ports too; otherwise no RTP flowed: check both ends and the firewalls."
	}
	return f
}

func mediaOneWay(c *correlate.Call, silent, flowing *correlate.MediaFlow, window time.Duration) Finding {
	from, to := mediaParty(c, silent.From), mediaParty(c, silent.To)
	var frames []int
	sdpFrame := 0
	if silent.TargetSDP != nil && silent.TargetSDP.Message != nil {
		sdpFrame = silent.TargetSDP.Message.Frame
		frames = append(frames, sdpFrame)
	}
	frames = append(frames, flowing.First)
	slices.Sort(frames)
	summary := fmt.Sprintf("One-way audio: no RTP reached %s at %s (its SDP, frame %d) from %s, while %d packets flowed the other way in %s.",
		to, silent.Target, sdpFrame, from, flowing.Packets, mediaSeconds(window))
	advice := fmt.Sprintf("Find out whether %s sends RTP at all and to where: a capture on its side shows it. ", from) +
		fmt.Sprintf("If it sends to %s, something on the way drops it (a firewall, a NAT with no mapping for that port).", silent.Target)
	facts := map[string]any{
		"silent_from": silent.From, "silent_to": silent.To, "expected_at": silent.Target.String(),
		"sdp_frame": sdpFrame, "packets_other_way": flowing.Packets,
	}
	if silent.Target.Addr().IsPrivate() {
		facts["private_target"] = true
		back := "the address " + to + " sends from"
		if src := mediaSources(flowing); src != silent.Target.String() {
			back += " (" + src + ")"
		}
		advice = fmt.Sprintf("%s is a private address that %s cannot reach across NAT. ", silent.Target.Addr(), from) +
			fmt.Sprintf("Make %s send its RTP back to %s: symmetric RTP, latching, comedia; ", from, back) +
			fmt.Sprintf("or have %s announce a reachable address (STUN, a media relay, port forwarding with the router's SIP ALG off).", to)
	}
	return Finding{
		ID: "media.one-way", Severity: Error, CallID: c.CallID, Summary: summary,
		Evidence: Evidence{Frames: frames, Facts: facts}, Advice: advice,
	}
}

func mediaSources(f *correlate.MediaFlow) string {
	var srcs []string
	for _, s := range f.Streams {
		srcs = append(srcs, s.Src.String())
	}
	slices.Sort(srcs)
	return strings.Join(slices.Compact(srcs), ", ")
}

// mediaSourceMismatch emits media.source-mismatch once per sender and
// source address.
func mediaSourceMismatch(c *correlate.Call) []Finding {
	type sender struct {
		role string
		src  netip.AddrPort
	}
	var seen map[sender]bool
	var out []Finding
	for _, s := range c.Media.Streams {
		if !s.ExpectedSrc.IsValid() || s.Src == s.ExpectedSrc || s.ExpectedSrc.Addr().IsUnspecified() {
			continue
		}
		key := sender{s.From, s.Src}
		if seen[key] {
			continue
		}
		if seen == nil {
			seen = map[sender]bool{}
		}
		seen[key] = true
		latched := mediaSentTo(c, s.To, s.Src)
		who := mediaParty(c, s.From)
		f := Finding{
			ID: "media.source-mismatch", Severity: Warning, CallID: c.CallID,
			Summary: fmt.Sprintf("%s sends RTP from %s, not from %s where its SDP said it receives it.",
				mediaCapital(who), s.Src, s.ExpectedSrc),
			Evidence: Evidence{Frames: mediaFramesOf(s.FirstFrame, mediaSDPFrame(s.Call, s.From)), Facts: map[string]any{
				"from": s.From, "src": s.Src.String(), "announced": s.ExpectedSrc.String(),
				"ssrc": fmt.Sprintf("0x%08X", s.SSRC), "latched": latched,
			}},
			Advice: fmt.Sprintf("A NAT rewrites %s's address, or it sends from another port than it receives on. ", who) +
				fmt.Sprintf("Whatever sends to %s will not reach it: the far end must send its RTP back to %s (symmetric RTP, latching, comedia), ", s.ExpectedSrc, s.Src) +
				fmt.Sprintf("or %s must announce its public address (STUN, a media relay).", who),
		}
		if latched {
			f.Severity = Info
			f.Advice = fmt.Sprintf("The far end already sends its RTP back to %s (symmetric RTP), so audio flows; ", s.Src) +
				"nothing to change unless media breaks when the NAT mapping changes or times out."
		}
		out = append(out, f)
	}
	return out
}

// mediaSentTo says whether any stream from role goes to addr.
func mediaSentTo(c *correlate.Call, role string, addr netip.AddrPort) bool {
	for _, s := range c.Media.Streams {
		if s.From == role && s.Dst == addr && s.Packets > 0 {
			return true
		}
	}
	return false
}

// mediaSDPFrame is the frame of the first SDP role wrote.
func mediaSDPFrame(c *correlate.Call, role string) int {
	if c == nil {
		return 0
	}
	for _, d := range c.Media.SDPs {
		if d.Role == role && d.Message != nil {
			return d.Message.Frame
		}
	}
	return 0
}

func mediaFramesOf(frames ...int) []int {
	var out []int
	for _, f := range frames {
		if f > 0 {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mediaLateStart emits media.late-start per direction.
func mediaLateStart(c *correlate.Call) []Finding {
	answer := mediaAnswer(c)
	if answer == nil {
		return nil
	}
	var out []Finding
	for _, f := range c.Media.Flows {
		if !f.Expected || f.Packets == 0 {
			continue
		}
		late := f.FirstTime.Sub(answer.Time)
		if late <= MediaLateStart {
			continue
		}
		from, to := mediaParty(c, f.From), mediaParty(c, f.To)
		out = append(out, Finding{
			ID: "media.late-start", Severity: Warning, CallID: c.CallID,
			Summary: fmt.Sprintf("RTP from %s to %s started %s after the call was answered: what was said before is lost.",
				from, to, mediaSeconds(late)),
			Evidence: Evidence{Frames: mediaFramesOf(answer.Frame, f.First), Facts: map[string]any{
				"from": f.From, "to": f.To, "delay_ms": late.Milliseconds(), "answer_frame": answer.Frame, "first_rtp_frame": f.First,
			}},
			Advice: fmt.Sprintf("Media should start with the answer. Look at what %s does in between: a media server or gateway slow to open its port, "+
				"ICE or a re-INVITE negotiating first, or RTP held until a NAT pinhole opens.", from),
		})
	}
	return out
}

// mediaStreamQuality emits media.loss and media.jitter about the streams
// of call c (nil for streams bound to no call).
func mediaStreamQuality(callID string, streams []*correlate.Stream, c *correlate.Call) []Finding {
	var out []Finding
	for _, s := range streams {
		what := func() string {
			w := fmt.Sprintf("RTP from %s to %s (SSRC 0x%08X", s.Src, s.Dst, s.SSRC)
			if s.From != "" {
				w += ", " + mediaParty(c, s.From) + " to " + mediaParty(c, s.To)
			}
			return w + ")"
		}
		facts := func() map[string]any {
			return map[string]any{"src": s.Src.String(), "dst": s.Dst.String(), "ssrc": fmt.Sprintf("0x%08X", s.SSRC),
				"packets": s.Packets, "expected": s.Expected, "lost": s.Lost, "loss_pct": mediaRound(s.LossPercent()),
				"max_jitter_ms": mediaRound(s.MaxJitterMS), "mean_jitter_ms": mediaRound(s.MeanJitterMS)}
		}
		if pct := s.LossPercent(); pct >= MediaLossWarning {
			f := Finding{
				ID: "media.loss", Severity: Warning, CallID: callID,
				Summary:  fmt.Sprintf("%s lost %.1f%% of its packets (%d of %d).", what(), pct, s.Lost, s.Expected),
				Evidence: Evidence{Frames: mediaFramesOf(s.FirstFrame, s.LastFrame), Facts: facts()},
				Advice: "The packets were lost between the sender and the capture point: look for a saturated uplink, Wi-Fi, " +
					"a duplex mismatch or missing QoS (DSCP EF) on that path; a capture nearer the sender narrows it down.",
			}
			if pct >= MediaLossError {
				f.Severity = Error
			}
			if s.RTCP.Reports > 0 {
				f.Evidence.Facts["rtcp_fraction_lost_pct"] = mediaRound(s.RTCP.FractionLostPct)
				f.Evidence.Facts["rtcp_cumulative_lost"] = s.RTCP.CumulativeLost
			}
			out = append(out, f)
		}
		if s.ClockRate > 0 && (s.MaxJitterMS >= MediaJitterWarningMS || s.MeanJitterMS >= MediaJitterErrorMS) {
			f := Finding{
				ID: "media.jitter", Severity: Warning, CallID: callID,
				Summary:  fmt.Sprintf("%s arrives with up to %.1f ms of jitter (mean %.1f ms).", what(), s.MaxJitterMS, s.MeanJitterMS),
				Evidence: Evidence{Frames: mediaFramesOf(s.FirstFrame, s.MaxDeltaFrame), Facts: facts()},
				Advice: "Packets bunch up between the sender and the capture point: congestion or missing QoS on that path. " +
					"A larger or adaptive jitter buffer at the receiver hides some of it at the cost of delay.",
			}
			if s.MeanJitterMS >= MediaJitterErrorMS {
				f.Severity = Error
			}
			out = append(out, f)
		}
	}
	return out
}

// mediaCodecMismatch emits media.codec-mismatch per stream and payload type.
func mediaCodecMismatch(c *correlate.Call) []Finding {
	var out []Finding
	for _, s := range c.Media.Streams {
		for _, u := range s.Unexpected {
			answerFrame := 0
			if u.AnswerSDP != nil && u.AnswerSDP.Message != nil {
				answerFrame = u.AnswerSDP.Message.Frame
			}
			listed := make([]string, len(u.Answer))
			for i, pt := range u.Answer {
				listed[i] = fmt.Sprint(pt)
			}
			name := ""
			if s.Codec != "" && s.PayloadType == u.PayloadType {
				name = " (" + s.Codec + ")"
			}
			out = append(out, Finding{
				ID: "media.codec-mismatch", Severity: Error, CallID: c.CallID,
				Summary: fmt.Sprintf("%s sends payload type %d%s to %s, but the SDP answer (frame %d) allows only %s.",
					mediaCapital(mediaParty(c, s.From)), u.PayloadType, name, s.Dst, answerFrame, strings.Join(listed, " ")),
				Evidence: Evidence{Frames: mediaFramesOf(answerFrame, u.Frame), Facts: map[string]any{
					"payload_type": u.PayloadType, "answer": u.Answer, "answer_frame": answerFrame,
					"ssrc": fmt.Sprintf("0x%08X", s.SSRC), "src": s.Src.String(), "dst": s.Dst.String(),
				}},
				Advice: "The receiver may play silence or noise. The sender must use a payload type the answer lists: " +
					"align the codec settings of both ends, or let the SBC or PBX in between transcode.",
			})
		}
	}
	return out
}

func mediaSeconds(d time.Duration) string {
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func mediaRound(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

func mediaCapital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

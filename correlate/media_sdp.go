package correlate

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/decode/sdp"
)

// mediaSIP reads what a SIP message says about media: an SDP offer or
// answer, or a DTMF digit in an INFO.
func (b *Builder) mediaSIP(c *Call, m *Message) {
	cm := &c.Media
	if cm.callerTag == "" {
		// The caller is whoever sent the INVITE; a response names the
		// requester in From too.
		if m.IsRequest && m.Method == "INVITE" || !m.IsRequest {
			cm.callerTag = m.From.Tag
		}
	}
	if m.Retransmission {
		return
	}
	if m.IsRequest && m.Method == "INFO" {
		cm.infoDTMF(m)
		return
	}
	body := sdpBody(m)
	if body == nil {
		return
	}
	sess := cm.lastSession
	if sess == nil || !bytes.Equal(body, cm.lastBody) {
		var err error
		if sess, err = sdp.Parse(body); err != nil {
			return
		}
		cm.lastBody, cm.lastSession = body, sess
	}
	if m.ContentType == "application/sdp" {
		m.session = sess // what SDP would parse: the body itself
	}
	b.media.init()
	b.negotiate(c, &SDP{Message: m, Session: sess, Role: cm.roleOf(m)})
}

// roleOf says who sent m: a request comes from the side its From tag
// names, a response from the other one.
func (cm *CallMedia) roleOf(m *Message) string {
	fromCaller := cm.callerTag == "" || m.From.Tag == cm.callerTag
	if fromCaller == m.IsRequest {
		return RoleCaller
	}
	return RoleCallee
}

// negotiate pairs a description with the pending offer, or makes it an
// offer (RFC 3264 §4; RFC 6337 for the usual shapes: INVITE/200, INVITE
// without SDP/200/ACK, reliable 18x, UPDATE/200, re-INVITE), then binds
// the addresses it announces to the call.
func (b *Builder) negotiate(c *Call, d *SDP) {
	cm := &c.Media
	cm.SDPs = append(cm.SDPs, d)
	var n *Negotiation
	switch p := cm.pending; {
	case p != nil && p.Offer.Role != d.Role:
		n, p.Answer, cm.pending = p, d, nil
	case d.Session.Origin != "" && cm.lastOrigin[roleIndex(d.Role)] == d.Session.Origin:
		// The same description again (a 200 repeating the 183's): no change,
		// and the addresses stay bound to the first copy.
		d.Repeat = true
		return
	default:
		d.Offer = true
		n = &Negotiation{Offer: d}
		cm.Negotiations = append(cm.Negotiations, n)
		cm.pending = n
	}
	cm.lastOrigin[roleIndex(d.Role)] = d.Session.Origin
	for i := range d.Session.Media {
		line := &d.Session.Media[i]
		if !strings.Contains(line.Proto, "RTP") || line.OnHold() {
			continue
		}
		bd := &binding{call: c, sdp: d, neg: n, media: i}
		if a := line.RTP(); a.IsValid() {
			b.media.rtpEndpoints[a] = bd
			cm.noteEndpoint(a)
		}
		if a := line.RTCP; a.IsValid() && a != line.RTP() {
			b.media.rtcpEndpoints[a] = bd
			cm.noteEndpoint(a)
		}
	}
}

// sdpBody returns the session description a message carries, directly or
// as a part of a multipart body (SIP-I, SIP-T), or nil.
func sdpBody(m *Message) []byte {
	if len(m.Body) == 0 {
		return nil
	}
	if m.ContentType == "application/sdp" {
		return m.Body
	}
	if !strings.HasPrefix(m.ContentType, "multipart/") {
		return nil
	}
	ct, _ := m.Header("Content-Type")
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == "" {
		return nil
	}
	r := multipart.NewReader(bytes.NewReader(m.Body), params["boundary"])
	for range 8 {
		part, err := r.NextPart()
		if err != nil {
			return nil
		}
		if mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); mt == "application/sdp" {
			b, err := io.ReadAll(io.LimitReader(part, int64(len(m.Body))))
			if err != nil {
				return nil
			}
			return b
		}
	}
	return nil
}

// infoDTMF reads a digit from an INFO: application/dtmf-relay ("Signal=5",
// "Duration=160" in ms) or application/dtmf (the digit alone).
func (cm *CallMedia) infoDTMF(m *Message) {
	var digit string
	var dur time.Duration
	switch m.ContentType {
	case "application/dtmf-relay":
		for line := range strings.Lines(string(m.Body)) {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "signal":
				digit = v
			case "duration":
				if ms, err := strconv.Atoi(v); err == nil && ms > 0 {
					dur = time.Duration(ms) * time.Millisecond
				}
			}
		}
	case "application/dtmf":
		digit = strings.TrimSpace(string(m.Body))
	}
	if digit == "" || len(digit) > 8 {
		return
	}
	cm.DTMF = append(cm.DTMF, &DTMF{Digit: digit, Source: DTMFSIPInfo, Time: m.Time, Duration: dur,
		File: m.File, Frame: m.Frame, Src: m.Src, Dst: m.Dst})
}

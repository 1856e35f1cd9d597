package carrier

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"time"
)

// Flow kinds.
const (
	kindCall = iota
	kindRegister
	kindOptions
)

// plan draws the kind and start time of every flow. Scripts are built only
// when a flow starts (startFlow), each from its own random source, so memory
// does not grow with the size of the corpus.
func (g *gen) plan() {
	cfg := g.cfg
	kinds := make([]uint8, 0, cfg.Calls+cfg.Registrations+cfg.Options)
	for range cfg.Calls {
		kinds = append(kinds, kindCall)
	}
	for range cfg.Registrations {
		kinds = append(kinds, kindRegister)
	}
	for range cfg.Options {
		kinds = append(kinds, kindOptions)
	}
	g.rnd.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	// Poisson arrivals: calls at CallsPerSecond, the rest in proportion.
	rate := cfg.CallsPerSecond * float64(len(kinds)) / float64(cfg.Calls)
	t := cfg.Start
	g.plans = make([]plannedFlow, len(kinds))
	for i, k := range kinds {
		g.plans[i] = plannedFlow{start: t, kind: k}
		t = t.Add(time.Duration(g.rnd.ExpFloat64() / rate * float64(time.Second))).Truncate(time.Microsecond)
	}
}

type plannedFlow struct {
	start time.Time
	kind  uint8
}

// build makes the script of flow i.
func (g *gen) build(i int) *flow {
	p := g.plans[i]
	r := rand.New(rand.NewPCG(g.cfg.Seed, uint64(i)+1))
	switch p.kind {
	case kindRegister:
		return g.registerFlow(i, p.start, r)
	case kindOptions:
		return g.optionsFlow(i, p.start, r)
	}
	return g.callFlow(i, p.start, r)
}

// dialog holds what the messages of one Call-ID share. A is the side that
// sends the first request, B the other.
type dialog struct {
	callID         string
	aTag, bTag     string
	aUser, bUser   string
	a, b           netip.AddrPort
	aAgent, bAgent string
}

func hex(r *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[r.IntN(16)]
	}
	return string(b)
}

func number(r *rand.Rand) string {
	return "+1" + strconv.Itoa(200+r.IntN(800)) + strconv.Itoa(1000000+r.IntN(9000000))
}

func branch(r *rand.Rand) string { return "z9hG4bK" + hex(r, 16) }

// ms returns a random duration between lo and hi milliseconds.
func ms(r *rand.Rand, lo, hi int) time.Duration {
	return time.Duration(lo*1000+r.IntN((hi-lo)*1000+1)) * time.Microsecond
}

// request builds a request from A (fromA) or B. inDialog adds the To tag.
func (d *dialog) request(method, uri string, fromA bool, br string, cseq int, inDialog bool, extra string, body []byte) []byte {
	src, fromUser, fromTag, toUser, toTag, agent := d.a, d.aUser, d.aTag, d.bUser, d.bTag, d.aAgent
	dst := d.b
	if !fromA {
		src, fromUser, fromTag, toUser, toTag, agent = d.b, d.bUser, d.bTag, d.aUser, d.aTag, d.bAgent
		dst = d.a
	}
	if !inDialog {
		toTag = ""
	}
	if uri == "" {
		uri = "sip:" + toUser + "@" + dst.String()
	}
	b := make([]byte, 0, 900+len(body))
	b = append(b, method+" "+uri+" SIP/2.0\r\n"...)
	b = append(b, "Via: SIP/2.0/UDP "+src.String()+";branch="+br+";rport\r\n"...)
	b = append(b, "Max-Forwards: 70\r\n"...)
	b = append(b, "From: <sip:"+fromUser+"@"+src.Addr().String()+">;tag="+fromTag+"\r\n"...)
	b = append(b, "To: <sip:"+toUser+"@"+dst.Addr().String()+">"...)
	if toTag != "" {
		b = append(b, ";tag="+toTag...)
	}
	b = append(b, "\r\nCall-ID: "+d.callID+"\r\n"...)
	b = append(b, "CSeq: "+strconv.Itoa(cseq)+" "+method+"\r\n"...)
	if method == "INVITE" || method == "REGISTER" {
		b = append(b, "Contact: <sip:"+fromUser+"@"+src.String()+";transport=udp>\r\n"...)
	}
	if method == "INVITE" {
		b = append(b, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, NOTIFY\r\n"...)
		b = append(b, "Supported: timer, replaces\r\nSession-Expires: 1800\r\n"...)
		b = append(b, "P-Asserted-Identity: <sip:"+fromUser+"@"+src.Addr().String()+";user=phone>\r\n"...)
	}
	b = append(b, extra...)
	b = append(b, "User-Agent: "+agent+"\r\n"...)
	return appendBody(b, body)
}

// response builds a response from the side that did not send the request.
func (d *dialog) response(code int, reason string, reqFromA bool, br string, cseq int, method string, toTag bool, extra string, body []byte) []byte {
	via, fromUser, fromTag, toUser, tag, agent := d.a, d.aUser, d.aTag, d.bUser, d.bTag, d.bAgent
	resp := d.b
	if !reqFromA {
		via, fromUser, fromTag, toUser, tag, agent = d.b, d.bUser, d.bTag, d.aUser, d.aTag, d.aAgent
		resp = d.a
	}
	b := make([]byte, 0, 800+len(body))
	b = append(b, "SIP/2.0 "+strconv.Itoa(code)+" "+reason+"\r\n"...)
	b = append(b, "Via: SIP/2.0/UDP "+via.String()+";branch="+br+";rport="+strconv.Itoa(int(via.Port()))+";received="+via.Addr().String()+"\r\n"...)
	b = append(b, "From: <sip:"+fromUser+"@"+via.Addr().String()+">;tag="+fromTag+"\r\n"...)
	b = append(b, "To: <sip:"+toUser+"@"+resp.Addr().String()+">"...)
	if toTag {
		b = append(b, ";tag="+tag...)
	}
	b = append(b, "\r\nCall-ID: "+d.callID+"\r\n"...)
	b = append(b, "CSeq: "+strconv.Itoa(cseq)+" "+method+"\r\n"...)
	if method == "INVITE" && code > 100 && code < 300 {
		b = append(b, "Contact: <sip:"+toUser+"@"+resp.String()+";transport=udp>\r\n"...)
	}
	b = append(b, extra...)
	b = append(b, "Server: "+agent+"\r\n"...)
	return appendBody(b, body)
}

func appendBody(b, body []byte) []byte {
	if len(body) > 0 {
		b = append(b, "Content-Type: application/sdp\r\n"...)
	}
	b = append(b, "Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"...)
	return append(b, body...)
}

func sdp(r *rand.Rand, media netip.AddrPort) []byte {
	id := strconv.Itoa(100000 + r.IntN(900000))
	ip := media.Addr().String()
	return []byte("v=0\r\no=- " + id + " " + id + " IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip +
		"\r\nt=0 0\r\nm=audio " + strconv.Itoa(int(media.Port())) + " RTP/AVP 8 0 101\r\n" +
		"a=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n" +
		"a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n")
}

// script collects a flow's messages.
type script struct {
	f *flow
	d *dialog
}

func (s *script) add(at time.Time, fromA bool, text []byte) {
	src, dst := s.d.a, s.d.b
	if !fromA {
		src, dst = dst, src
	}
	at = at.Truncate(time.Microsecond)
	s.f.msgs = append(s.f.msgs, sipMsg{at: at, src: src, dst: dst, text: text})
	if at.After(s.f.end) {
		s.f.end = at
	}
}

var rejections = [...]struct {
	code   int
	reason string
}{{486, "Busy Here"}, {404, "Not Found"}, {503, "Service Unavailable"}, {480, "Temporarily Unavailable"}, {403, "Forbidden"}}

// callFlow scripts one INVITE call between the SBC and a peer carrier.
func (g *gen) callFlow(i int, start time.Time, r *rand.Rand) *flow {
	g.stats.Calls++
	peer := r.IntN(peers)
	d := &dialog{callID: hex(r, 24) + "@" + sbcSIP.Addr().String(), aTag: hex(r, 10), bTag: hex(r, 10),
		aUser: number(r), bUser: number(r), aAgent: "carrier-sbc/4.2", bAgent: "peer-gw/7.1"}
	// RTP ports: even, spread so that calls in progress never share one.
	sbcMedia := netip.AddrPortFrom(sbcRTP, uint16(16384+2*(i%20000)))
	peerMedia := netip.AddrPortFrom(peerRTP(peer), uint16(20000+2*(i%20000)))
	aMedia, bMedia := sbcMedia, peerMedia
	d.a, d.b = sbcSIP, peerSIP(peer)
	inbound := r.IntN(2) == 0
	if inbound {
		d.a, d.b = d.b, d.a
		d.aAgent, d.bAgent = d.bAgent, d.aAgent
		aMedia, bMedia = bMedia, aMedia
	}
	f := &flow{start: start, call: true}
	s := &script{f: f, d: d}
	// Delays: the peer answers after a network round trip, the SBC at once.
	fromB := func() time.Duration { // a response from B as seen at the SBC
		if inbound {
			return ms(r, 0, 1)
		}
		return ms(r, 4, 40)
	}
	fromA := func() time.Duration {
		if inbound {
			return ms(r, 4, 40)
		}
		return ms(r, 0, 1)
	}
	inv := branch(r)
	uri := "sip:" + d.bUser + "@" + d.b.String()
	invite := d.request("INVITE", uri, true, inv, 1, false, "", sdp(r, aMedia))
	t := start
	s.add(t, true, invite)

	outcome := r.Float64()
	if outcome >= 0.97 { // timed out: no response, timer A doubles to 32 s
		g.stats.TimedOut++
		for k, gap := 0, 500*time.Millisecond; k < 6; k, gap = k+1, gap*2 {
			t = t.Add(gap)
			s.add(t, true, invite)
			g.stats.Retransmissions++
		}
		return f
	}
	if r.IntN(100) < 3 { // the first INVITE got no 100 in time
		t = t.Add(500 * time.Millisecond)
		s.add(t, true, invite)
		g.stats.Retransmissions++
	}
	t = t.Add(fromB())
	s.add(t, false, d.response(100, "Trying", true, inv, 1, "INVITE", false, "", nil))
	ack := func(at time.Time, br string, inDialog bool) {
		s.add(at.Add(fromA()), true, d.request("ACK", uri, true, br, 1, inDialog, "", nil))
	}
	switch {
	case outcome < 0.72: // answered
		t = t.Add(ms(r, 200, 2000))
		s.add(t, false, d.response(180, "Ringing", true, inv, 1, "INVITE", true, "", nil))
		t = t.Add(ms(r, 500, 6000))
		ok := d.response(200, "OK", true, inv, 1, "INVITE", true, "", sdp(r, bMedia))
		s.add(t, false, ok)
		answer := t
		if r.IntN(100) < 3 { // the ACK was late: timer G resends the 200
			t = t.Add(500 * time.Millisecond)
			s.add(t, false, ok)
			g.stats.Retransmissions++
		}
		ack(t, branch(r), true)
		talk := time.Duration(r.ExpFloat64() * float64(g.cfg.MeanTalk))
		talk = max(200*time.Millisecond, min(talk, 10*g.cfg.MeanTalk))
		n := int(talk / ptime)
		rtpStart := answer.Add(ms(r, 5, 30))
		f.rtp = append(f.rtp,
			g.stream(r, sbcMedia, peerMedia, rtpStart, n, false),
			g.stream(r, peerMedia, sbcMedia, rtpStart.Add(ms(r, 0, 19)), n, true))
		t = rtpStart.Add(talk + 40*time.Millisecond)
		byeFromA := r.IntN(2) == 0
		bye := d.request("BYE", "", byeFromA, branch(r), 2, true, "", nil)
		br := byeBranch(bye)
		s.add(t, byeFromA, bye)
		if r.IntN(100) < 1 {
			t = t.Add(500 * time.Millisecond)
			s.add(t, byeFromA, bye)
			g.stats.Retransmissions++
		}
		delay := fromB
		if !byeFromA {
			delay = fromA
		}
		s.add(t.Add(delay()), !byeFromA, d.response(200, "OK", byeFromA, br, 2, "BYE", true, "", nil))
		g.stats.Completed++
	case outcome < 0.85: // rejected
		if r.IntN(2) == 0 {
			t = t.Add(ms(r, 200, 2000))
			s.add(t, false, d.response(180, "Ringing", true, inv, 1, "INVITE", true, "", nil))
		}
		rj := rejections[r.IntN(len(rejections))]
		t = t.Add(ms(r, 50, 3000))
		s.add(t, false, d.response(rj.code, rj.reason, true, inv, 1, "INVITE", true, "", nil))
		ack(t, inv, true)
		g.stats.Rejected++
	default: // cancelled by the caller while ringing
		t = t.Add(ms(r, 200, 2000))
		s.add(t, false, d.response(180, "Ringing", true, inv, 1, "INVITE", true, "", nil))
		t = t.Add(ms(r, 1000, 5000))
		s.add(t, true, d.request("CANCEL", uri, true, inv, 1, false, "", nil))
		t = t.Add(fromB())
		s.add(t, false, d.response(200, "OK", true, inv, 1, "CANCEL", false, "", nil))
		t = t.Add(ms(r, 0, 2))
		s.add(t, false, d.response(487, "Request Terminated", true, inv, 1, "INVITE", true, "", nil))
		ack(t, inv, true)
		g.stats.Cancelled++
	}
	return f
}

// byeBranch reads back the branch a BYE was built with, for its response.
func byeBranch(bye []byte) string {
	s := string(bye)
	i := len("z9hG4bK") + 16
	for j := 0; j+7 <= len(s); j++ {
		if s[j:j+7] == "z9hG4bK" {
			return s[j : j+i]
		}
	}
	return ""
}

func (g *gen) stream(r *rand.Rand, src, dst netip.AddrPort, start time.Time, n int, jitter bool) *rtpStream {
	s := &rtpStream{src: src, dst: dst, ssrc: r.Uint32(), seq: uint16(r.Uint32()), ts: r.Uint32(),
		start: start.Truncate(time.Microsecond), n: n, left: n, jitter: jitter}
	s.pkt[0] = 0x80
	binaryPutUint32(s.pkt[8:], s.ssrc)
	for k := 12; k < len(s.pkt); k++ {
		s.pkt[k] = 0xd5 // A-law silence
	}
	return s
}

func binaryPutUint32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// registerFlow scripts a subscriber registering through the SBC with
// digest authentication; one in ten is refused after the challenge.
func (g *gen) registerFlow(i int, start time.Time, r *rand.Rand) *flow {
	g.stats.Registrations++
	ue := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8 & 0x3f), byte(i)}), uint16(1024+r.IntN(60000)))
	user := strconv.Itoa(100000 + r.IntN(900000))
	d := &dialog{callID: hex(r, 32), aTag: hex(r, 8), bTag: hex(r, 10), aUser: user, bUser: user,
		a: ue, b: sbcSIP, aAgent: "Yealink SIP-T46U 108.86.0.20", bAgent: "carrier-sbc/4.2"}
	f := &flow{start: start}
	s := &script{f: f, d: d}
	uri := "sip:" + sbcSIP.Addr().String()
	br := branch(r)
	t := start
	s.add(t, true, d.request("REGISTER", uri, true, br, 1, false, "Expires: 3600\r\n", nil))
	nonce := hex(r, 32)
	t = t.Add(ms(r, 0, 2))
	s.add(t, false, d.response(401, "Unauthorized", true, br, 1, "REGISTER", true,
		`WWW-Authenticate: Digest realm="sbc.example.net", nonce="`+nonce+`", algorithm=MD5, qop="auth"`+"\r\n", nil))
	br = branch(r)
	t = t.Add(ms(r, 20, 200))
	auth := `Authorization: Digest username="` + user + `", realm="sbc.example.net", nonce="` + nonce +
		`", uri="` + uri + `", response="` + hex(r, 32) + `", algorithm=MD5, cnonce="` + hex(r, 8) + `", qop=auth, nc=00000001` + "\r\n"
	s.add(t, true, d.request("REGISTER", uri, true, br, 2, false, "Expires: 3600\r\n"+auth, nil))
	t = t.Add(ms(r, 0, 3))
	if r.IntN(10) == 0 {
		s.add(t, false, d.response(403, "Forbidden", true, br, 2, "REGISTER", true, "", nil))
		return f
	}
	g.stats.RegisterOK++
	s.add(t, false, d.response(200, "OK", true, br, 2, "REGISTER", true,
		"Contact: <sip:"+user+"@"+ue.String()+";transport=udp>;expires=3600\r\n", nil))
	return f
}

// optionsFlow scripts the SBC pinging a peer with OPTIONS.
func (g *gen) optionsFlow(i int, start time.Time, r *rand.Rand) *flow {
	g.stats.Options++
	peer := peerSIP(r.IntN(peers))
	d := &dialog{callID: hex(r, 20) + "@" + sbcSIP.Addr().String(), aTag: hex(r, 8), bTag: hex(r, 8),
		aUser: "ping", bUser: "ping", a: sbcSIP, b: peer, aAgent: "carrier-sbc/4.2", bAgent: "peer-gw/7.1"}
	f := &flow{start: start}
	s := &script{f: f, d: d}
	br := branch(r)
	s.add(start, true, d.request("OPTIONS", "sip:"+peer.String(), true, br, 1, false, "Accept: application/sdp\r\n", nil))
	s.add(start.Add(ms(r, 4, 40)), false, d.response(200, "OK", true, br, 1, "OPTIONS", true,
		"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n", nil))
	return f
}

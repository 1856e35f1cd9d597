package diagnose_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/diagnose"
)

// phoneRequest is a request from the phone at 192.168.1.50:5060, behind a
// NAT whose public side is natted (198.51.100.77:40123).
func phoneRequest(method, ruri, branch string, cseq int, via string, extra ...string) string {
	hdr := []string{
		method + " " + ruri + " SIP/2.0",
		"Via: SIP/2.0/UDP " + via + ";branch=" + branch,
		"From: <sip:phone@b.example>;tag=p1",
		"To: <sip:phone@b.example>",
		"Call-ID: nat1",
		fmt.Sprintf("CSeq: %d %s", cseq, method),
	}
	return strings.Join(append(hdr, extra...), "\n") + "\n"
}

func phoneResponse(status, via string, cseq int, method string, extra ...string) string {
	hdr := []string{
		"SIP/2.0 " + status,
		"Via: SIP/2.0/UDP " + via,
		"From: <sip:phone@b.example>;tag=p1",
		"To: <sip:phone@b.example>;tag=s1",
		"Call-ID: nat1",
		fmt.Sprintf("CSeq: %d %s", cseq, method),
	}
	return strings.Join(append(hdr, extra...), "\n") + "\n"
}

func TestNATViaMismatch(t *testing.T) {
	tests := []struct {
		name     string
		reqVia   string // Via of the REGISTER, branch appended
		respVia  string // Via of the 200 OK
		respTo   string // where the 200 OK goes; "" for no response
		severity diagnose.Severity
		handled  string
		summary  []string
	}{
		{
			name: "handled with rport", reqVia: "192.168.1.50:5060;rport", respVia: "192.168.1.50:5060;rport=40123;received=198.51.100.77;branch=z9hG4bKr1",
			respTo: natAddr, severity: diagnose.Info, handled: "yes",
			summary: []string{"198.51.100.77:40123 is behind NAT: its Via sent-by is 192.168.1.50:5060 (RFC 1918)", "203.0.113.20:5060 handles it: rport was requested, it added received=198.51.100.77;rport=40123 and sent its responses back to 198.51.100.77:40123"},
		},
		{
			name: "not handled without rport", reqVia: "192.168.1.50:5060", respVia: "192.168.1.50:5060;received=198.51.100.77;branch=z9hG4bKr1",
			respTo: "198.51.100.77:5060", severity: diagnose.Warning, handled: "no",
			summary: []string{"203.0.113.20:5060 does not compensate: rport was not requested, it added received=198.51.100.77 and its responses went to 198.51.100.77:5060"},
		},
		{
			name: "no response captured", reqVia: "192.168.1.50:5060;rport", severity: diagnose.Info, handled: "unknown",
			summary: []string{"no response was captured to show whether 203.0.113.20:5060 answers to 198.51.100.77:40123"},
		},
		{
			name: "CGNAT sent-by", reqVia: "100.64.3.4:5060;rport", respVia: "100.64.3.4:5060;rport=40123;received=198.51.100.77;branch=z9hG4bKr1",
			respTo: natAddr, severity: diagnose.Info, handled: "yes", summary: []string{"(RFC 6598 shared)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			s.udp(0, natAddr, uasAddr, phoneRequest("REGISTER", "sip:b.example", "z9hG4bKr1", 1, tt.reqVia, "Contact: <sip:phone@198.51.100.77:40123>;expires=30"))
			if tt.respTo != "" {
				s.udp(20*msec, uasAddr, tt.respTo, phoneResponse("200 OK", tt.respVia, 1, "REGISTER", "Contact: <sip:phone@198.51.100.77:40123>;expires=30"))
			}
			f := oneFinding(t, s.analyze().Findings, "nat.via-mismatch")
			if f.Severity != tt.severity || factOf[string](t, f, "handled") != tt.handled {
				t.Errorf("severity %s handled %v, want %s %s", f.Severity, f.Evidence.Facts["handled"], tt.severity, tt.handled)
			}
			wantSummaryParts(t, f, tt.summary...)
		})
	}
}

// Over TCP the source port is an ephemeral one: only the address counts.
func TestNATViaPortOverTCPIsNormal(t *testing.T) {
	s := newCaptureScene(t)
	s.tcp(0, "198.51.100.10:49152", uasAddr, 1, phoneRequest("OPTIONS", "sip:b.example", "z9hG4bKo1", 1, "198.51.100.10:5060"))
	noFinding(t, s.analyze().Findings, "nat.")
}

// Traffic inside one private network crosses no NAT.
func TestNATQuietOnLAN(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, phoneLAN, "192.168.1.1:5060", phoneRequest("INVITE", "sip:bob@192.168.1.1", "z9hG4bKi1", 1, "192.168.1.50:5060",
		"Contact: <sip:phone@192.168.1.50:5060>", "Content-Type: application/sdp", "",
		"v=0\no=- 1 1 IN IP4 192.168.1.50\ns=-\nc=IN IP4 192.168.1.50\nt=0 0\nm=audio 4000 RTP/AVP 0"))
	noFinding(t, s.analyze().Findings, "nat.")
}

func TestNATPrivateContact(t *testing.T) {
	invite := phoneRequest("INVITE", "sip:bob@b.example", "z9hG4bKi1", 1, "192.168.1.50:5060;rport", "Contact: <sip:phone@192.168.1.50:5060>")
	ok := phoneResponse("200 OK", "192.168.1.50:5060;rport=40123;received=198.51.100.77;branch=z9hG4bKi1", 1, "INVITE", "Contact: <sip:bob@203.0.113.20:5060>")
	bye := func(ruri string) string {
		return fmt.Sprintf(`BYE %s SIP/2.0
Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKb1
From: <sip:phone@b.example>;tag=s1
To: <sip:phone@b.example>;tag=p1
Call-ID: nat1
CSeq: 1 BYE
`, ruri)
	}
	tests := []struct {
		name     string
		byeTo    string
		severity diagnose.Severity
		summary  string
	}{
		{"no request towards the UA", "", diagnose.Warning, "requests to the UA must go to 198.51.100.77:40123 instead."},
		{"server uses the source", natAddr, diagnose.Info, "203.0.113.20:5060 does: its BYE (frame 3) went to 198.51.100.77:40123"},
		{"server uses the Contact", phoneLAN, diagnose.Error, "but 203.0.113.20:5060 sent BYE (frame 3) to 192.168.1.50:5060"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newCaptureScene(t)
			s.udp(0, natAddr, uasAddr, invite)
			s.udp(time.Second, uasAddr, natAddr, ok)
			if tt.byeTo != "" {
				s.udp(5*time.Second, uasAddr, tt.byeTo, bye("sip:phone@"+tt.byeTo))
			}
			f := oneFinding(t, s.analyze().Findings, "nat.private-contact")
			if f.Severity != tt.severity {
				t.Errorf("severity %s, want %s", f.Severity, tt.severity)
			}
			wantSummaryParts(t, f, "The UA behind 198.51.100.77:40123 advertises Contact <sip:phone@192.168.1.50:5060> in its INVITE: a private address (RFC 1918)", tt.summary)
		})
	}
}

func TestNATContactMismatch(t *testing.T) {
	invite := dialogMsg("INVITE sip:bob@203.0.113.20 SIP/2.0", "z9hG4bKinv", 1, "INVITE", "", "Contact: <sip:alice@198.51.100.10:5070>")
	t.Run("contact port differs", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, invite)
		f := oneFinding(t, s.analyze().Findings, "nat.contact-mismatch")
		if f.Severity != diagnose.Warning {
			t.Errorf("severity %s", f.Severity)
		}
		wantSummaryParts(t, f, "The UA at 198.51.100.10:5060 advertises Contact <sip:alice@198.51.100.10:5070> in its INVITE, not the address its requests come from")
	})
	t.Run("the contact answers", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, uacAddr, uasAddr, invite)
		s.udp(time.Second, uasAddr, "198.51.100.10:5070", `INFO sip:alice@198.51.100.10:5070 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKinfo
From: <sip:bob@b.example>;tag=b1
To: <sip:alice@a.example>;tag=a1
Call-ID: c1
CSeq: 1 INFO
`)
		s.udp(time.Second+10*msec, "198.51.100.10:5070", uasAddr, `SIP/2.0 200 OK
Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKinfo
From: <sip:bob@b.example>;tag=b1
To: <sip:alice@a.example>;tag=a1
Call-ID: c1
CSeq: 1 INFO
`)
		noFinding(t, s.analyze().Findings, "nat.contact-mismatch")
	})
	t.Run("via a proxy", func(t *testing.T) {
		// Two Vias: the packet comes from the proxy, not the UA that wrote the Contact.
		s := newCaptureScene(t)
		s.udp(0, proxyAddr, uasAddr, strings.Replace(invite, "Via:", "Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bKp\nVia:", 1))
		noFinding(t, s.analyze().Findings, "nat.")
	})
}

func TestNATPrivateSDP(t *testing.T) {
	s := newCaptureScene(t)
	s.udp(0, natAddr, uasAddr, phoneRequest("INVITE", "sip:bob@b.example", "z9hG4bKi1", 1, "198.51.100.77:40123", "Contact: <sip:phone@198.51.100.77:40123>",
		"Content-Type: application/sdp", "",
		"v=0\no=- 1 1 IN IP4 198.51.100.77\ns=-\nc=IN IP4 10.1.2.3\nt=0 0\nm=audio 4000 RTP/AVP 0\nm=video 0 RTP/AVP 96"))
	res := s.analyze()
	f := oneFinding(t, res.Findings, "nat.private-sdp")
	wantSummaryParts(t, f, "The UA behind 198.51.100.77:40123 offers audio at 10.1.2.3:4000 in its SDP (INVITE): c=10.1.2.3 is a private address (RFC 1918), so 203.0.113.20:5060")
	if got := factOf[[]string](t, f, "media"); len(got) != 1 {
		t.Errorf("media %v: the rejected video stream (port 0) must not count", got)
	}
	noFinding(t, findingsWithID(res.Findings, "nat.via-mismatch"), "nat.")
	noFinding(t, findingsWithID(res.Findings, "nat.private-contact"), "nat.")
}

func TestNATRegisterExpiry(t *testing.T) {
	registerMsg := func(branch string, cseq int) string {
		return phoneRequest("REGISTER", "sip:b.example", branch, cseq, "192.168.1.50:5060;rport", "Contact: <sip:phone@198.51.100.77:40123>", "Expires: 3600")
	}
	ok := func(branch string, cseq int, expires int) string {
		return phoneResponse("200 OK", "192.168.1.50:5060;rport=40123;received=198.51.100.77;branch="+branch, cseq, "REGISTER",
			fmt.Sprintf("Contact: <sip:phone@198.51.100.77:40123>;expires=%d", expires))
	}
	options := func(n int) string {
		return fmt.Sprintf(`OPTIONS sip:phone@198.51.100.77:40123 SIP/2.0
Via: SIP/2.0/UDP 203.0.113.20:5060;branch=z9hG4bKka%d
From: <sip:ping@b.example>;tag=k%d
To: <sip:phone@198.51.100.77:40123>
Call-ID: ka%d
CSeq: 1 OPTIONS
`, n, n, n)
	}
	t.Run("long expiry, no refresh", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, natAddr, uasAddr, registerMsg("z9hG4bKr1", 1))
		s.udp(20*msec, uasAddr, natAddr, ok("z9hG4bKr1", 1, 3600))
		s.raw(10*time.Second, natAddr, uasAddr, []byte("end"))
		f := oneFinding(t, s.analyze().Findings, "nat.register-expiry")
		if f.Severity != diagnose.Warning {
			t.Errorf("severity %s", f.Severity)
		}
		wantSummaryParts(t, f, "registers with 203.0.113.20:5060 over UDP through NAT for 3600 s, longer than the 60.0 s", "no re-REGISTER in the")
	})
	t.Run("granted 60 s", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, natAddr, uasAddr, registerMsg("z9hG4bKr1", 1))
		s.udp(20*msec, uasAddr, natAddr, ok("z9hG4bKr1", 1, 60))
		noFinding(t, s.analyze().Findings, "nat.register-expiry")
	})
	t.Run("keepalives from the registrar", func(t *testing.T) {
		s := newCaptureScene(t)
		s.udp(0, natAddr, uasAddr, registerMsg("z9hG4bKr1", 1))
		s.udp(20*msec, uasAddr, natAddr, ok("z9hG4bKr1", 1, 3600))
		for i := 1; i <= 3; i++ {
			s.udp(time.Duration(i)*20*time.Second, uasAddr, natAddr, options(i))
		}
		f := oneFinding(t, s.analyze().Findings, "nat.register-expiry")
		if f.Severity != diagnose.Info {
			t.Errorf("severity %s, want info", f.Severity)
		}
		wantSummaryParts(t, f, "203.0.113.20:5060 keeps the binding open with OPTIONS every 20.0 s or less")
	})
	t.Run("refreshes within the binding", func(t *testing.T) {
		s := newCaptureScene(t)
		for i := range 3 {
			b := fmt.Sprintf("z9hG4bKr%d", i)
			at := time.Duration(i) * 45 * time.Second
			s.udp(at, natAddr, uasAddr, registerMsg(b, i+1))
			s.udp(at+20*msec, uasAddr, natAddr, ok(b, i+1, 3600))
		}
		noFinding(t, s.analyze().Findings, "nat.register-expiry")
	})
}

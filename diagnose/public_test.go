package diagnose_test

import (
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/testenv"
)

// No false alarms: the healthy public captures (calls that were set up,
// talked and hung up, registrations that succeeded) give no error finding.
func TestHealthyPublicCapturesHaveNoErrors(t *testing.T) {
	for _, name := range []string{
		"rtp_rtcp_sip_ipv4_udp.pcap",
		"sip-rtp-g711.pcap",
		"sip-rtp-g722.pcap",
		"register-invite-reinvite-bye.pcap",
		"sip-proxy.pcap",
		"sip_ipv4_tcp.pcap",
		"DTMFsipinfo.pcap",
		"sip_ipv6_udp.pcap",
	} {
		t.Run(name, func(t *testing.T) {
			res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.PublicCapture(t, name)}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Capture.SIPMessages == 0 {
				t.Fatal("no SIP messages: the test would prove nothing")
			}
			for _, f := range res.Findings {
				if f.Severity == diagnose.Error {
					t.Errorf("%s on a healthy capture: %s (frames %v)", f.ID, f.Summary, f.Evidence.Frames)
				}
			}
		})
	}
}

// The failing public capture is diagnosed: sip-auth-failure.pcapng holds a
// REGISTER and a SUBSCRIBE each answered 401, retried with credentials and
// refused with 403.
func TestAuthFailureCapture(t *testing.T) {
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.PublicCapture(t, "sip-auth-failure.pcapng")}})
	if err != nil {
		t.Fatal(err)
	}
	fs := findingsWithID(res.Findings, "call.failed")
	if len(fs) != 2 {
		t.Fatalf("%d call.failed findings, want 2:\n%s", len(fs), describeFindings(res.Findings))
	}
	wantSummaryParts(t, fs[0], "REGISTER", "403 Forbidden", "in reply to credentials it had asked for with 401 Unauthorized (frame 2)")
	if fs[0].Severity != diagnose.Error {
		t.Errorf("REGISTER refused is %s, want error", fs[0].Severity)
	}
	wantEvidenceFrames(t, fs[0], 2, 3, 4)
}

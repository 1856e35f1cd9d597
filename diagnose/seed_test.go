package diagnose_test

import (
	"slices"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/testenv"
)

const seedCall = "dda811eb-0664-dae3-31bb-8b8e12741336"

// The seed case (testdata/freeswitch-nat.pcap): FreeSWITCH's 200 OK Contact
// sends the phone's ACKs to port 50620 while the dialog runs on 5060; the
// phone is behind NAT and FreeSWITCH compensates with received/rport.
func TestSeedFreeswitchNAT(t *testing.T) {
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata("freeswitch-nat.pcap")}})
	if err != nil {
		t.Fatal(err)
	}
	fs := diagnose.ForCall(res.Findings, seedCall)

	ack := oneFinding(t, fs, "ack.misrouted")
	if ack.Severity != diagnose.Error {
		t.Errorf("ack.misrouted is %s, want error", ack.Severity)
	}
	wantSummaryParts(t, ack, "retransmitted its 200 OK 2 times", "intervals of 500 ms, 1000 ms",
		"the UAC sent 3 ACKs to 47.98.109.96:50620 (the 200 OK's Contact)", "the 200 OK came from 47.98.109.96:5060",
		"3 ICMP port unreachable errors came back")
	for key, want := range map[string][]int{
		"response_frames": {7, 58, 161},
		"ack_frames":      {10, 63, 166},
		"icmp_frames":     {11, 64, 167},
	} {
		if got := factOf[[]int](t, ack, key); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	if got := factOf[[]float64](t, ack, "retransmit_intervals_ms"); !slices.Equal(got, []float64{500, 1000}) {
		t.Errorf("intervals %v, want [500 1000]", got)
	}
	wantEvidenceFrames(t, ack, 7, 10, 11, 58, 63, 64, 161, 166, 167)

	via := oneFinding(t, fs, "nat.via-mismatch")
	wantSummaryParts(t, via, "112.25.222.170:28555 is behind NAT", "sent-by is 192.168.1.107:62118 (RFC 1918)",
		"47.98.109.96:5060 handles it", "rport was requested", "received=112.25.222.170;rport=28555")
	if factOf[string](t, via, "handled") != "yes" || factOf[string](t, via, "nated") != "112.25.222.170:28555" ||
		factOf[string](t, via, "peer") != "47.98.109.96:5060" {
		t.Errorf("via facts %v", via.Evidence.Facts)
	}

	ct := oneFinding(t, fs, "nat.private-contact")
	if got := factOf[string](t, ct, "contact_address"); got != "192.168.1.107:62118" {
		t.Errorf("private contact %s", got)
	}
	wantEvidenceFrames(t, ct, 5, 10, 63, 166)

	sdp := oneFinding(t, fs, "nat.private-sdp")
	wantSummaryParts(t, sdp, "audio at 192.168.1.107:54898", "c=192.168.1.107 is a private address (RFC 1918)")
	wantEvidenceFrames(t, sdp, 5)

	// The registration has its own NAT findings; its 30 s expiry is short
	// enough for any NAT.
	reg := diagnose.ForCall(res.Findings, "f7724003-7111-8ddc-deba-133107508dc6")
	oneFinding(t, reg, "nat.via-mismatch")
	oneFinding(t, reg, "nat.private-contact")
	noFinding(t, reg, "nat.register-expiry")

	for _, f := range res.Findings {
		if f.Severity == diagnose.Error && f.ID != "ack.misrouted" {
			t.Errorf("unexpected error finding %s: %s", f.ID, f.Summary)
		}
	}
	// Worst first: the error leads.
	if res.Findings[0].ID != "ack.misrouted" {
		t.Errorf("first finding %s, want ack.misrouted", res.Findings[0].ID)
	}
}

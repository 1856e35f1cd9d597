package sipscope_test

import (
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/testenv"
)

// Streaming hands over the same calls, in the same states, as the offline
// analysis keeps, and the same findings.
func TestStreamingMatchesOffline(t *testing.T) {
	for _, path := range []string{
		testenv.Testdata("freeswitch-nat.pcap"),
		testenv.PublicCapture(t, "rtp_rtcp_sip_ipv4_udp.pcap"),
		testenv.PublicCapture(t, "sip_ipv4_tcp_fragmented.pcap"),
	} {
		offline, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, c := range offline.Model.Calls {
			want[c.CallID] = c.State
		}
		got := map[string]string{}
		var findings int
		streamed, err := sipscope.Analyze(sipscope.Options{Files: []string{path},
			OnCall: func(c *correlate.Call, fs []diagnose.Finding) {
				got[c.CallID] = c.State
				findings += len(fs)
			}})
		if err != nil {
			t.Fatal(err)
		}
		if len(streamed.Model.Calls) != 0 {
			t.Errorf("%s: streaming kept %d calls in the model", path, len(streamed.Model.Calls))
		}
		if len(got) != len(want) {
			t.Errorf("%s: streamed %d calls, offline %d", path, len(got), len(want))
		}
		for id, st := range want {
			if got[id] != st {
				t.Errorf("%s: call %s streamed as %q, offline %q", path, id, got[id], st)
			}
		}
		if len(streamed.Findings) != len(offline.Findings) {
			t.Errorf("%s: %d findings streamed, %d offline", path, len(streamed.Findings), len(offline.Findings))
		}
	}
}

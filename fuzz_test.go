package sipscope_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/fuzzseed"
	"github.com/sipscope/sipscope/report"
)

// fuzzLinks are the link types FuzzPipelineFrame feeds frames as: every type
// the decoder knows, the platform DLT_RAW values, and one it does not know.
var fuzzLinks = []layers.LinkType{
	layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw,
	layers.LinkTypeIPv4, layers.LinkTypeIPv6, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
	12, 14, 147,
}

func linkIndex(l layers.LinkType) uint8 {
	for i, x := range fuzzLinks {
		if x == l {
			return uint8(i)
		}
	}
	return uint8(len(fuzzLinks) - 1)
}

// FuzzPipelineFrame feeds one raw frame, as any link type, through the whole
// pipeline (decode, correlate, diagnose), offline and streaming, and renders
// every text and JSON output of the result. Nothing may panic or hang, the
// two modes must agree, what the frame became must be counted, and no
// output may carry a control character, escape sequence, bidi override or
// invalid UTF-8 to the terminal.
func FuzzPipelineFrame(f *testing.F) {
	for _, fr := range fuzzseed.Frames(f) {
		f.Add(linkIndex(fr.Link), fr.Data)
	}
	for _, p := range hostileSIP {
		f.Add(linkIndex(layers.LinkTypeEthernet), udpFrame(f, []byte(p)))
	}
	f.Fuzz(func(t *testing.T, link uint8, data []byte) {
		fr := &capture.Frame{
			Number: 1, Time: time.Unix(1e9, 0), Data: data, Length: len(data),
			LinkType: fuzzLinks[int(link)%len(fuzzLinks)],
		}
		off := sipscope.NewPipeline(sipscope.Options{})
		off.Frame(fr)
		res, _ := off.Finish([]string{"fuzz.pcap"}, nil)

		streamed := map[string]string{}
		live := sipscope.NewPipeline(sipscope.Options{OnCall: func(c *correlate.Call, _ []diagnose.Finding) {
			streamed[c.CallID] = c.State
		}})
		live.Frame(fr)
		_, _ = live.Finish([]string{"fuzz.pcap"}, nil)

		cs := res.Capture
		if cs.Frames != 1 {
			t.Fatalf("%d frames counted", cs.Frames)
		}
		undecoded := 0
		for _, n := range cs.Undecoded {
			undecoded += n
		}
		if undecoded > 2 || len(cs.Problems) != undecoded {
			t.Fatalf("undecoded %v with %d problems", cs.Undecoded, len(cs.Problems))
		}
		msgs := 0
		for _, c := range res.Model.Calls {
			msgs += len(c.Messages)
			for _, m := range c.Messages {
				if m.Frame != 1 || m.File != 0 {
					t.Fatalf("message from frame %d of file %d", m.Frame, m.File)
				}
			}
			if streamed[c.CallID] != c.State {
				t.Fatalf("call %q: streamed as %q, offline %q", c.CallID, streamed[c.CallID], c.State)
			}
		}
		if msgs != cs.SIPMessages || len(streamed) != len(res.Model.Calls) {
			t.Fatalf("%d SIP messages counted, %d in %d calls, %d calls streamed",
				cs.SIPMessages, msgs, len(res.Model.Calls), len(streamed))
		}
		checkOutputs(t, res)
	})
}

// checkOutputs renders every text and JSON output of res and checks that
// none can act on a terminal, and that the JSON is valid.
func checkOutputs(t *testing.T, res *sipscope.Result) {
	t.Helper()
	var text bytes.Buffer
	report.CaptureText(&text, &res.Capture)
	if err := report.Overview(&text, res); err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Model.Calls {
		if err := report.MessagesTable(&text, res, c); err != nil {
			t.Fatal(err)
		}
		report.RawMessages(&text, c)
	}
	if err := report.CheckTerminal(text.String()); err != nil {
		t.Fatalf("%v in\n%q", err, text.String())
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, report.BuildJSON(res, res.Model.Calls, true)); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(js.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", js.Bytes())
	}
	if err := report.CheckTerminal(js.String()); err != nil {
		t.Fatalf("JSON: %v in\n%q", err, js.String())
	}
}

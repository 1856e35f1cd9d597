package carrier_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

func generate(t *testing.T, cfg carrier.Config) ([]byte, carrier.Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := carrier.Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestDeterministicBySeed(t *testing.T) {
	a, _ := generate(t, carrier.Config{Calls: 50, Seed: 3})
	b, _ := generate(t, carrier.Config{Calls: 50, Seed: 3})
	c, _ := generate(t, carrier.Config{Calls: 50, Seed: 4})
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a, c) {
		t.Error("different seeds gave the same file")
	}
}

// The corpus is what the issue asks for: mostly RTP, in time order, with
// overlapping calls of every outcome, and sipscope finds exactly the calls
// the generator scripted.
func TestCorpusAsScripted(t *testing.T) {
	data, st := generate(t, carrier.Config{Calls: 400, Seed: 11})
	if share := st.RTPShare(); share < 0.90 || share > 0.96 {
		t.Errorf("RTP share %.3f, want about 0.93", share)
	}
	if st.Completed == 0 || st.Rejected == 0 || st.Cancelled == 0 || st.TimedOut == 0 || st.Retransmissions == 0 || st.RTPLost == 0 {
		t.Errorf("some kind of traffic is missing: %+v", st)
	}
	if st.MaxConcurrent < 20 {
		t.Errorf("at most %d calls at once; want many overlapping", st.MaxConcurrent)
	}
	path := filepath.Join(t.TempDir(), "corpus.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}

	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var frames int
	var last int64
	for {
		fr, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		frames++
		if ns := fr.Time.UnixNano(); ns < last {
			t.Fatalf("frame %d goes back in time", fr.Number)
		} else {
			last = ns
		}
	}
	if frames != st.Frames || len(f.Problems()) > 0 {
		t.Fatalf("read %d frames (problems %v), generator wrote %d", frames, f.Problems(), st.Frames)
	}

	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capture.SIPMessages != st.SIPMessages || len(res.Capture.Undecoded) > 0 {
		t.Errorf("sipscope: %d SIP messages, undecoded %v; generator wrote %d", res.Capture.SIPMessages, res.Capture.Undecoded, st.SIPMessages)
	}
	got := map[string]int{}
	retrans := 0
	for _, c := range res.Model.Calls {
		got[c.Kind+" "+c.State]++
		retrans += c.Retransmissions
	}
	want := map[string]int{
		"call " + correlate.StateCompleted:                 st.Completed,
		"call " + correlate.StateRejected:                  st.Rejected,
		"call " + correlate.StateCancelled:                 st.Cancelled,
		"registration " + correlate.StateRegistered:        st.RegisterOK,
		"registration " + correlate.StateRejected:          st.Registrations - st.RegisterOK,
		"options " + correlate.StateCompleted:              st.Options,
		"call " + correlate.StateTimedOut + "|in progress": st.TimedOut,
	}
	// A call still retransmitting its INVITE when the capture ends is in progress.
	got["call "+correlate.StateTimedOut+"|in progress"] = got["call "+correlate.StateTimedOut] + got["call "+correlate.StateInProgress]
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: sipscope found %d, generator scripted %d", k, got[k], n)
		}
	}
	if retrans != st.Retransmissions {
		t.Errorf("sipscope counted %d retransmissions, generator sent %d", retrans, st.Retransmissions)
	}
}

package sipscope_test

import (
	"context"
	"errors"
	"path/filepath"
	"sort"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/capture/live"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/testenv"
)

func newReplay(t testing.TB, paths ...string) *live.Replay {
	t.Helper()
	r, err := live.OpenReplay(paths...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

type callKey struct {
	state    string
	messages int
}

func summary(calls []*correlate.Call) map[string]callKey {
	m := map[string]callKey{}
	for _, c := range calls {
		m[c.CallID] = callKey{c.State, len(c.Messages)}
	}
	return m
}

func sameCalls(t *testing.T, what string, got, want map[string]callKey) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d calls, want %d", what, len(got), len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: call %s is %+v, want %+v", what, id, got[id], w)
		}
	}
}

// A live run over a replayed capture streams the same calls as offline
// analysis, reports them at the end, and writes files that, read again,
// give the same calls, with every message at the file and frame number
// the live run cited.
func TestLiveMatchesOfflineAndFiles(t *testing.T) {
	for _, path := range []string{
		testenv.Testdata("freeswitch-nat.pcap"),
		testenv.PublicCapture(t, "sip_ipv4_tcp_fragmented.pcap"),
		testenv.PublicCapture(t, "register-invite-reinvite-bye.pcap"),
		testenv.PublicCapture(t, "sip-rtp-g711.pcap"),
	} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			offline, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			want := summary(offline.Model.Calls)
			dir := t.TempDir()
			src := newReplay(t, path)
			src.QuietEvery = 7
			w, err := live.NewRotator(live.RotateOptions{Dir: dir, Size: 200 << 10, LinkType: src.LinkType()})
			if err != nil {
				t.Fatal(err)
			}
			var streamed []*correlate.Call
			var events int
			res, err := sipscope.Live(context.Background(), sipscope.LiveOptions{
				Options: sipscope.Options{
					OnCall:  func(c *correlate.Call, _ []diagnose.Finding) { streamed = append(streamed, c) },
					OnEvent: func(correlate.Event) { events++ },
				},
				Source: src, Writer: w,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stopped != sipscope.StopEnd {
				t.Errorf("stopped: %q", res.Stopped)
			}
			sameCalls(t, "streamed", summary(streamed), want)
			sameCalls(t, "final report", summary(res.Model.Calls), want)
			if events < len(want) {
				t.Errorf("%d events for %d calls", events, len(want))
			}
			if len(res.Findings) != len(offline.Findings) {
				t.Errorf("%d findings live, %d offline", len(res.Findings), len(offline.Findings))
			}
			if res.Capture.Frames != offline.Capture.Frames || res.Stats.Written == 0 {
				t.Errorf("%d frames live (%d written), %d offline", res.Capture.Frames, res.Stats.Written, offline.Capture.Frames)
			}

			reread, err := sipscope.Analyze(sipscope.Options{Files: res.KeptFiles})
			if err != nil {
				t.Fatal(err)
			}
			sameCalls(t, "written files", summary(reread.Model.Calls), want)
			type at struct {
				file  string
				frame int
			}
			cited := map[string][]at{}
			for _, c := range res.Model.Calls {
				for _, m := range c.Messages {
					cited[c.CallID] = append(cited[c.CallID], at{res.Capture.Files[m.File], m.Frame})
				}
			}
			for _, c := range reread.Model.Calls {
				for i, m := range c.Messages {
					if got := (at{reread.Capture.Files[m.File], m.Frame}); i >= len(cited[c.CallID]) || cited[c.CallID][i] != got {
						t.Errorf("call %s message %d is %v in the files, cited live as %v", c.CallID, i, got, cited[c.CallID])
						break
					}
				}
			}
		})
	}
}

// The final report keeps only the most recent calls, and counts the rest
// by state and as not kept.
func TestLiveReportBound(t *testing.T) {
	path := testenv.PublicCapture(t, "register-invite-reinvite-bye.pcap")
	offline, err := sipscope.Analyze(sipscope.Options{Files: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	if len(offline.Model.Calls) < 2 {
		t.Fatalf("%d calls in %s; the test needs two or more", len(offline.Model.Calls), path)
	}
	res, err := sipscope.Live(context.Background(), sipscope.LiveOptions{Source: newReplay(t, path), Name: "replay", ReportCalls: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Calls) != 1 || res.CallsNotKept != len(offline.Model.Calls)-1 {
		t.Errorf("kept %d calls and dropped %d, want 1 and %d", len(res.Model.Calls), res.CallsNotKept, len(offline.Model.Calls)-1)
	}
	last := offline.Model.Calls
	sort.SliceStable(last, func(i, j int) bool { return last[i].End.Before(last[j].End) })
	if res.Model.Calls[0].CallID != last[len(last)-1].CallID {
		t.Errorf("kept %s, want the last to finish, %s", res.Model.Calls[0].CallID, last[len(last)-1].CallID)
	}
	states := 0
	for _, n := range res.States {
		states += n
	}
	calls := 0
	for _, c := range offline.Model.Calls {
		if c.Kind == correlate.KindCall {
			calls++
		}
	}
	if states != calls {
		t.Errorf("states count %d calls, offline has %d", states, calls)
	}
	if res.Capture.Files[0] != "replay" {
		t.Errorf("files %v", res.Capture.Files)
	}
}

// --count stops after that many frames; a cancelled context stops at once.
func TestLiveStops(t *testing.T) {
	path := testenv.Testdata("freeswitch-nat.pcap")
	res, err := sipscope.Live(context.Background(), sipscope.LiveOptions{Source: newReplay(t, path), Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capture.Frames != 10 || res.Stopped != sipscope.StopCount {
		t.Errorf("%d frames, stopped %q; want 10 and %q", res.Capture.Frames, res.Stopped, sipscope.StopCount)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err = sipscope.Live(ctx, sipscope.LiveOptions{Source: newReplay(t, path)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Capture.Frames != 0 || res.Stopped != sipscope.StopInterrupted {
		t.Errorf("%d frames, stopped %q after cancel", res.Capture.Frames, res.Stopped)
	}
	boom := errors.New("interface went away")
	res, err = sipscope.Live(context.Background(), sipscope.LiveOptions{Source: &failing{Replay: newReplay(t, path), after: 20, err: boom}})
	if !errors.Is(err, boom) || res == nil || res.Capture.Frames != 20 || res.Stopped != sipscope.StopError {
		t.Errorf("source error: err %v, result %+v", err, res)
	}
}

type failing struct {
	*live.Replay
	after int
	err   error
}

func (f *failing) Next() (*capture.Frame, error) {
	if f.after == 0 {
		return nil, f.err
	}
	f.after--
	return f.Replay.Next()
}

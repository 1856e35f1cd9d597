package sipscope

import (
	"testing"

	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
)

// BenchmarkDiagnoseCall measures what the pipeline does with each finished
// call of a carrier corpus (500 calls with their registrations and
// OPTIONS): the per-call rules and the digest audit. One op is one call.
func BenchmarkDiagnoseCall(b *testing.B) {
	path, _ := carrier.TempFile(b, carrier.Config{Calls: 500, Seed: 1})
	var calls []*correlate.Call
	res, err := Analyze(Options{Files: []string{path}, Workers: 1, HoldCalls: 1,
		OnCall: func(c *correlate.Call, _ []diagnose.Finding) { calls = append(calls, c) }})
	if err != nil {
		b.Fatal(err)
	}
	p := NewPipeline(Options{ForgetFindings: true, OnCall: func(*correlate.Call, []diagnose.Finding) {}})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.diagnoseCall(calls[i], res.Capture.End)
		if i++; i == len(calls) {
			i = 0
		}
	}
}

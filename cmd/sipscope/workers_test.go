package main

import (
	"runtime"
	"strings"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/internal/testenv"
)

// --workers: 0 is one per core, past MaxWorkers is MaxWorkers, below 0 is
// an error.
func TestWorkersValue(t *testing.T) {
	for _, tc := range []struct {
		flag, want int
		err        bool
	}{
		{0, min(runtime.GOMAXPROCS(0), sipscope.MaxWorkers), false},
		{1, 1, false},
		{3, 3, false},
		{1000, sipscope.MaxWorkers, false},
		{-1, 0, true},
	} {
		got, err := limitOptions{Workers: tc.flag}.workers()
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("--workers %d: %d, %v; want %d, error %v", tc.flag, got, err, tc.want, tc.err)
		}
	}
}

// Every command that analyses files says the same with any --workers.
func TestWorkersFlag(t *testing.T) {
	path := testenv.Testdata("freeswitch-nat.pcap")
	for _, args := range [][]string{
		{"analyze", "--format", "json", path},
		{"calls", "--format", "json", path},
		{"diagnose", path},
		{"rtp", path},
	} {
		want, _, err := run(t, append(args, "--workers", "1")...)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"0", "3", "200"} {
			got, _, err := run(t, append(args, "--workers", n)...)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%v --workers %s differs from --workers 1:\n%s\nwant\n%s", args, n, got, want)
			}
		}
	}
	if _, _, err := run(t, "analyze", "--workers", "-2", path); err == nil || !strings.Contains(err.Error(), "--workers -2") {
		t.Errorf("--workers -2: err %v", err)
	}
	help, _, _ := run(t, "analyze", "--help")
	if !strings.Contains(help, "--workers int") {
		t.Errorf("analyze --help lacks --workers:\n%s", help)
	}
}

package scenario

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/decode/sip"
)

const goldenDigestAuth = "../../testdata/digest-auth.pcap"

// TestDigestAuthGolden checks that testdata/digest-auth.pcap is exactly
// what the generator makes; -update rewrites it.
func TestDigestAuthGolden(t *testing.T) {
	got := generate(t, DigestAuth())
	if *update {
		if err := os.WriteFile(goldenDigestAuth, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", goldenDigestAuth, len(got))
		return
	}
	want, err := os.ReadFile(goldenDigestAuth)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/scenario -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator's output (%d vs %d bytes); run go test ./internal/scenario -update", goldenDigestAuth, len(want), len(got))
	}
}

// The frames are where DigestAuth's comment says, every message parses
// cleanly, and bodies are as long as their Content-Length.
func TestDigestAuthLayout(t *testing.T) {
	pkts := DigestAuth()
	if len(pkts) != 30 {
		t.Fatalf("%d packets, want 30", len(pkts))
	}
	want := map[int]string{
		1: "REGISTER sip:pbx.example.com", 2: "401 Unauthorized", 3: "REGISTER sip:pbx.example.com", 4: "200 OK",
		7: "REGISTER sip:pbx.example.com", 12: "403 Forbidden", 14: "407 Proxy Authentication Required",
		15: "ACK sip:2000@pbx.example.com", 16: "INVITE sip:2000@pbx.example.com", 18: "ACK sip:2000@198.51.100.10:5060",
		20: "401 Unauthorized", 23: "SUBSCRIBE sip:carol@pbx.example.com", 24: "401 Unauthorized",
		27: "REGISTER sip:198.51.100.10", 30: "401 Unauthorized",
	}
	for i, p := range pkts {
		m, err := sip.Parse(p.Payload)
		if err != nil {
			t.Fatalf("frame %d: %v", i+1, err)
		}
		if len(m.Warnings) > 0 {
			t.Errorf("frame %d: %v", i+1, m.Warnings)
		}
		if s, ok := want[i+1]; ok && m.Summary() != s {
			t.Errorf("frame %d is %q, want %q", i+1, m.Summary(), s)
		}
		if i > 0 && !pkts[i-1].Time.Before(p.Time) {
			t.Errorf("frame %d is not after frame %d", i+1, i)
		}
	}
	if m, _ := sip.Parse(pkts[15].Payload); !strings.HasPrefix(string(m.Body), "v=0\r\n") || len(m.Body) != m.ContentLength {
		t.Errorf("frame 16 body %q, Content-Length %d", m.Body, m.ContentLength)
	}
}

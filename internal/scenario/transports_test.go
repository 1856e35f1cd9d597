package scenario

import (
	"bytes"
	"os"
	"testing"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// golden checks that the capture at path is exactly what gen makes; -update
// rewrites it.
func golden(t *testing.T, path string, gen func() []pcapgen.Packet) {
	t.Helper()
	got := generate(t, gen())
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", path, len(got))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/scenario -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator's output (%d vs %d bytes); run go test ./internal/scenario -update", path, len(want), len(got))
	}
	if again := generate(t, gen()); !bytes.Equal(again, got) {
		t.Fatal("two runs of the generator differ")
	}
}

func TestUDPFragmentedInviteGolden(t *testing.T) {
	golden(t, "../../testdata/sip-udp-fragmented-invite.pcap", UDPFragmentedInvite)
}

func TestTCPSegmentsGolden(t *testing.T) {
	golden(t, "../../testdata/sip-tcp-segments.pcap", TCPSegments)
}

// The INVITE is exactly 3000 bytes with a Content-Length that matches its
// body, and every message of both calls is well formed.
func TestTransportScenarioMessages(t *testing.T) {
	for _, spec := range []callSpec{
		{transport: "UDP", callID: "a", phone: LANPhone, inviteSize: UDPFragmentedInviteSize},
		{transport: "TCP", callID: "b", phone: LANPhoneTCP},
	} {
		msgs := callMessages(spec)
		if spec.inviteSize > 0 && len(msgs[0]) != spec.inviteSize {
			t.Errorf("INVITE of %d bytes, want %d", len(msgs[0]), spec.inviteSize)
		}
		for i, m := range msgs {
			checkContentLength(t, captured{n: i + 1, udp: m})
		}
	}
}

package scenario

import (
	"bytes"
	"os"
	"testing"
)

const goldenOneWayAudio = "../../testdata/one-way-audio.pcap"

// TestOneWayAudioGolden checks that testdata/one-way-audio.pcap is exactly
// what the generator makes; -update rewrites it.
func TestOneWayAudioGolden(t *testing.T) {
	got := generate(t, OneWayAudio())
	if *update {
		if err := os.WriteFile(goldenOneWayAudio, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", goldenOneWayAudio, len(got))
		return
	}
	want, err := os.ReadFile(goldenOneWayAudio)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/scenario -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the generator's output (%d vs %d bytes); run go test ./internal/scenario -update", goldenOneWayAudio, len(want), len(got))
	}
	if again := generate(t, OneWayAudio()); !bytes.Equal(again, got) {
		t.Fatal("two runs of the generator differ")
	}
}

// TestOneWayAudioCapture states the facts of the capture the media.one-way
// test relies on: seven SIP messages whose bodies match Content-Length,
// and RTP from the phone only.
func TestOneWayAudioCapture(t *testing.T) {
	pkts := OneWayAudio()
	var sip, fromPhone, toPhone int
	for _, p := range pkts {
		switch {
		case isSIP(p.Payload):
			sip++
			checkContentLength(t, captured{n: sip, udp: p.Payload})
		case p.Src == OWPhoneRTP && p.Dst == OWSBCRTP:
			fromPhone++
		case p.Dst == OWPhoneRTP:
			toPhone++
		}
	}
	if sip != 7 || fromPhone != OWRTPPackets || toPhone != 0 || len(pkts) != 7+OWRTPPackets {
		t.Errorf("%d SIP, %d RTP from the phone, %d to it, %d packets", sip, fromPhone, toPhone, len(pkts))
	}
	for i := 1; i < len(pkts); i++ {
		if pkts[i].Time.Before(pkts[i-1].Time) {
			t.Errorf("packet %d goes back in time", i+1)
		}
	}
}

func TestULaw(t *testing.T) {
	// Values of the ITU-T G.711 reference encoder.
	for _, tt := range []struct {
		in   int16
		want byte
	}{{0, 0xff}, {-1, 0x7f}, {32767, 0x80}, {-32768, 0x00}, {1000, 0xce}, {-1000, 0x4e}, {100, 0xf2}} {
		if got := ulaw(tt.in); got != tt.want {
			t.Errorf("ulaw(%d) = %#x, want %#x", tt.in, got, tt.want)
		}
	}
}

package rtp

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func marshal(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	testSR = &rtcp.SenderReport{
		SSRC: 0x5A3C9E17, NTPTime: 0xdf2f_1a2b_3c4d_5e6f, RTPTime: 14570496, PacketCount: 150, OctetCount: 24000,
		Reports: []rtcp.ReceptionReport{{SSRC: 0xEDFC4942, FractionLost: 64, TotalLost: 12, LastSequenceNumber: 0x1_2000,
			Jitter: 16, LastSenderReport: 0x1a2b_3c4d, Delay: 65536 / 2}},
	}
	testRR = &rtcp.ReceiverReport{
		SSRC: 0xEDFC4942,
		// 0xfffffe is -2 in 24 bits: more packets than expected (duplicates).
		Reports: []rtcp.ReceptionReport{{SSRC: 0x5A3C9E17, TotalLost: 0xfffffe, Jitter: 80}},
	}
	testSDES = &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 0xEDFC4942,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "phone@192.168.1.107"}}}}}
	testXR = &rtcp.ExtendedReport{SenderSSRC: 0xEDFC4942, Reports: []rtcp.ReportBlock{&rtcp.VoIPMetricsReportBlock{
		SSRC: 0x5A3C9E17, LossRate: 13, RoundTripDelay: 84, RFactor: 88, MOSLQ: 41, MOSCQ: 40, JBNominal: 40, JBMaximum: 80}}}
)

func TestParseRTCP(t *testing.T) {
	got, err := ParseRTCP(marshal(t, testSR, testSDES, testXR, &rtcp.Goodbye{Sources: []uint32{0x5A3C9E17}}))
	if err != nil {
		t.Fatal(err)
	}
	want := &RTCP{
		Senders: []SenderInfo{{SSRC: 0x5A3C9E17, NTPTime: 0xdf2f_1a2b_3c4d_5e6f, RTPTime: 14570496, PacketCount: 150, OctetCount: 24000}},
		Reports: []ReceptionReport{{Reporter: 0x5A3C9E17, Source: 0xEDFC4942, FractionLost: 64, CumulativeLost: 12,
			HighestSeq: 0x1_2000, Jitter: 16, LSR: 0x1a2b_3c4d, DLSR: 32768}},
		VoIP: []VoIPMetrics{{Reporter: 0xEDFC4942, Source: 0x5A3C9E17, LossRate: 13, RoundTripDelay: 84, RFactor: 88,
			MOSLQ: 41, MOSCQ: 40, JBNominal: 40, JBMaximum: 80}},
		Bye:   []uint32{0x5A3C9E17},
		Types: []uint8{200, 202, 207, 203},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if lsr := got.Senders[0].LSR(); lsr != 0x1a2b3c4d {
		t.Errorf("LSR = %#x", lsr)
	}
	r := got.Reports[0]
	if r.FractionLostPercent() != 25 || r.DelaySinceLastSR() != 500*time.Millisecond {
		t.Errorf("fraction %v%%, DLSR %v", r.FractionLostPercent(), r.DelaySinceLastSR())
	}
}

func TestParseRTCPNegativeLoss(t *testing.T) {
	got, err := ParseRTCP(marshal(t, testRR, testSDES))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Reports) != 1 || got.Reports[0].CumulativeLost != -2 || got.Reports[0].Reporter != 0xEDFC4942 {
		t.Fatalf("reports %+v", got.Reports)
	}
}

// A damaged sub-packet is skipped and counted; the reports beside it stay.
func TestParseRTCPSkipsDamagedSubpacket(t *testing.T) {
	b := marshal(t, testRR, &rtcp.Goodbye{Sources: []uint32{1}})
	b[testRR.MarshalSize()] |= 3 // the BYE now claims four sources and holds one
	got, err := ParseRTCP(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Unreadable != 1 || got.FirstReason == "" || len(got.Reports) != 1 {
		t.Fatalf("unreadable %d (%q), reports %d", got.Unreadable, got.FirstReason, len(got.Reports))
	}
}

func TestParseRTCPErrors(t *testing.T) {
	sr := marshal(t, testSR)
	for _, tt := range []struct {
		name string
		in   []byte
		err  error
	}{
		{"empty", nil, ErrRTCPTooShort},
		{"version 1", append([]byte{0x40}, sr[1:]...), ErrRTCPVersion},
		{"length past the end", sr[:len(sr)-4], ErrRTCPLength},
		{"trailing bytes", append(append([]byte{}, sr...), 0x80, 0xc9), ErrRTCPTooShort},
		{"only SDES", marshal(t, testSDES), ErrRTCPEmpty},
	} {
		if _, err := ParseRTCP(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
		}
	}
}

func FuzzRTCP(f *testing.F) {
	f.Add(marshal(f, testSR, testSDES))
	f.Add(marshal(f, testRR, testXR))
	f.Add(marshal(f, &rtcp.Goodbye{Sources: []uint32{1}, Reason: "bye"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRTCP(b)
		if err != nil {
			return
		}
		if len(r.Types) == 0 || r.Unreadable > len(r.Types) {
			t.Fatalf("%d types, %d unreadable", len(r.Types), r.Unreadable)
		}
	})
}

package decode

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/internal/testenv"
)

// decodeBoth decodes f with and without the fast path and reports how the
// results differ, "" when they do not.
func decodeBoth(f *capture.Frame) string {
	fast, slow := &recorder{}, &recorder{}
	df, ds := NewDecoder(fast), NewDecoder(slow)
	ds.noFastPath = true
	df.Decode(f)
	ds.Decode(f)
	switch {
	case !reflect.DeepEqual(df.Stats, ds.Stats):
		return fmt.Sprintf("stats: fast %+v, general %+v", df.Stats, ds.Stats)
	case len(fast.sip) != len(slow.sip) || len(fast.icmp) != len(slow.icmp):
		return "different number of events"
	}
	for i := range fast.sip {
		if !reflect.DeepEqual(fast.sip[i], slow.sip[i]) {
			return "SIP event differs: fast " + fast.sip[i].Src.String() + " -> " + fast.sip[i].Dst.String() +
				", general " + slow.sip[i].Src.String() + " -> " + slow.sip[i].Dst.String()
		}
	}
	return ""
}

// The fast path decodes exactly what the general one does, on every frame of
// our own and the public captures.
func TestFastPathMatchesGeneralOnCaptures(t *testing.T) {
	paths := []string{testenv.Testdata("freeswitch-nat.pcap")}
	for _, name := range []string{"rtp_rtcp_sip_ipv4_udp.pcap", "sip_ipv6_udp.pcap", "sip-rtp-g711.pcap",
		"register-invite-reinvite-bye.pcap", "sip-proxy.pcap", "DTMFsipinfo.pcap", "ipv6_udp_fragmented.pcap"} {
		paths = append(paths, testenv.PublicCapture(t, name))
	}
	for _, p := range paths {
		f, err := capture.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for {
			fr, err := f.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			n++
			if diff := decodeBoth(fr); diff != "" {
				t.Errorf("%s frame %d: %s", p, fr.Number, diff)
			}
		}
		f.Close()
		if n == 0 {
			t.Errorf("%s: no frames", p)
		}
	}
}

// FuzzFastPath feeds arbitrary frames to both paths: they must agree, and
// neither may panic.
func FuzzFastPath(f *testing.F) {
	ip4 := ipUDP(f, false, []byte(options))
	ip6 := ipUDP(f, true, []byte(options))
	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8
	for _, seed := range [][]byte{
		ether(0x0800, nil, ip4), ether(0x86dd, nil, ip6), ether(0x0800, []uint16{0x8100}, ip4),
		ether(0x0800, nil, ipUDP(f, false, rtp)), ether(0x0800, nil, ip4[:30]), ether(0x86dd, nil, ip6[:50]),
	} {
		f.Add(uint8(0), seed)
	}
	f.Add(uint8(1), ip4)
	f.Add(uint8(1), ip6)
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6}
	f.Fuzz(func(t *testing.T, link uint8, data []byte) {
		fr := &capture.Frame{Number: 1, Time: time.Unix(1, 0), LinkType: links[int(link)%len(links)], Data: data, Length: len(data)}
		if diff := decodeBoth(fr); diff != "" {
			t.Error(diff)
		}
	})
}

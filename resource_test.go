package sipscope_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/capture"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/report"
)

// heapInuse returns the live heap after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// flood feeds n frames to p, made from template by patch(frame, i), in
// place and without allocation, as a capture reader would hand them over.
func flood(p *sipscope.Pipeline, n int, template []byte, patch func(frame []byte, i int)) {
	f := &capture.Frame{LinkType: layers.LinkTypeEthernet, Data: template, Length: len(template)}
	for i := range n {
		patch(f.Data, i)
		f.Number = i + 1
		f.Time = hostT0.Add(time.Duration(i) * 10 * time.Microsecond) // 100,000 frames a second
		p.Frame(f)
	}
}

// putDecimal writes i as a fixed-width decimal into b.
func putDecimal(b []byte, i int) {
	for k := len(b) - 1; k >= 0; k-- {
		b[k] = '0' + byte(i%10)
		i /= 10
	}
}

// sipFlood is a SIPVicious-style OPTIONS scan: a new Call-ID and a new
// source port in every frame.
func sipFlood(t testing.TB) ([]byte, func([]byte, int)) {
	t.Helper()
	const id = "flood-0000000"
	frame := udpFrame(t, []byte(options(id, "User-Agent: friendly-scanner\r\n")))
	branchAt := bytes.Index(frame, []byte("z9hG4bK-"+id)) + len("z9hG4bK-flood-")
	idAt := bytes.Index(frame, []byte("Call-ID: "+id)) + len("Call-ID: flood-")
	return frame, func(f []byte, i int) {
		putDecimal(f[branchAt:branchAt+7], i)
		putDecimal(f[idAt:idAt+7], i)
		binary.BigEndian.PutUint16(f[14+20:], uint16(1024+i%60000)) // UDP source port
	}
}

// A million unique Call-IDs: calls held never pass --max-calls, memory stays
// within a bound set by the limit and not by the flood, and the evictions
// are counted in the capture summary, the JSON and the text report.
func TestMillionCallIDs(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000 // about a second instead of ten
	}
	const (
		maxCalls = 10_000
		// A held OPTIONS call costs about 3 KiB (message, headers, call,
		// transaction); 10,000 of them about 30 MB. A million would need
		// gigabytes.
		bound = 150 << 20
	)
	template, patch := sipFlood(t)
	for _, streaming := range []bool{false, true} {
		t.Run(fmt.Sprintf("streaming=%v", streaming), func(t *testing.T) {
			opts := sipscope.Options{Correlate: correlate.Options{MaxCalls: maxCalls}}
			handed := 0
			if streaming {
				opts.OnCall = func(*correlate.Call, []diagnose.Finding) { handed++ }
			}
			before := heapInuse()
			p := sipscope.NewPipeline(opts)
			flood(p, n, template, patch)
			during := heapInuse()
			res, _ := p.Finish([]string{"flood.pcap"}, nil)

			if grew := int64(during) - int64(before); grew > bound {
				t.Errorf("heap grew by %d MB holding %d of %d calls, bound %d MB", grew>>20, maxCalls, n, bound>>20)
			}
			t.Logf("heap grew by %.1f MB for %d Call-IDs with --max-calls %d", float64(int64(during)-int64(before))/(1<<20), n, maxCalls)
			cs := res.Capture
			if cs.Frames != n || cs.SIPMessages != n {
				t.Fatalf("%d frames, %d SIP messages; want %d of each", cs.Frames, cs.SIPMessages, n)
			}
			kept := len(res.Model.Calls)
			if streaming {
				kept = handed - cs.CallsEvicted
			}
			if cs.CallsEvicted < n-maxCalls || kept+cs.CallsEvicted != n || kept > maxCalls || cs.MaxCalls != maxCalls {
				t.Errorf("%d evicted, %d kept, limit %d; want at least %d evicted and at most %d kept",
					cs.CallsEvicted, kept, cs.MaxCalls, n-maxCalls, maxCalls)
			}
			var text bytes.Buffer
			report.CaptureText(&text, &cs)
			if want := fmt.Sprintf("limits reached: %d calls evicted (--max-calls %d)", cs.CallsEvicted, maxCalls); !strings.Contains(text.String(), want) {
				t.Errorf("capture summary does not say %q:\n%s", want, text.String())
			}
			js := report.BuildJSON(res, nil, false).Capture
			if js.CallsEvicted != cs.CallsEvicted || js.Limits.MaxCalls != maxCalls {
				t.Errorf("JSON capture: calls_evicted %d, limits %+v", js.CallsEvicted, js.Limits)
			}
			runtime.KeepAlive(p)
		})
	}
}

// A million RTP packets, each with a new SSRC from a new port: nothing per
// SSRC may be kept without a bound. (RTP is not decoded on this branch yet:
// the media engineer's stream table must keep this test green.)
func TestMillionSSRCs(t *testing.T) {
	const (
		n     = 1_000_000
		bound = 64 << 20
	)
	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8 // version 2, PCMA
	template := udpFrame(t, rtp)
	const rtpAt = 14 + 20 + 8
	before := heapInuse()
	p := sipscope.NewPipeline(sipscope.Options{})
	flood(p, n, template, func(f []byte, i int) {
		binary.BigEndian.PutUint16(f[rtpAt+2:], uint16(i))     // sequence number
		binary.BigEndian.PutUint32(f[rtpAt+4:], uint32(i*160)) // timestamp
		binary.BigEndian.PutUint32(f[rtpAt+8:], uint32(i)^0x5eed)
		binary.BigEndian.PutUint16(f[14+20:], uint16(10000+i%50000))
	})
	during := heapInuse()
	res, _ := p.Finish([]string{"ssrc.pcap"}, nil)
	if grew := int64(during) - int64(before); grew > bound {
		t.Errorf("heap grew by %d MB for %d SSRCs, bound %d MB", grew>>20, n, bound>>20)
	}
	if res.Capture.Frames != n || res.Capture.SIPMessages != 0 || len(res.Model.Calls) != 0 {
		t.Errorf("%d frames, %d SIP messages, %d calls", res.Capture.Frames, res.Capture.SIPMessages, len(res.Model.Calls))
	}
	runtime.KeepAlive(p)
}

// 100,000 IP datagrams of which only the first fragment ever arrives: no
// memory kept for them beyond a bound, and every one counted under a
// fragment reason.
func TestFragmentsThatNeverComplete(t *testing.T) {
	const (
		n     = 100_000
		bound = 64 << 20
	)
	payload := []byte(options("frag", strings.Repeat("X-Pad: 0123456789abcdef0123456789abcdef\r\n", 60)))
	udp := &layers.UDP{SrcPort: 5060, DstPort: 5060}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
	must(t, udp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	must(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, udp, gopacket.Payload(payload)))
	first := append([]byte(nil), buf.Bytes()[:1480]...)
	ip.Flags = layers.IPv4MoreFragments
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 10, 0, 0, 1, 0}, DstMAC: net.HardwareAddr{2, 10, 0, 0, 2, 0},
		EthernetType: layers.EthernetTypeIPv4}
	must(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, gopacket.Payload(first)))
	template := append([]byte(nil), buf.Bytes()...)

	before := heapInuse()
	p := sipscope.NewPipeline(sipscope.Options{})
	flood(p, n, template, func(f []byte, i int) {
		binary.BigEndian.PutUint16(f[14+4:], uint16(i))                   // IP identification
		binary.BigEndian.PutUint16(f[14+12:], uint16(10<<8|(i>>16)&0xff)) // source address 10.x.y.z
	})
	during := heapInuse()
	res, _ := p.Finish([]string{"fragments.pcap"}, nil)
	if grew := int64(during) - int64(before); grew > bound {
		t.Errorf("heap grew by %d MB for %d incomplete datagrams, bound %d MB", grew>>20, n, bound>>20)
	}
	fragments := 0
	for reason, c := range res.Capture.Undecoded {
		if strings.Contains(strings.ToLower(reason), "fragment") {
			fragments += c
		}
	}
	if res.Capture.SIPMessages != 0 || fragments == 0 {
		t.Errorf("%d SIP messages, undecoded %v; want none and the fragments counted", res.Capture.SIPMessages, res.Capture.Undecoded)
	}
	runtime.KeepAlive(p)
}

// BenchmarkSIPFlood measures one frame of a Call-ID flood through the
// pipeline at steady state: parse, correlate, evict past --max-calls.
func BenchmarkSIPFlood(b *testing.B) {
	template, patch := sipFlood(b)
	p := sipscope.NewPipeline(sipscope.Options{
		Correlate: correlate.Options{MaxCalls: 10_000},
		OnCall:    func(*correlate.Call, []diagnose.Finding) {},
	})
	f := &capture.Frame{LinkType: layers.LinkTypeEthernet, Data: template, Length: len(template)}
	b.ReportAllocs()
	b.SetBytes(int64(len(template)))
	for i := 0; b.Loop(); i++ {
		patch(f.Data, i)
		f.Number = i + 1
		f.Time = hostT0.Add(time.Duration(i) * 10 * time.Microsecond)
		p.Frame(f)
	}
}

// 100,000 ICMP port-unreachable errors, each quoting a new port: at most
// --max-icmp are kept, the rest counted and reported.
func TestICMPFlood(t *testing.T) {
	const (
		n       = 100_000
		maxICMP = 1000
	)
	quoted := []byte{
		0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1, // IPv4 10.0.0.2 -> 10.0.0.1, UDP
		0x13, 0xc4, 0, 0, 0, 8, 0, 0, // UDP 5060 -> port, length 8
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 10, 0, 0, 1, 0}, DstMAC: net.HardwareAddr{2, 10, 0, 0, 2, 0},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolICMPv4,
		SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
	buf := gopacket.NewSerializeBuffer()
	must(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		eth, ip, icmp, gopacket.Payload(quoted)))
	template := append([]byte(nil), buf.Bytes()...)
	const portAt = 14 + 20 + 8 + 20 + 2

	before := heapInuse()
	p := sipscope.NewPipeline(sipscope.Options{Correlate: correlate.Options{MaxICMP: maxICMP}})
	flood(p, n, template, func(f []byte, i int) { binary.BigEndian.PutUint16(f[portAt:], uint16(i)) })
	during := heapInuse()
	res, _ := p.Finish([]string{"icmp.pcap"}, nil)
	if grew := int64(during) - int64(before); grew > 16<<20 {
		t.Errorf("heap grew by %d MB keeping %d ICMP errors", grew>>20, maxICMP)
	}
	cs := res.Capture
	if len(res.Model.ICMP) != maxICMP || cs.ICMPDropped != n-maxICMP || cs.MaxICMP != maxICMP {
		t.Errorf("%d ICMP errors kept, %d dropped (limit %d); want %d kept and %d dropped",
			len(res.Model.ICMP), cs.ICMPDropped, cs.MaxICMP, maxICMP, n-maxICMP)
	}
	var text bytes.Buffer
	report.CaptureText(&text, &cs)
	if want := fmt.Sprintf("%d ICMP errors dropped (--max-icmp %d)", n-maxICMP, maxICMP); !strings.Contains(text.String(), want) {
		t.Errorf("capture summary does not say %q:\n%s", want, text.String())
	}
	runtime.KeepAlive(p)
}

// A flood of SSRCs at a port the SDP announced makes streams up to
// --max-streams; the rest are counted as streams_dropped and said in the
// capture summary, and memory stays bounded.
func TestSSRCFloodOnAnnouncedPort(t *testing.T) {
	const (
		n   = 20000
		max = 1000
	)
	sdp := "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 20000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
	invite := "INVITE sip:pbx@10.0.0.2 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-flood\r\n" +
		"From: <sip:phone@10.0.0.1>;tag=1\r\nTo: <sip:pbx@10.0.0.2>\r\n" +
		"Call-ID: ssrc-flood\r\nCSeq: 1 INVITE\r\nContact: <sip:phone@10.0.0.1>\r\n" +
		"Content-Type: application/sdp\r\nContent-Length: " + strconv.Itoa(len(sdp)) + "\r\n\r\n" + sdp
	p := sipscope.NewPipeline(sipscope.Options{Correlate: correlate.Options{MaxStreams: max}})
	f := udpFrame(t, []byte(invite))
	p.Frame(&capture.Frame{LinkType: layers.LinkTypeEthernet, Data: f, Length: len(f), Number: 1, Time: hostT0.Add(-time.Second)})

	rtp := make([]byte, 172)
	rtp[0], rtp[1] = 0x80, 8
	template := udpFrame(t, rtp)
	binary.BigEndian.PutUint16(template[14+22:], 20000) // to the announced port
	const rtpAt = 14 + 20 + 8
	flood(p, n, template, func(f []byte, i int) {
		binary.BigEndian.PutUint16(f[rtpAt+2:], uint16(i))
		binary.BigEndian.PutUint32(f[rtpAt+8:], uint32(i)^0x5eed)
	})
	res, err := p.Finish([]string{"ssrc.pcap"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Model.Streams) != max || res.Capture.StreamsDropped != n-max || res.Capture.MaxStreams != max {
		t.Errorf("%d streams, %d dropped (limit %d); want %d, %d", len(res.Model.Streams), res.Capture.StreamsDropped,
			res.Capture.MaxStreams, max, n-max)
	}
	var buf bytes.Buffer
	report.CaptureText(&buf, &res.Capture)
	if want := fmt.Sprintf("%d RTP streams not measured (--max-streams %d)", n-max, max); !strings.Contains(buf.String(), want) {
		t.Errorf("capture summary lacks %q:\n%s", want, buf.String())
	}
}

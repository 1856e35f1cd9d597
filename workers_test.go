package sipscope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/correlate"
	"github.com/sipscope/sipscope/decode"
	"github.com/sipscope/sipscope/diagnose"
	"github.com/sipscope/sipscope/internal/corpus/carrier"
	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
	"github.com/sipscope/sipscope/report"
)

// workerCounts are the numbers of workers every capture is analysed with
// and compared to one.
var workerCounts = []int{2, 3, 8}

// workerInputs are the inputs the worker tests analyse: every capture in
// testdata/ and in the shared public captures, a generated carrier corpus,
// a capture made to exercise what the workers must put back in order, and
// that one merged with a TCP capture (two files).
func workerInputs(t *testing.T) [][]string {
	var paths []string
	for _, dir := range []string{testenv.Testdata(""), testenv.PublicCaptures(t)} {
		for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz"} {
			m, err := filepath.Glob(filepath.Join(dir, pat))
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, m...)
		}
	}
	if len(paths) < 10 {
		t.Fatalf("only %d captures found: %v", len(paths), paths)
	}
	var inputs [][]string
	for _, p := range paths {
		inputs = append(inputs, []string{p})
	}
	var buf bytes.Buffer
	if _, err := carrier.Write(&buf, carrier.Config{Calls: 50, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	corpus := writeTemp(t, "carrier.pcap", buf.Bytes())
	order := writeTemp(t, "order.pcap", orderCapture(t))
	return append(inputs, []string{corpus}, []string{order},
		[]string{testenv.Testdata("sip-tcp-segments.pcap"), order})
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// orderCapture writes what workers could get out of order: SIP over many
// UDP flows, every other message malformed (more problems than
// decode.MaxProblems keeps, so the ones kept must be the first in frame
// order); TCP streams whose holes time out together during other flows'
// frames, each with a message after its hole; IP fragments whose datagrams
// never complete; TLS flows; duplicate packets; ICMP errors.
func orderCapture(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	server := netip.MustParseAddrPort("10.0.0.10:5060")
	options := func(src netip.AddrPort, i int) []byte {
		return []byte("OPTIONS sip:a@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/UDP " + src.String() + ";branch=z9hG4bK" + strconv.Itoa(i) +
			"\r\nFrom: <sip:p@x>;tag=1\r\nTo: <sip:a@x>\r\nCall-ID: c" + strconv.Itoa(i%11) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")
	}
	client := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}), uint16(40000+i))
	}
	// Frames of a datagram written to a scratch writer, to write some of
	// them only.
	framesOf := func(write func(*pcapgen.Writer) error) [][]byte {
		var b bytes.Buffer
		sw, err := pcapgen.NewWriter(&b)
		check(err)
		check(write(sw))
		r, err := pcapgo.NewReader(&b)
		check(err)
		var out [][]byte
		for {
			data, _, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return out
			}
			check(err)
			out = append(out, data)
		}
	}

	// TCP streams from four clients: a message cut by a hole, and a
	// complete one after it, held until the hole times out, all at once.
	invite := []byte("INVITE sip:b@10.0.0.10 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.1.1:40001;branch=z9hG4bKt\r\n" +
		"From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: tcp\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
	for c := 1; c <= 4; c++ {
		src := client(c)
		check(w.WriteTCP(at.Add(time.Duration(c)*time.Millisecond), src, server, 1000, 1, pcapgen.ACK, invite[:60]))
		bye := options(src, 900+c)
		check(w.WriteTCP(at.Add(time.Duration(10+c)*time.Millisecond), src, server, 1000+uint32(len(invite)), 1, pcapgen.ACK, bye))
	}
	// Datagrams of which only the first fragment is seen.
	for c := 5; c <= 8; c++ {
		fr := framesOf(func(sw *pcapgen.Writer) error {
			return sw.WriteUDPFragmented(at, client(c), server, bytes.Repeat(options(client(c), c), 4), 576)
		})
		check(w.WriteRaw(at.Add(time.Duration(20+c)*time.Millisecond), fr[0]))
	}
	// TLS flows on the SIP TLS port, ClientHello first.
	hello := []byte{22, 3, 1, 0, 4, 1, 0, 0, 0}
	for c := 9; c <= 14; c++ {
		tls := netip.AddrPortFrom(server.Addr(), decode.SIPTLSPort)
		check(w.WriteTCP(at.Add(time.Duration(30+c)*time.Millisecond), client(c), tls, 1, 1, pcapgen.ACK, hello))
		check(w.WriteTCP(at.Add(time.Duration(31+c)*time.Millisecond), tls, client(c), 1, 10, pcapgen.ACK, []byte{23, 3, 3, 0, 2, 0, 0}))
	}
	// 40 s of UDP from many flows: the clock that times out the TCP holes
	// (2 s) and the fragments (30 s).
	for i := range 2400 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.20"), uint16(6000+i%37))
		t := at.Add(100*time.Millisecond + time.Duration(i)*16*time.Millisecond)
		msg := options(src, i)
		if i%2 == 1 {
			msg = []byte("SIP/2.0 999 Nonsense " + strconv.Itoa(i) + "\r\n\r\n")
		}
		if i%97 == 0 { // captured twice
			fr := framesOf(func(sw *pcapgen.Writer) error { return sw.WriteUDP(t, src, server, msg) })
			check(w.WriteRaw(t, fr[0]))
			check(w.WriteRaw(t.Add(100*time.Microsecond), fr[0]))
			continue
		}
		if i%301 == 0 {
			q := pcapgen.Packet{Time: t, Src: src, Dst: server, Proto: pcapgen.UDP, Payload: msg}
			check(w.Write(q))
			check(w.WriteICMPPortUnreachable(t.Add(time.Millisecond), server.Addr(), q))
			continue
		}
		check(w.WriteUDP(t, src, server, msg))
	}
	return buf.Bytes()
}

// analysis runs the analysis and returns everything it found as JSON: the
// report with every message's raw text, every finding, the capture
// summary, the decoder's and the correlation's counters, the media
// streams.
func analysis(t *testing.T, files []string, workers int) []byte {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: files, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	type stream struct {
		CallID string
		correlate.Stream
	}
	var streams []stream
	for _, s := range res.Model.Streams {
		c := *s
		c.Call, c.SDP = nil, nil
		c.Unexpected = nil
		for _, u := range s.Unexpected {
			u.AnswerSDP = nil
			c.Unexpected = append(c.Unexpected, u)
		}
		streams = append(streams, stream{s.CallID(), c})
	}
	b, err := json.Marshal(struct {
		Report          *report.JSONReport
		Findings        []diagnose.Finding
		Capture         sipscope.CaptureSummary
		Decode          decode.Stats
		Correlate       correlate.Stats
		Streams         []stream
		Media           correlate.MediaStats
		End             time.Time
		ICMP            int
		FindingsDropped int
	}{report.BuildJSON(res, res.Model.Calls, true), res.Findings, res.Capture, res.Decode, res.Correlate,
		streams, res.Model.Media, res.Model.End, len(res.Model.ICMP), res.FindingsDropped})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Any number of workers gives the same analysis as one, byte for byte.
func TestWorkersMatchOne(t *testing.T) {
	for _, files := range workerInputs(t) {
		name := filepath.Base(files[0])
		if len(files) > 1 {
			name += "+" + filepath.Base(files[1])
		}
		t.Run(name, func(t *testing.T) {
			want := analysis(t, files, 1)
			for _, n := range workerCounts {
				if got := analysis(t, files, n); !bytes.Equal(got, want) {
					t.Errorf("%d workers differ from one:\n%s", n, firstDifference(got, want))
				}
			}
		})
	}
}

// The order capture is what it claims to be: problems past the bound, TCP
// holes and fragments timed out, TLS flows, duplicates, ICMP errors.
func TestWorkersOrderCapture(t *testing.T) {
	path := writeTemp(t, "order.pcap", orderCapture(t))
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := &res.Decode
	if st.Undecoded[decode.ReasonSIPParse] <= decode.MaxProblems || len(st.Problems) != decode.MaxProblems {
		t.Errorf("%d malformed messages, %d problems kept; want more than %d, %d kept",
			st.Undecoded[decode.ReasonSIPParse], len(st.Problems), decode.MaxProblems, decode.MaxProblems)
	}
	if st.Undecoded[decode.ReasonTCPGap] != 4 || st.Undecoded[decode.ReasonFragment] != 4 {
		t.Errorf("undecoded %v: want 4 TCP gaps and 4 fragment time-outs", st.Undecoded)
	}
	if len(st.EncryptedFlows) != 6 || st.Duplicates == 0 || st.ICMPErrors == 0 {
		t.Errorf("%d TLS flows, %d duplicates, %d ICMP errors: want 6 and some", len(st.EncryptedFlows), st.Duplicates, st.ICMPErrors)
	}
	var afterGap int
	for _, c := range res.Model.Calls {
		for _, m := range c.Messages {
			if m.Transport == decode.TCP {
				afterGap++
			}
		}
	}
	if afterGap != 4 {
		t.Errorf("%d messages over TCP: want the 4 after the holes", afterGap)
	}
}

// SIP over TCP split over segments and reordered, alone and merged with a
// capture of many flows, whose frames move the clock that gives up holes:
// the same with any number of workers.
func TestWorkersTCPSegments(t *testing.T) {
	tcp := testenv.Testdata("sip-tcp-segments.pcap")
	order := writeTemp(t, "order.pcap", orderCapture(t))
	for _, files := range [][]string{{tcp}, {tcp, order}, {order, tcp}} {
		res, err := sipscope.Analyze(sipscope.Options{Files: files, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Decode.TCPRetransmissions == 0 || res.Capture.SIPMessages < 7 {
			t.Fatalf("%v: %d TCP retransmissions, %d SIP messages: not the capture this test is about", files, res.Decode.TCPRetransmissions, res.Capture.SIPMessages)
		}
		want := analysis(t, files, 1)
		for n := 2; n <= 8; n++ {
			if got := analysis(t, files, n); !bytes.Equal(got, want) {
				t.Errorf("%v: %d workers differ from one:\n%s", files, n, firstDifference(got, want))
			}
		}
	}
}

// Streaming hands over the same calls, in the same order and with the same
// findings, whatever the number of workers.
func TestWorkersMatchOneStreaming(t *testing.T) {
	for _, files := range workerInputs(t) {
		run := func(workers int) []byte {
			var out bytes.Buffer
			enc := json.NewEncoder(&out)
			res, err := sipscope.Analyze(sipscope.Options{Files: files, Workers: workers,
				OnCall: func(c *correlate.Call, fs []diagnose.Finding) {
					if err := enc.Encode([]any{c.CallID, c.State, c.Code, len(c.Messages), c.Retransmissions, fs}); err != nil {
						t.Fatal(err)
					}
				}})
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.Encode([]any{res.Findings, res.Correlate}); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}
		want := run(1)
		if got := run(4); !bytes.Equal(got, want) {
			t.Errorf("%v: streaming with 4 workers differs from one:\n%s", files, firstDifference(got, want))
		}
	}
}

// firstDifference shows where got and want part.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-300)
	clip := func(b []byte) []byte { return b[min(from, len(b)):min(i+300, len(b))] }
	return "at byte " + strconv.Itoa(i) + ":\n got ..." + string(clip(got)) + "...\nwant ..." + string(clip(want)) + "..."
}

// BenchmarkAnalyzeWorkers analyses a generated carrier corpus (300 calls)
// with one worker and with two: one op is the whole file.
func BenchmarkAnalyzeWorkers(b *testing.B) {
	var buf bytes.Buffer
	st, err := carrier.Write(&buf, carrier.Config{Calls: 300, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "carrier.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				if _, err := sipscope.Analyze(sipscope.Options{Files: []string{path}, Workers: workers}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Frames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

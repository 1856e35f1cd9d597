package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
	"github.com/sipscope/sipscope/internal/testenv"
)

func runRTPCmd(t *testing.T, opts *rtpOptions) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := runRTP(&streams{Out: &out, Err: &errOut}, opts)
	return out.String(), err
}

func TestRTPCommand(t *testing.T) {
	fs := testenv.Testdata("freeswitch-nat.pcap")
	out, err := runRTPCmd(t, &rtpOptions{Files: []string{fs}, Format: "table"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RTP streams (2)", "0xEDFC4942", "1.705 / 1.973", "media.source-mismatch", "E-model"} {
		if !strings.Contains(out, want) {
			t.Errorf("table output lacks %q:\n%s", want, out)
		}
	}

	// --call with a prefix selects the call; a REGISTER's Call-ID has no streams.
	out, err = runRTPCmd(t, &rtpOptions{Files: []string{fs}, Format: "json", Calls: []string{"dda811eb"}})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Streams []struct {
			SSRC   string `json:"ssrc"`
			CallID string `json:"call_id"`
		} `json:"streams"`
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(doc.Streams) != 2 || doc.Streams[0].CallID != "dda811eb-0664-dae3-31bb-8b8e12741336" || len(doc.Findings) != 1 {
		t.Errorf("--call dda811eb: %+v", doc)
	}
	out, err = runRTPCmd(t, &rtpOptions{Files: []string{fs}, Format: "json", Calls: []string{"f7724003"}})
	if err != nil || !strings.Contains(out, `"streams": []`) {
		t.Errorf("the registration has no streams: %v\n%s", err, out)
	}

	if _, err := runRTPCmd(t, &rtpOptions{Files: []string{fs}, Format: "csv"}); err == nil {
		t.Error("--format csv accepted")
	}
	if _, err := runRTPCmd(t, &rtpOptions{Files: []string{fs}, Format: "table", Calls: []string{"nope"}}); err == nil {
		t.Error("unknown Call-ID accepted")
	}
}

// RTP without SIP: nothing by default, with a hint; the stream with
// --heuristic.
func TestRTPCommandHeuristic(t *testing.T) {
	src, dst := netip.MustParseAddrPort("192.0.2.1:7000"), netip.MustParseAddrPort("192.0.2.2:7002")
	var pkts []pcapgen.Packet
	for i := range 50 {
		b := make([]byte, 12+160)
		b[0], b[1] = 0x80, 8
		binary.BigEndian.PutUint16(b[2:], uint16(i))
		binary.BigEndian.PutUint32(b[4:], uint32(i*160))
		binary.BigEndian.PutUint32(b[8:], 0xCAFE)
		pkts = append(pkts, pcapgen.Packet{Time: time.Date(2024, 1, 1, 0, 0, 0, i*20_000_000, time.UTC), Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: b})
	}
	var buf bytes.Buffer
	if err := pcapgen.WriteAll(&buf, pkts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rtp-only.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runRTPCmd(t, &rtpOptions{Files: []string{path}, Format: "table"})
	if err != nil || !strings.Contains(out, "RTP streams (0)") || !strings.Contains(out, "50 datagrams look like RTP") {
		t.Errorf("without --heuristic: %v\n%s", err, out)
	}
	out, err = runRTPCmd(t, &rtpOptions{Files: []string{path}, Format: "table", Heuristic: true})
	if err != nil || !strings.Contains(out, "RTP streams (1)") || !strings.Contains(out, "0x0000CAFE") || !strings.Contains(out, "(heuristic)") {
		t.Errorf("with --heuristic: %v\n%s", err, out)
	}
}

// Without --call, rtp shows the DTMF and media findings of every call, not
// only of calls with streams: SIP INFO digits need no RTP, and media.none
// is a call with none at all.
func TestRTPCommandCallsWithoutStreams(t *testing.T) {
	path := testenv.PublicCapture(t, "DTMFsipinfo.pcap")
	out, _, err := run(t, "rtp", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DTMF (4)", "SIP INFO  frame 17", "media.none"} {
		if !strings.Contains(out, want) {
			t.Errorf("rtp output lacks %q:\n%s", want, out)
		}
	}
	js, _, err := run(t, "rtp", "--format", "json", path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		DTMF []struct {
			Digit string `json:"digit"`
		} `json:"dtmf"`
	}
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatal(err)
	}
	var digits []string
	for _, d := range v.DTMF {
		digits = append(digits, d.Digit)
	}
	if strings.Join(digits, "") != "1342" {
		t.Errorf("JSON digits %q, want 1342", digits)
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sipscope/sipscope"
	"github.com/sipscope/sipscope/internal/testenv"
)

// -update rewrites the golden files. Another test file of the package may
// declare the flag too; whichever is first wins.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files in testdata/")
	}
}

func updatingGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updatingGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; run go test ./report -update and review the diff.\n--- got:\n%s", path, got)
	}
}

func analyzeFile(t *testing.T, name string) *sipscope.Result {
	t.Helper()
	res, err := sipscope.Analyze(sipscope.Options{Files: []string{testenv.Testdata(name)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Capture.Files = []string{name} // stable across checkouts
	return res
}

// The rtp table and JSON of the two generated cases: the FreeSWITCH NAT
// call (symmetric RTP from the NAT'ed phone) and the one-way audio call.
func TestMediaGolden(t *testing.T) {
	for _, name := range []string{"freeswitch-nat", "one-way-audio"} {
		t.Run(name, func(t *testing.T) {
			res := analyzeFile(t, name+".pcap")
			streams := MediaStreams(res, nil)
			var text bytes.Buffer
			if err := MediaText(&text, res, streams, nil); err != nil {
				t.Fatal(err)
			}
			golden(t, "rtp-"+name+".txt", text.Bytes())
			var js bytes.Buffer
			if err := WriteJSON(&js, BuildMediaJSON(res, streams, nil)); err != nil {
				t.Fatal(err)
			}
			golden(t, "rtp-"+name+".json", js.Bytes())
		})
	}
}

// The JSON carries the fields the issue names, with the SSRC in 0x hex.
func TestMediaJSONContract(t *testing.T) {
	res := analyzeFile(t, "freeswitch-nat.pcap")
	var buf bytes.Buffer
	if err := WriteJSON(&buf, BuildMediaJSON(res, MediaStreams(res, nil), nil)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Streams []map[string]any `json:"streams"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Streams) != 2 {
		t.Fatalf("%d streams", len(doc.Streams))
	}
	for _, key := range strings.Fields("ssrc src dst call_id payload_type codec clock_rate packets expected lost seq_errors max_delta_ms mean_jitter_ms max_jitter_ms max_skew_ms mos r_factor first_frame last_frame") {
		if _, ok := doc.Streams[0][key]; !ok {
			t.Errorf("stream lacks %q", key)
		}
	}
	s := doc.Streams[1]
	if s["ssrc"] != "0xEDFC4942" || s["src"] != "112.25.222.170:28556" || s["packets"] != 150.0 || s["max_jitter_ms"] != 1.973 || s["first_frame"] != 12.0 {
		t.Errorf("phone's stream %v", s)
	}
}

// Packet text (a codec name from the SDP) is escaped in the table.
func TestStreamsTableEscapes(t *testing.T) {
	res := analyzeFile(t, "freeswitch-nat.pcap")
	streams := MediaStreams(res, nil)
	streams[0].Codec = "PCMA\x1b[31m"
	var buf bytes.Buffer
	if err := StreamsTable(&buf, res, streams[:1]); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") || !strings.Contains(buf.String(), `PCMA\x1b[31m`) {
		t.Errorf("codec not escaped:\n%s", buf.String())
	}
}

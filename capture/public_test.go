package capture_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// publicDir holds real captures made by other people (see its PROVENANCE.md).
const publicDir = "../../shared/captures/public"

// publicCaptures are facts Wireshark 4.0 reports for each file: packet count
// and data size (sum of captured lengths) from `capinfos -T -r -c -d`, and the
// earliest and latest frame.time_epoch from `tshark -T fields`. All files are
// Ethernet. (capinfos -a/-e agree on every file but sip_ipv6_udp.pcap, whose
// six frames jump between 2012 and 2092: there capinfos prints the 2092 time
// as both earliest and latest, and tshark's per-frame times agree with ours.)
var publicCaptures = []struct {
	file             string
	frames           int
	bytes            int
	earliest, latest string // seconds.microseconds since the epoch
}{
	{"DTMFsipinfo.pcap", 32, 24893, "1303892069.846846", "1303892148.321286"},
	{"ipv6_udp_fragmented.pcap", 6, 5908, "1439408113.312348", "1439408113.569349"},
	{"register-invite-reinvite-bye.pcap", 230, 46285, "1782336874.936653", "1782336877.273496"},
	{"rtp_rtcp_sip_ipv4_udp.pcap", 4269, 855508, "1105725482.965944", "1105725517.874679"},
	{"sip-auth-failure.pcapng", 8, 5745, "1463472095.431471", "1463472095.937917"},
	{"sip-proxy.pcap", 11, 6693, "1312180650.454022", "1312180653.424145"},
	{"sip-rtp-g711.pcap", 852, 185175, "1480171979.666393", "1480171996.569179"},
	{"sip-rtp-g722.pcap", 433, 94247, "1480172906.214942", "1480172914.718702"},
	{"sip_ipv4_tcp.pcap", 84, 18511, "1311857686.556175", "1311857693.090341"},
	{"sip_ipv4_tcp_fragmented.pcap", 1542, 383632, "1531993985.422287", "1531994112.223490"},
	{"sip_ipv6_udp.pcap", 6, 3586, "1328589362.251758", "3867576602.251758"},
	{"sip_tcp_websocket.pcap", 61, 44184, "1542051161.194311", "1542051177.944361"},
}

func publicPath(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.Stat(publicDir); err != nil {
		t.Skipf("public captures not available at %s (%v)", publicDir, err)
	}
	return filepath.Join(publicDir, name)
}

// TestPublicCaptures checks that every frame of every public capture is
// read, with the same count, total captured bytes and time span as capinfos
// reports, and that none of them yields a Problem.
func TestPublicCaptures(t *testing.T) {
	publicPath(t, "")
	for _, pc := range publicCaptures {
		t.Run(pc.file, func(t *testing.T) {
			f, err := capture.Open(filepath.Join(publicDir, pc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var n, size int
			var earliest, latest time.Time
			for {
				fr, err := f.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				n++
				size += len(fr.Data)
				if fr.Number != n {
					t.Fatalf("frame %d numbered %d", n, fr.Number)
				}
				if fr.LinkType != layers.LinkTypeEthernet {
					t.Fatalf("frame %d link type %v", n, fr.LinkType)
				}
				if n == 1 || fr.Time.Before(earliest) {
					earliest = fr.Time
				}
				if n == 1 || fr.Time.After(latest) {
					latest = fr.Time
				}
			}
			if n != pc.frames || size != pc.bytes {
				t.Errorf("read %d frames of %d bytes; capinfos counts %d frames of %d bytes", n, size, pc.frames, pc.bytes)
			}
			if got := micros(earliest); got != pc.earliest {
				t.Errorf("earliest frame at %s, capinfos says %s", got, pc.earliest)
			}
			if got := micros(latest); got != pc.latest {
				t.Errorf("latest frame at %s, capinfos says %s", got, pc.latest)
			}
			if p := f.Problems(); len(p) != 0 {
				t.Errorf("problems: %+v", p)
			}
		})
	}
}

// TestPublicCapturesMerged reads all public captures as one Set: every frame
// comes out once, and times never go backwards except inside the one file
// that capinfos -o reports as not in strict time order.
func TestPublicCapturesMerged(t *testing.T) {
	publicPath(t, "")
	var paths []string
	total := 0
	for _, pc := range publicCaptures {
		paths = append(paths, filepath.Join(publicDir, pc.file))
		total += pc.frames
	}
	s, err := capture.OpenAll(paths)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	perFile := make([]int, len(paths))
	var last time.Time
	backwards := 0
	for {
		fr, err := s.Next()
		if err != nil {
			break
		}
		perFile[fr.File]++
		if fr.Number != perFile[fr.File] {
			t.Fatalf("file %d: frame %d arrived as number %d", fr.File, perFile[fr.File], fr.Number)
		}
		if fr.Time.Before(last) {
			backwards++
			if publicCaptures[fr.File].file != "register-invite-reinvite-bye.pcap" {
				t.Errorf("%s frame %d goes back in time", publicCaptures[fr.File].file, fr.Number)
			}
		}
		last = fr.Time
	}
	if s.Frames() != total {
		t.Errorf("Frames() = %d, want %d", s.Frames(), total)
	}
	if backwards == 0 {
		t.Errorf("register-invite-reinvite-bye.pcap is out of time order; the merged stream never went back")
	}
}

// micros formats t as capinfos -r does: seconds.microseconds since the epoch.
func micros(t time.Time) string {
	return fmt.Sprintf("%d.%06d", t.Unix(), t.Nanosecond()/1000)
}

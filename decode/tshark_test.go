package decode_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/testenv"
)

// tsharkSIP returns "frame: first line" for every SIP message tshark
// decodes in path, with extra decode-as arguments. Within one frame the
// lines are sorted: tshark lists request and status lines in separate
// fields, so their order inside a frame is lost.
func tsharkSIP(t *testing.T, path string, extra ...string) []string {
	t.Helper()
	tshark := testenv.RequireTool(t, "tshark")
	args := append([]string{"-n", "-r", path}, extra...)
	args = append(args, "-Y", "sip", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
		"-e", "frame.number", "-e", "sip.Request-Line", "-e", "sip.Status-Line")
	out, err := exec.Command(tshark, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	var lines []string
	for _, row := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if row == "" {
			continue
		}
		cols := strings.Split(row, "\t")
		var inFrame []string
		for _, c := range cols[1:] {
			for _, l := range strings.Split(c, "|") {
				if l != "" {
					inFrame = append(inFrame, cols[0]+": "+l)
				}
			}
		}
		slices.Sort(inFrame)
		lines = append(lines, inFrame...)
	}
	return lines
}

// sortInFrame sorts our lines within each frame, as tsharkSIP does.
func sortInFrame(lines []string) []string {
	out := slices.Clone(lines)
	for i := 0; i < len(out); {
		j := i
		frame, _, _ := strings.Cut(out[i], ":")
		for j < len(out) && strings.HasPrefix(out[j], frame+":") {
			j++
		}
		slices.Sort(out[i:j])
		i = j
	}
	return out
}

// For each public capture that carries SIP on something other than plain
// UDP datagrams, the SIP messages we find (frame number and start line) are
// exactly those tshark decodes: none missed, none invented. A message that
// spans TCP segments or WebSocket frames is reported at the frame of its last
// segment, as Wireshark reports it.
func TestTransportsMatchTshark(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tshark []string // decode-as for non-standard ports
		want   int      // messages, as a guard against both finding nothing
	}{
		// 7 messages on port 5060, one INVITE with SDP over two segments.
		{"sip_ipv4_tcp.pcap", nil, 7},
		// 406 messages on port 6060, many split over segments and several
		// in one segment; tshark takes 6060 for X11 unless told.
		{"sip_ipv4_tcp_fragmented.pcap", []string{"-d", "tcp.port==6060,sip"}, 406},
		{"sip_ipv6_udp.pcap", nil, 6},
		// Frames 3-6, four IPv6 fragments, make one 5379-byte UDP
		// datagram on port 6363; it is not SIP (NDN), so no message on
		// either side, but it must be reassembled (checked below).
		{"ipv6_udp_fragmented.pcap", []string{"-d", "udp.port==6363,sip"}, 0},
		// 28 messages over UDP and 11 over WebSocket on port 8080, four of
		// them over two TCP segments.
		{"sip_tcp_websocket.pcap", nil, 39},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := testenv.PublicCapture(t, tc.name)
			want := tsharkSIP(t, path, tc.tshark...)
			r, d := decodeFile(t, path)
			got := sortInFrame(r.lines())
			if len(d.Stats.Undecoded) != 0 {
				t.Errorf("undecoded: %v %v", d.Stats.Undecoded, d.Stats.Problems)
			}
			if len(want) != tc.want {
				t.Errorf("tshark decodes %d messages, the test expects %d", len(want), tc.want)
			}
			if !slices.Equal(got, want) {
				for _, l := range want {
					if !slices.Contains(got, l) {
						t.Errorf("missed: %s", l)
					}
				}
				for _, l := range got {
					if !slices.Contains(want, l) {
						t.Errorf("invented: %s", l)
					}
				}
				if !t.Failed() {
					t.Errorf("same messages in another order:\n got %q\nwant %q", got, want)
				}
			}
			if tc.name == "ipv6_udp_fragmented.pcap" && (d.Stats.Reassembled != 1 || d.Stats.UDP != 3) {
				t.Errorf("reassembled %d datagrams, %d UDP datagrams in all; want 1 and 3 (frames 1 and 2 whole, 3-6 reassembled)", d.Stats.Reassembled, d.Stats.UDP)
			}
		})
	}
}

// Our generated captures get the same second opinion. tshark 4.0 leaves
// out-of-order TCP segments alone unless told to reassemble them.
func TestGeneratedMatchTshark(t *testing.T) {
	for _, name := range []string{"sip-udp-fragmented-invite.pcap", "sip-tcp-segments.pcap"} {
		t.Run(name, func(t *testing.T) {
			path := testenv.Testdata(name)
			want := tsharkSIP(t, path, "-o", "tcp.reassemble_out_of_order:TRUE")
			r, d := decodeFile(t, path)
			if got := sortInFrame(r.lines()); !slices.Equal(got, want) || len(want) != 7 {
				t.Errorf("got %q\nwant (tshark) %q", got, want)
			}
			if len(d.Stats.Undecoded) != 0 {
				t.Errorf("undecoded: %v", d.Stats.Undecoded)
			}
		})
	}
}

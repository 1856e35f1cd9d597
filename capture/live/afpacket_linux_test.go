//go:build linux

package live

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/internal/testenv"
)

// freeUDPPorts returns n consecutive UDP ports on 127.0.0.1 that nothing
// is bound to now.
func freeUDPPorts(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		if base+n > 65535 {
			continue
		}
		ok := true
		for p := base; p < base+n && ok; p++ {
			c, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				break
			}
			c.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// On the loopback device and on "any", the kernel filter passes the port
// asked for and not its neighbour, each packet arrives once (the loopback
// duplicate is dropped), and frames carry the link type the decoder needs.
func TestInterfaceLoopback(t *testing.T) {
	testenv.RequireRoot(t)
	for _, c := range []struct {
		iface string
		link  layers.LinkType
		hdr   int
	}{
		{"lo", layers.LinkTypeEthernet, 14},
		{"any", layers.LinkTypeRaw, 0},
	} {
		t.Run(c.iface, func(t *testing.T) {
			base := freeUDPPorts(t, 2)
			src, err := Open(Options{Interface: c.iface, Filter: Filter{Ports: []uint16{uint16(base)}, Ranges: []PortRange{{uint16(base), uint16(base)}}}})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.LinkType() != c.link {
				t.Fatalf("link type %v, want %v", src.LinkType(), c.link)
			}
			const n = 5
			for _, port := range []int{base + 1, base} { // the other port first: it must not show up
				conn, err := net.ListenPacket("udp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
				for i := 0; i < n; i++ {
					if _, err := conn.WriteTo(fmt.Appendf(nil, "probe %d %d", port, i), to); err != nil {
						t.Fatal(err)
					}
				}
				conn.Close()
			}
			seen := map[string]int{}
			for timeouts := 0; len(seen) < n && timeouts < 25; {
				f, err := src.Next()
				if errors.Is(err, ErrTimeout) {
					timeouts++
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				ip := f.Data[c.hdr:]
				if len(ip) < 28 || ip[0]>>4 != 4 || ip[9] != 17 {
					continue // ICMP port unreachable for the probes and the like
				}
				payload := string(ip[28:])
				if dport := int(ip[22])<<8 | int(ip[23]); dport != base {
					t.Errorf("frame to port %d passed the filter for %d: %q", dport, base, payload)
				}
				seen[payload]++
			}
			if len(seen) != n {
				t.Fatalf("saw %d of the %d probes: %v", len(seen), n, seen)
			}
			for p, k := range seen {
				if k != 1 {
					t.Errorf("%q seen %d times, want once", p, k)
				}
			}
			if st := src.Stats(); st.Packets < n {
				t.Errorf("kernel counted %d packets, want at least %d", st.Packets, n)
			}
		})
	}
}

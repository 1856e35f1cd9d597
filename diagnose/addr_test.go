package diagnose

import (
	"net/netip"
	"testing"
	"time"
)

func TestPrivateKind(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		kind   string
		public bool
	}{
		{"192.168.1.107", "RFC 1918", false},
		{"10.0.0.1", "RFC 1918", false},
		{"172.31.255.255", "RFC 1918", false},
		{"172.32.0.1", "", true},
		{"100.64.0.1", "RFC 6598 shared", false},
		{"100.128.0.1", "", true},
		{"169.254.10.1", "link-local", false},
		{"fe80::1", "link-local", false},
		{"fd00::1", "unique local", false},
		{"fec0::216:d3ff:fe0d:22c", "site-local", false},
		{"::ffff:192.168.0.1", "RFC 1918", false},
		{"127.0.0.1", "", false},
		{"0.0.0.0", "", false},
		{"224.0.0.1", "", false},
		{"47.98.109.96", "", true},
		{"2001:db8::1", "", true},
	} {
		a := netip.MustParseAddr(tt.addr)
		if got := privateKind(a); got != tt.kind {
			t.Errorf("privateKind(%s) = %q, want %q", tt.addr, got, tt.kind)
		}
		if got := isPublic(a); got != tt.public {
			t.Errorf("isPublic(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

func TestRetransmitSchedule(t *testing.T) {
	s := time.Second
	for _, tt := range []struct {
		n      int
		capped bool
		want   []time.Duration
	}{
		{0, true, []time.Duration{}},
		{6, true, []time.Duration{s / 2, s, 2 * s, 4 * s, 4 * s, 4 * s}},   // timer E and G stop at T2
		{6, false, []time.Duration{s / 2, s, 2 * s, 4 * s, 8 * s, 16 * s}}, // timer A doubles until B fires
	} {
		got := retransmitSchedule(tt.n, tt.capped)
		if len(got) != len(tt.want) {
			t.Fatalf("schedule(%d, %v) = %v, want %v", tt.n, tt.capped, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("schedule(%d, %v) = %v, want %v", tt.n, tt.capped, got, tt.want)
				break
			}
		}
	}
}

func TestFollowsSchedule(t *testing.T) {
	msec := time.Millisecond
	want := []time.Duration{500 * msec, 1000 * msec, 2000 * msec}
	for _, tt := range []struct {
		got []time.Duration
		ok  bool
	}{
		{[]time.Duration{500 * msec, 1000 * msec, 2000 * msec}, true},
		{[]time.Duration{540 * msec, 960 * msec, 2400 * msec}, true}, // within 25 % (and 50 ms)
		{[]time.Duration{500 * msec, 500 * msec, 500 * msec}, false}, // no doubling
		{[]time.Duration{500 * msec, 1000 * msec}, false},            // wrong length
		{[]time.Duration{200 * msec, 400 * msec, 800 * msec}, false}, // T1 = 200 ms
	} {
		if got := followsSchedule(tt.got, want); got != tt.ok {
			t.Errorf("followsSchedule(%v) = %v, want %v", tt.got, got, tt.ok)
		}
	}
}

package sip

import (
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Lists and parameters past their limits are cut with one warning per list,
// and a message made of separators costs a small multiple of its size plus
// a bounded amount per list (each value has its parameter map), not forty
// to seventy times its size as it did before the limits.
func TestListAndParamLimits(t *testing.T) {
	head := "INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\n"
	cut := "more than 128 values; the rest are ignored"
	tests := []struct {
		name    string
		headers string
		count   func(m *Message) int
		want    int
		warning string
		cuts    int // warnings about cut lists and parameters
	}{
		{"3500 Vias in one line", "Via: " + strings.Repeat("SIP/2.0/UDP a;b=1,", 3500) + "\r\n",
			func(m *Message) int { return len(m.Via) }, MaxListItems, "Via: " + cut, 1},
		{"990 Via lines", strings.Repeat("Via: SIP/2.0/UDP a;b=1\r\n", 990),
			func(m *Message) int { return len(m.Via) }, MaxListItems, "Via: " + cut, 1},
		{"3500 Contacts", "Contact: " + strings.Repeat("<sip:a;b=1>;c=2,", 3500) + "\r\n",
			func(m *Message) int { return len(m.Contact) }, MaxListItems, "Contact: " + cut, 1},
		{"Route and Record-Route", strings.Repeat("Route: <sip:p;lr>\r\nRecord-Route: <sip:q;lr>\r\n", 200),
			func(m *Message) int { return len(m.Route) + len(m.RecordRoute) }, 2 * MaxListItems, "Record-Route: " + cut, 2},
		{"14000 URI parameters", "Contact: <sip:a" + strings.Repeat(";a=1", 14000) + ">\r\n",
			func(m *Message) int { return m.Contact[0].URI.Params.Len() }, 1, "", 0},
		{"5000 distinct URI parameters", "Contact: <sip:a" + distinctParams(5000) + ">\r\n",
			func(m *Message) int { return m.Contact[0].URI.Params.Len() }, MaxParams, "", 1},
		{"128 Vias exactly", "Via: " + strings.Repeat("SIP/2.0/UDP a;b=1,", 128) + "\r\n",
			func(m *Message) int { return len(m.Via) }, MaxListItems, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(head + tc.headers + "\r\n")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			m, err := Parse(data)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.count(m); got != tc.want {
				t.Errorf("%d values kept, want %d", got, tc.want)
			}
			n := 0
			for _, w := range m.Warnings {
				if strings.Contains(w, "the rest are ignored") {
					n++
				}
			}
			if n != tc.cuts || tc.warning != "" && !slices.Contains(m.Warnings, tc.warning) {
				t.Errorf("warnings %q, want %d about cut lists, %q among them", m.Warnings, tc.cuts, tc.warning)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16*uint64(len(data))+512<<10 {
				t.Errorf("parsing %d bytes allocated %d", len(data), alloc)
			}
		})
	}
}

func distinctParams(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(";p")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteByte(byte('a' + i%26))
		b.WriteByte(byte('a' + i/26%26))
		b.WriteByte(byte('a' + i/676%26))
	}
	return b.String()
}

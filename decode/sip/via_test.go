package sip

import (
	"reflect"
	"testing"
)

func TestParseVia(t *testing.T) {
	tests := []struct {
		in   string
		want []Via
		err  string
	}{
		{in: "SIP/2.0/UDP 192.168.1.107:62118;branch=z9hG4bK-10348572;rport",
			want: []Via{{Transport: "UDP", Host: "192.168.1.107", Port: 62118, Branch: "z9hG4bK-10348572", HasRPort: true,
				Params: hp("branch=z9hG4bK-10348572;rport")}}},
		{in: "SIP/2.0/UDP 192.168.1.107:62118;branch=z9hG4bK-1;rport=28555;received=112.25.222.170",
			want: []Via{{Transport: "UDP", Host: "192.168.1.107", Port: 62118, Branch: "z9hG4bK-1", HasRPort: true, RPort: 28555, Received: "112.25.222.170",
				Params: hp("branch=z9hG4bK-1;rport=28555;received=112.25.222.170")}}},
		{in: "SIP/2.0/wss [::1]:5060 ;Branch=z9hG4bKx, sip/2.0/tls h.example.com (a comment);maddr=\"10.0.0.1\"",
			want: []Via{
				{Transport: "WSS", Host: "::1", Port: 5060, Branch: "z9hG4bKx", Params: hp("Branch=z9hG4bKx")},
				{Transport: "TLS", Host: "h.example.com", Params: hp(`maddr="10.0.0.1"`)},
			}},
		{in: "SIP/2.0/UDP fe80:0:0:0:21a:a0ff:fe07:32e0:5060;branch=z9hG4bKkdjuw8376",
			want: []Via{{Transport: "UDP", Host: "fe80:0:0:0:21a:a0ff:fe07:32e0", Port: 5060, Branch: "z9hG4bKkdjuw8376", Params: hp("branch=z9hG4bKkdjuw8376")}}},
		{in: "SIP/2.0/UDP h;rport=0", want: []Via{{Transport: "UDP", Host: "h", HasRPort: true, Params: hp("rport=0")}},
			err: `sip: malformed: via "SIP/2.0/UDP h;rport=0": bad rport "0"`},
		{in: "SIP/2.0 UDP h", want: []Via{{}}, err: `sip: malformed: via "SIP/2.0 UDP h": bad sent-protocol`},
		{in: "SIP/2.0/UDP", want: []Via{{Transport: "UDP"}}, err: `sip: malformed: via "SIP/2.0/UDP": missing sent-by`},
		{in: "SIP/2.0/ h", want: []Via{{Transport: "H"}}, err: `sip: malformed: via "SIP/2.0/ h": missing sent-by`},
		{in: "SIP/2.0/;h", want: []Via{{}}, err: `sip: malformed: via "SIP/2.0/;h": missing transport`},
		{in: " , ", err: "sip: malformed: empty Via"},
		// A bad value keeps its place so that the top Via stays the top one.
		{in: "SIP/2.0/UDP :5060, SIP/2.0/UDP h2;branch=b2", want: []Via{
			{Transport: "UDP"},
			{Transport: "UDP", Host: "h2", Branch: "b2", Params: hp("branch=b2")},
		}, err: `sip: malformed: via "SIP/2.0/UDP :5060": missing host`},
	}
	for _, tt := range tests {
		got, err := ParseVia(tt.in)
		for i := range got {
			got[i].Raw = "" // checked below
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVia(%q) =\n %+v, want\n %+v", tt.in, got, tt.want)
		}
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("ParseVia(%q): %v", tt.in, err)
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("ParseVia(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
	vs, _ := ParseVia("SIP/2.0/UDP a;branch=1 , SIP/2.0/TCP b")
	if len(vs) != 2 || vs[0].Raw != "SIP/2.0/UDP a;branch=1" || vs[1].Raw != "SIP/2.0/TCP b" {
		t.Errorf("Raw values: %+v", vs)
	}
}

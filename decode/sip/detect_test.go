package sip

import "testing"

func TestLooksLikeSIP(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n", true},
		{"\r\n\r\nOPTIONS sip:h SIP/2.0\r\n", true},
		{"FOO sip:h SIP/2.0\n", true},
		{"BYE tel:+123 SIP/2.0", true},
		{"SIP/2.0 200 OK\r\n", true},
		{"SIP/2.0 100", true},
		{"SIP/2.0 999 Odd\r\n", true}, // Parse rejects it; it is still SIP
		{seedInvite, true},
		{"", false},
		{"\r\n\r\n", false},
		{"\x80\x08\x1c\x6e\x00\x00\x54\x60\xf1\x2a\x4b\x6e", false}, // RTP
		{"\x81\xc8\x00\x06", false},                                 // RTCP
		{"\x00\x01\x00\x00\x21\x12\xa4\x42", false},                 // STUN
		{"SIP/2.0 2", false},
		{"SIP/2.0 20", false},
		{"SIP/2.0 2x0 OK", false},
		{"SIP/2.0", false},
		{"GET / HTTP/1.1\r\n", false},
		{"HTTP/1.1 200 OK\r\n", false},
		{"INVITE sip:bob@example.com SIP/2.", false},
		{"INVITE sip:bob@example.com SIP/2.0x\r\n", false},
		{"INVITE  sip:bob@example.com SIP/2.0\r\n", false},
		{"INVITE sip:bob@example.com\r\n", false},
		{"INVITE\r\n", false},
		{"IN<VITE sip:b SIP/2.0\r\n", false},
		{" INVITE sip:b SIP/2.0\r\n", false},
		{"INVITE sip:b SIP/2.0\r", true}, // truncated line ending
		{"0 0 SIP/2.0\r 0", false},       // found by FuzzParse: a lone CR ends no line
	}
	for _, tt := range tests {
		if got := LooksLikeSIP([]byte(tt.in)); got != tt.want {
			t.Errorf("LooksLikeSIP(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestLooksLikeSIPDoesNotAllocate(t *testing.T) {
	inv := []byte(seedInvite)
	if n := testing.AllocsPerRun(100, func() { LooksLikeSIP(inv) }); n != 0 {
		t.Errorf("LooksLikeSIP allocates %v times", n)
	}
}

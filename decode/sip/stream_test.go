package sip

import (
	"errors"
	"strings"
	"testing"
)

func TestParseStreamBackToBack(t *testing.T) {
	data := []byte("\r\n\r\n" + seedInvite + seed100 + "\r\n" + seed200 + seedAck)
	var got []string
	for off := 0; off < len(data); {
		m, n, err := ParseStream(data[off:])
		if errors.Is(err, ErrIncomplete) && strings.Trim(string(data[off:]), "\r\n") == "" {
			break
		}
		if err != nil {
			t.Fatalf("at %d: %v", off, err)
		}
		if n <= 0 {
			t.Fatalf("at %d: no progress", off)
		}
		if len(m.Warnings) > 0 {
			t.Errorf("%s: warnings %q", m.Summary(), m.Warnings)
		}
		got = append(got, m.Summary()+" "+string(m.Body[:min(3, len(m.Body))]))
		off += n
	}
	want := []string{"INVITE sip:1014@47.98.109.96 v=0", "100 Trying ", "200 OK v=0", "ACK sip:1014@47.98.109.96:50620;transport=udp "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("messages = %q, want %q", got, want)
	}
}

func TestParseStream(t *testing.T) {
	partialBody := seedInvite[:len(seedInvite)-10]
	partialHeaders := seedInvite[:200]
	tests := []struct {
		name  string
		in    string
		n     int
		err   error
		body  string
		warn  string
		errIs string
	}{
		{name: "partial body", in: partialBody, err: ErrIncomplete},
		{name: "partial headers", in: partialHeaders, err: ErrIncomplete},
		{name: "partial start line", in: "INVITE sip:bob@exa", err: ErrIncomplete},
		{name: "header complete, continuation unknown", in: "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0\r\n", err: ErrIncomplete},
		{name: "keepalives only", in: "\r\n\r\n", n: 4, err: ErrIncomplete},
		{name: "keepalives then partial", in: "\r\n\r\nSIP/2.0 200", n: 4, err: ErrIncomplete},
		{name: "complete", in: seed100 + "SIP/2.0 1", n: len(seed100)},
		{name: "no Content-Length: body empty", in: "OPTIONS sip:a SIP/2.0\r\n" + mandatory + "\r\nrest", n: len("OPTIONS sip:a SIP/2.0\r\n" + mandatory + "\r\n"),
			warn: "no Content-Length on a stream transport; assuming 0"},
		{name: "bad Content-Length: body empty", in: "OPTIONS sip:a SIP/2.0\r\n" + mandatory + "l: x\r\n\r\nrest", n: len("OPTIONS sip:a SIP/2.0\r\n" + mandatory + "l: x\r\n\r\n"),
			warn: `bad Content-Length "x" on a stream transport; assuming 0`},
		{name: "Content-Length beyond the limit", in: "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2000000\r\n\r\n", err: ErrMalformed,
			errIs: "sip: malformed: Content-Length 2000000 exceeds the 1048576-byte message limit"},
		{name: "not SIP", in: "\x16\x03\x01\x02\x00\x01", err: ErrNotSIP},
		{name: "not SIP, whole line", in: "GET / HTTP/1.1\r\n", err: ErrNotSIP},
		{name: "bad start line is skippable", in: "SIP/2.0 2x0 OK\r\nContent-Length: 2\r\n\r\nhiSIP/2.0 200 OK\r\n", n: len("SIP/2.0 2x0 OK\r\nContent-Length: 2\r\n\r\nhi"), err: ErrMalformed},
		{name: "endless header line", in: "OPTIONS sip:a SIP/2.0\r\nSubject: " + strings.Repeat("x", MaxLineLength+10), err: ErrMalformed,
			errIs: "sip: malformed: header line 1 too long (limit 65536 bytes)"},
		{name: "endless start line", in: "OPTIONS sip:" + strings.Repeat("x", MaxLineLength+10), err: ErrMalformed,
			errIs: "sip: malformed: start line too long (limit 65536 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, n, err := ParseStream([]byte(tt.in))
			if n != tt.n || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("ParseStream = %d, %v; want %d, %v", n, err, tt.n, tt.err)
			}
			if tt.errIs != "" && err.Error() != tt.errIs {
				t.Errorf("error %q, want %q", err, tt.errIs)
			}
			if err != nil {
				if m != nil {
					t.Errorf("message with an error")
				}
				return
			}
			if tt.warn != "" && !hasWarning(m, tt.warn) {
				t.Errorf("no warning %q in %q", tt.warn, m.Warnings)
			}
			if m.Body != nil {
				t.Errorf("body %q", m.Body)
			}
		})
	}
}

// TestParseStreamByteByByte feeds a stream one byte at a time, as a slow TCP
// peer would, and checks that messages come out whole and in order.
func TestParseStreamByteByByte(t *testing.T) {
	stream := seedRegister + "\r\n\r\n" + seed401 + seedInvite
	var buf []byte
	var got []string
	for i := 0; i < len(stream); i++ {
		buf = append(buf, stream[i])
		for {
			m, n, err := ParseStream(buf)
			buf = buf[n:]
			if errors.Is(err, ErrIncomplete) {
				break
			}
			if err != nil {
				t.Fatalf("at byte %d: %v", i, err)
			}
			got = append(got, m.Summary())
		}
	}
	want := "REGISTER sip:47.98.109.96|401 Unauthorized|INVITE sip:1014@47.98.109.96"
	if strings.Join(got, "|") != want || len(buf) != 0 {
		t.Errorf("got %q, %d bytes left", got, len(buf))
	}
}

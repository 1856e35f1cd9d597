package websocket_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/decode/websocket"
)

func TestParseFrame(t *testing.T) {
	key := []byte{1, 2, 3, 4}
	long := bytes.Repeat([]byte("a"), 300)
	huge := bytes.Repeat([]byte("b"), 70000)
	for _, tc := range []struct {
		name    string
		in      []byte
		fin     bool
		op      uint8
		payload []byte
		err     error
	}{
		{"short text, unmasked", websocket.AppendFrame(nil, true, websocket.OpText, nil, []byte("hi")), true, websocket.OpText, []byte("hi"), nil},
		{"short text, masked", websocket.AppendFrame(nil, true, websocket.OpText, key, []byte("hello")), true, websocket.OpText, []byte("hello"), nil},
		{"16-bit length", websocket.AppendFrame(nil, false, websocket.OpBinary, key, long), false, websocket.OpBinary, long, nil},
		{"64-bit length", websocket.AppendFrame(nil, true, websocket.OpContinuation, nil, huge), true, websocket.OpContinuation, huge, nil},
		{"empty ping", websocket.AppendFrame(nil, true, websocket.OpPing, nil, nil), true, websocket.OpPing, []byte{}, nil},
		{"one byte", []byte{0x81}, false, 0, nil, websocket.ErrIncomplete},
		{"16-bit length cut", []byte{0x81, 126, 1}, false, 0, nil, websocket.ErrIncomplete},
		{"64-bit length cut", []byte{0x81, 127, 0, 0, 0}, false, 0, nil, websocket.ErrIncomplete},
		{"mask key cut", []byte{0x81, 0x85, 1, 2}, false, 0, nil, websocket.ErrIncomplete},
		{"payload cut", websocket.AppendFrame(nil, true, websocket.OpText, key, long)[:100], false, 0, nil, websocket.ErrIncomplete},
		{"reserved bit", []byte{0xC1, 0}, false, 0, nil, websocket.ErrMalformed},
		{"reserved opcode", []byte{0x83, 0}, false, 0, nil, websocket.ErrMalformed},
		{"length over the limit", []byte{0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0}, false, 0, nil, websocket.ErrMalformed},
	} {
		in := append([]byte(nil), tc.in...)
		f, n, err := websocket.ParseFrame(in)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.err)
			continue
		}
		if err != nil {
			continue
		}
		if n != len(tc.in) || f.Fin != tc.fin || f.Opcode != tc.op || !bytes.Equal(f.Payload, tc.payload) {
			t.Errorf("%s: n %d of %d, fin %v op %d payload %.20q", tc.name, n, len(tc.in), f.Fin, f.Opcode, f.Payload)
		}
	}
}

func TestReadHandshake(t *testing.T) {
	for _, tc := range []struct {
		in    string
		start bool
		kind  websocket.Handshake
		n     int // -1: the head's length, through its blank line
	}{
		{"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: sip\r\n\r\n\x81", true, websocket.UpgradeRequest, -1},
		{"GET /ws HTTP/1.1\r\nUPGRADE: WebSocket\r\n\r\n", true, websocket.UpgradeRequest, -1},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", true, websocket.UpgradeAccepted, -1},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n", true, websocket.NotHandshake, 0},
		{"HTTP/1.1 400 Bad Request\r\n\r\n", false, websocket.UpgradeRefused, -1},
		{"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", false, websocket.NotHandshake, -1},
		{"INVITE sip:a@b SIP/2.0\r\n\r\n", false, websocket.NotHandshake, -1},
	} {
		if got := websocket.IsHandshakeStart([]byte(tc.in)); got != tc.start {
			t.Errorf("IsHandshakeStart(%.30q) = %v", tc.in, got)
		}
		if tc.n < 0 {
			tc.n = strings.Index(tc.in, "\r\n\r\n") + 4
		}
		kind, n := websocket.ReadHandshake([]byte(tc.in))
		if kind != tc.kind || n != tc.n {
			t.Errorf("ReadHandshake(%.30q) = %v, %d; want %v, %d", tc.in, kind, n, tc.kind, tc.n)
		}
	}
}

func FuzzParseFrame(f *testing.F) {
	f.Add(websocket.AppendFrame(nil, true, websocket.OpText, []byte{9, 8, 7, 6}, []byte("INVITE sip:a SIP/2.0\r\n\r\n")))
	f.Add([]byte{0x82, 126, 0, 4, 1, 2, 3, 4})
	f.Add([]byte{0x02, 127, 0, 0, 0, 0, 0, 0, 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := append([]byte(nil), b...)
		fr, n, err := websocket.ParseFrame(b)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n %d", err, n)
			}
			return
		}
		if n > len(b) || len(fr.Payload) > websocket.MaxPayload {
			t.Fatalf("n %d of %d, payload %d", n, len(b), len(fr.Payload))
		}
		// Re-framing the payload gives back the bytes parsed.
		var key []byte
		if fr.Masked {
			key = orig[n-len(fr.Payload)-4 : n-len(fr.Payload)]
		}
		again := websocket.AppendFrame(nil, fr.Fin, fr.Opcode, key, fr.Payload)
		if len(again) == n && !bytes.Equal(again, orig[:n]) {
			t.Fatalf("re-framed % x, parsed % x", again, orig[:n])
		}
	})
}

func BenchmarkParseFrame(b *testing.B) {
	frame := websocket.AppendFrame(nil, true, websocket.OpText, []byte{1, 2, 3, 4}, bytes.Repeat([]byte("x"), 900))
	buf := make([]byte, len(frame))
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		copy(buf, frame)
		if _, _, err := websocket.ParseFrame(buf); err != nil {
			b.Fatal(err)
		}
	}
}

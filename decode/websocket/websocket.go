// Package websocket reads WebSocket frames (RFC 6455) from a byte stream, as
// SIP over WebSocket (RFC 7118) puts them on a TCP connection, and tells an
// opening handshake when it sees one. It only parses bytes: it keeps no
// connection state and never writes.
package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// Opcodes (RFC 6455 §5.2).
const (
	OpContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	OpClose        = 0x8
	OpPing         = 0x9
	OpPong         = 0xA
)

// MaxPayload bounds the payload of one frame: a SIP message is a few
// kilobytes, and a bogus 64-bit length must not make a reader wait for
// gigabytes.
const MaxPayload = 1 << 20

var (
	// ErrIncomplete: the frame is not all there yet; call again with more.
	ErrIncomplete = errors.New("websocket: incomplete frame")
	// ErrMalformed: the bytes cannot be a frame.
	ErrMalformed = errors.New("websocket: malformed frame")
)

// Frame is one WebSocket frame. Payload is unmasked, in place: it aliases
// the bytes given to ParseFrame, which it has modified.
type Frame struct {
	Fin     bool
	Opcode  uint8
	Masked  bool
	Payload []byte
}

// ParseFrame reads one frame from the start of b, unmasks its payload in
// place and returns the frame and the number of bytes it took. It returns
// ErrIncomplete when b holds only part of the frame, and an error wrapping
// ErrMalformed when reserved bits or opcodes are set or the payload length
// exceeds MaxPayload.
func ParseFrame(b []byte) (Frame, int, error) {
	var f Frame
	if len(b) < 2 {
		return f, 0, ErrIncomplete
	}
	f.Fin = b[0]&0x80 != 0
	f.Opcode = b[0] & 0x0F
	if b[0]&0x70 != 0 {
		return f, 0, fmt.Errorf("%w: reserved bits 0x%02x set (no extension was negotiated)", ErrMalformed, b[0]&0x70)
	}
	switch f.Opcode {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
	default:
		return f, 0, fmt.Errorf("%w: reserved opcode 0x%x", ErrMalformed, f.Opcode)
	}
	f.Masked = b[1]&0x80 != 0
	n := uint64(b[1] & 0x7F)
	off := 2
	switch n {
	case 126:
		if len(b) < 4 {
			return f, 0, ErrIncomplete
		}
		n, off = uint64(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return f, 0, ErrIncomplete
		}
		n, off = binary.BigEndian.Uint64(b[2:10]), 10
	}
	if n > MaxPayload {
		return f, 0, fmt.Errorf("%w: payload of %d bytes, limit %d", ErrMalformed, n, MaxPayload)
	}
	var key [4]byte
	if f.Masked {
		if len(b) < off+4 {
			return f, 0, ErrIncomplete
		}
		copy(key[:], b[off:off+4])
		off += 4
	}
	end := off + int(n)
	if len(b) < end {
		return f, 0, ErrIncomplete
	}
	f.Payload = b[off:end]
	if f.Masked {
		for i := range f.Payload {
			f.Payload[i] ^= key[i&3]
		}
	}
	return f, end, nil
}

// AppendFrame appends a frame with payload to b, masked with key when key is
// not nil (clients mask, servers do not): for tests and generated captures.
func AppendFrame(b []byte, fin bool, opcode uint8, key []byte, payload []byte) []byte {
	h := opcode & 0x0F
	if fin {
		h |= 0x80
	}
	b = append(b, h)
	mask := byte(0)
	if key != nil {
		mask = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, mask|byte(n))
	case n <= 0xFFFF:
		b = binary.BigEndian.AppendUint16(append(b, mask|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, mask|127), uint64(n))
	}
	if key == nil {
		return append(b, payload...)
	}
	b = append(b, key[:4]...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

// Handshake says what an HTTP head on a TCP stream is, for WebSocket.
type Handshake int

// Kinds of HTTP head.
const (
	NotHandshake Handshake = iota
	UpgradeRequest
	UpgradeAccepted
	UpgradeRefused // an HTTP response other than 101 after an upgrade request
)

// MaxHead bounds the HTTP head of a handshake.
const MaxHead = 16 << 10

// IsHandshakeStart reports whether b starts like one side of an opening
// handshake: a GET request that mentions websocket, or an HTTP 101 status
// line. Cheap; the caller confirms with ReadHandshake.
func IsHandshakeStart(b []byte) bool {
	if bytes.HasPrefix(b, []byte("GET ")) {
		head := b[:min(len(b), MaxHead)]
		return containsFold(head, "websocket")
	}
	// Only the answer that accepts an upgrade opens a WebSocket stream.
	if len(b) >= 12 && (bytes.HasPrefix(b, []byte("HTTP/1.1 ")) || bytes.HasPrefix(b, []byte("HTTP/1.0 "))) {
		return string(b[9:12]) == "101"
	}
	return false
}

// ReadHandshake reads the HTTP head at the start of b and returns what it is
// and its length. n is 0 when the head is not complete yet.
func ReadHandshake(b []byte) (kind Handshake, n int) {
	end := bytes.Index(b, []byte("\r\n\r\n"))
	if end < 0 {
		return NotHandshake, 0
	}
	head := b[:end]
	n = end + 4
	switch {
	case bytes.HasPrefix(head, []byte("GET ")) && containsFold(head, "websocket"):
		return UpgradeRequest, n
	case bytes.HasPrefix(head, []byte("HTTP/1.")) && len(head) >= 12 && string(head[9:12]) == "101":
		return UpgradeAccepted, n
	case bytes.HasPrefix(head, []byte("HTTP/1.")):
		return UpgradeRefused, n
	}
	return NotHandshake, n
}

// containsFold reports whether s contains sub, ASCII case-insensitively,
// without allocating. sub must be lower case.
func containsFold(s []byte, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for j < len(sub) && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

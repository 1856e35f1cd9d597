// Package rtp reads RTP (RFC 3550) and RTCP packets as they appear in UDP
// payloads: the fixed RTP header without allocation (it runs on every media
// packet), RFC 4733 telephone-events, the RFC 3551 static payload types, and
// RTCP sender, receiver and extended reports (through pion/rtcp; RTCP is
// rare enough to allocate).
//
// It recognises and parses; it never decides which call a packet belongs to
// or whether a UDP flow is media at all: that is the correlate stage's
// business, which knows the SDP.
package rtp

import (
	"encoding/binary"
	"errors"
)

// Errors returned by Header.Unmarshal. A payload that fails is not RTP, or
// is RTP damaged beyond use.
var (
	ErrTooShort     = errors.New("rtp: shorter than the 12-byte fixed header")
	ErrVersion      = errors.New("rtp: version is not 2")
	ErrHeaderLength = errors.New("rtp: CSRC list or header extension runs past the packet")
	ErrPadding      = errors.New("rtp: padding length exceeds the payload")
)

// HeaderSize is the size of the fixed RTP header.
const HeaderSize = 12

// Header is an RTP header (RFC 3550 §5.1) with where the payload lies.
// Unmarshal fills it without allocating: CSRC identifiers and the header
// extension are skipped, not copied, since media statistics never need
// them.
type Header struct {
	Version        uint8
	Padding        bool
	Extension      bool
	CSRCCount      uint8
	Marker         bool
	PayloadType    uint8
	SequenceNumber uint16
	Timestamp      uint32
	SSRC           uint32
	// PayloadOffset is where the payload starts: after the CSRC list and
	// the header extension.
	PayloadOffset int
	// PayloadLen is the payload length without padding.
	PayloadLen int
}

// Unmarshal reads the header of the RTP packet b. It does not allocate and
// keeps no reference to b.
func (h *Header) Unmarshal(b []byte) error {
	if len(b) < HeaderSize {
		return ErrTooShort
	}
	h.Version = b[0] >> 6
	if h.Version != 2 {
		return ErrVersion
	}
	h.Padding = b[0]&0x20 != 0
	h.Extension = b[0]&0x10 != 0
	h.CSRCCount = b[0] & 0x0f
	h.Marker = b[1]&0x80 != 0
	h.PayloadType = b[1] & 0x7f
	h.SequenceNumber = binary.BigEndian.Uint16(b[2:])
	h.Timestamp = binary.BigEndian.Uint32(b[4:])
	h.SSRC = binary.BigEndian.Uint32(b[8:])
	off := HeaderSize + 4*int(h.CSRCCount)
	if h.Extension {
		// RFC 3550 §5.3.1: 16-bit profile, 16-bit length in 32-bit words.
		if len(b) < off+4 {
			return ErrHeaderLength
		}
		off += 4 + 4*int(binary.BigEndian.Uint16(b[off+2:]))
	}
	if off > len(b) {
		return ErrHeaderLength
	}
	end := len(b)
	if h.Padding {
		pad := int(b[len(b)-1])
		if pad == 0 || end-pad < off {
			return ErrPadding
		}
		end -= pad
	}
	h.PayloadOffset, h.PayloadLen = off, end-off
	return nil
}

// Kind says what a UDP payload looks like on its first two bytes.
type Kind uint8

// Kinds of UDP payload, as Classify tells them apart.
const (
	// KindOther is anything but RTP or RTCP (STUN, DTLS, DNS, ...).
	KindOther Kind = iota
	// KindRTP has version 2 and a payload type outside the RTCP range.
	KindRTP
	// KindRTCP has version 2 and a packet type of 192 to 223.
	KindRTCP
)

// Classify tells RTP from RTCP the way RFC 5761 §4 demultiplexes them on
// one port: version 2 in the first two bits, and the second byte (marker
// and payload type, or RTCP packet type) in 192..223 for RTCP. It is a
// cheap first look, not a validation.
func Classify(b []byte) Kind {
	if len(b) < 8 || b[0]>>6 != 2 {
		return KindOther
	}
	if b[1] >= 192 && b[1] <= 223 {
		return KindRTCP
	}
	if len(b) < HeaderSize {
		return KindOther
	}
	return KindRTP
}

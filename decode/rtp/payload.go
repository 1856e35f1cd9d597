package rtp

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Codec is what a payload type stands for: an encoding name as in an SDP
// rtpmap ("PCMA", "telephone-event") and its RTP clock rate in Hz.
type Codec struct {
	Name      string
	ClockRate int
	Channels  int // 0 when not given
}

// staticCodecs are the static payload types of RFC 3551 §6 (tables 4 and 5)
// with the names IANA registers. Payload types 1 and 2 and 19 are reserved
// now but still seen, and Wireshark knows them, so they are kept.
var staticCodecs = map[uint8]Codec{
	0:  {"PCMU", 8000, 1},
	1:  {"1016", 8000, 1},
	2:  {"G721", 8000, 1},
	3:  {"GSM", 8000, 1},
	4:  {"G723", 8000, 1},
	5:  {"DVI4", 8000, 1},
	6:  {"DVI4", 16000, 1},
	7:  {"LPC", 8000, 1},
	8:  {"PCMA", 8000, 1},
	9:  {"G722", 8000, 1}, // 16 kHz sampling, 8 kHz RTP clock (RFC 3551 §4.5.2)
	10: {"L16", 44100, 2},
	11: {"L16", 44100, 1},
	12: {"QCELP", 8000, 1},
	13: {"CN", 8000, 1},
	14: {"MPA", 90000, 0},
	15: {"G728", 8000, 1},
	16: {"DVI4", 11025, 1},
	17: {"DVI4", 22050, 1},
	18: {"G729", 8000, 1},
	19: {"CN", 8000, 1}, // the old comfort-noise type, before 13
	25: {"CelB", 90000, 0},
	26: {"JPEG", 90000, 0},
	28: {"nv", 90000, 0},
	31: {"H261", 90000, 0},
	32: {"MPV", 90000, 0},
	33: {"MP2T", 90000, 0},
	34: {"H263", 90000, 0},
}

// StaticCodec returns the codec of a static payload type (below 96), and
// false for unassigned and dynamic ones.
func StaticCodec(pt uint8) (Codec, bool) {
	c, ok := staticCodecs[pt]
	return c, ok
}

// IsComfortNoise reports whether pt is a static comfort-noise type (13, or
// 19 as older equipment sends).
func IsComfortNoise(pt uint8) bool { return pt == 13 || pt == 19 }

// IsTelephoneEvent reports whether an encoding name is RFC 4733's
// telephone-event (names are case-insensitive, RFC 4855 §3).
func IsTelephoneEvent(name string) bool { return strings.EqualFold(name, "telephone-event") }

// ErrEventTooShort is returned for a telephone-event payload under 4 bytes.
var ErrEventTooShort = errors.New("rtp: telephone-event payload shorter than 4 bytes")

// TelephoneEvent is one RFC 4733 §2.3 event report. Senders repeat it every
// packet interval with a growing Duration and the same RTP timestamp, and
// send the final report, with End set, three times.
type TelephoneEvent struct {
	Event    uint8  // 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash
	End      bool   // the E bit: this is the final report of the event
	Volume   uint8  // power level in -dBm0 (0 to 63)
	Duration uint16 // in RTP timestamp units since the event's timestamp
}

// Unmarshal reads the first event report of a telephone-event payload. It
// does not allocate.
func (e *TelephoneEvent) Unmarshal(payload []byte) error {
	if len(payload) < 4 {
		return ErrEventTooShort
	}
	e.Event = payload[0]
	e.End = payload[1]&0x80 != 0
	e.Volume = payload[1] & 0x3f
	e.Duration = binary.BigEndian.Uint16(payload[2:])
	return nil
}

// Digit returns the DTMF key an event stands for ("0"-"9", "*", "#",
// "A"-"D", "flash"), or "event N" for other events.
func (e TelephoneEvent) Digit() string { return EventName(e.Event) }

// EventName names an RFC 4733 §3.2 DTMF event code.
func EventName(ev uint8) string {
	switch {
	case ev <= 9:
		return string(rune('0' + ev))
	case ev == 10:
		return "*"
	case ev == 11:
		return "#"
	case ev >= 12 && ev <= 15:
		return string(rune('A' + ev - 12))
	case ev == 16:
		return "flash"
	}
	return "event " + strconv.Itoa(int(ev))
}

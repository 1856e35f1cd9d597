package decode

import (
	"bytes"
	"strconv"

	"github.com/sipscope/sipscope/decode/sip"
)

// ReasonSIPCut is the Undecoded key for SIP datagrams the capture did not
// keep whole: tcpdump's old default snap length of 68 or 96 bytes, or -s 1500
// under a long INVITE.
const ReasonSIPCut = "SIP message cut by snap length"

// cutDatagram handles a UDP datagram of which only payload was captured,
// out of wire bytes. It returns false when the payload is not SIP, for the
// caller to handle as usual (a cut RTP packet still has its header).
//
// A cut SIP message is counted. When its header block is complete it is
// still analysed, with a warning, since the call it belongs to is worth more
// than the missing body; when the headers themselves are cut it is dropped,
// because a message without its Call-ID or CSeq would make up a call.
func (d *Decoder) cutDatagram(m *Meta, payload []byte, wire int) bool {
	if !sip.LooksLikeSIP(payload) && !startsLikeSIP(payload) {
		return false
	}
	detail := ReasonSIPCut + ": " + strconv.Itoa(len(payload)) + " of " + strconv.Itoa(wire) + " bytes captured"
	d.problem(m.File, m.Frame, ReasonSIPCut, detail)
	if !bytes.Contains(payload, []byte("\r\n\r\n")) && !bytes.Contains(payload, []byte("\n\n")) {
		return true
	}
	msg, err := d.sipParser.Parse(payload)
	if err != nil {
		return true // counted above already
	}
	msg.Warnings = append(msg.Warnings, detail)
	d.emitSIP(m, msg)
	return true
}

// sipStarts are the beginnings a start line cut before its end can have: a
// status line, or a request with an RFC 3261 family method.
var sipStarts = [...]string{
	"SIP/2.0 ", "INVITE ", "ACK ", "BYE ", "CANCEL ", "OPTIONS ", "REGISTER ", "PRACK ",
	"SUBSCRIBE ", "NOTIFY ", "PUBLISH ", "INFO ", "REFER ", "MESSAGE ", "UPDATE ",
}

// startsLikeSIP recognises a SIP message cut inside its start line, where
// LooksLikeSIP cannot see the version yet.
func startsLikeSIP(b []byte) bool {
	if bytes.IndexByte(b, '\n') >= 0 {
		return false // the start line is whole: LooksLikeSIP has judged it
	}
	for _, s := range sipStarts {
		if bytes.HasPrefix(b, []byte(s)) {
			return true
		}
	}
	return false
}

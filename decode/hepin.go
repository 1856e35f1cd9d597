package decode

import (
	"github.com/sipscope/sipscope/decode/hep"
	"github.com/sipscope/sipscope/decode/sip"
)

// HEPPort is the port HOMER servers listen on for HEP. HEPv3 is recognised
// on any port by its magic; HEPv2, which has none, only on this one.
const HEPPort = 9060

// hepDatagram opens a UDP payload that is a HEP packet and reports whether
// it was one. It runs before the SIP check, which a HEP packet never passes.
func (d *Decoder) hepDatagram(m *Meta, payload []byte) bool {
	if len(payload) < 6 {
		return false
	}
	if string(payload[:4]) != hep.Magic && !(m.Dst.Port() == HEPPort || m.Src.Port() == HEPPort) {
		return false
	}
	if !hep.IsHEP(payload) {
		return false
	}
	d.hepPacket(m, payload)
	return true
}

// hepPacket decodes the packet a HEP agent captured. The SIP inside gets the
// addresses, ports and time of the HEP chunks, which describe where the agent
// saw it; the frame number stays the outer frame's, which is where a user
// finds it in this capture.
func (d *Decoder) hepPacket(m *Meta, data []byte) {
	var p hep.Packet
	if err := p.Unmarshal(data); err != nil {
		d.problem(m.File, m.Frame, ReasonHEP, err.Error())
		return
	}
	d.Stats.HEPPackets++
	if p.Type != hep.TypeSIP && !sip.LooksLikeSIP(p.Payload) {
		return // RTCP reports, logs, QoS: not decoded from HEP yet
	}
	inner := Meta{File: m.File, Frame: m.Frame, Time: m.Time, Src: p.Src, Dst: p.Dst, Encapsulation: "HEP"}
	if !p.Time.IsZero() {
		inner.Time = p.Time
	}
	switch p.Proto {
	case hep.ProtoTCP:
		inner.Transport = TCP
	case hep.ProtoSCTP:
		inner.Transport = SCTP
	default:
		inner.Transport = UDP
	}
	msg, err := d.sipParser.Parse(p.Payload)
	if err != nil {
		d.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
		return
	}
	d.emitSIP(&inner, msg)
}

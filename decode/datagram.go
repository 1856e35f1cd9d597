package decode

import "github.com/sipscope/sipscope/decode/rtp"

// nonSIPDatagram receives every UDP payload that is not SIP: the place where
// media (RTP/RTCP) is recognised. payload aliases the capture buffer and is
// valid only during the call.
func (d *Decoder) nonSIPDatagram(m *Meta, payload []byte) {
	if d.media == nil {
		return
	}
	switch rtp.Classify(payload) {
	case rtp.KindRTP:
		p := &d.rtpPacket
		if p.Header.Unmarshal(payload) != nil {
			// Version 2 on the first byte and nothing more: not RTP, or
			// damaged. Not a decode problem: most such datagrams are not media.
			return
		}
		d.Stats.RTP++
		p.Meta = *m
		p.Payload = payload[p.PayloadOffset : p.PayloadOffset+p.PayloadLen]
		if d.media.HandleRTP(p) {
			d.interest |= InterestMedia
		}
		p.Payload = nil
	case rtp.KindRTCP:
		r, err := rtp.ParseRTCP(payload)
		if err != nil {
			return
		}
		d.Stats.RTCP++
		if d.media.HandleRTCP(&RTCPPacket{Meta: *m, RTCP: r}) {
			d.interest |= InterestMedia
		}
	}
}

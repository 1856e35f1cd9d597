package decode

// nonSIPDatagram receives every UDP payload that is not SIP: the place where
// media (RTP/RTCP) and encapsulations (HEP) are recognised. payload aliases the
// capture buffer and is valid only during the call.
func (d *Decoder) nonSIPDatagram(m *Meta, payload []byte) {
	_, _ = m, payload
}

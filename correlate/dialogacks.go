package correlate

// DialogACKs returns the ACKs sent for 2xx responses in the dialog with these
// tags, in capture order, retransmitted copies included. The ACK of a 2xx is
// a transaction of its own (RFC 3261 §17.1.1.3) and so is not in any INVITE
// transaction's Acks; this is how a rule finds the ACKs a 2xx drew. The CSeq
// is not compared: a rule that checks it needs the ACKs that get it wrong too.
func (c *Call) DialogACKs(fromTag, toTag string) []*Message {
	var out []*Message
	for _, m := range c.Messages {
		if !m.IsRequest || m.Method != "ACK" || m.Transaction == nil || m.Transaction.Method != "ACK" {
			continue
		}
		if m.From.Tag == fromTag && m.To.Tag == toTag {
			out = append(out, m)
		}
	}
	return out
}

package correlate

import (
	"strings"

	"github.com/sipscope/sipscope/decode/sdp"
)

// SDP returns the message's parsed SDP body: nil when it carries no
// application/sdp body or the body is not SDP. Rules read SDP through it
// instead of parsing bodies themselves.
func (m *Message) SDP() *sdp.Session {
	if m.session != nil {
		return m.session // parsed when the message was correlated
	}
	if len(m.Body) == 0 || !strings.EqualFold(m.ContentType, "application/sdp") {
		return nil
	}
	s, err := sdp.Parse(m.Body)
	if err != nil {
		return nil
	}
	return s
}

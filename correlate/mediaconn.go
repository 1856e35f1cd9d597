package correlate

import (
	"strings"

	"github.com/sipscope/sipscope/decode/sdp"
)

// MediaConnections returns the connection addresses of the message's SDP
// body: nil when it carries no application/sdp body or the body cannot be
// parsed. Rules read SDP addresses through it instead of parsing bodies.
func (m *Message) MediaConnections() *sdp.Connections {
	if len(m.Body) == 0 || !strings.EqualFold(m.ContentType, "application/sdp") {
		return nil
	}
	c, err := sdp.ParseConnections(m.Body)
	if err != nil {
		return nil
	}
	return c
}

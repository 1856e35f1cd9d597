package decode

import (
	"encoding/binary"
	"fmt"

	"github.com/sipscope/sipscope/decode/sip"
)

// sctpPacket looks for SIP in the DATA chunks of an SCTP packet (RFC 4168):
// each unfragmented DATA chunk holds one whole message. chunks is the packet
// after its 12-byte common header. User messages split over several DATA
// chunks (B and E flags not both set) are counted, not reassembled: SIP
// endpoints send messages far below the association's fragmentation point.
func (d *Decoder) sctpPacket(m *Meta, chunks []byte) {
	for len(chunks) >= 4 {
		typ, flags := chunks[0], chunks[1]
		n := int(binary.BigEndian.Uint16(chunks[2:4]))
		if n < 4 || n > len(chunks) {
			d.problem(m.File, m.Frame, ReasonSCTP, fmt.Sprintf("%s: chunk length %d", ReasonSCTP, n))
			return
		}
		if typ == 0 && n > 16 { // DATA: TSN, stream id, stream seq, PPID, then user data
			data := chunks[16:n]
			if flags&0x03 != 0x03 {
				if sip.LooksLikeSIP(data) || flags&0x02 == 0 {
					d.problem(m.File, m.Frame, ReasonSCTP, ReasonSCTP+": message split over DATA chunks")
				}
			} else if sip.LooksLikeSIP(data) {
				if msg, err := sip.Parse(data); err != nil {
					d.problem(m.File, m.Frame, ReasonSIPParse, err.Error())
				} else {
					d.emitSIP(m, msg)
				}
			}
		}
		n = (n + 3) &^ 3 // chunks are padded to 4 bytes
		if n > len(chunks) {
			return
		}
		chunks = chunks[n:]
	}
}

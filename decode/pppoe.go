package decode

import (
	"encoding/binary"
	"errors"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// pppoeSession decodes a PPPoE session header and the PPP protocol field
// behind it in one step, as a DecodingLayer (gopacket's PPPoE and PPP layers
// are not DecodingLayers). DSL captures carry SIP this way.
type pppoeSession struct {
	layers.BaseLayer
	proto uint16
}

var errShortPPPoE = errors.New("PPPoE session header truncated")

func (p *pppoeSession) LayerType() gopacket.LayerType { return layers.LayerTypePPPoE }

func (p *pppoeSession) CanDecode() gopacket.LayerClass { return layers.LayerTypePPPoE }

func (p *pppoeSession) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		df.SetTruncated()
		return errShortPPPoE
	}
	n := int(binary.BigEndian.Uint16(data[4:6])) // PPP frame length
	end := 6 + n
	if n < 2 || end > len(data) {
		end = len(data)
	}
	p.proto = binary.BigEndian.Uint16(data[6:8])
	p.BaseLayer = layers.BaseLayer{Contents: data[:8], Payload: data[8:end]}
	return nil
}

func (p *pppoeSession) NextLayerType() gopacket.LayerType {
	switch p.proto {
	case 0x0021:
		return layers.LayerTypeIPv4
	case 0x0057:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypeZero
}

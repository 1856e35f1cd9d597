package decode

import (
	"encoding/binary"
)

// SIPTLSPort is the port of SIP over TLS (sips:, RFC 3261 §26.2.2).
const SIPTLSPort = 5061

// tlsSegment records a TCP segment of a TLS flow on the SIP TLS port and
// reports whether it was one. The flow is not decrypted; it is listed in
// Stats.EncryptedFlows so a user knows where the SIP they cannot see went.
func (d *Decoder) tlsSegment(m *Meta, k flowKey, p []byte) bool {
	if k.sp != SIPTLSPort && k.dp != SIPTLSPort {
		return false
	}
	ts := d.tcpStreams
	rev := flowKey{src: k.dst, dst: k.src, sp: k.dp, dp: k.sp}
	i, ok := ts.tls[k]
	if !ok {
		i, ok = ts.tls[rev]
	}
	if !ok {
		if !looksLikeTLS(p) || len(d.Stats.EncryptedFlows) >= MaxEncryptedFlows {
			return false
		}
		client, server := m.Src, m.Dst
		sni, hello := clientHelloSNI(p)
		if !hello && k.sp == SIPTLSPort && k.dp != SIPTLSPort {
			client, server = m.Dst, m.Src
		}
		d.Stats.EncryptedFlows = append(d.Stats.EncryptedFlows, EncryptedFlow{
			File: m.File, FirstFrame: m.Frame, Client: client, Server: server, ServerName: sni,
		})
		i = len(d.Stats.EncryptedFlows) - 1
		ts.tls[k] = i
	}
	f := &d.Stats.EncryptedFlows[i]
	f.Frames++
	f.Bytes += len(p)
	if f.ServerName == "" && m.Src == f.Client {
		f.ServerName, _ = clientHelloSNI(p)
	}
	return true
}

// looksLikeTLS reports whether p starts with a TLS record header: content
// type change_cipher_spec, alert, handshake or application_data, and
// version 3.x.
func looksLikeTLS(p []byte) bool {
	return len(p) >= 5 && p[0] >= 20 && p[0] <= 23 && p[1] == 3 && p[2] <= 4
}

// clientHelloSNI returns the server name of a TLS ClientHello at the start
// of p (RFC 6066 §3), and whether p starts with a ClientHello at all.
func clientHelloSNI(p []byte) (string, bool) {
	if len(p) < 5+4 || p[0] != 22 || p[5] != 1 {
		return "", false
	}
	b := p[5+4:] // handshake body: version, random, session id, ...
	skip := func(n int) bool {
		if n > len(b) {
			return false
		}
		b = b[n:]
		return true
	}
	vec := func(lenBytes int) bool {
		if len(b) < lenBytes {
			return false
		}
		n := int(b[0])
		if lenBytes == 2 {
			n = int(binary.BigEndian.Uint16(b))
		}
		return skip(lenBytes + n)
	}
	if !skip(2+32) || !vec(1) || !vec(2) || !vec(1) || len(b) < 2 {
		return "", true
	}
	ext := b[2:min(len(b), 2+int(binary.BigEndian.Uint16(b)))]
	for len(ext) >= 4 {
		typ, n := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
		if 4+n > len(ext) {
			break
		}
		if v := ext[4 : 4+n]; typ == 0 && len(v) >= 5 && v[2] == 0 {
			if l := int(binary.BigEndian.Uint16(v[3:])); 5+l <= len(v) {
				return string(v[5 : 5+l]), true
			}
		}
		ext = ext[4+n:]
	}
	return "", true
}

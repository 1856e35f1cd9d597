// Package decode turns capture frames into protocol events. decoder.go walks
// the link, tunnel (tunnel.go), IP and transport layers to the innermost
// packet; defrag.go reassembles IP fragments, dedup.go drops capture
// duplicates, tcp.go frames SIP (and WebSocket, with the websocket
// sub-package) over TCP streams, hepin.go opens HEP packets (with the hep
// sub-package), sctp.go reads SCTP DATA chunks and tls.go notes SIP over
// TLS flows it cannot read. Payloads go to the per-protocol dissectors in
// the sub-packages (sip, and later sdp, rtp, ...).
//
// It keeps no state about calls or dialogs; that belongs to correlate. It
// never imports a later stage.
package decode

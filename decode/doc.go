// Package decode turns capture frames into protocol events: it walks the
// link, IP and transport layers (see packet.go) and hands payloads to the
// per-protocol dissectors in its sub-packages (sip, and later sdp, rtp, ...).
//
// It keeps no state about calls or dialogs; that belongs to correlate. It
// never imports a later stage.
package decode

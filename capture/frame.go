// Package capture reads link-layer frames with their timestamps from packet
// captures: pcap (micro- and nanosecond, either byte order), pcapng (several
// interfaces, mixed link types), gzip-compressed files, standard input, and
// several files merged in time order.
//
// It knows nothing of IP, SIP or RTP and must never import the decode stage.
package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Frame is one link-layer frame read from a capture.
type Frame struct {
	File     int       // index of the file in the list given to OpenAll (0-based)
	Number   int       // 1-based frame number within its file, as Wireshark numbers it
	Time     time.Time // capture timestamp
	LinkType layers.LinkType
	Data     []byte // captured bytes; valid only until the next call to Next
	Length   int    // original length on the wire (may exceed len(Data) when snap-cut)
}

// Problem is something wrong with the input that the reader skipped over.
type Problem struct {
	File   string
	Frame  int    // 1-based frame number it concerns, 0 when it concerns the file
	Offset int64  // byte offset in the (decompressed) file, -1 when unknown
	Reason string // e.g. "truncated record"
}

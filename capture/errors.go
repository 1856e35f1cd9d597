package capture

import "errors"

// Errors returned by Open and OpenAll, wrapped with the file name. Test for
// them with errors.Is.
var (
	// ErrEmptyFile means the file has no bytes at all.
	ErrEmptyFile = errors.New("empty file")
	// ErrUnknownFormat means the file starts with neither a pcap nor a
	// pcapng magic number, even after gzip decompression.
	ErrUnknownFormat = errors.New("not a pcap or pcapng file")
	// ErrBadHeader means the format was recognised but its file header
	// (pcap) or first section header (pcapng) could not be read.
	ErrBadHeader = errors.New("bad file header")
	// ErrNoFiles means OpenAll was given no paths.
	ErrNoFiles = errors.New("capture: no files to read")
)

// Errors behind a Problem's Reason. A Problem carries only their text, since
// reading stops at the record they concern.
var (
	// ErrRecordTooLarge means a record claims more bytes than MaxRecordLength.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrCorruptBlock means a pcapng block header is inconsistent.
	ErrCorruptBlock = errors.New("corrupt block")
)

// MaxRecordLength is the largest captured length accepted for one frame. It
// is libpcap's MAXIMUM_SNAPLEN, which Wireshark also uses for Ethernet: no
// real capture of our link types holds larger frames, and the limit keeps a
// corrupt length field from making the reader allocate gigabytes.
const MaxRecordLength = 262144

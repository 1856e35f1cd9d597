package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The walk counts the records of pcap and pcapng files, whatever their
// sizes (one larger than the read buffer included), and reports a file cut
// inside a record.
func TestWalk(t *testing.T) {
	sizes := []int{60, 214, 1500, 3 << 20, 42}
	ci := func(n int) gopacket.CaptureInfo {
		return gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: n, Length: n}
	}
	var pcap, ng bytes.Buffer
	w := pcapgo.NewWriter(&pcap)
	if err := w.WriteFileHeader(1<<22, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	nw, err := pcapgo.NewNgWriter(&ng, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sizes {
		data := make([]byte, n)
		if err := w.WritePacket(ci(n), data); err != nil {
			t.Fatal(err)
		}
		if err := nw.WritePacket(ci(n), data); err != nil {
			t.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string][]byte{"a.pcap": pcap.Bytes(), "a.pcapng": ng.Bytes()} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		n, total, err := walk(path)
		if err != nil || n != len(sizes) || total != int64(len(content)) {
			t.Errorf("%s: %d records, %d bytes, %v; want %d records, %d bytes", name, n, total, err, len(sizes), len(content))
		}
		cut := filepath.Join(dir, "cut-"+name)
		if err := os.WriteFile(cut, content[:len(content)-10], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := walk(cut); err == nil {
			t.Errorf("%s cut short: no error", name)
		}
	}
}

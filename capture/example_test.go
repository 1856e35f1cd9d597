package capture_test

import (
	"fmt"
	"io"
	"log"

	"github.com/sipscope/sipscope/capture"
)

// Read a capture frame by frame. OpenAll takes several files and merges
// them in time order; with one file it simply reads it.
func ExampleOpenAll() {
	s, err := capture.OpenAll([]string{"../testdata/freeswitch-nat.pcap"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	var bytes int
	for {
		f, err := s.Next()
		if err == io.EOF {
			break
		}
		if f.Number == 1 {
			fmt.Println("first frame:", f.Time.Format("2006-01-02 15:04:05.000000"), f.LinkType)
		}
		bytes += len(f.Data) // f.Data is only valid until the next call to Next
	}
	fmt.Println("frames:", s.Frames(), "bytes:", bytes, "problems:", len(s.Problems()))
	// Output:
	// first frame: 2018-08-28 10:14:19.104312 Ethernet
	// frames: 315 bytes: 77621 problems: 0
}

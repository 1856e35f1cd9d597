// Command sipscope analyses SIP and RTP packet captures: it finds calls and
// registrations, explains why they broke, and draws them for tickets.
package main

import (
	"fmt"
	"os"

	"github.com/sipscope/sipscope/report"
)

func main() {
	tuneGC()
	if err := newRootCmd(os.Stdout, os.Stderr).Execute(); err != nil {
		// Errors can quote file names and packet text: escape them too.
		fmt.Fprintln(os.Stderr, "sipscope:", report.Clean(err.Error(), false))
		os.Exit(1)
	}
}

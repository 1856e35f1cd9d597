// Command sipscope analyses SIP and RTP packet captures: it finds calls and
// registrations, explains why they broke, and draws them for tickets.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := newRootCmd(os.Stdout, os.Stderr).Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sipscope:", err)
		os.Exit(1)
	}
}

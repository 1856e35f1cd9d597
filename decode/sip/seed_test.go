package sip

import (
	"strings"

	"github.com/sipscope/sipscope/internal/scenario"
)

// Messages of a real FreeSWITCH call behind NAT (../shared/seed/
// freeswitch-nat-call.md), rebuilt with CRLF line endings by the scenario
// that also writes testdata/freeswitch-nat.pcap, so the parser is tested on
// the very bytes the capture holds.
var (
	seedRegister     = scenario.Seed.Register
	seed401          = scenario.Seed.Challenge
	seedRegisterAuth = scenario.Seed.RegisterAuth
	seedRegister200  = scenario.Seed.Registered
	seedInvite       = scenario.Seed.Invite
	seed100          = scenario.Seed.Trying
	seed200          = scenario.Seed.OK
	seedAck          = scenario.Seed.ACK

	seedInviteBody = body(seedInvite)
	seed200Body    = body(seed200)
)

// body returns what follows the blank line that ends the header block.
func body(msg string) string {
	_, b, _ := strings.Cut(msg, "\r\n\r\n")
	return b
}

// seedMessages is the call in wire order.
var seedMessages = []string{
	seedRegister, seed401, seedRegisterAuth, seedRegister200,
	seedInvite, seed100, seed200, seedAck,
}

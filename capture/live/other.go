//go:build !linux

package live

import (
	"github.com/gopacket/gopacket/layers"

	"github.com/sipscope/sipscope/capture"
)

// Interface is a live capture on a network interface; Linux-only.
type Interface struct{}

// Open returns ErrUnsupported: live capture needs Linux's AF_PACKET.
func Open(opts Options) (*Interface, error) { return nil, ErrUnsupported }

// Next returns ErrUnsupported.
func (s *Interface) Next() (*capture.Frame, error) { return nil, ErrUnsupported }

// LinkType returns LinkTypeNull.
func (s *Interface) LinkType() layers.LinkType { return layers.LinkTypeNull }

// Link returns the zero Link.
func (s *Interface) Link() Link { return Link{} }

// Stats returns zero counters.
func (s *Interface) Stats() Stats { return Stats{} }

// Close does nothing.
func (s *Interface) Close() error { return nil }

// DropPrivileges returns ErrUnsupported.
func DropPrivileges(name string) error { return ErrUnsupported }

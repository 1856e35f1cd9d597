package diagnose

import (
	"net/netip"
	"strconv"
	"strings"
)

var (
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598, carrier-grade NAT
	siteLocal6  = netip.MustParsePrefix("fec0::/10")     // RFC 3879 deprecated it; still seen
)

// privateKind says why an address cannot be reached from the public
// Internet: "RFC 1918", "RFC 6598 shared", "link-local", "unique local" or
// "site-local". It returns "" for any other address. Loopback is left out:
// traffic on 127.0.0.1 crosses no NAT.
func privateKind(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case !a.IsValid():
		return ""
	case a.Is4() && a.IsPrivate():
		return "RFC 1918"
	case a.IsPrivate():
		return "unique local"
	case sharedSpace.Contains(a):
		return "RFC 6598 shared"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case siteLocal6.Contains(a):
		return "site-local"
	}
	return ""
}

// isPublic reports whether a is a global unicast address outside the
// private ranges: a packet from it has crossed (or never needed) a NAT.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsGlobalUnicast() && privateKind(a) == ""
}

// hostAddr parses a SIP host that is an IP literal; hostnames give false.
func hostAddr(host string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// defaultPort is the port a SIP URI or Via without one means (RFC 3261
// §19.1.2, §18.2.2): 5061 for TLS and sips, 5060 otherwise.
func defaultPort(transport, scheme string) int {
	if strings.EqualFold(transport, "TLS") || strings.EqualFold(transport, "WSS") || strings.EqualFold(scheme, "sips") {
		return 5061
	}
	return 5060
}

// hostPort formats a host and port the way addresses print elsewhere
// (brackets around IPv6).
func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

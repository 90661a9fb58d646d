package clientaddr

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver resolves client addresses. The zero value and nil trust no proxy. It is safe for
// concurrent use.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver that trusts the X-Forwarded-For hops added by the given proxies.
func New(trusted []netip.Prefix) *Resolver {
	r := &Resolver{}
	for _, p := range trusted {
		r.trusted = append(r.trusted, p.Masked())
	}
	return r
}

// Parse reads a comma-separated list of proxies, each an IP address or a CIDR prefix
// ("10.0.0.0/8, 192.0.2.7, 2001:db8::/32"); an empty list trusts none.
func Parse(list string) (*Resolver, error) {
	var trusted []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR prefix", f)
			}
			if p.Addr().Is4In6() {
				// ::ffff:10.0.0.0/104 means 10.0.0.0/8; addresses are compared unmapped.
				if p.Bits() < 96 {
					return nil, fmt.Errorf("trusted proxy %q: an IPv4-mapped prefix needs at least 96 bits", f)
				}
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			trusted = append(trusted, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("trusted proxy %q: not an IP address or CIDR prefix", f)
		}
		a = a.Unmap()
		trusted = append(trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return New(trusted), nil
}

// Trusts reports whether a is one of the trusted proxies.
func (r *Resolver) Trusts(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr returns the client address of req: the TCP peer, or when the peer is a trusted proxy
// the right-most X-Forwarded-For hop that is not a trusted proxy. When every hop is trusted the
// left-most is the client; when a hop cannot be read, the last one that could is. The result
// is invalid only when req.RemoteAddr itself is not an IP address (a test request, a Unix
// socket).
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := parseHop(req.RemoteAddr)
	if !r.Trusts(peer) {
		return peer
	}
	hops := forwardedFor(req.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a := parseHop(hops[i])
		if !a.IsValid() {
			// Written by a proxy we trust, so not a client's trick, but nothing to go on: the
			// hop that wrote it is the best we know.
			return client
		}
		client = a
		if !r.Trusts(a) {
			return a
		}
	}
	return client
}

// String is Addr as text ("" when invalid), the form logs, audit rows and limits take.
func (r *Resolver) String(req *http.Request) string {
	a := r.Addr(req)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// forwardedFor lists the X-Forwarded-For hops, left to right, over every header line.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for _, hop := range strings.Split(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop reads an address as peers and proxies write it: "ip", "ip:port" or "[ipv6]:port".
// Zones are dropped and IPv4-mapped IPv6 addresses unmapped, so one client has one form.
func parseHop(s string) netip.Addr {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

package clientaddr

import (
	"net/http/httptest"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := Parse(" 10.0.0.0/8 ,192.0.2.7, 2001:db8:1::/48,::ffff:172.16.0.0/108")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no header", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"trusted peer without header", "10.1.2.3:80", nil, "10.1.2.3"},
		{"one trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client-forged hops left of the real one", "10.1.2.3:80", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.1, 192.0.2.7", "10.9.9.9"}, "198.51.100.1"},
		{"every hop trusted", "10.1.2.3:80", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"unreadable hop stops at the last good one", "10.1.2.3:80", []string{"198.51.100.1, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"hop with a port", "10.1.2.3:80", []string{"198.51.100.1:5555"}, "198.51.100.1"},
		{"bracketed IPv6 hop", "10.1.2.3:80", []string{"[2001:db8:2::1]:443"}, "2001:db8:2::1"},
		{"bare bracketed IPv6 hop", "10.1.2.3:80", []string{"[2001:db8:2::1]"}, "2001:db8:2::1"},
		{"IPv6 trusted peer", "[2001:db8:1::9]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv6 peer outside the prefix", "[2001:db8:2::9]:80", []string{"198.51.100.1"}, "2001:db8:2::9"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"mapped prefix", "172.16.0.9:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"mapped hop unmapped", "10.1.2.3:80", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
		{"peer not an address", "pipe", []string{"198.51.100.1"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.String(req); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNilTrustsNone(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "127.0.0.1:1"
	req.Header.Set("X-Forwarded-For", "198.51.100.1")
	for _, r := range []*Resolver{nil, {}, mustParse(t, "")} {
		if got := r.String(req); got != "127.0.0.1" {
			t.Errorf("%v: got %q", r, got)
		}
	}
}

func mustParse(t *testing.T, s string) *Resolver {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRefuses(t *testing.T) {
	for _, s := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/8/2", "fe80::1%eth0", "::ffff:10.0.0.0/8", "10.0.0.300"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

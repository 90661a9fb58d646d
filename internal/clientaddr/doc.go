// Package clientaddr finds the address of the client behind an HTTP request.
//
// Behind a load balancer or reverse proxy every request arrives from the proxy, and the
// client's own address is only in the X-Forwarded-For header the proxy adds. Anyone can send
// that header, so it is believed only as far as it was written by proxies the operator listed
// as trusted: the chain is walked from the right (the hop nearest to us), skipping trusted
// proxies, and the first address that is not a trusted proxy is the client. With no trusted
// proxies (the default) the header is ignored and the client is the TCP peer.
//
// Invariant: an address a client chose can only come out of Resolve when a trusted proxy
// vouched for it by appending the client's real peer address after it; a client cannot make
// itself look like any address other than the one its trusted proxy saw.
//
// The failed-login limits and the admission component key on this address, so that behind a
// proxy clients do not all share the proxy's address.
package clientaddr

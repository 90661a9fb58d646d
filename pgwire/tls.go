package pgwire

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/setupranali/setupranali/sqlerr"
)

// Request codes of the packets that may precede a StartupMessage.
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	// tlsHandshakeRecord is the first byte of a TLS ClientHello: a client using PostgreSQL 17's
	// sslnegotiation=direct starts TLS without an SSLRequest.
	tlsHandshakeRecord = 0x16
	// alpnPostgres is the ALPN protocol direct TLS must negotiate, as PostgreSQL requires: it
	// keeps a TLS connection meant for another protocol from being taken for ours.
	alpnPostgres = "postgresql"
)

// negotiateEncryption reads what comes before the StartupMessage: GSSEncRequest (refused),
// SSLRequest (TLS when configured, else refused) or a direct TLS ClientHello. Then it attaches
// the message decoder to the socket or to the TLS connection over it. The first packet that is
// none of these is left for the decoder.
func (c *conn) negotiateEncryption(ctx context.Context) error {
	// Shutdown must wake a client that connected and sent nothing, as the decoder's reader
	// does later.
	stop, woke := make(chan struct{}), make(chan bool, 1)
	go func() {
		select {
		case <-c.srv.drain:
			c.nc.SetReadDeadline(time.Now())
			woke <- true
		case <-stop:
			woke <- false
		}
	}()
	err := c.preStartup(ctx)
	close(stop)
	if <-woke {
		if c.rd == nil {
			c.attach(c.nc)
		}
		return c.fatal(sqlerr.Fatal(sqlerr.AdminShutdown, "the server is shutting down"))
	}
	return err
}

func (c *conn) preStartup(ctx context.Context) error {
	var sslAsked, gssAsked bool
	for {
		var head [8]byte
		if _, err := io.ReadFull(c.nc, head[:]); err != nil {
			c.attach(c.nc)
			return &readError{err}
		}
		if head[0] == tlsHandshakeRecord {
			if c.srv.cfg.TLS == nil || sslAsked {
				// Not a PostgreSQL packet we can answer; a TLS alert would need TLS.
				c.attach(c.nc)
				return errors.New("direct TLS handshake, but TLS is not configured")
			}
			return c.startTLS(ctx, &prefixConn{Conn: c.nc, buf: head[:]}, true)
		}
		length, code := binary.BigEndian.Uint32(head[:4]), binary.BigEndian.Uint32(head[4:])
		switch {
		case length == 8 && code == sslRequestCode:
			if sslAsked {
				c.attach(c.nc)
				return c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "SSLRequest sent twice"))
			}
			sslAsked = true
			if c.srv.cfg.TLS != nil {
				if _, err := c.nc.Write([]byte{'S'}); err != nil {
					return &readError{err}
				}
				return c.startTLS(ctx, c.nc, false)
			}
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return &readError{err}
			}
		case length == 8 && code == gssEncRequestCode:
			if gssAsked {
				c.attach(c.nc)
				return c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "GSSEncRequest sent twice"))
			}
			gssAsked = true
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return &readError{err}
			}
		default:
			c.attach(&prefixConn{Conn: c.nc, buf: head[:]})
			return nil
		}
	}
}

// startTLS runs the server side of the TLS handshake over raw. Direct TLS must negotiate the
// "postgresql" ALPN protocol.
func (c *conn) startTLS(ctx context.Context, raw net.Conn, direct bool) error {
	cfg := c.srv.cfg.TLS.Clone()
	// The certificate served is kept for SCRAM channel binding (tls-server-end-point hashes
	// it), which a reload in between must not change.
	get, certs := cfg.GetCertificate, cfg.Certificates
	cfg.GetCertificate = func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
		var cert *tls.Certificate
		var err error
		switch {
		case get != nil:
			cert, err = get(hi)
		case len(certs) > 0:
			cert = &certs[0]
		default:
			err = errors.New("no server certificate configured")
		}
		if cert != nil {
			c.tlsCert = cert
		}
		return cert, err
	}
	cfg.Certificates = nil
	cfg.NextProtos = []string{alpnPostgres}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	tc := tls.Server(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.attach(c.nc)
		c.log.Info("TLS handshake failed", "error", err, "direct", direct)
		return &readError{err}
	}
	if direct && tc.ConnectionState().NegotiatedProtocol != alpnPostgres {
		c.attach(c.nc)
		c.log.Info("direct TLS without the postgresql ALPN protocol refused")
		return errors.New("direct TLS without ALPN postgresql")
	}
	c.tls = tc
	c.attach(tc)
	return nil
}

// prefixConn replays bytes already read from the socket before reading on.
type prefixConn struct {
	net.Conn
	buf []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// channelBinding is the tls-server-end-point channel binding data (RFC 5929) of the
// connection: a hash of the certificate the server presented, by its signature's hash (SHA-256
// for MD5 and SHA-1). nil when not over TLS or the hash is undefined.
func (c *conn) channelBinding() []byte {
	if c.tls == nil || c.tlsCert == nil || len(c.tlsCert.Certificate) == 0 {
		return nil
	}
	leaf := c.tlsCert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.tlsCert.Certificate[0]); err != nil {
			return nil
		}
	}
	var h hash.Hash
	switch leaf.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256, x509.PureEd25519:
		// Ed25519 has no separate hash; SHA-256 is what libpq and pgx use for it.
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil
	}
	h.Write(leaf.Raw)
	return h.Sum(nil)
}

// CertReloader serves a certificate and key from files and picks up new ones: on Reload (call
// it on SIGHUP) and whenever a handshake finds either file changed. A reload that fails keeps
// the previous certificate and logs why.
type CertReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	version fileVersion
}

// fileVersion identifies the contents of the two files cheaply.
type fileVersion struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// NewCertReloader loads the pair once; an error here is a configuration error.
func NewCertReloader(certFile, keyFile string, log *slog.Logger) (*CertReloader, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &CertReloader{certFile: certFile, keyFile: keyFile, log: log}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *CertReloader) stat() (fileVersion, error) {
	cs, err := os.Stat(r.certFile)
	if err != nil {
		return fileVersion{}, err
	}
	ks, err := os.Stat(r.keyFile)
	if err != nil {
		return fileVersion{}, err
	}
	return fileVersion{certMod: cs.ModTime(), keyMod: ks.ModTime(), certSize: cs.Size(), keySize: ks.Size()}, nil
}

// Reload reads the files again.
func (r *CertReloader) Reload() error {
	v, err := r.stat()
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		// The error names files, never key material.
		return fmt.Errorf("TLS certificate %s / key %s: %w", r.certFile, r.keyFile, err)
	}
	r.mu.Lock()
	changed := r.cert != nil
	r.cert, r.version = &cert, v
	r.mu.Unlock()
	if changed {
		r.log.Info("TLS certificate reloaded", "cert_file", r.certFile, "not_after", cert.Leaf.NotAfter)
	}
	return nil
}

// GetCertificate is for tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if v, err := r.stat(); err == nil {
		r.mu.Lock()
		stale := v != r.version
		r.mu.Unlock()
		if stale {
			if err := r.Reload(); err != nil {
				r.log.Warn("TLS certificate files changed but do not load; serving the previous certificate", "error", err)
				// Do not retry on every handshake until the files change again.
				r.mu.Lock()
				r.version = v
				r.mu.Unlock()
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}

// TLSConfig returns a server configuration serving the reloader's certificate.
func (r *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{GetCertificate: r.GetCertificate, MinVersion: tls.VersionTLS12}
}

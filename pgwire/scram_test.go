package pgwire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/state"
)

// writeCert writes a self-signed certificate and key for 127.0.0.1 with the given common name.
func writeCert(t *testing.T, certFile, keyFile, cn string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(certFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Rename(certFile+".tmp", certFile)
	os.Rename(keyFile+".tmp", keyFile)
}

func servedCN(t *testing.T, r *CertReloader) string {
	t.Helper()
	c, err := r.GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

func TestCertReloader(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeCert(t, certFile, keyFile, "first")
	r, err := NewCertReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cn := servedCN(t, r); cn != "first" {
		t.Fatalf("serving %q", cn)
	}
	// Changed files are picked up by the next handshake.
	writeCert(t, certFile, keyFile, "second-with-a-longer-name")
	if cn := servedCN(t, r); cn != "second-with-a-longer-name" {
		t.Fatalf("after a change: serving %q", cn)
	}
	// A pair that does not load is refused by Reload (SIGHUP) and the old one stays.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Fatalf("Reload of a broken pair: %v", err)
	}
	if cn := servedCN(t, r); cn != "second-with-a-longer-name" {
		t.Fatalf("after a broken reload: serving %q", cn)
	}
	if _, err := NewCertReloader(certFile, keyFile, nil); err == nil {
		t.Fatal("a broken pair loads at start")
	}
}

// scramServer is a test server with the real key store over a state DB and TLS.
func scramServer(t *testing.T) (*testServer, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := state.Open(context.Background(), filepath.Join(dir, "s.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := auth.NewKeys(db, auth.KeysConfig{})
	t.Cleanup(func() { keys.Close(); db.Close() })
	key, _, err := keys.Create(context.Background(), auth.KeySpec{Name: "k", Tenants: []string{"tenantA"}, Role: auth.RoleViewer}, "test")
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writeCert(t, certFile, keyFile, "scram")
	certs, err := NewCertReloader(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) {
		c.Authenticator = keys
		c.TLS = certs.TLSConfig()
	})
	return ts, key
}

// dialTLS connects, asks for TLS and returns a client over it.
func (ts *testServer) dialTLS(t *testing.T) *rawClient {
	t.Helper()
	c := ts.dial(t)
	if _, err := c.nc.Write([]byte{0, 0, 0, 8, 4, 210, 22, 47}); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'S' {
		t.Fatalf("SSLRequest answered %q, %v", b[0], err)
	}
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.nc = tc
	c.fe = pgproto3.NewFrontend(tc, tc)
	return c
}

// startSCRAM sends the StartupMessage for user and returns the offered mechanisms.
func (c *rawClient) startSCRAM(user string) []string {
	c.t.Helper()
	c.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30, Parameters: map[string]string{"user": user}})
	msg := c.receive()
	sasl, ok := msg.(*pgproto3.AuthenticationSASL)
	if !ok {
		c.t.Fatalf("got %T, want AuthenticationSASL", msg)
	}
	return sasl.AuthMechanisms
}

func TestSCRAMExchangeChecks(t *testing.T) {
	ts, key := scramServer(t)
	id := auth.KeyIDOf(key)
	garbageProof := base64.StdEncoding.EncodeToString(make([]byte, 32))

	t.Run("mechanisms in clear", func(t *testing.T) {
		c := ts.dial(t)
		if got := c.startSCRAM(id); !slices.Equal(got, []string{"SCRAM-SHA-256"}) {
			t.Errorf("offered %v without TLS", got)
		}
	})
	t.Run("mechanisms over TLS", func(t *testing.T) {
		c := ts.dialTLS(t)
		if got := c.startSCRAM(id); !slices.Equal(got, []string{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}) {
			t.Errorf("offered %v over TLS", got)
		}
	})
	t.Run("PLUS refused in clear", func(t *testing.T) {
		c := ts.dial(t)
		c.startSCRAM(id)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("p=tls-server-end-point,,n=,r=abc")})
		c.expectError("08P01")
	})
	t.Run("downgrade detected", func(t *testing.T) {
		// "y": the client could bind but believes the server cannot, though PLUS was offered.
		c := ts.dialTLS(t)
		c.startSCRAM(id)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("y,,n=,r=abc")})
		c.expectError("08P01")
	})
	t.Run("wrong channel binding", func(t *testing.T) {
		c := ts.dialTLS(t)
		c.startSCRAM(id)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256-PLUS", Data: []byte("p=tls-server-end-point,,n=,r=abc")})
		cont, ok := c.receive().(*pgproto3.AuthenticationSASLContinue)
		if !ok {
			t.Fatal("no server-first message")
		}
		nonce, _, _ := strings.Cut(strings.TrimPrefix(string(cont.Data), "r="), ",")
		cbind := base64.StdEncoding.EncodeToString(append([]byte("p=tls-server-end-point,,"), make([]byte, 32)...))
		c.send(&pgproto3.SASLResponse{Data: []byte("c=" + cbind + ",r=" + nonce + ",p=" + garbageProof)})
		er := c.expectError("28P01")
		if !strings.Contains(er.Message, "channel binding") {
			t.Errorf("message %q", er.Message)
		}
	})
	t.Run("nonce must continue the client's", func(t *testing.T) {
		c := ts.dial(t)
		c.startSCRAM(id)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")})
		cont := c.receive().(*pgproto3.AuthenticationSASLContinue)
		if !strings.HasPrefix(string(cont.Data), "r=abc") || !strings.Contains(string(cont.Data), ",i=4096") {
			t.Fatalf("server-first %q", cont.Data)
		}
		c.send(&pgproto3.SASLResponse{Data: []byte("c=biws,r=abcOTHER,p=" + garbageProof)})
		c.expectError("08P01")
	})
	t.Run("wrong proof", func(t *testing.T) {
		c := ts.dial(t)
		c.startSCRAM(id)
		c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")})
		cont := c.receive().(*pgproto3.AuthenticationSASLContinue)
		nonce, _, _ := strings.Cut(strings.TrimPrefix(string(cont.Data), "r="), ",")
		c.send(&pgproto3.SASLResponse{Data: []byte("c=biws,r=" + nonce + ",p=" + garbageProof)})
		c.expectError("28P01")
	})
	for _, bad := range []string{"", "x,,n=,r=abc", "n,a=someone,n=,r=abc", "n,,r=abc", "n,,n=,r=", "p=tls-unique,,n=,r=abc"} {
		t.Run("malformed "+bad, func(t *testing.T) {
			c := ts.dial(t)
			c.startSCRAM(id)
			c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(bad)})
			msg := c.receive()
			if er, ok := msg.(*pgproto3.ErrorResponse); !ok || er.Severity != "FATAL" || er.Code == "XX000" {
				t.Errorf("got %#v", msg)
			}
		})
	}
	t.Run("unknown key id gets a stable fake salt", func(t *testing.T) {
		salt := func() string {
			c := ts.dial(t)
			c.startSCRAM("aaaaaaaaaaaaaaaa")
			c.send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte("n,,n=,r=abc")})
			cont := c.receive().(*pgproto3.AuthenticationSASLContinue)
			_, s, _ := strings.Cut(string(cont.Data), ",s=")
			return s
		}
		if a, b := salt(), salt(); a != b || a == "" {
			t.Errorf("fake salts %q and %q", a, b)
		}
	})
}

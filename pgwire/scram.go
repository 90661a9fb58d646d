package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/sqlerr"
)

// SCRAMAuthenticator is an Authenticator whose keys have SCRAM-SHA-256 verifiers. A client whose
// user name is a key id then logs in with SCRAM (RFC 5802, 7677), which never sends the key.
type SCRAMAuthenticator interface {
	SCRAM(ctx context.Context, user string) (*auth.SCRAMLogin, error)
}

const (
	scramSHA256     = "SCRAM-SHA-256"
	scramSHA256Plus = "SCRAM-SHA-256-PLUS"
	// cbTypeEndPoint is the only channel binding type PostgreSQL and its clients use.
	cbTypeEndPoint = "tls-server-end-point"
)

// scramFailed is the error of a malformed exchange. It says no more than PostgreSQL does.
func scramFailed(format string, args ...any) *sqlerr.Error {
	return sqlerr.Fatal(sqlerr.ProtocolViolation, "malformed SCRAM message: "+format, args...)
}

// authenticateSCRAM runs the SASL exchange for the key whose id is the user name. Over TLS it
// offers SCRAM-SHA-256-PLUS, binding the exchange to this TLS connection's certificate, so a
// man in the middle with another certificate cannot relay it.
func (c *conn) authenticateSCRAM(ctx context.Context, p startupParams, sa SCRAMAuthenticator) (auth.Principal, error) {
	login, err := sa.SCRAM(ctx, p.user)
	if err != nil {
		return auth.Principal{}, c.fatal(c.authError(p, err))
	}
	cb := c.channelBinding()
	mechs := []string{scramSHA256}
	if cb != nil {
		mechs = []string{scramSHA256Plus, scramSHA256}
	}
	c.out.send(&pgproto3.AuthenticationSASL{AuthMechanisms: mechs})
	if err := c.out.flush(); err != nil {
		return auth.Principal{}, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return auth.Principal{}, c.fatal(sqlerr.Internal(err))
	}
	msg, err := c.be.Receive()
	if err != nil {
		return auth.Principal{}, c.receiveFailed(err)
	}
	ir, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "expected SASL response, got %T", msg))
	}
	plus := ir.AuthMechanism == scramSHA256Plus
	if !plus && ir.AuthMechanism != scramSHA256 || plus && cb == nil {
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "client selected an invalid SASL authentication mechanism"))
	}
	first, ferr := parseClientFirst(string(ir.Data))
	if ferr != nil {
		return auth.Principal{}, c.fatal(ferr)
	}
	switch {
	case plus && first.cbFlag != "p="+cbTypeEndPoint:
		return auth.Principal{}, c.fatal(scramFailed("SCRAM-SHA-256-PLUS without tls-server-end-point channel binding"))
	case !plus && strings.HasPrefix(first.cbFlag, "p="):
		return auth.Principal{}, c.fatal(scramFailed("channel binding requested with SCRAM-SHA-256"))
	case first.cbFlag == "y" && cb != nil:
		// The client can bind and thinks we cannot, though we offered PLUS: someone removed it.
		return auth.Principal{}, c.fatal(scramFailed("the client supports channel binding but thinks the server does not; the connection may have been tampered with"))
	}

	var nb [18]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return auth.Principal{}, c.fatal(sqlerr.Internal(err))
	}
	nonce := first.nonce + base64.StdEncoding.EncodeToString(nb[:])
	serverFirst := "r=" + nonce + ",s=" + base64.StdEncoding.EncodeToString(login.Salt) + ",i=" + strconv.Itoa(login.Iterations)
	c.out.send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.out.flush(); err != nil {
		return auth.Principal{}, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return auth.Principal{}, c.fatal(sqlerr.Internal(err))
	}
	msg, err = c.be.Receive()
	if err != nil {
		return auth.Principal{}, c.receiveFailed(err)
	}
	resp, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "expected SASL response, got %T", msg))
	}
	final, ferr := parseClientFinal(string(resp.Data))
	if ferr != nil {
		return auth.Principal{}, c.fatal(ferr)
	}
	want := []byte(first.gs2Header)
	if plus {
		want = append(want, cb...)
	}
	if subtle.ConstantTimeCompare(final.cbind, want) != 1 {
		e := sqlerr.Fatal(sqlerr.InvalidPassword, "SCRAM channel binding check failed")
		c.authFailed(e)
		return auth.Principal{}, c.fatal(e)
	}
	if final.nonce != nonce {
		return auth.Principal{}, c.fatal(scramFailed("nonce does not match"))
	}
	authMessage := first.bare + "," + serverFirst + "," + final.withoutProof
	sig, principal, err := login.Verify([]byte(authMessage), final.proof)
	if err != nil {
		return auth.Principal{}, c.fatal(c.authError(p, err))
	}
	c.out.send(&pgproto3.AuthenticationSASLFinal{Data: []byte("v=" + base64.StdEncoding.EncodeToString(sig))})
	return principal, nil
}

type clientFirst struct {
	gs2Header string // "n,," / "y,," / "p=tls-server-end-point,,"
	cbFlag    string
	bare      string // client-first-message-bare
	nonce     string
}

// parseClientFirst reads gs2-header client-first-message-bare (RFC 5802 section 7). The user
// name is ignored, as in PostgreSQL: the StartupMessage named the user.
func parseClientFirst(s string) (clientFirst, *sqlerr.Error) {
	var m clientFirst
	flag, rest, ok := strings.Cut(s, ",")
	if !ok {
		return m, scramFailed("no GS2 header")
	}
	switch {
	case flag == "n", flag == "y":
	case strings.HasPrefix(flag, "p="):
		if flag[2:] != cbTypeEndPoint {
			return m, scramFailed("unsupported channel binding type")
		}
	default:
		return m, scramFailed("bad channel binding flag")
	}
	authzid, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return m, scramFailed("no GS2 header")
	}
	if authzid != "" {
		return m, sqlerr.Fatal(sqlerr.FeatureNotSupported, "client uses authorization identity, but it is not supported")
	}
	m.cbFlag, m.gs2Header, m.bare = flag, flag+",,", bare
	if strings.HasPrefix(bare, "m=") {
		return m, sqlerr.Fatal(sqlerr.FeatureNotSupported, "client requires an unsupported SCRAM extension")
	}
	attrs := strings.Split(bare, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return m, scramFailed("expected n= and r= attributes")
	}
	m.nonce = attrs[1][2:]
	if !printableNonce(m.nonce) {
		return m, scramFailed("invalid nonce")
	}
	return m, nil
}

// printableNonce: RFC 5802 nonces are printable ASCII without ','.
func printableNonce(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e || s[i] == ',' {
			return false
		}
	}
	return true
}

type clientFinal struct {
	cbind        []byte
	nonce        string
	proof        []byte
	withoutProof string
}

// parseClientFinal reads c=...,r=...[,extensions],p=... .
func parseClientFinal(s string) (clientFinal, *sqlerr.Error) {
	var m clientFinal
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return m, scramFailed("no proof")
	}
	m.withoutProof = s[:i]
	proof, err := base64.StdEncoding.DecodeString(s[i+3:])
	if err != nil || len(proof) != 32 {
		return m, scramFailed("invalid proof")
	}
	m.proof = proof
	attrs := strings.Split(m.withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return m, scramFailed("expected c= and r= attributes")
	}
	if m.cbind, err = base64.StdEncoding.DecodeString(attrs[0][2:]); err != nil {
		return m, scramFailed("invalid channel binding data")
	}
	m.nonce = attrs[1][2:]
	return m, nil
}

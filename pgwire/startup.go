package pgwire

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/planner/session"
	"github.com/setupranali/setupranali/sqlerr"
)

// errCancelRequest ends a connection that only carried a CancelRequest.
var errCancelRequest = errors.New("cancel request handled")

// startupParams are the StartupMessage parameters the server uses; the rest are ignored, as
// drivers send many (extra_float_digits, search_path, options, ...).
type startupParams struct {
	user, database, appName string
	// clientTimeZone is the TimeZone the client asked for, "" when it asked for none: then
	// time grains follow each dataset's defaultTimezone.
	clientTimeZone string
}

// startup runs the startup phase up to the first ReadyForQuery, under the startup deadline.
// It reports whether the session may begin.
func (c *conn) startup() (bool, error) {
	if a := c.srv.cfg.Admission; a != nil {
		// Bounded apart from authenticated sessions, so half-open sockets cannot take their
		// slots; refused at once, before anything is read.
		release, err := a.StartConnection()
		if err != nil {
			c.log.Info("connection refused", "reason", err.Error())
			return false, c.fatal(toSQLError(err))
		}
		c.releaseStartup = release
		defer c.endStartup()
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.srv.cfg.StartupTimeout)
	defer cancel()
	// An expired deadline unblocks a read or write stuck on a stalled client; the socket itself
	// stays open until the connection has given back its slot.
	unwatch := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Now()) })

	err := c.handshake(ctx)
	if !unwatch() {
		if err == nil {
			err = context.Cause(ctx)
		}
		return false, err
	}
	return err == nil, err
}

func (c *conn) handshake(ctx context.Context) error {
	if err := c.negotiateEncryption(ctx); err != nil {
		return err
	}
	sm, err := c.readStartup()
	if err != nil {
		return err
	}
	p, err := c.negotiate(sm)
	if err != nil {
		return err
	}
	if c.srv.cfg.RequireTLS && c.tls == nil {
		c.log.Info("connection without TLS refused", "user", p.user)
		return c.fatal(sqlerr.Fatal(sqlerr.InvalidAuthorization, "this server requires TLS; connect with sslmode=require (or stronger)"))
	}
	principal, err := c.authenticate(ctx, p)
	if err != nil {
		return err
	}
	c.caller = admission.Caller{Principal: principal, Protocol: admission.PG, RemoteAddr: c.nc.RemoteAddr().String()}
	if a := c.srv.cfg.Admission; a != nil {
		release, err := a.OpenSession(c.caller)
		if err != nil {
			c.log.Info("connection refused", "key_id", principal.KeyID, "reason", err.Error())
			return c.fatal(toSQLError(err))
		}
		c.releaseSession = release
	}
	// Authenticated: the startup slot goes back now, before the client can see
	// ReadyForQuery, so a client that connects again at once finds it free.
	c.endStartup()
	c.params = p
	c.initSession(planner.Session{Principal: principal, Database: p.database, User: p.user}, sm.Parameters, p.clientTimeZone)
	c.log = c.log.With("user", p.user, "database", p.database, "application_name", p.appName,
		"key_id", principal.KeyID, "tenant", strings.Join(principal.Tenants, ","))

	if _, err := rand.Read(c.secret[:]); err != nil {
		return c.fatal(sqlerr.Internal(err))
	}
	c.srv.register(c)
	c.log = c.log.With("pid", c.pid)

	c.out.send(&pgproto3.AuthenticationOk{})
	c.sendStartupReports()
	c.out.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret[:]})
	c.readyForQuery()
	return c.out.flush()
}

// readStartup reads the StartupMessage, or serves a CancelRequest. Encryption requests were
// answered by negotiateEncryption; one arriving now came inside TLS.
func (c *conn) readStartup() (*pgproto3.StartupMessage, error) {
	msg, err := c.be.ReceiveStartupMessage()
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			return nil, err
		}
		if errors.Is(err, errDraining) {
			return nil, c.fatal(sqlerr.Fatal(sqlerr.AdminShutdown, "the server is shutting down"))
		}
		// Garbage, an unknown protocol major, or a 3.x minor pgproto3 does not decode.
		return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "invalid startup packet: %v", err))
	}
	switch m := msg.(type) {
	case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
		return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "encryption request after encryption was negotiated"))
	case *pgproto3.CancelRequest:
		c.srv.cancelBackend(m.ProcessID, m.SecretKey)
		return nil, errCancelRequest
	case *pgproto3.StartupMessage:
		return m, nil
	}
	return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "unexpected startup message %T", msg))
}

// negotiate checks the StartupMessage and extracts the parameters we use.
func (c *conn) negotiate(sm *pgproto3.StartupMessage) (startupParams, error) {
	var p startupParams
	// Protocol 3.2 (longer cancel keys) and "_pq_." options are answered by negotiating down to
	// 3.0 without them, which clients accept, instead of failing the connection.
	var unknown []string
	for k := range sm.Parameters {
		if strings.HasPrefix(k, "_pq_.") {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(unknown)
	if sm.ProtocolVersion != pgproto3.ProtocolVersion30 || len(unknown) > 0 {
		c.out.send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0, UnrecognizedOptions: unknown})
	}

	p.user = sm.Parameters["user"]
	if p.user == "" {
		return p, c.fatal(sqlerr.Fatal(sqlerr.InvalidAuthorization, "no PostgreSQL user name specified in startup packet"))
	}
	if auth.KeyIDOf(p.user) != "" {
		// A key pasted into the user field would end up in logs and in current_user.
		c.log.Info("connection refused: the user name is an API key")
		return p, c.fatal(sqlerr.Fatal(sqlerr.InvalidAuthorization, "the user name is an API key; give the key as the password, and its id (or any name) as the user name"))
	}
	p.database = sm.Parameters["database"]
	if p.database == "" {
		p.database = p.user
	}
	// GUC names are case-insensitive, and drivers spell TimeZone both ways.
	for k, v := range sm.Parameters {
		switch {
		case strings.EqualFold(k, "application_name"):
			p.appName = v
		case strings.EqualFold(k, "TimeZone"):
			// Normalised as SET TIME ZONE would, so SHOW and ParameterStatus read the same
			// either way; a zone the planner does not know is kept as sent.
			p.clientTimeZone = v
			if tz, err := session.NormalizeTimeZone(v); err == nil {
				p.clientTimeZone = tz
			}
		}
	}
	return p, nil
}

// CleartextPolicy says when a client may send its API key as a clear-text password.
type CleartextPolicy string

const (
	// CleartextTLSOrLoopback allows clear-text passwords over TLS and from loopback addresses,
	// where nobody else sees the packets. The default.
	CleartextTLSOrLoopback CleartextPolicy = "tls-or-loopback"
	// CleartextTLS allows them over TLS only.
	CleartextTLS CleartextPolicy = "tls"
	// CleartextNever allows none: only SCRAM (user name = key id) logs in.
	CleartextNever CleartextPolicy = "never"
	// CleartextAlways allows them anywhere. Anyone on the path can read the key.
	CleartextAlways CleartextPolicy = "always"
)

// Valid reports whether p is a known policy ("" means the default).
func (p CleartextPolicy) Valid() bool {
	switch p {
	case "", CleartextTLSOrLoopback, CleartextTLS, CleartextNever, CleartextAlways:
		return true
	}
	return false
}

// cleartextAllowed applies the policy to this connection.
func (c *conn) cleartextAllowed() bool {
	switch c.srv.cfg.Cleartext {
	case CleartextAlways:
		return true
	case CleartextNever:
		return false
	case CleartextTLS:
		return c.tls != nil
	}
	return c.tls != nil || isLoopback(c.nc.RemoteAddr())
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
	}
	_, isUnix := a.(*net.UnixAddr)
	return isUnix
}

// authenticate checks the client's API key: by SCRAM when the user name is a key id and the
// authenticator has verifiers, else as a clear-text password where the policy allows one.
func (c *conn) authenticate(ctx context.Context, p startupParams) (auth.Principal, error) {
	ctx = auth.WithRemoteAddr(ctx, c.nc.RemoteAddr().String())
	if sa, ok := c.srv.cfg.Authenticator.(SCRAMAuthenticator); ok && auth.IsKeyID(p.user) {
		return c.authenticateSCRAM(ctx, p, sa)
	}
	if !c.cleartextAllowed() {
		// Refused before the password is asked for, so the client never sends it.
		c.log.Info("authentication refused: clear-text password not allowed on this connection", "user", p.user, "tls", c.tls != nil)
		hint := "connect with TLS (sslmode=require)"
		if _, ok := c.srv.cfg.Authenticator.(SCRAMAuthenticator); ok {
			hint += ", or use SCRAM by giving the key id as the user name"
		}
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.InvalidAuthorization,
			"password authentication in clear text is not allowed on this connection").WithHint("%s", hint))
	}
	c.out.send(&pgproto3.AuthenticationCleartextPassword{})
	if err := c.out.flush(); err != nil {
		return auth.Principal{}, err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeCleartextPassword); err != nil {
		return auth.Principal{}, c.fatal(sqlerr.Internal(err))
	}
	msg, err := c.be.Receive()
	if err != nil {
		// psql hangs up here to prompt for a password, then reconnects: not worth a log line.
		return auth.Principal{}, c.receiveFailed(err)
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "expected password response, got %T", msg))
	}
	if pm.Password == "" {
		c.log.Info("authentication failed", "user", p.user, "reason", "empty password")
		c.authFailed(auth.ErrInvalidKey)
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.InvalidPassword, "password authentication failed: no API key given"))
	}
	principal, err := c.srv.cfg.Authenticator.Authenticate(ctx, pm.Password)
	if err != nil {
		return auth.Principal{}, c.fatal(c.authError(p, err))
	}
	return principal, nil
}

// authFailed reports a failed key check to Config.AuthFailed.
func (c *conn) authFailed(err error) {
	if c.srv.cfg.AuthFailed != nil {
		c.srv.cfg.AuthFailed(err)
	}
}

// authError turns an Authenticator failure into the FATAL error the client sees. A broken key
// store is logged in full but still answered with 28P01, a code every driver treats as "this
// login failed" rather than "the server is dead".
func (c *conn) authError(p startupParams, err error) *sqlerr.Error {
	c.authFailed(err)
	// A copy: the error may be a shared value such as auth.ErrBadKey.
	e := *toSQLError(err)
	switch {
	case e.Code == sqlerr.InternalError:
		c.log.Error("authentication failed: internal error", "user", p.user, "message", e.Message, "error", err)
		e.Code = sqlerr.InvalidPassword
		e.Message = "password authentication failed: " + e.Message
	case sqlerr.Class(e.Code) == "28":
		c.log.Info("authentication failed", "user", p.user, "code", e.Code)
	default:
		c.log.Warn("authentication failed", "user", p.user, "code", e.Code, "message", e.Message)
	}
	return &e
}

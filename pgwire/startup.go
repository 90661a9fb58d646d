package pgwire

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/planner"
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
	sm, err := c.readStartup()
	if err != nil {
		return err
	}
	p, err := c.negotiate(sm)
	if err != nil {
		return err
	}
	if !c.srv.acquireSlot(c) {
		return c.fatal(sqlerr.Fatal(sqlerr.TooManyConnections, "sorry, too many clients already"))
	}
	principal, err := c.authenticate(ctx, p)
	if err != nil {
		return err
	}
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

// readStartup reads packets until a StartupMessage, refusing encryption requests (this server
// speaks in clear on the same socket, as PostgreSQL does when TLS is off) and serving a
// CancelRequest.
func (c *conn) readStartup() (*pgproto3.StartupMessage, error) {
	var sslAsked, gssAsked bool
	for {
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
		case *pgproto3.SSLRequest:
			if sslAsked {
				return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "SSLRequest sent twice"))
			}
			sslAsked = true
			c.out.sendByte('N')
		case *pgproto3.GSSEncRequest:
			if gssAsked {
				return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "GSSEncRequest sent twice"))
			}
			gssAsked = true
			c.out.sendByte('N')
		case *pgproto3.CancelRequest:
			c.srv.cancelBackend(m.ProcessID, m.SecretKey)
			return nil, errCancelRequest
		case *pgproto3.StartupMessage:
			return m, nil
		default:
			return nil, c.fatal(sqlerr.Fatal(sqlerr.ProtocolViolation, "unexpected startup message %T", msg))
		}
		if err := c.out.flush(); err != nil {
			return nil, err
		}
	}
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
			if tz, err := planner.NormalizeTimeZone(v); err == nil {
				p.clientTimeZone = tz
			}
		}
	}
	return p, nil
}

// authenticate asks for the password (the API key) and checks it.
func (c *conn) authenticate(ctx context.Context, p startupParams) (auth.Principal, error) {
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
		return auth.Principal{}, c.fatal(sqlerr.Fatal(sqlerr.InvalidPassword, "password authentication failed: no API key given"))
	}
	principal, err := c.srv.cfg.Authenticator.Authenticate(ctx, pm.Password)
	if err != nil {
		return auth.Principal{}, c.fatal(c.authError(p, err))
	}
	return principal, nil
}

// authError turns an Authenticator failure into the FATAL error the client sees. A broken key
// store is logged in full but still answered with 28P01, a code every driver treats as "this
// login failed" rather than "the server is dead".
func (c *conn) authError(p startupParams, err error) *sqlerr.Error {
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

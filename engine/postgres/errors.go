package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/internal/valuesize"
	"github.com/setupranali/setupranali/sqlerr"
)

// Error mapping. The gateway's client sees the source's own SQLSTATE for errors in the SQL, so
// a PostgreSQL source answers like PostgreSQL. What the gateway must not pass on: class XX and
// 58 (the source's internals) become the gateway's internal error; class 53 (out of resources
// on the source) becomes 54000, because Npgsql clears its whole pool on class 53; FATAL becomes
// ERROR, as the client's session with the gateway lives on. A source that cannot be reached, or
// whose connection broke, is 57P03 naming the source, never class 08 (Npgsql, behind Power BI
// and Excel, takes class 08 as its own connection to the gateway breaking and drops it, though
// the gateway and its other sources are fine) and never XX; the driver's or server's own text
// stays in the cause, for the log. No message carries the DSN or the password.

// mapError gives an error of a query on an open connection its SQLSTATE.
func (b *Backend) mapError(ctx context.Context, pc *pgconn.PgConn, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return b.fromPgError(pe)
	}
	if pc.IsClosed() || isConnectionError(err) {
		return &sqlerr.Error{Code: sqlerr.CannotConnectNow, Severity: sqlerr.SeverityError,
			Message: "the connection to data source " + b.name + " was lost; try again",
			Cause:   errors.New(b.redact(err.Error()))}
	}
	return sqlerr.Internal(errors.New(b.redact(err.Error())))
}

func (b *Backend) fromPgError(pe *pgconn.PgError) error {
	if e, ok := valuesize.FromEngine(pe.Message); ok && pe.Code == sqlerr.InvalidTextRepresentation {
		// The planner's value-size guard refusing a value before it is built.
		return e
	}
	code := pe.Code
	switch class := sqlerr.Class(code); {
	case len(code) != 5 || class == "XX" || class == "58":
		return sqlerr.Internal(errors.New(b.redact(pe.Error())))
	case class == "53":
		code = sqlerr.ProgramLimitExceeded
	}
	return &sqlerr.Error{
		Code:     code,
		Severity: sqlerr.SeverityError,
		Message:  b.redact(pe.Message),
		Detail:   b.redact(pe.Detail),
		Hint:     b.redact(pe.Hint),
	}
}

// connectError maps a failure to get a connection. The client learns which source is down; the
// reason (refused, authentication, unknown database, ...) is the driver's or the server's text
// and names hosts and users, so it stays in the cause (ConnectReason), without the DSN or the
// password.
func (b *Backend) connectError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	reason := ""
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		reason = pe.Message
	} else {
		reason = innermost(err).Error()
	}
	return &sqlerr.Error{Code: sqlerr.CannotConnectNow, Severity: sqlerr.SeverityError,
		Message: "data source " + b.name + " is unavailable; datasets on other sources are not affected",
		Cause:   errors.New("could not connect: " + b.redact(reason))}
}

// ConnectReason is why an error of this package's failed, for operators (logs, 'sources test'):
// the cause of a failed connection, without the DSN or the password; "" for other errors.
func ConnectReason(err error) string {
	var se *sqlerr.Error
	if !errors.As(err, &se) || se.Code != sqlerr.CannotConnectNow || se.Cause == nil {
		return ""
	}
	return se.Cause.Error()
}

// configError reports a DSN pgx cannot parse. pgx's own message quotes the connection string
// with the password masked on a best-effort basis; ours quotes none of it.
func configError(err error) error {
	msg := "postgres: the DSN cannot be parsed (want a postgres:// URL or key=value settings)"
	inner := innermost(err)
	var ue *url.Error
	if inner != err && !errors.As(inner, &ue) {
		msg += ": " + inner.Error()
	}
	return errors.New(msg)
}

// innermost unwraps err to its root cause, e.g. the dial error inside pgx's ConnectError,
// which itself names the user and database.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func isConnectionError(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe")
}

// secretsOf lists what must never appear in an error or a log line: the DSN itself and the
// password, raw and as a URL would escape it.
func secretsOf(dsn string, cc *pgx.ConnConfig) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	add(dsn)
	add(cc.Password)
	add(url.QueryEscape(cc.Password))
	add(url.PathEscape(cc.Password))
	add(url.UserPassword("", cc.Password).String())
	return out
}

// redact replaces every secret in s.
func (b *Backend) redact(s string) string {
	for _, sec := range b.secrets {
		if strings.TrimLeft(sec, ":@") == "" {
			continue
		}
		s = strings.ReplaceAll(s, sec, "********")
	}
	return s
}

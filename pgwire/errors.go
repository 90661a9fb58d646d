package pgwire

import (
	"context"
	"errors"
	"log/slog"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// sendError is the one place an error becomes an ErrorResponse. It reports whether the error is
// FATAL, after which the caller must close the connection.
func (c *conn) sendError(err error) (fatal bool) {
	e := toSQLError(err)
	severity := sqlerr.SeverityError
	if e.Severity == sqlerr.SeverityFatal {
		severity = sqlerr.SeverityFatal
	}
	log := c.log
	internal := e.Code == sqlerr.InternalError
	// Which tool statement failed, findable without a packet capture: its shape, no values.
	// Only parsed again when the line is logged at all.
	if c.served != "" && (internal || log.Enabled(context.Background(), slog.LevelDebug)) {
		if id, text, ok := planner.Fingerprint(c.served); ok {
			log = log.With("statement_fingerprint", id, "statement", text)
		}
	}
	if internal {
		log.Error("internal error", "message", e.Message, "error", err)
	} else if e.Cause != nil {
		// The engine's own words, which the client never reads, are what an operator needs.
		log.Debug("error sent to client", "code", e.Code, "severity", severity, "message", e.Message, "cause", e.Cause)
	} else {
		log.Debug("error sent to client", "code", e.Code, "severity", severity, "message", e.Message)
	}
	msg := &pgproto3.ErrorResponse{
		Severity:            severity,
		SeverityUnlocalized: severity,
		Code:                e.Code,
		Message:             e.Message,
		Detail:              e.Detail,
		Hint:                e.Hint,
	}
	if e.Position > 0 {
		msg.Position = int32(min(e.Position, math.MaxInt32))
	}
	c.out.send(msg)
	return severity == sqlerr.SeverityFatal
}

// toSQLError finds the *sqlerr.Error to show for err. A bare context error means a query was
// stopped, which a client can always provoke, so it is 57014 and never internal.
func toSQLError(err error) *sqlerr.Error {
	var e *sqlerr.Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	case errors.Is(err, context.Canceled):
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	return sqlerr.From(err)
}

// statementError decides what to report for a failed statement. When we cancelled the query
// ourselves, our reason wins over whatever the planner or engine made of the cancellation.
func statementError(ctx context.Context, err error) error {
	switch cause := context.Cause(ctx); {
	case cause == nil:
		return err
	case errors.Is(cause, errCanceled):
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	case errors.Is(cause, errShutdown):
		return sqlerr.Fatal(sqlerr.AdminShutdown, "terminating connection due to administrator command")
	case errors.Is(cause, errClientGone):
		return errClientGone
	}
	return err
}

// errNoSetCommand is a planner bug: a KindSet plan without its change.
var errNoSetCommand = errors.New("SET plan without a SetCommand")

// errLocalRowShape is a planner bug: a computed row that does not match its columns.
var errLocalRowShape = errors.New("local plan row does not match its columns")

package clickhouse

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/setupranali/setupranali/sqlerr"
)

// Error mapping. ClickHouse's error codes are its own, and its text names its internals, so
// nothing of it reaches a client: each code the gateway can explain gets a SQLSTATE and the
// gateway's words; everything else is the gateway's internal error with the server's text in
// the cause, for the log. A source that cannot be reached (or a shard of a Distributed table
// that cannot) is 57P03 naming the source, never class 08 (see engine/postgres for why).

// ClickHouse error codes the mapping explains.
const (
	codeUnknownTable      = 60
	codeUnknownDatabase   = 81
	codeTimeoutExceeded   = 159
	codeReadonly          = 164
	codeUnknownUser       = 192
	codeWrongPassword     = 193
	codeRequiredPassword  = 194
	codeNetworkError      = 210
	codeMemoryLimit       = 241
	codeAllConnectionsBad = 279
	codeQueryWasCancelled = 394
	codeAuthFailed        = 516
)

// deadlineGrace is how close to the query's deadline a lost shard counts as the timeout.
const deadlineGrace = 250 * time.Millisecond

// mapError gives an error of a query its SQLSTATE.
func (b *Backend) mapError(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return canceled(ctx)
	}
	mapped := b.mapServerError(err)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < deadlineGrace && sqlerr.Code(mapped) == sqlerr.CannotConnectNow {
		// The server's max_execution_time is the same limit as the deadline and may end the
		// query a moment before it; a shard's part then ends on the initiator as a network
		// error. That is the statement timeout, not a source that went away.
		return &sqlerr.Error{Code: sqlerr.QueryCanceled, Severity: sqlerr.SeverityError,
			Message: "canceling statement due to statement timeout", Cause: sqlerr.From(mapped).Cause}
	}
	return mapped
}

// mapServerError maps an error the driver or the server gave.
func (b *Backend) mapServerError(err error) error {
	cause := redact(err, b.cfg.Password)
	var ex *ch.Exception
	if errors.As(err, &ex) {
		return b.fromException(ex, cause)
	}
	var ne net.Error
	if errors.As(err, &ne) || isConnectionError(err) {
		return b.lost(cause)
	}
	return sqlerr.Internal(cause)
}

func (b *Backend) fromException(ex *ch.Exception, cause error) error {
	e := func(code, msg string) error {
		return &sqlerr.Error{Code: code, Severity: sqlerr.SeverityError, Message: msg, Cause: cause}
	}
	switch ex.Code {
	case codeTimeoutExceeded:
		return e(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	case codeQueryWasCancelled:
		return e(sqlerr.QueryCanceled, "canceling statement due to user request")
	case codeReadonly:
		return e(sqlerr.ReadOnlySQLTransaction, "cannot execute a write on data source "+b.name+": it is read-only")
	case codeMemoryLimit:
		return e(sqlerr.ProgramLimitExceeded, "the query needs more memory on data source "+b.name+" than its limit allows")
	case codeUnknownTable, codeUnknownDatabase:
		return e(sqlerr.UndefinedTable, "a table of data source "+b.name+" named by the catalog does not exist")
	case codeUnknownUser, codeWrongPassword, codeRequiredPassword, codeAuthFailed:
		return e(sqlerr.CannotConnectNow, "data source "+b.name+" refused the gateway's credentials")
	case codeNetworkError, codeAllConnectionsBad:
		return b.lost(cause)
	}
	return sqlerr.Internal(cause)
}

// lost is the error of a source (or one of its shards) that cannot be reached.
func (b *Backend) lost(cause error) error {
	return &sqlerr.Error{Code: sqlerr.CannotConnectNow, Severity: sqlerr.SeverityError,
		Message: "data source " + b.name + " cannot be reached; try again", Cause: cause}
}

// isConnectionError recognises the driver's errors of a broken or refused connection.
func isConnectionError(err error) bool {
	s := err.Error()
	for _, m := range []string{"connection refused", "broken pipe", "connection reset", "EOF", "acquire conn timeout", "no such host", "i/o timeout"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return errors.Is(err, ch.ErrAcquireConnTimeout)
}

// redact is err with the password cut out of its text, for logs and causes.
func redact(err error, password string) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if password != "" && strings.Contains(s, password) {
		return errors.New(strings.ReplaceAll(s, password, "********"))
	}
	return err
}

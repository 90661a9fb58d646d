package sqlerr

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// SQLSTATE codes used by the project, named after PostgreSQL's condition names.
const (
	SuccessfulCompletion  = "00000"
	Warning               = "01000"
	ConnectionException   = "08000"
	ProtocolViolation     = "08P01"
	FeatureNotSupported   = "0A000"
	InvalidParameterValue = "22023"
	DataException         = "22000"
	DivisionByZero        = "22012"
	// InvalidArgumentForWidthBucket is width_bucket's count <= 0 or equal bounds.
	InvalidArgumentForWidthBucket = "2201G"
	InvalidTextRepresentation     = "22P02"
	ReadOnlySQLTransaction        = "25006"
	InvalidAuthorization          = "28000"
	InvalidPassword               = "28P01"
	SyntaxError                   = "42601"
	InsufficientPrivilege         = "42501"
	UndefinedTable                = "42P01"
	UndefinedColumn               = "42703"
	UndefinedFunction             = "42883"
	UndefinedParameter            = "42P02"
	UndefinedObject               = "42704"
	CantChangeRuntimeParam        = "55P02"
	InFailedSQLTransaction        = "25P02"
	AmbiguousColumn               = "42702"
	DuplicateAlias                = "42712"
	GroupingError                 = "42803"
	DatatypeMismatch              = "42804"
	InvalidColumnReference        = "42P10"
	WrongObjectType               = "42809"
	ProgramLimitExceeded          = "54000"
	StatementTooComplex           = "54001"
	TooManyConnections            = "53300"
	ConfigurationLimit            = "53400"
	QueryCanceled                 = "57014"
	AdminShutdown                 = "57P01"
	CannotConnectNow              = "57P03"
	InternalError                 = "XX000"

	NumericValueOutOfRange           = "22003"
	InvalidRowCountInLimitClause     = "2201W"
	InvalidRowCountInResultOffset    = "2201X"
	CharacterNotInRepertoire         = "22021"
	InvalidBinaryRepresentation      = "22P03"
	ActiveSQLTransaction             = "25001"
	NoActiveSQLTransaction           = "25P01"
	IdleInTransactionSessionTimeout  = "25P03"
	InvalidSQLStatementName          = "26000"
	InvalidCursorName                = "34000"
	InvalidSavepointSpecification    = "3B001"
	SyntaxErrorOrAccessRuleViolation = "42000"
	DuplicateCursor                  = "42P03"
	DuplicatePreparedStatement       = "42P05"
	ObjectNotInPrerequisiteState     = "55000"
	IdleSessionTimeout               = "57P05"
	InvalidDatetimeFormat            = "22007"
	DatetimeFieldOverflow            = "22008"
	InvalidArgumentForLogarithm      = "2201E"
	InvalidArgumentForPower          = "2201F"
	AmbiguousFunction                = "42725"
	CannotCoerce                     = "42846"
)

// Severity values as they appear in a PostgreSQL ErrorResponse.
const (
	SeverityError = "ERROR"
	SeverityFatal = "FATAL"
)

// Error is an error with a SQLSTATE. Position, when non-zero, is a 1-based character offset into
// the statement text, as PostgreSQL reports it.
type Error struct {
	Code     string
	Severity string
	Message  string
	Detail   string
	Hint     string
	Position int
	// Cause is kept for logs only; it is never shown to a client.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil && e.Code == InternalError {
		return fmt.Sprintf("%s (SQLSTATE %s): %v", e.Message, e.Code, e.Cause)
	}
	return fmt.Sprintf("%s (SQLSTATE %s)", e.Message, e.Code)
}

// SQLState returns the SQLSTATE, the method pgx's *pgconn.PgError has too: code that only needs the
// code can take either through interface{ SQLState() string }.
func (e *Error) SQLState() string { return e.Code }

// Unwrap gives errors.Is/As access to the cause.
func (e *Error) Unwrap() error { return e.Cause }

// New returns an ERROR-severity error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Severity: SeverityError, Message: fmt.Sprintf(format, args...)}
}

// Fatal returns a FATAL-severity error: the connection ends after it is sent.
func Fatal(code, format string, args ...any) *Error {
	e := New(code, format, args...)
	e.Severity = SeverityFatal
	return e
}

// WithPosition returns e with the 1-based statement position set.
func (e *Error) WithPosition(pos int) *Error {
	e.Position = pos
	return e
}

// WithHint returns e with a hint set.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// WithDetail returns e with a detail set.
func (e *Error) WithDetail(format string, args ...any) *Error {
	e.Detail = fmt.Sprintf(format, args...)
	return e
}

// Internal wraps an unexpected failure. The client sees only "internal error (ref <id>)"; the
// cause stays in the error chain for the log line, which should carry the same ref.
func Internal(cause error) *Error {
	return &Error{
		Code:     InternalError,
		Severity: SeverityError,
		Message:  "internal error (ref " + newRef() + ")",
		Cause:    cause,
	}
}

// From returns the *Error in err's chain, or wraps err as Internal. A nil err gives nil.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Code returns the SQLSTATE of err, or InternalError when err carries none.
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return InternalError
}

// Class returns the two-character class of a SQLSTATE.
func Class(code string) string {
	if len(code) < 2 {
		return ""
	}
	return code[:2]
}

func newRef() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "unknown"
	}
	return hex.EncodeToString(b[:])
}

package duckdb

import (
	"errors"
	"regexp"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/setupranali/setupranali/sqlerr"
)

// Error wording. A client of the gateway talks to "PostgreSQL", so an error about its statement
// is worded and coded as PostgreSQL would word it, never in DuckDB's words ("Binder Error: ...",
// INT32, VARCHAR): a tool that parses messages, and a person who searches for one, must find
// PostgreSQL's. rephrase knows DuckDB's messages that clients can cause; anything else gets a
// general message of its class. DuckDB's own first line stays in the error's cause, for the log.

// rephrasing turns one DuckDB message shape (after its "<Kind> Error: " prefix) into
// PostgreSQL's code and words; hint is PostgreSQL's hint for the same condition, if any.
type rephrasing struct {
	pattern *regexp.Regexp
	code    string
	message func(m []string) string
	hint    string
}

const castHint = "You might need to add explicit type casts."

var rephrasings = []rephrasing{
	{regexp.MustCompile(`^Overflow in \w+ of (\w+)`), sqlerr.NumericValueOutOfRange,
		func(m []string) string { return pgType(m[1]) + " out of range" }, ""},
	{regexp.MustCompile(`^Type \S+ with value .* can't be cast because the value is out of range for the destination type (.+)$`),
		sqlerr.NumericValueOutOfRange,
		func(m []string) string { return pgType(m[1]) + " out of range" }, ""},
	{regexp.MustCompile(`^Type \S+ with value '(.*)' can't be cast to the destination type (.+)$`),
		sqlerr.InvalidTextRepresentation, func(m []string) string { return invalidInput(m[2], m[1]) }, ""},
	{regexp.MustCompile(`^Could not convert string ['"](.*)['"] to (.+)$`), "",
		func(m []string) string { return invalidInput(m[2], m[1]) }, ""},
	{regexp.MustCompile(`^invalid (date|timestamp|time) field format: "(.*)", expected format`), sqlerr.InvalidDatetimeFormat,
		func(m []string) string { return invalidInput(m[1], m[2]) }, ""},
	{regexp.MustCompile(`^(?:date|timestamp|time) field value out of range: "(.*)"`), sqlerr.DatetimeFieldOverflow,
		func(m []string) string { return `date/time field value out of range: "` + m[1] + `"` }, ""},
	{regexp.MustCompile(`^Unimplemented type for cast \((.+) -> (.+)\)$`), sqlerr.CannotCoerce,
		func(m []string) string { return "cannot cast type " + pgType(m[1]) + " to " + pgType(m[2]) }, ""},
	{regexp.MustCompile(`^column "(.*)" must appear in the GROUP BY clause or must be part of an aggregate function`),
		sqlerr.GroupingError,
		func(m []string) string {
			return `column "` + m[1] + `" must appear in the GROUP BY clause or be used in an aggregate function`
		}, ""},
	{regexp.MustCompile(`^(?:Scalar |Aggregate |Table )?Function with name "?(\w+)"? does not exist`), sqlerr.UndefinedFunction,
		func(m []string) string { return "function " + m[1] + " does not exist" },
		"No function matches the given name and argument types. " + castHint},
	{regexp.MustCompile(`^Function "(\w+)" is a table function`), sqlerr.UndefinedFunction,
		func(m []string) string { return "function " + m[1] + " does not exist" }, ""},
	{regexp.MustCompile(`^No function matches the given name and argument types '(\w+)\((.*)\)'`), sqlerr.UndefinedFunction,
		func(m []string) string { return "function " + m[1] + "(" + pgTypeList(m[2]) + ") does not exist" },
		"No function matches the given name and argument types. " + castHint},
	{regexp.MustCompile(`^Could not choose a best candidate function for the function call "(.+)\((.*)\)"`), sqlerr.AmbiguousFunction,
		ambiguousCall, ""},
	{regexp.MustCompile(`^Table with name "?([^"!]+)"? does not exist`), sqlerr.UndefinedTable,
		func(m []string) string { return `relation "` + m[1] + `" does not exist` }, ""},
	{regexp.MustCompile(`^Referenced column "(.*)" not found in FROM clause`), sqlerr.UndefinedColumn,
		func(m []string) string { return `column "` + m[1] + `" does not exist` }, ""},
	{regexp.MustCompile(`^Table "(.*)" does not have a column named "(.*)"`), sqlerr.UndefinedColumn,
		func(m []string) string { return "column " + m[1] + "." + m[2] + " does not exist" }, ""},
	{regexp.MustCompile(`^cannot take (logarithm of a negative number|logarithm of zero|square root of a negative number)`),
		"", func(m []string) string { return "cannot take " + m[1] }, ""},
	{regexp.MustCompile(`^syntax error at (or near .*|end of input)$`), sqlerr.SyntaxError,
		func(m []string) string { return "syntax error at " + m[1] }, ""},
}

// rephrase returns PostgreSQL's wording of DuckDB's message msg, whose kind gave code, or a
// general message of code's class when msg is not a shape rephrasings know.
func rephrase(code string, msg string) *sqlerr.Error {
	msg = firstLine(msg)
	body := msg
	if i := strings.Index(msg, " Error: "); i > 0 && !strings.ContainsAny(msg[:i], `"'(`) {
		body = msg[i+len(" Error: "):]
	}
	cause := errors.New(msg)
	for _, r := range rephrasings {
		m := r.pattern.FindStringSubmatch(body)
		if m == nil {
			continue
		}
		c := r.code
		if c == "" {
			c = codeFor(body)
		}
		e := &sqlerr.Error{Code: c, Severity: sqlerr.SeverityError, Message: r.message(m), Hint: r.hint, Cause: cause}
		if c == sqlerr.AmbiguousFunction {
			e.Hint = ambiguousHint(m[1])
		}
		return e
	}
	return &sqlerr.Error{Code: code, Severity: sqlerr.SeverityError, Message: generalMessage(code), Cause: cause}
}

// codeFor is the code of a shape whose PostgreSQL code depends on what it is about.
func codeFor(body string) string {
	switch {
	case strings.HasPrefix(body, "cannot take logarithm"):
		return sqlerr.InvalidArgumentForLogarithm
	case strings.HasPrefix(body, "cannot take square root"):
		return sqlerr.InvalidArgumentForPower
	case strings.HasSuffix(body, " to INTERVAL"), strings.HasSuffix(body, " to DATE"),
		strings.HasSuffix(body, " to TIMESTAMP"), strings.HasSuffix(body, " to TIME"):
		return sqlerr.InvalidDatetimeFormat
	}
	return sqlerr.InvalidTextRepresentation
}

// generalMessage is what a client reads for an engine error whose shape rephrase does not
// know: the condition of its SQLSTATE, in PostgreSQL's words where PostgreSQL has them.
func generalMessage(code string) string {
	switch code {
	case sqlerr.InvalidTextRepresentation:
		return "invalid input syntax for a value in the statement"
	case sqlerr.NumericValueOutOfRange:
		return "value out of range"
	case sqlerr.DivisionByZero:
		return "division by zero"
	case sqlerr.DatatypeMismatch:
		return "the statement combines values of types that do not match"
	case sqlerr.UndefinedTable:
		return "the statement names a relation that does not exist"
	case sqlerr.UndefinedFunction:
		return "the statement calls a function that does not exist"
	case sqlerr.SyntaxError:
		return "syntax error in the statement"
	case sqlerr.InsufficientPrivilege:
		return "permission denied"
	case sqlerr.FeatureNotSupported:
		return "the statement uses a feature that is not supported"
	case sqlerr.QueryCanceled:
		return "canceling statement due to user request"
	}
	return "the statement cannot be run as written"
}

// invalidInput is PostgreSQL's message for a value that does not parse as DuckDB type typ.
func invalidInput(typ, value string) string {
	t := pgType(typ)
	if strings.HasSuffix(t, "[]") {
		return `malformed array literal: "` + value + `"`
	}
	return "invalid input syntax for type " + t + `: "` + value + `"`
}

// ambiguousCall words DuckDB's "no best candidate" for an operator or a function as
// PostgreSQL does for each.
func ambiguousCall(m []string) string {
	name, args := m[1], strings.Split(m[2], ", ")
	if isOperator(name) && len(args) == 2 {
		return "operator is not unique: " + pgType(args[0]) + " " + name + " " + pgType(args[1])
	}
	if isOperator(name) && len(args) == 1 {
		return "operator is not unique: " + name + " " + pgType(args[0])
	}
	return "function " + name + "(" + pgTypeList(m[2]) + ") is not unique"
}

func ambiguousHint(name string) string {
	if isOperator(name) {
		return "Could not choose a best candidate operator. " + castHint
	}
	return "Could not choose a best candidate function. " + castHint
}

func isOperator(name string) bool {
	return name != "" && strings.Trim(name, "+-*/<>=~!@#%^&|`?") == ""
}

// pgTypes names DuckDB's types, in the spellings its messages use, as PostgreSQL does.
var pgTypes = map[string]string{
	"INT8": "smallint", "TINYINT": "smallint", "UINT8": "smallint",
	"INT16": "smallint", "SMALLINT": "smallint", "UINT16": "integer",
	"INT32": "integer", "INTEGER": "integer", "UINT32": "bigint", "INTEGER_LITERAL": "integer",
	"INT64": "bigint", "BIGINT": "bigint", "UINT64": "numeric", "INT128": "numeric", "HUGEINT": "numeric",
	"FLOAT": "real", "DOUBLE": "double precision", "BOOL": "boolean", "BOOLEAN": "boolean",
	"VARCHAR": "text", "STRING_LITERAL": "unknown", "BLOB": "bytea", "UUID": "uuid",
	"DATE": "date", "TIME": "time without time zone", "INTERVAL": "interval",
	"TIMESTAMP": "timestamp without time zone", "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
	"TIMESTAMPTZ": "timestamp with time zone",
}

func pgType(t string) string {
	t = strings.TrimSpace(t)
	if strings.HasSuffix(t, "[]") {
		return pgType(strings.TrimSuffix(t, "[]")) + "[]"
	}
	if strings.HasPrefix(t, "DECIMAL") {
		return "numeric"
	}
	if pg, ok := pgTypes[t]; ok {
		return pg
	}
	return strings.ToLower(t)
}

func pgTypeList(list string) string {
	if strings.TrimSpace(list) == "" {
		return ""
	}
	parts := strings.Split(list, ", ")
	for i, p := range parts {
		parts[i] = pgType(p)
	}
	return strings.Join(parts, ", ")
}

// firstLine keeps the first line of DuckDB's message. The lines after it quote the engine SQL
// ("LINE 1: ..."), which holds the rewritten query with physical table names.
func firstLine(msg string) string {
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return strings.TrimSpace(msg)
}

// kindCode is the SQLSTATE of an error of DuckDB's kind t about the statement a client sent;
// "" for failures of the engine itself, which are internal.
func kindCode(t duckdb.ErrorType, msg string) string {
	switch t {
	case duckdb.ErrorTypeInternal, duckdb.ErrorTypeFatal, duckdb.ErrorTypeNullPointer,
		duckdb.ErrorTypeConnection, duckdb.ErrorTypeSerialization, duckdb.ErrorTypeTransaction:
		return ""
	case duckdb.ErrorTypeInterrupt:
		return sqlerr.QueryCanceled
	case duckdb.ErrorTypeDivideByZero:
		return sqlerr.DivisionByZero
	case duckdb.ErrorTypeOutOfRange:
		return sqlerr.NumericValueOutOfRange
	case duckdb.ErrorTypeConversion, duckdb.ErrorTypeInvalidInput:
		return sqlerr.InvalidTextRepresentation
	case duckdb.ErrorTypeMismatchType, duckdb.ErrorTypeInvalidType:
		return sqlerr.DatatypeMismatch
	case duckdb.ErrorTypeCatalog:
		if strings.Contains(msg, "Function with name") {
			return sqlerr.UndefinedFunction
		}
		return sqlerr.UndefinedTable
	case duckdb.ErrorTypeParser, duckdb.ErrorTypeSyntax:
		return sqlerr.SyntaxError
	case duckdb.ErrorTypePermission:
		return sqlerr.InsufficientPrivilege
	case duckdb.ErrorTypeNotImplemented:
		return sqlerr.FeatureNotSupported
	}
	// Anything else (binder, constraint, ...) is about the statement: class 42.
	return sqlerr.SyntaxErrorOrAccessRuleViolation
}

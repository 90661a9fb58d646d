package planner

import (
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner/session"
)

// Kind says what a plan does.
type Kind int

const (
	// KindQuery runs SQL on an engine and returns rows.
	KindQuery Kind = iota + 1
	// KindEmpty is an empty statement (only whitespace or comments): EmptyQueryResponse.
	KindEmpty
	// KindLocal returns Rows the planner computed (SHOW): no engine runs.
	KindLocal
	// KindSet changes session settings as Set says.
	KindSet
	// KindTransaction is transaction control (Tx, Savepoint).
	KindTransaction
	// KindDiscard resets session state; Discard is true for DISCARD ALL.
	KindDiscard
	// KindDeallocate drops the prepared statement named Statement ("" with DEALLOCATE ALL).
	KindDeallocate
	// KindNoop is accepted and changes nothing (UNLISTEN *, SET TRANSACTION ...).
	KindNoop
	// KindDeclare opens the SQL cursor Cursor over the query Inner (DECLARE ... CURSOR FOR).
	KindDeclare
	// KindFetch reads from (or, with Cursor.Move, skips over) the SQL cursor Cursor.Name.
	KindFetch
	// KindClose closes the SQL cursor Cursor.Name ("" with CLOSE ALL).
	KindClose
	// KindCopyOut runs the query Inner and answers its rows as COPY ... TO STDOUT, as Copy says.
	KindCopyOut
	// KindPrepare is SQL PREPARE: Prepare is the statement to keep under the name Statement.
	KindPrepare
	// KindExecute is SQL EXECUTE of the prepared statement named Statement with Args.
	KindExecute
	// KindExplainAnalyze is EXPLAIN ANALYZE: the front door runs the query Inner through the
	// executor like any query, discards its rows, and answers Analyzed's rows (explain.go).
	KindExplainAnalyze
)

// Column is one result column as announced to the client.
type Column struct {
	Name string
	Type pgtypes.Type
	// TableOID and AttNum name the dataset column a result column reads as it is (pg_class oid
	// and attribute number, as the system catalog lists them); zero for a computed column.
	TableOID uint32
	AttNum   int16
}

// Plan is everything a front door needs to answer one statement. Front doors never build engine
// SQL themselves; they run Plan.SQL through the executor and describe results from Columns.
type Plan struct {
	Kind Kind
	// SQL is the engine SQL: tenant-filtered, metric-expanded, capped.
	SQL string
	// Params are the types of the statement's parameters $1..$n, as declared by the client or
	// inferred; the client's values bind to SQL's $n in that order.
	Params []pgtypes.Type
	// Source names the backend the SQL runs on ("" is the default engine).
	Source string
	// Columns describe the result, in order.
	Columns []Column
	// MaxRows is the row cap: the executor returns at most MaxRows rows and reports truncation
	// when more exist. Zero means no cap.
	MaxRows int64
	// MaxValueBytes and MaxRowBytes bound each encoded value and each row the executor
	// streams (54000 past them). Zero means no bound.
	MaxValueBytes, MaxRowBytes int64
	// Tag is the command tag verb, e.g. "SELECT".
	Tag string
	// Datasets are the ids of the datasets the statement reads.
	Datasets []string
	// Notes record the rewrites applied, for logs and debugging.
	Notes []string
	// CatalogVersion is the version of the catalog snapshot the plan was made against, and
	// CacheScope everything about the principal that shapes what the plan may see (role,
	// tenants, scopes): both are part of the result-cache key, so a catalog change or another
	// principal never shares a cached result. Filled for query plans that read datasets.
	CatalogVersion string
	CacheScope     string
	// Snapshot is the catalog snapshot the plan was made on: a catalog query (Source
	// SystemSource) runs on its system catalog, never on a newer one.
	Snapshot *Snapshot
	// CacheTTL is how long a result may be cached when the catalog overrides it for the
	// datasets read (the shortest override); zero means the server's CACHE_TTL_SECONDS, a
	// negative value that the result is never cached.
	CacheTTL time.Duration
	// Zone is the session's TimeZone, which timestamptz values are printed in as text (nil:
	// UTC). The result cache keys on it.
	Zone *time.Location

	// Rows are KindLocal's result in text format (nil is NULL).
	Rows [][]*string
	// Set is KindSet's change.
	Set *session.Command
	// SessionSets are the setting changes a query makes as it runs (set_config()), applied by
	// the connection before it runs the query.
	SessionSets []*session.Command
	// Tx and Savepoint describe KindTransaction.
	Tx        TxOp
	Savepoint string
	// Discard is KindDiscard's DISCARD ALL.
	Discard bool
	// Statement names KindDeallocate's prepared statement.
	Statement string
	// Cursor describes KindDeclare, KindFetch and KindClose.
	Cursor *CursorCommand
	// Copy is KindCopyOut's output format.
	Copy *CopyCommand
	// Prepare is KindPrepare's statement and parameter types.
	Prepare *PrepareCommand
	// Args are KindExecute's parameter values in text form (nil is NULL).
	Args []*string
	// Inner is the query of KindDeclare and KindCopyOut, planned as that query on its own would
	// be (tenant filters, row cap); its Params are the statement's.
	Inner *Plan

	// cacheable is false for plans that depend on more than the plan key (session functions).
	cacheable bool
	// readsClock: the result holds the query's time (now(), current_date, ...), so it is
	// never served from the result cache (CacheTTL < 0).
	readsClock bool
}

// Session is what the planner knows about the caller and their connection.
type Session struct {
	Principal auth.Principal
	// Database is the database name the client connected to; a three-part name whose first part
	// equals it is accepted.
	Database string
	// TimeZone is the session's time zone as the client set it, "" when it set none. Time grains
	// (date_trunc, extract, casts to date) are computed in it; when it is empty they follow the
	// dataset's defaultTimezone.
	TimeZone string
	// User is the user name the client connected with.
	User string
	// Settings are the run-time parameters the session SET, by lower-case name.
	Settings map[string]string
}

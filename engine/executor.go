package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/setupranali/setupranali/admission"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/sqlerr"
)

// Config wires the executor to its backends.
type Config struct {
	// Backends by source name, as plans name them (planner.Plan.Source).
	Backends map[string]Backend
	// Default runs plans that read no dataset (SELECT 1) or name no source.
	Default string
	// QueryTimeout bounds each execution, streaming included (QUERY_TIMEOUT_SECONDS); zero
	// means no bound.
	QueryTimeout time.Duration
	Log          *slog.Logger
	// Cache, when set, answers repeated queries that read datasets from cached results.
	Cache *ResultCache
	// Admission, when set, admits every plan that reads datasets or the catalog against its
	// caller's caps before it runs, and charges executions that reach an engine to the
	// caller's rate budget (a cache hit is not charged).
	Admission Admission
}

// Admission is the executor's view of the admission point (admission.Controller).
type Admission interface {
	BeginQuery(caller admission.Caller, q admission.Query) (release func(), err error)
	ChargeExecution(ctx context.Context, caller admission.Caller) error
}

// callerRefusal is an admission refusal met on the way to the engine: it concerns the caller,
// not the query, so the queries sharing its cache flight do not inherit it.
type callerRefusal struct{ err error }

func (r *callerRefusal) Error() string { return r.err.Error() }
func (r *callerRefusal) Unwrap() error { return r.err }

// Executor runs plans on backends.
type Executor struct {
	backends map[string]Backend
	def      string
	timeout  time.Duration
	log      *slog.Logger
	cache    *ResultCache
	admit    Admission
}

// New returns an executor over the configured backends.
func New(cfg Config) *Executor {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Executor{backends: cfg.Backends, def: cfg.Default, timeout: cfg.QueryTimeout, log: log, cache: cfg.Cache, admit: cfg.Admission}
}

// errStatementTimeout is the cause of a context the executor's own timeout ended.
var errStatementTimeout = errors.New("statement timeout")

type statementTimeoutKey struct{}

// WithStatementTimeout carries a session's statement_timeout to Execute, which applies it when
// it is shorter than the server's QueryTimeout.
func WithStatementTimeout(ctx context.Context, d time.Duration) context.Context {
	if d <= 0 {
		return ctx
	}
	return context.WithValue(ctx, statementTimeoutKey{}, d)
}

// Execute runs a query plan for caller with its parameter values (args[i] binds $i+1) and
// writes its rows to w.
func (e *Executor) Execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w RowWriter) (Result, error) {
	if plan.Kind != planner.KindQuery {
		return Result{}, nil
	}
	if e.admit != nil {
		release, err := e.admit.BeginQuery(caller, admission.Query{Catalog: plan.Source == planner.SystemSource, Datasets: len(plan.Datasets)})
		if err != nil {
			return Result{}, err
		}
		defer release()
	}
	// The shorter of the server's limit and the session's statement_timeout applies.
	timeout, limit := e.timeout, "QUERY_TIMEOUT_SECONDS"
	if d, ok := ctx.Value(statementTimeoutKey{}).(time.Duration); ok && d > 0 && (timeout == 0 || d < timeout) {
		timeout, limit = d, "statement_timeout"
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, errStatementTimeout)
		defer cancel()
	}
	if len(args) == 0 && len(plan.Params) > 0 {
		// A simple query naming $1: PostgreSQL's answer, not a protocol violation (class 08
		// makes drivers drop the connection).
		return Result{}, sqlerr.New(sqlerr.UndefinedParameter, "there is no parameter $1")
	}
	if len(args) != len(plan.Params) {
		return Result{}, sqlerr.New(sqlerr.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(args), len(plan.Params))
	}
	res, err := e.execute(ctx, caller, plan, args, w)
	if err != nil && errors.Is(context.Cause(ctx), errStatementTimeout) {
		return res, sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to statement timeout").
			WithHint("the limit is %s (%s)", timeout, limit)
	}
	return res, err
}

func (e *Executor) execute(ctx context.Context, caller admission.Caller, plan *planner.Plan, args []any, w RowWriter) (Result, error) {
	be, release, err := e.backend(plan)
	if err != nil {
		return Result{}, err
	}
	defer release()
	// A FormatWriter may want binary columns (extended protocol); everything else gets text.
	var formats []int16
	if fw, ok := w.(FormatWriter); ok {
		formats = fw.Formats()
	}
	run := func(ctx context.Context, w RowWriter) (Result, error) {
		// Charged here, where the engine is reached: an answer from the cache costs nothing.
		// Only plans that read datasets count; the catalog and session statements BI tools
		// send on connect do not.
		if e.admit != nil && len(plan.Datasets) > 0 {
			if err := e.admit.ChargeExecution(ctx, caller); err != nil {
				return Result{}, &callerRefusal{err}
			}
		}
		return stream(ctx, be, plan, args, formats, w)
	}
	if e.cache != nil && len(plan.Datasets) > 0 && plan.CatalogVersion != "" && len(plan.Columns) > 0 {
		return e.cache.run(ctx, plan, args, formats, w, run)
	}
	return run(ctx, w)
}

// backend is the backend plan runs on: a catalog query on the system catalog of the snapshot it
// was planned on (so its rewrite and its rows are of one catalog version), held open until
// release; any other plan on the backend its source names.
func (e *Executor) backend(plan *planner.Plan) (be Backend, release func(), err error) {
	if plan.Source == planner.SystemSource && plan.Snapshot != nil {
		sys, ok := plan.Snapshot.System.(Backend)
		if !ok {
			return nil, nil, sqlerr.Internal(fmt.Errorf("the system catalog of snapshot %s cannot run queries", plan.Snapshot.Version()))
		}
		release, ok := plan.Snapshot.Acquire()
		if !ok {
			// The plan outlived its snapshot's grace (planner.DefaultSnapshotGrace): planned
			// again, the statement runs on the current catalog.
			return nil, nil, sqlerr.New(sqlerr.FeatureNotSupported, "the catalog was reloaded after this statement was planned").
				WithHint("run the statement again")
		}
		return sys, release, nil
	}
	name := plan.Source
	if name == "" {
		name = e.def
	}
	be, ok := e.backends[name]
	if !ok {
		return nil, nil, sqlerr.Internal(fmt.Errorf("plan names source %q, which has no backend", name))
	}
	return be, func() {}, nil
}

// stream runs plan on be and writes its rows to w, encoded in formats.
func stream(ctx context.Context, be Backend, plan *planner.Plan, args []any, formats []int16, w RowWriter) (Result, error) {
	w = bounded(w, plan)
	rows, err := be.Query(ctx, plan.SQL, args)
	if err != nil {
		return Result{}, err
	}
	defer rows.Close()
	if wr, ok := rows.(WireRows); ok && wireMatches(wr, plan, formats) {
		return streamWire(wr, plan, w)
	}

	var res Result
	out := make([][]byte, len(plan.Columns))
	bufs := make([][]byte, len(plan.Columns))
	for i := range bufs {
		// Never nil: an empty value ('' or empty bytea) must not be sent as NULL.
		bufs[i] = make([]byte, 0, 32)
	}
	for rows.Next() {
		if plan.MaxRows > 0 && res.Rows >= plan.MaxRows {
			res.Truncated = true
			break
		}
		vals, err := rows.Values()
		if err != nil {
			return res, err
		}
		if len(vals) != len(out) {
			return res, sqlerr.Internal(fmt.Errorf("engine returned %d columns, plan has %d", len(vals), len(out)))
		}
		for i, v := range vals {
			if v == nil {
				out[i] = nil
				continue
			}
			if i < len(formats) && formats[i] == 1 {
				bufs[i], err = pgtypes.AppendBinary(bufs[i][:0], v, plan.Columns[i].Type)
			} else {
				bufs[i], err = pgtypes.AppendTextIn(bufs[i][:0], v, plan.Columns[i].Type, plan.Zone)
			}
			if err != nil {
				return res, err
			}
			out[i] = bufs[i]
		}
		if err := w.WriteRow(out); err != nil {
			return res, err
		}
		res.Rows++
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	return res, nil
}

package mysql

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/pgtypes"
	"github.com/setupranali/setupranali/sqlerr"
)

// Config says how to reach one MySQL-wire source.
type Config struct {
	// DSN is a go-sql-driver/mysql DSN: user:password@tcp(host:port)/database?tls=...
	DSN string
	// MaxConns bounds the pool (0: 8).
	MaxConns int
	// ConnectTimeout bounds establishing one connection (0: 10s).
	ConnectTimeout time.Duration
	// StatementTimeout is the server-side limit of each statement (QUERY_TIMEOUT_SECONDS);
	// zero leaves the server's setting.
	StatementTimeout time.Duration
	// Name is the source's name in the errors clients see ("the MySQL source" when empty).
	Name string
	Log  *slog.Logger
}

const (
	defaultMaxConns       = 8
	defaultConnectTimeout = 10 * time.Second
	// cleanupTimeout bounds ROLLBACK and KILL QUERY, whatever the caller's context says.
	cleanupTimeout = 5 * time.Second
)

// sqlMode is pinned on every connection: the planner's SQL relies on backslashes being plain
// characters in string literals and on double quotes not quoting identifiers (it writes
// backticks), and ONLY_FULL_GROUP_BY refuses a query the planner got wrong instead of
// answering with an arbitrary row's value.
const sqlMode = "'ONLY_FULL_GROUP_BY,NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ENGINE_SUBSTITUTION'"

// Backend is a pool of connections to one MySQL-wire source.
type Backend struct {
	db *sql.DB
	// kill is a pool of its own for KILL QUERY, so a cancel never waits behind a full pool.
	kill    *sql.DB
	timeout time.Duration
	name    string
	secrets []string
	log     *slog.Logger

	mu      sync.Mutex
	flavour flavour // read once from the server's version
}

// flavour is which server dialect of timeouts the source speaks.
type flavour int

const (
	unknown flavour = iota
	mariaDB
	mySQL
)

// Open checks the configuration and makes the pool. It does not connect: the first query (or
// Ping) does, so a source that is down at start-up does not stop the gateway.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	dc, err := driver.ParseDSN(cfg.DSN)
	if err != nil {
		return nil, errors.New("mysql: the source's connection settings do not parse")
	}
	if cfg.MaxConns < 0 {
		return nil, errors.New("mysql: MaxConns must not be negative")
	}
	dc.Timeout = cfg.ConnectTimeout
	if dc.Timeout <= 0 {
		dc.Timeout = defaultConnectTimeout
	}
	// Values come back as text and are decoded here by column type (rows.go); the driver's own
	// time parsing would apply its location instead of the server's UTC.
	dc.ParseTime = false
	dc.Loc = time.UTC
	dc.InterpolateParams = false
	dc.MultiStatements = false
	dc.AllowAllFiles = false
	if dc.Params == nil {
		dc.Params = map[string]string{}
	}
	dc.Params["sql_mode"] = sqlMode
	dc.Params["time_zone"] = "'+00:00'"
	dc.Params["character_set_results"] = "utf8mb4"
	conn, err := driver.NewConnector(dc)
	if err != nil {
		return nil, errors.New("mysql: the source's connection settings are not usable")
	}
	name := "the MySQL source"
	if cfg.Name != "" {
		name = strconv.Quote(cfg.Name)
	}
	maxConns := cfg.MaxConns
	if maxConns == 0 {
		maxConns = defaultMaxConns
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Backend{db: sql.OpenDB(conn), kill: sql.OpenDB(conn), timeout: cfg.StatementTimeout,
		name: name, log: log}
	if dc.Passwd != "" {
		b.secrets = append(b.secrets, dc.Passwd)
	}
	b.db.SetMaxOpenConns(maxConns)
	b.db.SetMaxIdleConns(maxConns)
	b.db.SetConnMaxIdleTime(5 * time.Minute)
	b.kill.SetMaxOpenConns(2)
	b.kill.SetMaxIdleConns(1)
	return b, nil
}

// Close closes the pools.
func (b *Backend) Close() error {
	return errors.Join(b.db.Close(), b.kill.Close())
}

// Ping connects if need be and reports one round trip's latency.
func (b *Backend) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if err := b.db.PingContext(ctx); err != nil {
		return 0, b.mapError(ctx, err)
	}
	return time.Since(start), nil
}

// Query runs engine SQL in a read-only transaction and streams its rows. The connection stays
// with the returned Rows until Close.
func (b *Backend) Query(ctx context.Context, query string, args []any) (engine.Rows, error) {
	fl, err := b.serverFlavour(ctx)
	if err != nil {
		return nil, err
	}
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return nil, b.mapError(ctx, err)
	}
	r := &rows{b: b, ctx: ctx, conn: conn}
	if err := r.begin(fl); err != nil {
		r.release()
		return nil, err
	}
	r.watch()
	vals, err := driverArgs(args)
	if err != nil {
		r.release()
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, b.statement(fl, query), vals...)
	if err != nil {
		err = b.mapError(ctx, err)
		r.release()
		return nil, err
	}
	r.rows = rs
	return r, nil
}

// statement is query with MariaDB's per-statement timeout in front of it.
func (b *Backend) statement(fl flavour, query string) string {
	if fl != mariaDB || b.timeout <= 0 {
		return query
	}
	return "SET STATEMENT max_statement_time=" + seconds(b.timeout) + " FOR " + query
}

// seconds is d in seconds with millisecond precision, the unit of max_statement_time.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(max(d.Seconds(), 0.001), 'f', 3, 64)
}

// serverFlavour reads the server's version once. A failure is not kept: the next query tries
// again, as a source may come up after the gateway.
func (b *Backend) serverFlavour(ctx context.Context) (flavour, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flavour != unknown {
		return b.flavour, nil
	}
	var v string
	if err := b.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return unknown, b.mapError(ctx, err)
	}
	b.flavour = mySQL
	if strings.Contains(strings.ToLower(v), "mariadb") {
		b.flavour = mariaDB
	}
	b.log.Debug("mysql source version", "source", b.name, "version", v)
	return b.flavour, nil
}

// killQuery stops the statement running on the server thread id.
func (b *Backend) killQuery(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if _, err := b.kill.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(id, 10)); err != nil {
		b.log.Warn("mysql KILL QUERY failed", "source", b.name, "thread", id, "error", b.redact(err.Error()))
	}
}

func (b *Backend) redact(s string) string {
	for _, x := range b.secrets {
		s = strings.ReplaceAll(s, x, "********")
	}
	return s
}

// Error numbers of MySQL and MariaDB the mapping knows.
const (
	errReadOnlyTx       = 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	errQueryInterrupted = 1317 // ER_QUERY_INTERRUPTED (KILL QUERY)
	errMariaDBTimeout   = 1969 // ER_STATEMENT_TIMEOUT (max_statement_time)
	errMySQLTimeout     = 3024 // ER_QUERY_TIMEOUT (max_execution_time)
	errAccessDenied     = 1045
	errNoSuchTable      = 1146
	errUnknownColumn    = 1054
	errOutOfRange       = 1690 // ER_DATA_OUT_OF_RANGE (BIGINT overflow)
)

// mapError gives an error its SQLSTATE, with the gateway's own words: the server's text stays
// in the cause, for the log.
func (b *Backend) mapError(ctx context.Context, err error) error {
	cause := errors.New(b.redact(err.Error()))
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return sqlerr.New(sqlerr.QueryCanceled, "canceling statement due to user request")
	}
	var me *driver.MySQLError
	if !errors.As(err, &me) {
		var ne net.Error
		if errors.As(err, &ne) || errors.Is(err, sqldriver.ErrBadConn) || errors.Is(err, driver.ErrInvalidConn) {
			return &sqlerr.Error{Code: sqlerr.CannotConnectNow, Severity: sqlerr.SeverityError,
				Message: "the connection to data source " + b.name + " failed; try again", Cause: cause}
		}
		return sqlerr.Internal(fmt.Errorf("mysql source %s: %w", b.name, cause))
	}
	e := func(code, msg string) error {
		return &sqlerr.Error{Code: code, Severity: sqlerr.SeverityError, Message: msg, Cause: cause}
	}
	switch me.Number {
	case errReadOnlyTx:
		return e(sqlerr.ReadOnlySQLTransaction, "cannot execute a write in a read-only transaction")
	case errMariaDBTimeout, errMySQLTimeout:
		return e(sqlerr.QueryCanceled, "canceling statement due to statement timeout")
	case errQueryInterrupted:
		return e(sqlerr.QueryCanceled, "canceling statement due to user request")
	case errAccessDenied:
		return e(sqlerr.CannotConnectNow, "data source "+b.name+" refused the gateway's credentials")
	case errNoSuchTable, errUnknownColumn:
		return e(sqlerr.UndefinedTable, "a table or column of data source "+b.name+" that the catalog names does not exist")
	case errOutOfRange:
		return e(sqlerr.NumericValueOutOfRange, "a value is out of range on data source "+b.name)
	}
	return sqlerr.Internal(fmt.Errorf("mysql source %s: %w", b.name, cause))
}

var _ engine.Backend = (*Backend)(nil)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// driverArgs turns the gateway's parameter values into the driver's: exact numbers travel as
// their decimal text, which MySQL reads exactly; an interval has no MySQL value.
func driverArgs(args []any) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case pgtypes.Decimal:
			out[i] = decimalText(v)
		case *big.Int:
			out[i] = v.String()
		case pgtypes.IntervalValue:
			return nil, sqlerr.New(sqlerr.FeatureNotSupported, "an interval parameter is not supported on mysql sources")
		default:
			out[i] = a
		}
	}
	return out, nil
}

// decimalText is d as plain decimal text.
func decimalText(d pgtypes.Decimal) string {
	s := new(big.Int).Abs(d.Unscaled).String()
	if d.Scale > 0 {
		if len(s) <= d.Scale {
			s = strings.Repeat("0", d.Scale-len(s)+1) + s
		}
		s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	}
	if d.Unscaled.Sign() < 0 {
		s = "-" + s
	}
	return s
}

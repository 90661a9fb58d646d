package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/engine"
	"github.com/setupranali/setupranali/engine/duckdb"
	"github.com/setupranali/setupranali/engine/mysql"
	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/planner"
	"github.com/setupranali/setupranali/state"
)

// SourceBackend is an engine backend that can also check its connection.
type SourceBackend interface {
	engine.Backend
	Ping(ctx context.Context) (time.Duration, error)
}

// SourceOptions are what a source's backend takes from the gateway's configuration.
type SourceOptions struct {
	StatementTimeout time.Duration
	DuckDBMemory     string
	Log              *slog.Logger
}

// OpenSource opens the backend of a registered source. Errors never carry its credentials.
func OpenSource(ctx context.Context, s state.Source, c state.Credentials, o SourceOptions) (SourceBackend, error) {
	st := s.Settings
	switch s.Type {
	case state.TypePostgres:
		be, err := postgres.Open(ctx, postgres.Config{
			DSN:                postgresDSN(st, c),
			MaxConns:           int32(st.MaxConns),
			MinConns:           int32(st.MinConns),
			ConnectTimeout:     time.Duration(st.ConnectTimeoutSeconds) * time.Second,
			StatementTimeout:   o.StatementTimeout,
			TransactionPooling: st.TransactionPooling,
			Name:               s.Name,
			Log:                o.Log.With("source", s.Name),
		})
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", s.Name, Redact(err, c))
		}
		return be, nil
	case state.TypeMySQL:
		dsn := c.DSN
		if dsn == "" {
			dsn = mysql.DSN(mysql.Target{Host: st.Host, Port: st.Port, Database: st.Database, User: st.User, SSLMode: st.SSLMode}, c.Password)
		}
		be, err := mysql.Open(ctx, mysql.Config{DSN: dsn, MaxConns: st.MaxConns, Name: s.Name,
			ConnectTimeout: time.Duration(st.ConnectTimeoutSeconds) * time.Second, StatementTimeout: o.StatementTimeout,
			Log: o.Log.With("source", s.Name)})
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", s.Name, Redact(err, c))
		}
		return be, nil
	case state.TypeClickHouse:
		return openClickHouse(ctx, s, c, o)
	case state.TypeDuckDB:
		be, err := duckdb.Open(ctx, duckdb.Config{Path: st.Path, MaxConns: st.MaxConns, MemoryLimit: o.DuckDBMemory})
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", s.Name, err)
		}
		return duckdbSource{be}, nil
	}
	return nil, fmt.Errorf("source %q: type %q is not supported", s.Name, s.Type)
}

// duckdbSource adds Ping to the embedded engine.
type duckdbSource struct{ *duckdb.Backend }

func (d duckdbSource) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	rows, err := d.Query(ctx, "SELECT 1", nil)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
	}
	err = rows.Err()
	rows.Close()
	return time.Since(start), err
}

// postgresDSN is the connection string of a source: its stored DSN, or a postgres:// URL built
// from its settings and password. Every setting goes into the URL's query, where libpq and pgx
// read host, port, dbname, user and password as well as any other parameter, so no value needs
// a quoting rule of its own; a key given twice takes its last value, so the source's options
// override the named settings as they always did.
func postgresDSN(st state.Settings, c state.Credentials) string {
	if c.DSN != "" {
		return c.DSN
	}
	var q []string
	add := func(k, v string) {
		if v != "" {
			q = append(q, uriEscape(k)+"="+uriEscape(v))
		}
	}
	add("host", st.Host)
	add("port", st.Port)
	add("dbname", st.Database)
	add("user", st.User)
	add("password", c.Password)
	add("sslmode", st.SSLMode)
	for _, k := range slices.Sorted(maps.Keys(st.Options)) {
		add(k, st.Options[k])
	}
	return (&url.URL{Scheme: "postgres", Path: "/", RawQuery: strings.Join(q, "&")}).String()
}

// uriEscape percent-encodes a connection URI's query component. url.QueryEscape writes a space
// as "+", which libpq and pgx keep as a plus sign; every "+" it writes is a space (a real plus
// becomes %2B), so those become %20.
func uriEscape(v string) string {
	return strings.ReplaceAll(url.QueryEscape(v), "+", "%20")
}

// credentialStrings are the texts that must not appear in output: the password, the DSN, the
// DSN's password, and their URL-escaped spellings.
func credentialStrings(c state.Credentials) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	pw := c.Password
	add(c.DSN)
	if c.DSN != "" {
		if cc, err := pgconn.ParseConfig(c.DSN); err == nil {
			pw = cc.Password
			add(pw)
		}
		if u, err := url.Parse(c.DSN); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				add(p)
			}
		}
	}
	if pw != "" {
		add(pw)
		add(url.QueryEscape(pw))
		add(url.PathEscape(pw))
		add(uriEscape(pw))
	}
	// Longest first, so a DSN is replaced whole before its password inside it.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// sourceSet is the backends the catalog's datasets need besides the embedded engine, by the key
// plans name them with: the dataset's sourceId as written, or its engine when it has none.
type sourceSet struct {
	byKey   map[string]engine.Backend
	opened  []engine.Backend
	stateDB *state.DB
}

// defaultPostgres is the key of datasets with engine postgres and no sourceId.
const defaultPostgres = "postgres"

// openSources opens a backend for every source the catalog references. An unknown source, one
// whose credentials do not decrypt, or a dataset whose engine does not match its source stops
// the start-up with an error naming them. The state DB stays open (and locked) while the
// gateway runs; it is opened only when the catalog names a registered source.
func openSources(ctx context.Context, cfg Config, cat *catalog.Catalog, log *slog.Logger) (*sourceSet, error) {
	set := &sourceSet{byKey: map[string]engine.Backend{}}
	opts := SourceOptions{StatementTimeout: cfg.QueryTimeout, DuckDBMemory: cfg.DuckDBMemory, Log: log}
	var keys *state.Keyring
	byID := map[string]engine.Backend{}
	fail := func(err error) (*sourceSet, error) {
		set.Close()
		return nil, err
	}
	for _, ds := range cat.Datasets {
		ref := ds.Source.SourceID
		if ref == "" {
			if ds.Source.Engine != defaultPostgres || set.byKey[defaultPostgres] != nil {
				continue
			}
			if cfg.PostgresDSN == "" {
				return fail(fmt.Errorf("dataset %q has engine postgres and no sourceId, and SETU_POSTGRES_DSN (the default PostgreSQL source) is not set", ds.ID))
			}
			creds := state.Credentials{DSN: string(cfg.PostgresDSN)}
			be, err := OpenSource(ctx, state.Source{Name: "SETU_POSTGRES_DSN", Type: state.TypePostgres}, creds, opts)
			if err != nil {
				return fail(err)
			}
			set.opened = append(set.opened, be)
			set.byKey[defaultPostgres] = be
			log.Info("source opened", "source", "SETU_POSTGRES_DSN", "type", state.TypePostgres, "key", defaultPostgres)
			continue
		}
		switch ref {
		case "duckdb", defaultPostgres, planner.SystemSource:
			return fail(fmt.Errorf("dataset %q: sourceId %q is reserved for an engine; register the source under another name", ds.ID, ref))
		}
		if set.stateDB == nil {
			db, err := cfg.openState(ctx, log)
			if err != nil {
				return fail(fmt.Errorf("dataset %q names source %q: %w", ds.ID, ref, err))
			}
			set.stateDB = db
		}
		src, err := set.stateDB.Source(ctx, ref)
		if errors.Is(err, state.ErrNotFound) {
			return fail(fmt.Errorf("dataset %q: source %q is not registered in the state DB %s (see 'setupranali sources list')", ds.ID, ref, cfg.stateWhere()))
		}
		if err != nil {
			return fail(fmt.Errorf("dataset %q: %w", ds.ID, err))
		}
		if ds.Source.Engine != src.Type {
			return fail(fmt.Errorf("dataset %q: engine is %q but source %q is a %s source; set source.engine: %s", ds.ID, ds.Source.Engine, ref, src.Type, src.Type))
		}
		if be := byID[src.ID]; be != nil {
			set.byKey[ref] = be
			continue
		}
		if src.HasCredentials() && keys == nil {
			if keys, err = state.ParseKeyring(string(cfg.SecretKey)); err != nil {
				return fail(fmt.Errorf("dataset %q: source %q has encrypted credentials: %w", ds.ID, ref, err))
			}
		}
		src, creds, err := set.stateDB.Credentials(ctx, src.ID, keys)
		if err != nil {
			return fail(fmt.Errorf("dataset %q: %w", ds.ID, err))
		}
		be, err := OpenSource(ctx, src, creds, opts)
		if err != nil {
			return fail(fmt.Errorf("dataset %q: %w", ds.ID, err))
		}
		set.opened = append(set.opened, be)
		byID[src.ID] = be
		set.byKey[ref] = be
		log.Info("source opened", "source", src.Name, "source_id", src.ID, "type", src.Type, "target", SourceTarget(src),
			"max_conns", src.Settings.MaxConns, "transaction_pooling", src.Settings.TransactionPooling)
	}
	return set, nil
}

// Close closes every backend and the state DB.
func (s *sourceSet) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, be := range s.opened {
		errs = append(errs, be.Close())
	}
	s.opened = nil
	if s.stateDB != nil {
		errs = append(errs, s.stateDB.Close())
		s.stateDB = nil
	}
	return errors.Join(errs...)
}

// SourceTarget is where a source points, without secrets.
func SourceTarget(s state.Source) string {
	st := s.Settings
	switch {
	case s.Type == state.TypeDuckDB:
		return st.Path
	case st.Credential == "dsn":
		return "(from the encrypted DSN)"
	}
	t := st.Host
	if st.Port != "" {
		t += ":" + st.Port
	}
	if st.Database != "" {
		t += "/" + st.Database
	}
	return t
}

// Redact removes credentials from an error's text: drivers sometimes echo what they were given.
func Redact(err error, c state.Credentials) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := msg
	for _, s := range credentialStrings(c) {
		clean = strings.ReplaceAll(clean, s, "********")
	}
	if clean == msg {
		return err
	}
	return errors.New(clean)
}

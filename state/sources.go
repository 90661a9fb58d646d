package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Source types.
const (
	TypePostgres = "postgres"
	TypeDuckDB   = "duckdb"
	// TypeMySQL is a MySQL-wire source: MySQL, MariaDB, TiDB, StarRocks, Doris, SingleStore.
	TypeMySQL = "mysql"
	// TypeClickHouse is a ClickHouse server or cluster over the native protocol; Host may
	// list several servers (comma-separated, with matching ports) for failover.
	TypeClickHouse = "clickhouse"
)

// Source is a registered data source without its credentials.
type Source struct {
	// ID is assigned at registration ("src_" and 20 hex digits) and never changes.
	ID string
	// Name is unique and what operators and catalogs usually use.
	Name string
	// Type is TypePostgres or TypeDuckDB.
	Type     string
	Settings Settings
	// KeyID is the fingerprint of the key that encrypted the credentials; empty when the source
	// has none.
	KeyID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// HasCredentials reports whether the source stores encrypted credentials.
func (s Source) HasCredentials() bool { return s.KeyID != "" }

// Settings are a source's non-secret connection settings.
type Settings struct {
	// Host is a host name or address; several, comma-separated, for multi-host PostgreSQL.
	Host string `json:"host,omitempty"`
	// Port is a port, or comma-separated ports matching Host.
	Port     string `json:"port,omitempty"`
	Database string `json:"database,omitempty"`
	User     string `json:"user,omitempty"`
	SSLMode  string `json:"sslmode,omitempty"`
	// Options are further libpq connection parameters, e.g. target_session_attrs=prefer-standby
	// or application_name. Secrets are not allowed here.
	Options map[string]string `json:"options,omitempty"`
	// Path is the database file of a duckdb source.
	Path string `json:"path,omitempty"`
	// MaxConns and MinConns size the connection pool (0: the backend's default).
	MaxConns int `json:"max_conns,omitempty"`
	MinConns int `json:"min_conns,omitempty"`
	// ConnectTimeout bounds establishing one connection (0: the backend's default).
	ConnectTimeoutSeconds int `json:"connect_timeout_seconds,omitempty"`
	// TransactionPooling is for sources behind PgBouncer in transaction mode: no named
	// server-side prepared statements.
	TransactionPooling bool `json:"transaction_pooling,omitempty"`
	// Credential says what the encrypted credentials hold, "password" or "dsn", so show can
	// say so without decrypting; AddSource sets it.
	Credential string `json:"credential,omitempty"`
}

// Credentials are a source's secrets. Every way of rendering them (fmt, slog, JSON) shows
// "********"; read the fields to use them.
type Credentials struct {
	// Password completes the connection settings.
	Password string
	// DSN is a full connection string with its secrets, used instead of the settings' host,
	// port, database, user and options.
	DSN string
}

const redacted = "********"

// Empty reports whether there is nothing to store.
func (c Credentials) Empty() bool { return c.Password == "" && c.DSN == "" }

func (c Credentials) String() string               { return redacted }
func (c Credentials) GoString() string             { return redacted }
func (c Credentials) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// sealed is the encrypted form's plaintext.
type sealed struct {
	Password string `json:"password,omitempty"`
	DSN      string `json:"dsn,omitempty"`
}

// Errors of the source registry. Each comes wrapped with the source's name.
var (
	ErrNotFound = errors.New("no such source")
	ErrExists   = errors.New("a source with that name already exists")
	// ErrWrongKey: none of the keys of UBI_SECRET_KEY made the record's token.
	ErrWrongKey = errors.New("credentials were encrypted with a key that is not in UBI_SECRET_KEY")
	// ErrCorrupt: the record's key is present but the token or its content is damaged.
	ErrCorrupt = errors.New("stored credentials are corrupted")
)

var (
	namePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,62}$`)
	idPattern   = regexp.MustCompile(`^src_[0-9a-f]{20}$`)
	optPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	sslModes    = []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
	// secretOptions may hold secrets and belong in Credentials; the others must not be set as
	// options because settings have fields for them.
	secretOptions   = []string{"password", "sslpassword"}
	reservedOptions = []string{"host", "hostaddr", "port", "dbname", "user", "sslmode", "pool_max_conns", "pool_min_conns"}
)

// Validate checks a source before it is stored.
func (s Source) Validate(c Credentials) error {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if !namePattern.MatchString(s.Name) {
		bad("name %q must start with a letter and hold only letters, digits, '_', '.' and '-' (at most 63)", s.Name)
	}
	if idPattern.MatchString(s.Name) {
		bad("name %q looks like a source id", s.Name)
	}
	st := s.Settings
	if st.MaxConns < 0 || st.MinConns < 0 || st.ConnectTimeoutSeconds < 0 {
		bad("pool sizes and connect timeout must not be negative")
	}
	if st.MaxConns > 0 && st.MinConns > st.MaxConns {
		bad("min conns %d is above max conns %d", st.MinConns, st.MaxConns)
	}
	switch s.Type {
	case TypePostgres:
		if st.Path != "" {
			bad("a postgres source has no path")
		}
		if c.DSN != "" {
			if st.Host != "" || st.Port != "" || st.Database != "" || st.User != "" || st.SSLMode != "" || len(st.Options) > 0 || c.Password != "" {
				bad("with a DSN, host, port, database, user, sslmode, options and password come from the DSN")
			}
		} else if st.Host == "" {
			bad("a postgres source needs a host (or a DSN)")
		}
		for _, p := range strings.Split(st.Port, ",") {
			if st.Port == "" {
				break
			}
			if n, err := strconv.Atoi(strings.TrimSpace(p)); err != nil || n < 1 || n > 65535 {
				bad("port %q is not a port number", p)
			}
		}
		if st.SSLMode != "" && !contains(sslModes, st.SSLMode) {
			bad("sslmode %q is not one of %s", st.SSLMode, strings.Join(sslModes, ", "))
		}
		for k, v := range st.Options {
			switch {
			case !optPattern.MatchString(k):
				bad("option name %q is not a connection parameter name", k)
			case contains(secretOptions, k):
				bad("option %q is a secret: give it as a credential (read from stdin or an environment variable), not a setting", k)
			case contains(reservedOptions, k):
				bad("option %q has its own setting", k)
			case strings.ContainsAny(v, "\x00"):
				bad("option %q holds a NUL byte", k)
			}
		}
	case TypeClickHouse:
		validateClickHouse(st, c, bad)
	case TypeDuckDB:
		if st.Path == "" {
			bad("a duckdb source needs a path")
		}
		if st.Host != "" || st.Port != "" || st.Database != "" || st.User != "" || st.SSLMode != "" || len(st.Options) > 0 || st.TransactionPooling {
			bad("a duckdb source has only a path and pool settings")
		}
		if !c.Empty() {
			bad("a duckdb source has no credentials")
		}
	case TypeMySQL:
		problems = append(problems, s.validateMySQL(c)...)
	default:
		bad("type %q is not one of %s, %s, %s, %s", s.Type, TypePostgres, TypeDuckDB, TypeMySQL, TypeClickHouse)
	}
	if len(problems) > 0 {
		return fmt.Errorf("source %q: %s", s.Name, strings.Join(problems, "; "))
	}
	return nil
}

// mysqlSSLModes are the sslmode values a mysql source takes (engine/mysql maps them to the
// driver's tls setting); verify-ca has no equivalent there.
var mysqlSSLModes = []string{"disable", "prefer", "require", "verify-full"}

// validateMySQL checks the settings of a mysql source: one host and port (the driver has no
// multi-host failover), no libpq options.
func (s Source) validateMySQL(c Credentials) []string {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	st := s.Settings
	if st.Path != "" || len(st.Options) > 0 || st.TransactionPooling {
		bad("a mysql source has no path, options or transaction pooling")
	}
	if c.DSN != "" {
		if st.Host != "" || st.Port != "" || st.Database != "" || st.User != "" || st.SSLMode != "" || c.Password != "" {
			bad("with a DSN, host, port, database, user, sslmode and password come from the DSN")
		}
		return problems
	}
	if st.Host == "" || strings.ContainsAny(st.Host, ",()/@ ") {
		bad("a mysql source needs one host (or a DSN)")
	}
	if st.Port != "" {
		if n, err := strconv.Atoi(st.Port); err != nil || n < 1 || n > 65535 {
			bad("port %q is not a port number", st.Port)
		}
	}
	if strings.ContainsAny(st.Database, "/?`") || strings.ContainsAny(st.User, ":@/") {
		bad("database or user holds a character a MySQL DSN cannot carry")
	}
	if st.SSLMode != "" && !contains(mysqlSSLModes, st.SSLMode) {
		bad("sslmode %q is not one of %s for a mysql source", st.SSLMode, strings.Join(mysqlSSLModes, ", "))
	}
	return problems
}

// validateClickHouse checks a clickhouse source: hosts with native ports, a password as its
// only credential, none of PostgreSQL's settings.
func validateClickHouse(st Settings, c Credentials, bad func(string, ...any)) {
	if st.Host == "" {
		bad("a clickhouse source needs a host")
	}
	if c.DSN != "" {
		bad("a clickhouse source takes host, port, database, user and a password, not a DSN")
	}
	if st.Path != "" || st.SSLMode != "" || len(st.Options) > 0 || st.TransactionPooling {
		bad("a clickhouse source has no path, sslmode, options or transaction pooling")
	}
	hosts, ports := strings.Split(st.Host, ","), strings.Split(st.Port, ",")
	if st.Port != "" && len(ports) != 1 && len(ports) != len(hosts) {
		bad("give one port, or one port per host")
	}
	for _, p := range ports {
		if st.Port == "" {
			break
		}
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err != nil || n < 1 || n > 65535 {
			bad("port %q is not a port number", p)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newSourceID() (string, error) {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "src_" + hex.EncodeToString(b[:]), nil
}

// AddSource registers a source. Credentials, if any, are encrypted with the keyring's first
// key; keys may be nil when there are none. The returned Source carries its new ID.
func (db *DB) AddSource(ctx context.Context, s Source, c Credentials, keys *Keyring) (Source, error) {
	if err := s.Validate(c); err != nil {
		return Source{}, err
	}
	id, err := newSourceID()
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	switch {
	case c.DSN != "":
		s.Settings.Credential = "dsn"
	case c.Password != "":
		s.Settings.Credential = "password"
	default:
		s.Settings.Credential = ""
	}
	settings, err := json.Marshal(s.Settings)
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	var secret, keyID sql.NullString
	if !c.Empty() {
		if keys == nil {
			return Source{}, fmt.Errorf("source %q has credentials: %w", s.Name, ErrNoKey)
		}
		plain, err := json.Marshal(sealed(c))
		if err != nil {
			return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
		}
		tok, kid, err := keys.encrypt(plain)
		if err != nil {
			return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
		}
		secret = sql.NullString{String: tok, Valid: true}
		keyID = sql.NullString{String: kid, Valid: true}
	}
	now := time.Now().UTC()
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sources WHERE name = ? OR id = ?", s.Name, s.Name).Scan(&n); err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	if n > 0 {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, ErrExists)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sources (id, name, type, settings, secret, key_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, s.Name, s.Type, string(settings), secret, keyID, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	s.ID, s.KeyID, s.CreatedAt, s.UpdatedAt = id, keyID.String, now, now
	db.log.Info("source added", "source", s.Name, "source_id", id, "type", s.Type, "key_id", keyID.String)
	return s, nil
}

const sourceColumns = "id, name, type, settings, key_id, created_at, updated_at"

func scanSource(sc interface{ Scan(...any) error }) (Source, error) {
	var s Source
	var settings, created, updated string
	var keyID sql.NullString
	if err := sc.Scan(&s.ID, &s.Name, &s.Type, &settings, &keyID, &created, &updated); err != nil {
		return s, err
	}
	s.KeyID = keyID.String
	if err := json.Unmarshal([]byte(settings), &s.Settings); err != nil {
		return s, fmt.Errorf("source %q: settings are damaged: %w", s.Name, err)
	}
	s.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	s.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	return s, nil
}

// Sources lists every source by name.
func (db *DB) Sources(ctx context.Context) ([]Source, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT "+sourceColumns+" FROM sources ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("listing sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing sources: %w", err)
	}
	return out, nil
}

// Source finds a source by id or name.
func (db *DB) Source(ctx context.Context, ref string) (Source, error) {
	s, err := scanSource(db.sql.QueryRowContext(ctx, "SELECT "+sourceColumns+" FROM sources WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1", ref, ref, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, fmt.Errorf("source %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Source{}, fmt.Errorf("source %q: %w", ref, err)
	}
	return s, nil
}

// Credentials decrypts a source's credentials (zero Credentials when it stores none). On error
// nothing is returned: a wrong key is ErrWrongKey, a damaged record ErrCorrupt, both naming the
// source.
func (db *DB) Credentials(ctx context.Context, ref string, keys *Keyring) (Source, Credentials, error) {
	var s Source
	var secret sql.NullString
	row := db.sql.QueryRowContext(ctx, "SELECT "+sourceColumns+", secret FROM sources WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1", ref, ref, ref)
	s, err := scanSource(scanWithSecret{row, &secret})
	if errors.Is(err, sql.ErrNoRows) {
		return Source{}, Credentials{}, fmt.Errorf("source %q: %w", ref, ErrNotFound)
	}
	if err != nil {
		return Source{}, Credentials{}, fmt.Errorf("source %q: %w", ref, err)
	}
	c, err := unseal(s, secret, keys)
	if err != nil {
		return Source{}, Credentials{}, err
	}
	return s, c, nil
}

// scanWithSecret appends the secret column to a source row scan.
type scanWithSecret struct {
	row    interface{ Scan(...any) error }
	secret *sql.NullString
}

func (s scanWithSecret) Scan(dest ...any) error { return s.row.Scan(append(dest, s.secret)...) }

// unseal decrypts a record's token.
func unseal(s Source, secret sql.NullString, keys *Keyring) (Credentials, error) {
	if !secret.Valid {
		return Credentials{}, nil
	}
	if keys == nil {
		return Credentials{}, fmt.Errorf("source %q has encrypted credentials: %w", s.Name, ErrNoKey)
	}
	plain, err := keys.decrypt(secret.String, s.KeyID)
	switch {
	case errors.Is(err, errWrongKey):
		return Credentials{}, fmt.Errorf("source %q: %w (the record's key is %s; UBI_SECRET_KEY has %s)", s.Name, ErrWrongKey, orUnknown(s.KeyID), strings.Join(keys.ids, ", "))
	case err != nil:
		return Credentials{}, fmt.Errorf("source %q: %w (the token does not verify under key %s)", s.Name, ErrCorrupt, s.KeyID)
	}
	var sc sealed
	if err := json.Unmarshal(plain, &sc); err != nil {
		return Credentials{}, fmt.Errorf("source %q: %w (the decrypted record is not valid)", s.Name, ErrCorrupt)
	}
	return Credentials(sc), nil
}

func orUnknown(s string) string {
	if s == "" {
		return "unrecorded"
	}
	return s
}

// RemoveSource deletes a source by id or name.
func (db *DB) RemoveSource(ctx context.Context, ref string) (Source, error) {
	s, err := db.Source(ctx, ref)
	if err != nil {
		return Source{}, err
	}
	if _, err := db.sql.ExecContext(ctx, "DELETE FROM sources WHERE id = ?", s.ID); err != nil {
		return Source{}, fmt.Errorf("source %q: %w", s.Name, err)
	}
	db.log.Info("source removed", "source", s.Name, "source_id", s.ID)
	return s, nil
}

// RotateKey re-encrypts every source's credentials with the keyring's first key, in one
// transaction: if any record cannot be decrypted, nothing changes and the error names it. It
// returns how many records it re-encrypted (those already under the first key are rewritten
// too, with a fresh token).
func (db *DB) RotateKey(ctx context.Context, keys *Keyring) (int, error) {
	if keys == nil {
		return 0, ErrNoKey
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("rotating keys: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT "+sourceColumns+", secret FROM sources WHERE secret IS NOT NULL ORDER BY name")
	if err != nil {
		return 0, fmt.Errorf("rotating keys: %w", err)
	}
	type update struct{ id, token, keyID string }
	var updates []update
	var failures []error
	for rows.Next() {
		var secret sql.NullString
		src, err := scanSource(scanWithSecret{rows, &secret})
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("rotating keys: %w", err)
		}
		c, err := unseal(src, secret, keys)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		plain, err := json.Marshal(sealed(c))
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("rotating keys: %w", err)
		}
		tok, kid, err := keys.encrypt(plain)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("rotating keys: source %q: %w", src.Name, err)
		}
		updates = append(updates, update{src.ID, tok, kid})
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("rotating keys: %w", err)
	}
	rows.Close()
	if len(failures) > 0 {
		return 0, fmt.Errorf("rotating keys: nothing changed: %w", errors.Join(failures...))
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for _, u := range updates {
		if _, err := tx.ExecContext(ctx, "UPDATE sources SET secret = ?, key_id = ?, updated_at = ? WHERE id = ?", u.token, u.keyID, now, u.id); err != nil {
			return 0, fmt.Errorf("rotating keys: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("rotating keys: %w", err)
	}
	db.log.Info("source credentials re-encrypted", "records", len(updates), "key_id", keys.Primary())
	return len(updates), nil
}

// KeyUsage counts the records per key fingerprint, for telling an operator whether an old key
// can go.
func (db *DB) KeyUsage(ctx context.Context) (map[string]int, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT key_id, count(*) FROM sources WHERE key_id IS NOT NULL GROUP BY key_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

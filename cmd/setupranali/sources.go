package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/gateway"
	"github.com/setupranali/setupranali/state"
)

// cli is what every command besides serve gets from main: its streams and environment.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

func (c cli) logger() *slog.Logger {
	level := strings.ToUpper(c.getenv("LOG_LEVEL"))
	if level == "" {
		level = "INFO"
	}
	return newLogger(level, c.stderr)
}

// fail prints an error and returns the exit code 1.
func (c cli) fail(err error) int {
	fmt.Fprintln(c.stderr, "setupranali:", err)
	return 1
}

// stateFlag adds --state-db with SETU_STATE_DB as its default.
func (c cli) stateFlag(fs *flag.FlagSet) *string {
	def := c.getenv("SETU_STATE_DB")
	if def == "" {
		def = state.DefaultPath
	}
	return fs.String("state-db", def, "state database (env SETU_STATE_DB)")
}

func (c cli) keyring() (*state.Keyring, error) {
	return state.ParseKeyring(c.getenv("UBI_SECRET_KEY"))
}

// keygenCmd prints a new Fernet key for UBI_SECRET_KEY.
func keygenCmd(args []string, c cli) int {
	if len(args) != 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali keygen")
		return 2
	}
	k, err := state.GenerateKey()
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintln(c.stdout, k)
	return 0
}

const sourcesUsage = `usage: setupranali sources COMMAND [flags]

commands:
  add NAME --type postgres --host H [--port P] [--database D] [--user U] [--sslmode M]
           [--option key=value]... [--max-conns N] [--min-conns N] [--connect-timeout SECONDS]
           [--transaction-pooling] [--password-stdin | --password-env VAR | --dsn-stdin | --dsn-env VAR]
  add NAME --type duckdb --path FILE [--max-conns N]
  list                     every source, without credentials
  show NAME|ID             one source's settings; credentials show as ********
  test NAME|ID             connect and report the latency
  remove NAME|ID           delete a source
  rotate-key               re-encrypt every credential with the first key of UBI_SECRET_KEY

Every command takes --state-db (env SETU_STATE_DB, default ./data/setupranali.db). Credentials
are encrypted with UBI_SECRET_KEY (make one with 'setupranali keygen'); passwords and DSNs are
read from stdin or an environment variable, never from the command line.
`

func sourcesCmd(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, sourcesUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "add":
		return sourcesAdd(ctx, args, c)
	case "list", "ls":
		return sourcesList(ctx, args, c)
	case "show":
		return sourcesRef(ctx, "show", args, c, sourcesShow)
	case "test":
		return sourcesRef(ctx, "test", args, c, sourcesTest)
	case "remove", "rm":
		return sourcesRef(ctx, "remove", args, c, sourcesRemove)
	case "rotate-key":
		return sourcesRotate(ctx, args, c)
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, sourcesUsage)
		return 0
	}
	fmt.Fprintf(c.stderr, "setupranali sources: unknown command %q\n", sub)
	fmt.Fprint(c.stderr, sourcesUsage)
	return 2
}

// leadingName takes a NAME given before the flags, so both "add NAME --flags" and
// "add --flags NAME" work.
func leadingName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func newFlagSet(name string, c cli) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

func sourcesAdd(ctx context.Context, args []string, c cli) int {
	name, args := leadingName(args)
	fs := newFlagSet("sources add", c)
	dbPath := c.stateFlag(fs)
	var src state.Source
	st := &src.Settings
	fs.StringVar(&src.Type, "type", state.TypePostgres, "postgres or duckdb")
	fs.StringVar(&st.Host, "host", "", "host name or address; comma-separated for several")
	fs.StringVar(&st.Port, "port", "", "port; comma-separated to match several hosts")
	fs.StringVar(&st.Database, "database", "", "database name")
	fs.StringVar(&st.User, "user", "", "user name")
	fs.StringVar(&st.SSLMode, "sslmode", "", "disable, allow, prefer, require, verify-ca or verify-full")
	fs.StringVar(&st.Path, "path", "", "database file of a duckdb source")
	fs.IntVar(&st.MaxConns, "max-conns", 0, "connection pool size (0: the backend's default)")
	fs.IntVar(&st.MinConns, "min-conns", 0, "connections kept open when idle")
	fs.IntVar(&st.ConnectTimeoutSeconds, "connect-timeout", 0, "seconds to establish a connection (0: 10)")
	fs.BoolVar(&st.TransactionPooling, "transaction-pooling", false, "the source is behind PgBouncer in transaction pooling mode")
	fs.Func("option", "further connection parameter key=value, e.g. target_session_attrs=prefer-standby (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return errors.New("want key=value")
		}
		if st.Options == nil {
			st.Options = map[string]string{}
		}
		st.Options[k] = val
		return nil
	})
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin")
	passwordEnv := fs.String("password-env", "", "read the password from this environment variable")
	dsnStdin := fs.Bool("dsn-stdin", false, "read a full connection string (with its secrets) from the first line of stdin")
	dsnEnv := fs.String("dsn-env", "", "read a full connection string from this environment variable")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali sources add NAME [flags]; see 'setupranali sources help'")
		return 2
	}
	if name == "" {
		fmt.Fprintln(c.stderr, "setupranali sources add: a NAME is required")
		return 2
	}
	src.Name = name
	given := 0
	for _, b := range []bool{*passwordStdin, *passwordEnv != "", *dsnStdin, *dsnEnv != ""} {
		if b {
			given++
		}
	}
	if given > 1 {
		return c.fail(errors.New("give at most one of --password-stdin, --password-env, --dsn-stdin, --dsn-env"))
	}
	var creds state.Credentials
	var err error
	switch {
	case *passwordStdin:
		creds.Password, err = firstLine(c.stdin, "password")
	case *passwordEnv != "":
		creds.Password, err = fromEnv(c.getenv, *passwordEnv, "password")
	case *dsnStdin:
		creds.DSN, err = firstLine(c.stdin, "DSN")
	case *dsnEnv != "":
		creds.DSN, err = fromEnv(c.getenv, *dsnEnv, "DSN")
	}
	if err != nil {
		return c.fail(err)
	}
	if err := src.Validate(creds); err != nil {
		return c.fail(err)
	}
	var keys *state.Keyring
	if !creds.Empty() {
		if keys, err = c.keyring(); err != nil {
			return c.fail(err)
		}
	}
	db, err := state.Open(ctx, *dbPath, c.logger())
	if err != nil {
		return c.fail(err)
	}
	defer db.Close()
	added, err := db.AddSource(ctx, src, creds, keys)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "added source %s (id %s, %s)\n", added.Name, added.ID, added.Type)
	return 0
}

func firstLine(r io.Reader, what string) (string, error) {
	if r == nil {
		return "", fmt.Errorf("no stdin to read the %s from", what)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the %s from stdin: %w", what, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("the %s read from stdin is empty", what)
	}
	return line, nil
}

func fromEnv(getenv func(string) string, name, what string) (string, error) {
	v := getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s (the %s) is empty or not set", name, what)
	}
	return v, nil
}

func sourcesList(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("sources list", c)
	dbPath := c.stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	db, err := state.Open(ctx, *dbPath, c.logger())
	if err != nil {
		return c.fail(err)
	}
	defer db.Close()
	list, err := db.Sources(ctx)
	if err != nil {
		return c.fail(err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tTARGET\tCREDENTIALS")
	for _, s := range list {
		cred := "none"
		if s.HasCredentials() {
			cred = fmt.Sprintf("%s (key %s)", orDefault(s.Settings.Credential, "yes"), s.KeyID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Type, gateway.SourceTarget(s), cred)
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintln(c.stdout, "(no sources; add one with 'setupranali sources add')")
	}
	return 0
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sourcesRef runs a command taking one NAME|ID.
func sourcesRef(ctx context.Context, name string, args []string, c cli, do func(context.Context, *state.DB, string, cli) int) int {
	ref, args := leadingName(args)
	fs := newFlagSet("sources "+name, c)
	dbPath := c.stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if ref == "" && fs.NArg() == 1 {
		ref = fs.Arg(0)
	} else if fs.NArg() > 0 || ref == "" {
		fmt.Fprintf(c.stderr, "usage: setupranali sources %s NAME|ID [--state-db PATH]\n", name)
		return 2
	}
	db, err := state.Open(ctx, *dbPath, c.logger())
	if err != nil {
		return c.fail(err)
	}
	defer db.Close()
	return do(ctx, db, ref, c)
}

func sourcesShow(ctx context.Context, db *state.DB, ref string, c cli) int {
	s, err := db.Source(ctx, ref)
	if err != nil {
		return c.fail(err)
	}
	st := s.Settings
	w := c.stdout
	line := func(k string, v any) {
		if fmt.Sprint(v) != "" && fmt.Sprint(v) != "0" && fmt.Sprint(v) != "false" {
			fmt.Fprintf(w, "%s: %v\n", k, v)
		}
	}
	line("id", s.ID)
	line("name", s.Name)
	line("type", s.Type)
	line("host", st.Host)
	line("port", st.Port)
	line("database", st.Database)
	line("user", st.User)
	line("sslmode", st.SSLMode)
	line("path", st.Path)
	for _, k := range slices.Sorted(maps.Keys(st.Options)) {
		line("option "+k, st.Options[k])
	}
	line("max_conns", st.MaxConns)
	line("min_conns", st.MinConns)
	line("connect_timeout_seconds", st.ConnectTimeoutSeconds)
	line("transaction_pooling", st.TransactionPooling)
	switch {
	case !s.HasCredentials():
		fmt.Fprintln(w, "credentials: none")
	case st.Credential == "dsn":
		fmt.Fprintln(w, "dsn: ********")
	default:
		fmt.Fprintln(w, "password: ********")
	}
	line("key_id", s.KeyID)
	line("created", s.CreatedAt.Format(time.RFC3339))
	line("updated", s.UpdatedAt.Format(time.RFC3339))
	return 0
}

func sourcesTest(ctx context.Context, db *state.DB, ref string, c cli) int {
	s, err := db.Source(ctx, ref)
	if err != nil {
		return c.fail(err)
	}
	var keys *state.Keyring
	if s.HasCredentials() {
		if keys, err = c.keyring(); err != nil {
			return c.fail(fmt.Errorf("source %q: %w", s.Name, err))
		}
	}
	s, creds, err := db.Credentials(ctx, s.ID, keys)
	if err != nil {
		return c.fail(err)
	}
	log := c.logger()
	start := time.Now()
	be, err := gateway.OpenSource(ctx, s, creds, gateway.SourceOptions{Log: log})
	if err != nil {
		return c.fail(err)
	}
	defer be.Close()
	timeout := time.Duration(s.Settings.ConnectTimeoutSeconds)*time.Second + 5*time.Second
	if s.Settings.ConnectTimeoutSeconds == 0 {
		timeout = 15 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rtt, err := be.Ping(pctx)
	if err != nil {
		// The operator asked: the reason clients never see (refused, authentication, ...) too.
		if reason := postgres.ConnectReason(err); reason != "" {
			err = fmt.Errorf("%w: %s", err, reason)
		}
		return c.fail(fmt.Errorf("source %q: %w", s.Name, gateway.Redact(err, creds)))
	}
	fmt.Fprintf(c.stdout, "source %s: ok, connected in %s, round trip %s\n", s.Name, roundDuration(time.Since(start)), roundDuration(rtt))
	return 0
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

func sourcesRemove(ctx context.Context, db *state.DB, ref string, c cli) int {
	s, err := db.RemoveSource(ctx, ref)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "removed source %s (id %s)\n", s.Name, s.ID)
	return 0
}

func sourcesRotate(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("sources rotate-key", c)
	dbPath := c.stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali sources rotate-key [--state-db PATH]")
		return 2
	}
	keys, err := c.keyring()
	if err != nil {
		return c.fail(err)
	}
	db, err := state.Open(ctx, *dbPath, c.logger())
	if err != nil {
		return c.fail(err)
	}
	defer db.Close()
	n, err := db.RotateKey(ctx, keys)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "re-encrypted the credentials of %d sources with key %s\n", n, keys.Primary())
	if old := keys.IDs()[1:]; len(old) > 0 {
		fmt.Fprintf(c.stdout, "no record uses key %s any more; remove it from UBI_SECRET_KEY once every server runs with the new key first\n", strings.Join(old, ", "))
	}
	return 0
}

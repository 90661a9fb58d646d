package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/setupranali/setupranali/gateway/admin"
)

const sourcesUsage = `usage: setupranali sources COMMAND [flags]

commands:
  add NAME --type postgres --host H [--port P] [--database D] [--user U] [--sslmode M]
           [--option key=value]... [--max-conns N] [--min-conns N] [--connect-timeout SECONDS]
           [--transaction-pooling] [--password-stdin | --password-env VAR | --dsn-stdin | --dsn-env VAR]
  add NAME --type duckdb --path FILE [--max-conns N]
  add NAME --type mysql --host H [--port P] [--database D] [--user U]
           [--sslmode disable|prefer|require|verify-full] [--max-conns N] [--connect-timeout SECONDS]
           [--password-stdin | --password-env VAR | --dsn-stdin | --dsn-env VAR]
  list                     every source, without credentials
  show NAME|ID             one source's settings; credentials show as ********
  test NAME|ID             connect and report the latency
  remove NAME|ID           delete a source
  rotate-key               re-encrypt every credential with the first key of UBI_SECRET_KEY

Every command takes --state-db (env SETU_STATE_DB, default ./data/setupranali.db), or works
on the shared PostgreSQL store that SETU_STATE_DSN (or SETU_STATE_DSN_FILE) names. Credentials
are encrypted with UBI_SECRET_KEY (make one with 'setupranali keygen'); passwords and DSNs are
read from stdin or an environment variable, never from the command line.
`

// sourcesCmd reads the flags of `setupranali sources COMMAND`; admin does the rest.
func sourcesCmd(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, sourcesUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	secretKey := c.getenv("UBI_SECRET_KEY")
	switch sub {
	case "add":
		return sourcesAdd(ctx, args, c)
	case "list", "ls":
		fs := newFlagSet("sources list", c)
		dbPath := c.stateFlag(fs)
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return c.done(admin.ListSources(ctx, c.op(*dbPath)))
	case "show":
		return sourcesRef("show", args, c, func(op admin.Op, ref string) error { return admin.ShowSource(ctx, op, ref) })
	case "test":
		return sourcesRef("test", args, c, func(op admin.Op, ref string) error { return admin.TestSource(ctx, op, ref, secretKey) })
	case "remove", "rm":
		return sourcesRef("remove", args, c, func(op admin.Op, ref string) error { return admin.RemoveSource(ctx, op, ref) })
	case "rotate-key":
		fs := newFlagSet("sources rotate-key", c)
		dbPath := c.stateFlag(fs)
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			return c.usage("usage: setupranali sources rotate-key [--state-db PATH]")
		}
		return c.done(admin.RotateSourceKey(ctx, c.op(*dbPath), secretKey))
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, sourcesUsage)
		return 0
	}
	fmt.Fprintf(c.stderr, "setupranali sources: unknown command %q\n", sub)
	fmt.Fprint(c.stderr, sourcesUsage)
	return 2
}

func sourcesAdd(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("sources add", c)
	dbPath := c.stateFlag(fs)
	var src admin.Source
	st := &src.Settings
	fs.StringVar(&src.Type, "type", admin.SourcePostgres, "postgres, duckdb, mysql or clickhouse")
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
	name, err := refArgs(fs, args)
	switch {
	case errors.Is(err, errExtraArg):
		return c.usage("usage: setupranali sources add NAME [flags]; see 'setupranali sources help'")
	case err != nil:
		return 2
	case name == "":
		return c.usage("setupranali sources add: a NAME is required")
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
	// Secrets come from stdin or a variable the operator names, never from the command line,
	// where every user of the machine could read them.
	var creds admin.Credentials
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
	return c.done(admin.AddSource(ctx, c.op(*dbPath), src, creds, c.getenv("UBI_SECRET_KEY")))
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

// sourcesRef reads the flags of a command on one NAME|ID and runs it.
func sourcesRef(name string, args []string, c cli, do func(admin.Op, string) error) int {
	fs := newFlagSet("sources "+name, c)
	dbPath := c.stateFlag(fs)
	ref, err := refArgs(fs, args)
	if errors.Is(err, errExtraArg) || err == nil && ref == "" {
		return c.usage(fmt.Sprintf("usage: setupranali sources %s NAME|ID [--state-db PATH]", name))
	} else if err != nil {
		return 2
	}
	return c.done(do(c.op(*dbPath), ref))
}

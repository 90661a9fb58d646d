package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/setupranali/setupranali/gateway/admin"
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

// op is what an admin command works on: the state DB at path, or the shared PostgreSQL store
// of SETU_STATE_DSN (from the environment only: it holds a password) when that is set, and the
// command's streams.
func (c cli) op(path string) admin.Op {
	dsn, err := readSecret("SETU_STATE_DSN", c.getenv)
	return admin.Op{StateDB: path, StateDSN: dsn, StateErr: err, Stdout: c.stdout, Stderr: c.stderr, Log: c.logger()}
}

// done turns an admin command's result into the exit code: 1 with the error printed, else 0.
func (c cli) done(err error) int {
	if err != nil {
		return c.fail(err)
	}
	return 0
}

// fail prints an error and returns the exit code 1.
func (c cli) fail(err error) int {
	fmt.Fprintln(c.stderr, "setupranali:", err)
	return 1
}

// stateFlag adds --state-db with SETU_STATE_DB as its default.
func (c cli) stateFlag(fs *flag.FlagSet) *string {
	return fs.String("state-db", envOr(c.getenv, "SETU_STATE_DB", admin.DefaultStateDB), "SQLite state database (env SETU_STATE_DB); unused when SETU_STATE_DSN names a PostgreSQL store")
}

func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

func newFlagSet(name string, c cli) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// leadingName takes a NAME given before the flags, so both "add NAME --flags" and
// "add --flags NAME" work.
func leadingName(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

// errExtraArg is a second positional argument where a command takes at most one.
var errExtraArg = errors.New("extra argument")

// refArgs parses "CMD REF [flags]" or "CMD [flags] REF"; the REF may be empty. Its error is the
// flag package's (which has already printed why) or errExtraArg (the caller prints its usage).
func refArgs(fs *flag.FlagSet, args []string) (string, error) {
	ref, args := leadingName(args)
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if ref == "" && fs.NArg() == 1 {
		ref = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", errExtraArg
	}
	return ref, nil
}

// usage prints a command's usage line and returns the exit code 2.
func (c cli) usage(line string) int {
	fmt.Fprintln(c.stderr, line)
	return 2
}

// listFlag collects repeatable, comma-separated values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// keygenCmd prints a new Fernet key for UBI_SECRET_KEY.
func keygenCmd(args []string, c cli) int {
	if len(args) != 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali keygen")
		return 2
	}
	return c.done(admin.Keygen(c.op("")))
}

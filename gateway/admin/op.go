package admin

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/setupranali/setupranali/state"
)

// DefaultStateDB is the state DB an operator command uses when SETU_STATE_DB is not set; the
// gateway's default is the same file.
const DefaultStateDB = state.DefaultPath

// Op is the surroundings of one operator command.
type Op struct {
	// StateDB is the path of the state DB the command works on.
	StateDB string
	// Stdout gets the result, Stderr the notes for the person running the command.
	Stdout, Stderr io.Writer
	Log            *slog.Logger
}

func (op Op) openState(ctx context.Context) (*state.DB, error) {
	return state.Open(ctx, op.StateDB, op.Log)
}

// Keygen prints a new Fernet key for UBI_SECRET_KEY.
func Keygen(op Op) error {
	k, err := state.GenerateKey()
	if err != nil {
		return err
	}
	fmt.Fprintln(op.Stdout, k)
	return nil
}

// Backup writes an online snapshot of the state DB to the new file to; safe while a gateway
// serves from it.
func Backup(ctx context.Context, op Op, to string) error {
	if err := state.Backup(ctx, op.StateDB, to, op.Log); err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "backed up %s to %s\n", op.StateDB, to)
	return nil
}

// Restore replaces the state DB with the checked backup from. It refuses while a gateway or
// another command has the DB open.
func Restore(ctx context.Context, op Op, from string) error {
	res, err := state.Restore(ctx, from, op.StateDB, op.Log)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "restored %s from %s (schema version %d)\n", op.StateDB, from, res.Version)
	if res.Kept != "" {
		fmt.Fprintf(op.Stdout, "the replaced database is kept as %s; delete it once the restore is confirmed\n", res.Kept)
	}
	return nil
}

// orDash, orAll, timeOrNever and timeOrDash fill the cells of the tables, where an empty
// value would shift the columns a reader (or awk) sees.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func orAll(scopes []string) string {
	if len(scopes) == 0 {
		return "all"
	}
	return strings.Join(scopes, ",")
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

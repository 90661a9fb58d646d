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
	// StateDB is the path of the SQLite state DB the command works on, unless StateDSN is set.
	StateDB string
	// StateDSN, when set, is the shared PostgreSQL state store (SETU_STATE_DSN) the command
	// works on instead. It holds a password: messages use where().
	StateDSN string
	// StateErr is why the store could not be named (e.g. an unreadable SETU_STATE_DSN_FILE);
	// every command that needs the store fails with it.
	StateErr error
	// Stdout gets the result, Stderr the notes for the person running the command.
	Stdout, Stderr io.Writer
	Log            *slog.Logger
}

func (op Op) openState(ctx context.Context) (*state.DB, error) {
	if op.StateErr != nil {
		return nil, op.StateErr
	}
	return state.OpenStore(ctx, op.StateDB, op.StateDSN, op.Log)
}

// where names the store for the person running the command, without a password.
func (op Op) where() string {
	if op.StateDSN != "" {
		return state.RedactDSN(op.StateDSN)
	}
	return op.StateDB
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
// serves from it. A PostgreSQL store is written in the same portable format (a SQLite state
// DB), so either store's backup restores into either.
func Backup(ctx context.Context, op Op, to string) error {
	backup := state.Backup
	if op.StateDSN != "" {
		backup = state.BackupPostgres
	}
	if op.StateErr != nil {
		return op.StateErr
	}
	if err := backup(ctx, op.storeRef(), to, op.Log); err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "backed up %s to %s\n", op.where(), to)
	return nil
}

// storeRef is the SQLite path or the PostgreSQL DSN, whichever the command works on.
func (op Op) storeRef() string {
	if op.StateDSN != "" {
		return op.StateDSN
	}
	return op.StateDB
}

// Restore replaces the state DB with the checked backup from. A SQLite DB is refused while a
// gateway or another command has it open; a PostgreSQL store is replaced in one transaction
// that running replicas wait for.
func Restore(ctx context.Context, op Op, from string) error {
	restore := state.Restore
	if op.StateDSN != "" {
		restore = state.RestorePostgres
	}
	if op.StateErr != nil {
		return op.StateErr
	}
	res, err := restore(ctx, from, op.storeRef(), op.Log)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "restored %s from %s (schema version %d)\n", op.where(), from, res.Version)
	if res.Kept != "" {
		fmt.Fprintf(op.Stdout, "the replaced content is kept as %s; delete it once the restore is confirmed\n", res.Kept)
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

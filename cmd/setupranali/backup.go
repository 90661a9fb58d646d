package main

import (
	"context"
	"fmt"

	"github.com/setupranali/setupranali/state"
)

// backupCmd writes an online snapshot of the state DB; safe while the server runs.
func backupCmd(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("backup", c)
	dbPath := c.stateFlag(fs)
	to := fs.String("to", "", "the new backup file (must not exist); written with mode 0600")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *to == "" || fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali backup --to FILE [--state-db PATH]")
		return 2
	}
	if err := state.Backup(ctx, *dbPath, *to, c.logger()); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "backed up %s to %s\n", *dbPath, *to)
	return 0
}

// restoreCmd replaces the state DB with a checked backup. It refuses while a server or another
// command has the DB open.
func restoreCmd(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("restore", c)
	dbPath := c.stateFlag(fs)
	from := fs.String("from", "", "a backup file made by 'setupranali backup'")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali restore --from FILE [--state-db PATH]   (stop the server first)")
		return 2
	}
	res, err := state.Restore(ctx, *from, *dbPath, c.logger())
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "restored %s from %s (schema version %d)\n", *dbPath, *from, res.Version)
	if res.Kept != "" {
		fmt.Fprintf(c.stdout, "the replaced database is kept as %s; delete it once the restore is confirmed\n", res.Kept)
	}
	return 0
}

package main

import (
	"context"

	"github.com/setupranali/setupranali/gateway/admin"
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
		return c.usage("usage: setupranali backup --to FILE [--state-db PATH]   (or the store of SETU_STATE_DSN)")
	}
	return c.done(admin.Backup(ctx, c.op(*dbPath), *to))
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
		return c.usage("usage: setupranali restore --from FILE [--state-db PATH]   (SQLite: stop the server first; or the store of SETU_STATE_DSN)")
	}
	return c.done(admin.Restore(ctx, c.op(*dbPath), *from))
}

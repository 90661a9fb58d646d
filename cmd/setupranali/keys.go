package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/setupranali/setupranali/gateway/admin"
)

const keysUsage = `usage: setupranali keys COMMAND [flags]

commands:
  create NAME --role viewer|admin|internal_admin [--tenant T]... [--scope DATASET]...
              [--expires 2027-01-31 | --expires-in 90d]
                           make a key; the key is printed once, on stdout, and never again
  list                     every key with its status, never a secret
  revoke ID|NAME           end a key at once
  rotate ID|NAME [--grace 24h]
                           give a key a new secret (printed once); the old one keeps working
                           for the grace period
  audit [ID|NAME] [--limit N]
                           the audit log: key changes, failed and refused logins

Every command takes --state-db (env SETU_STATE_DB, default ./data/setupranali.db), or works
on the shared PostgreSQL store that SETU_STATE_DSN (or SETU_STATE_DSN_FILE) names. Roles are
described in docs/keys.md. --tenant and --scope repeat or take comma-separated lists; no
--scope means every dataset.
`

// keysCmd reads the flags of `setupranali keys COMMAND`; admin does the rest.
func keysCmd(ctx context.Context, args []string, c cli) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, keysUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "create":
		return keysCreate(ctx, args, c)
	case "list", "ls":
		fs := newFlagSet("keys list", c)
		dbPath := c.stateFlag(fs)
		if err := fs.Parse(args); err != nil {
			return 2
		}
		return c.done(admin.ListKeys(ctx, c.op(*dbPath)))
	case "revoke":
		fs := newFlagSet("keys revoke", c)
		dbPath := c.stateFlag(fs)
		ref, err := refArgs(fs, args)
		if err != nil || ref == "" {
			return c.usage("usage: setupranali keys revoke ID|NAME")
		}
		return c.done(admin.RevokeKey(ctx, c.op(*dbPath), ref))
	case "rotate":
		fs := newFlagSet("keys rotate", c)
		dbPath := c.stateFlag(fs)
		grace := fs.Duration("grace", 24*time.Hour, "how long the old secret keeps working (0: not at all)")
		ref, err := refArgs(fs, args)
		if err != nil || ref == "" {
			return c.usage("usage: setupranali keys rotate ID|NAME [--grace 24h]")
		}
		return c.done(admin.RotateKey(ctx, c.op(*dbPath), ref, *grace))
	case "audit":
		fs := newFlagSet("keys audit", c)
		dbPath := c.stateFlag(fs)
		limit := fs.Int("limit", 100, "latest events to show (0: all)")
		ref, err := refArgs(fs, args)
		if errors.Is(err, errExtraArg) {
			return c.usage("usage: setupranali keys audit [ID|NAME] [--limit N]")
		} else if err != nil {
			return 2
		}
		return c.done(admin.KeyAudit(ctx, c.op(*dbPath), ref, *limit))
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, keysUsage)
		return 0
	}
	fmt.Fprintf(c.stderr, "setupranali keys: unknown command %q\n", sub)
	fmt.Fprint(c.stderr, keysUsage)
	return 2
}

func keysCreate(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("keys create", c)
	dbPath := c.stateFlag(fs)
	var k admin.NewKey
	fs.Var((*listFlag)(&k.Tenants), "tenant", "tenant the key sees (repeatable, or comma-separated)")
	fs.Var((*listFlag)(&k.Scopes), "scope", "dataset the key may use (repeatable, or comma-separated; none: all)")
	fs.StringVar(&k.Role, "role", "viewer", "viewer, admin or internal_admin")
	fs.StringVar(&k.Expires, "expires", "", "expiry as a date (2027-01-31, midnight UTC) or an RFC 3339 time")
	fs.StringVar(&k.ExpiresIn, "expires-in", "", "expiry from now: 90d, 12h, ...")
	name, err := refArgs(fs, args)
	if errors.Is(err, errExtraArg) || err == nil && name == "" {
		return c.usage("usage: setupranali keys create NAME --role ROLE [--tenant T]... [--scope DATASET]...")
	} else if err != nil {
		return 2
	}
	k.Name = name
	return c.done(admin.CreateKey(ctx, c.op(*dbPath), k))
}

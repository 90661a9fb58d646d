package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/state"
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

Every command takes --state-db (env SETU_STATE_DB, default ./data/setupranali.db). Roles are
described in docs/keys.md. --tenant and --scope repeat or take comma-separated lists; no
--scope means every dataset.
`

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
		return keysList(ctx, args, c)
	case "revoke":
		return keysRevoke(ctx, args, c)
	case "rotate":
		return keysRotate(ctx, args, c)
	case "audit":
		return keysAudit(ctx, args, c)
	case "help", "-h", "--help":
		fmt.Fprint(c.stdout, keysUsage)
		return 0
	}
	fmt.Fprintf(c.stderr, "setupranali keys: unknown command %q\n", sub)
	fmt.Fprint(c.stderr, keysUsage)
	return 2
}

// openKeys opens the state DB and a key store over it; close closes both.
func openKeys(ctx context.Context, path string, c cli) (*auth.Keys, *state.DB, func(), error) {
	db, err := state.Open(ctx, path, c.logger())
	if err != nil {
		return nil, nil, nil, err
	}
	keys := auth.NewKeys(db, auth.KeysConfig{Log: c.logger()})
	return keys, db, func() { keys.Close(); db.Close() }, nil
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

// parseValidity reads --expires-in: a Go duration or a number of days ("90d").
func parseValidity(v string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--expires-in %q: want a positive number of days or a duration", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(v)
	if err != nil || dur <= 0 {
		return 0, fmt.Errorf("--expires-in %q: want a positive number of days (90d) or a duration (12h)", v)
	}
	return dur, nil
}

func keysCreate(ctx context.Context, args []string, c cli) int {
	name, args := leadingName(args)
	fs := newFlagSet("keys create", c)
	dbPath := c.stateFlag(fs)
	var tenants, scopes listFlag
	fs.Var(&tenants, "tenant", "tenant the key sees (repeatable, or comma-separated)")
	fs.Var(&scopes, "scope", "dataset the key may use (repeatable, or comma-separated; none: all)")
	role := fs.String("role", "viewer", "viewer, admin or internal_admin")
	expires := fs.String("expires", "", "expiry as a date (2027-01-31, midnight UTC) or an RFC 3339 time")
	expiresIn := fs.String("expires-in", "", "expiry from now: 90d, 12h, ...")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 || name == "" {
		fmt.Fprintln(c.stderr, "usage: setupranali keys create NAME --role ROLE [--tenant T]... [--scope DATASET]...")
		return 2
	}
	spec := auth.KeySpec{Name: name, Tenants: tenants, Role: auth.Role(*role), Scopes: scopes}
	switch {
	case *expires != "" && *expiresIn != "":
		return c.fail(errors.New("give --expires or --expires-in, not both"))
	case *expires != "":
		t, err := time.Parse(time.RFC3339, *expires)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, *expires); err != nil {
				return c.fail(fmt.Errorf("--expires %q: want 2027-01-31 or an RFC 3339 time", *expires))
			}
		}
		spec.Expires = t
	case *expiresIn != "":
		d, err := parseValidity(*expiresIn)
		if err != nil {
			return c.fail(err)
		}
		spec.Expires = time.Now().Add(d)
	}
	keys, _, closeAll, err := openKeys(ctx, *dbPath, c)
	if err != nil {
		return c.fail(err)
	}
	defer closeAll()
	key, rec, err := keys.Create(ctx, spec, "cli")
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stderr, "created API key %s (%s, role %s, tenants %s, scopes %s, expires %s)\n",
		rec.ID, rec.Name, rec.Role, orDash(strings.Join(rec.Tenants, ",")), orAll(rec.Scopes), timeOrNever(rec.Expires))
	fmt.Fprintf(c.stderr, "The key follows on stdout. Store it now: it is not kept and cannot be shown again.\n"+
		"Use it as the password (pg wire, with user %s for SCRAM) or as X-API-Key (HTTP).\n", rec.ID)
	fmt.Fprintln(c.stdout, key)
	return 0
}

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

func keysList(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("keys list", c)
	dbPath := c.stateFlag(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	keys, _, closeAll, err := openKeys(ctx, *dbPath, c)
	if err != nil {
		return c.fail(err)
	}
	defer closeAll()
	list, err := keys.List(ctx)
	if err != nil {
		return c.fail(err)
	}
	if len(list) == 0 {
		fmt.Fprintln(c.stderr, "no API keys (create one with 'setupranali keys create')")
		return 0
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tTENANTS\tSCOPES\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
	now := time.Now()
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, orDash(strings.Join(k.Tenants, ",")),
			orAll(k.Scopes), k.Status(now), timeOrDash(k.Created), timeOrNever(k.Expires), timeOrDash(k.LastUsed))
	}
	tw.Flush()
	return 0
}

// openKey opens the key store and finds the key ref names (an id or a name).
func openKey(ctx context.Context, path, ref string, c cli) (*auth.Keys, string, func(), error) {
	keys, _, closeAll, err := openKeys(ctx, path, c)
	if err != nil {
		return nil, "", nil, err
	}
	id, err := resolveKey(ctx, keys, ref)
	if err != nil {
		closeAll()
		return nil, "", nil, err
	}
	return keys, id, closeAll, nil
}

// resolveKey finds a key by id, or by a name that exactly one unrevoked key has.
func resolveKey(ctx context.Context, keys *auth.Keys, ref string) (string, error) {
	if _, err := keys.Key(ctx, ref); err == nil {
		return ref, nil
	} else if !errors.Is(err, auth.ErrNoKey) {
		return "", err
	}
	list, err := keys.List(ctx)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, k := range list {
		if k.Name == ref && k.Revoked.IsZero() {
			ids = append(ids, k.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no API key with id or name %q", ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%d keys are named %q (%s); give the id", len(ids), ref, strings.Join(ids, ", "))
}

// refArgs parses "CMD REF [flags]" or "CMD [flags] REF".
func refArgs(fs *flag.FlagSet, args []string) (string, bool) {
	ref, args := leadingName(args)
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if ref == "" && fs.NArg() == 1 {
		ref = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", false
	}
	return ref, ref != ""
}

func keysRevoke(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("keys revoke", c)
	dbPath := c.stateFlag(fs)
	ref, ok := refArgs(fs, args)
	if !ok {
		fmt.Fprintln(c.stderr, "usage: setupranali keys revoke ID|NAME")
		return 2
	}
	keys, id, closeAll, err := openKey(ctx, *dbPath, ref, c)
	if err != nil {
		return c.fail(err)
	}
	defer closeAll()
	if err := keys.Revoke(ctx, id, "cli"); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "revoked API key %s\n", id)
	return 0
}

func keysRotate(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("keys rotate", c)
	dbPath := c.stateFlag(fs)
	grace := fs.Duration("grace", 24*time.Hour, "how long the old secret keeps working (0: not at all)")
	ref, ok := refArgs(fs, args)
	if !ok {
		fmt.Fprintln(c.stderr, "usage: setupranali keys rotate ID|NAME [--grace 24h]")
		return 2
	}
	keys, id, closeAll, err := openKey(ctx, *dbPath, ref, c)
	if err != nil {
		return c.fail(err)
	}
	defer closeAll()
	key, err := keys.Rotate(ctx, id, *grace, "cli")
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stderr, "rotated API key %s; the old secret works until %s\n", id, time.Now().Add(*grace).UTC().Format(time.RFC3339))
	fmt.Fprintln(c.stderr, "The new key follows on stdout. Store it now: it cannot be shown again.")
	fmt.Fprintln(c.stdout, key)
	return 0
}

func keysAudit(ctx context.Context, args []string, c cli) int {
	fs := newFlagSet("keys audit", c)
	dbPath := c.stateFlag(fs)
	limit := fs.Int("limit", 100, "latest events to show (0: all)")
	ref, args := leadingName(args)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if ref == "" && fs.NArg() == 1 {
		ref = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fmt.Fprintln(c.stderr, "usage: setupranali keys audit [ID|NAME] [--limit N]")
		return 2
	}
	keys, db, closeAll, err := openKeys(ctx, *dbPath, c)
	if err != nil {
		return c.fail(err)
	}
	defer closeAll()
	id := ""
	if ref != "" {
		// The log also holds failed logins naming ids that were never keys.
		if id, err = resolveKey(ctx, keys, ref); err != nil {
			id = ref
		}
	}
	events, err := db.AuditLog(ctx, id, *limit)
	if err != nil {
		return c.fail(err)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tKEY\tREMOTE\tACTOR\tDETAIL")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format(time.RFC3339), ev.Event, orDash(ev.KeyID),
			orDash(ev.RemoteAddr), orDash(ev.Actor), orDash(ev.Detail))
	}
	tw.Flush()
	return 0
}

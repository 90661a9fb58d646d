package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/state"
)

// NewKey is a key to create, as the operator gave it.
type NewKey struct {
	Name string
	// Role is viewer, admin or internal_admin; auth.Keys checks it.
	Role            string
	Tenants, Scopes []string
	// Expires is a date (2027-01-31, midnight UTC) or an RFC 3339 time; ExpiresIn a Go duration
	// or a number of days ("90d"). At most one is given; neither means the key never expires.
	Expires, ExpiresIn string
}

// spec checks the expiry and makes the key store's spec; now is when ExpiresIn counts from.
func (k NewKey) spec(now time.Time) (auth.KeySpec, error) {
	spec := auth.KeySpec{Name: k.Name, Tenants: k.Tenants, Role: auth.Role(k.Role), Scopes: k.Scopes}
	switch {
	case k.Expires != "" && k.ExpiresIn != "":
		return spec, errors.New("give --expires or --expires-in, not both")
	case k.Expires != "":
		t, err := time.Parse(time.RFC3339, k.Expires)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, k.Expires); err != nil {
				return spec, fmt.Errorf("--expires %q: want 2027-01-31 or an RFC 3339 time", k.Expires)
			}
		}
		spec.Expires = t
	case k.ExpiresIn != "":
		d, err := parseValidity(k.ExpiresIn)
		if err != nil {
			return spec, err
		}
		spec.Expires = now.Add(d)
	}
	return spec, nil
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

// cliActor is the audit log's actor for changes made at the terminal.
const cliActor = "cli"

// keyStore is the state DB and the key store over it.
type keyStore struct {
	db   *state.DB
	keys *auth.Keys
}

func openKeys(ctx context.Context, op Op) (*keyStore, error) {
	db, err := op.openState(ctx)
	if err != nil {
		return nil, err
	}
	return &keyStore{db: db, keys: auth.NewKeys(db, auth.KeysConfig{Log: op.Log})}, nil
}

// Close writes pending last-used times, then closes the state DB.
func (s *keyStore) Close() {
	s.keys.Close()
	s.db.Close()
}

// CreateKey makes a key. The key goes to stdout, alone on its line, and is never shown again;
// what it is goes to stderr.
func CreateKey(ctx context.Context, op Op, k NewKey) error {
	// The expiry is checked before the state DB is opened, which would create it.
	spec, err := k.spec(time.Now())
	if err != nil {
		return err
	}
	s, err := openKeys(ctx, op)
	if err != nil {
		return err
	}
	defer s.Close()
	key, rec, err := s.keys.Create(ctx, spec, cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stderr, "created API key %s (%s, role %s, tenants %s, scopes %s, expires %s)\n",
		rec.ID, rec.Name, rec.Role, orDash(strings.Join(rec.Tenants, ",")), orAll(rec.Scopes), timeOrNever(rec.Expires))
	fmt.Fprintf(op.Stderr, "The key follows on stdout. Store it now: it is not kept and cannot be shown again.\n"+
		"Use it as the password (pg wire, with user %s for SCRAM) or as X-API-Key (HTTP).\n", rec.ID)
	fmt.Fprintln(op.Stdout, key)
	return nil
}

// ListKeys prints every key with its status, never a secret.
func ListKeys(ctx context.Context, op Op) error {
	s, err := openKeys(ctx, op)
	if err != nil {
		return err
	}
	defer s.Close()
	list, err := s.keys.List(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(op.Stderr, "no API keys (create one with 'setupranali keys create')")
		return nil
	}
	tw := tabwriter.NewWriter(op.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLE\tTENANTS\tSCOPES\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
	now := time.Now()
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, orDash(strings.Join(k.Tenants, ",")),
			orAll(k.Scopes), k.Status(now), timeOrDash(k.Created), timeOrNever(k.Expires), timeOrDash(k.LastUsed))
	}
	tw.Flush()
	return nil
}

// resolve finds a key by id, or by a name that exactly one unrevoked key has: operators name
// keys, the store knows ids.
func (s *keyStore) resolve(ctx context.Context, ref string) (string, error) {
	if _, err := s.keys.Key(ctx, ref); err == nil {
		return ref, nil
	} else if !errors.Is(err, auth.ErrNoKey) {
		return "", err
	}
	list, err := s.keys.List(ctx)
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

// openKey opens the key store and finds the key ref names (an id or a name).
func openKey(ctx context.Context, op Op, ref string) (*keyStore, string, error) {
	s, err := openKeys(ctx, op)
	if err != nil {
		return nil, "", err
	}
	id, err := s.resolve(ctx, ref)
	if err != nil {
		s.Close()
		return nil, "", err
	}
	return s, id, nil
}

// RevokeKey ends the key ref names (an id or a name) at once.
func RevokeKey(ctx context.Context, op Op, ref string) error {
	s, id, err := openKey(ctx, op, ref)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.keys.Revoke(ctx, id, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "revoked API key %s\n", id)
	return nil
}

// RotateKey gives the key ref names a new secret, printed once on stdout; the old one keeps
// working for grace.
func RotateKey(ctx context.Context, op Op, ref string, grace time.Duration) error {
	s, id, err := openKey(ctx, op, ref)
	if err != nil {
		return err
	}
	defer s.Close()
	key, err := s.keys.Rotate(ctx, id, grace, cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stderr, "rotated API key %s; the old secret works until %s\n", id, time.Now().Add(grace).UTC().Format(time.RFC3339))
	fmt.Fprintln(op.Stderr, "The new key follows on stdout. Store it now: it cannot be shown again.")
	fmt.Fprintln(op.Stdout, key)
	return nil
}

// KeyAudit prints the latest limit events of the audit log (0: all): key changes, failed and
// refused logins; of one key when ref is not empty.
func KeyAudit(ctx context.Context, op Op, ref string, limit int) error {
	s, err := openKeys(ctx, op)
	if err != nil {
		return err
	}
	defer s.Close()
	id := ""
	if ref != "" {
		// The log also holds failed logins naming ids that were never keys.
		if id, err = s.resolve(ctx, ref); err != nil {
			id = ref
		}
	}
	events, err := s.db.AuditLog(ctx, id, limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(op.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tEVENT\tKEY\tREMOTE\tACTOR\tDETAIL")
	for _, ev := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.At.UTC().Format(time.RFC3339), ev.Event, orDash(ev.KeyID),
			orDash(ev.RemoteAddr), orDash(ev.Actor), orDash(ev.Detail))
	}
	tw.Flush()
	return nil
}

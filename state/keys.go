package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/setupranali/setupranali/auth"
)

// The DB is the key store's repository.
var (
	_ auth.KeyRepo     = (*DB)(nil)
	_ auth.AuditReader = (*DB)(nil)
)

// keyTimeLayout is fixed-width UTC, so stored times compare correctly as text.
const keyTimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(keyTimeLayout)
}

func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s.String)
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// InsertAPIKey stores a new key with its secret and the audit event of its creation.
func (db *DB) InsertAPIKey(ctx context.Context, k auth.KeyRecord, ev auth.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, tenants, role, scopes, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, jsonList(k.Tenants), string(k.Role), jsonList(k.Scopes), formatTime(k.Created), formatTime(k.Expires))
		if err != nil {
			return fmt.Errorf("storing API key %s: %w", k.ID, err)
		}
		for _, s := range k.Secrets {
			if err := insertSecret(ctx, tx, k.ID, s); err != nil {
				return err
			}
		}
		return insertAudit(ctx, tx, ev)
	})
}

func insertSecret(ctx context.Context, tx *txn, id string, s auth.KeySecret) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO api_key_secrets
(key_id, digest, scram_salt, scram_iterations, scram_stored_key, scram_server_key, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, s.Digest, s.SCRAM.Salt, s.SCRAM.Iterations, s.SCRAM.StoredKey, s.SCRAM.ServerKey,
		formatTime(s.Created), formatTime(s.Expires))
	if err != nil {
		// The error names the key id only; digests are not secret but have no place in a log.
		return fmt.Errorf("storing a secret of API key %s: %w", id, err)
	}
	return nil
}

const keyColumns = `id, name, tenants, role, scopes, created_at, expires_at, revoked_at, last_used_at`

func scanKey(sc interface{ Scan(...any) error }) (auth.KeyRecord, error) {
	var k auth.KeyRecord
	var tenants, role, scopes, created string
	var expires, revoked, used sql.NullString
	if err := sc.Scan(&k.ID, &k.Name, &tenants, &role, &scopes, &created, &expires, &revoked, &used); err != nil {
		return k, err
	}
	k.Role = auth.Role(role)
	if err := json.Unmarshal([]byte(tenants), &k.Tenants); err != nil {
		return k, fmt.Errorf("API key %s: tenants: %w", k.ID, err)
	}
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return k, fmt.Errorf("API key %s: scopes: %w", k.ID, err)
	}
	var err error
	if k.Created, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return k, fmt.Errorf("API key %s: %w", k.ID, err)
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&k.Expires, expires}, {&k.Revoked, revoked}, {&k.LastUsed, used}} {
		if *f.dst, err = parseTime(f.src); err != nil {
			return k, fmt.Errorf("API key %s: %w", k.ID, err)
		}
	}
	return k, nil
}

// APIKey returns a key with its secrets (oldest first), or auth.ErrNoKey.
func (db *DB) APIKey(ctx context.Context, id string) (auth.KeyRecord, error) {
	k, err := scanKey(db.sql.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, auth.ErrNoKey
	}
	if err != nil {
		return k, fmt.Errorf("reading API key: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT digest, scram_salt, scram_iterations, scram_stored_key, scram_server_key, created_at, expires_at
FROM api_key_secrets WHERE key_id = ? ORDER BY created_at, rowid`, id)
	if err != nil {
		return k, fmt.Errorf("reading API key %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s auth.KeySecret
		var created string
		var expires sql.NullString
		if err := rows.Scan(&s.Digest, &s.SCRAM.Salt, &s.SCRAM.Iterations, &s.SCRAM.StoredKey, &s.SCRAM.ServerKey, &created, &expires); err != nil {
			return k, fmt.Errorf("reading API key %s: %w", id, err)
		}
		if s.Created, err = time.Parse(time.RFC3339Nano, created); err != nil {
			return k, fmt.Errorf("API key %s: %w", id, err)
		}
		if s.Expires, err = parseTime(expires); err != nil {
			return k, fmt.Errorf("API key %s: %w", id, err)
		}
		k.Secrets = append(k.Secrets, s)
	}
	if err := rows.Err(); err != nil {
		return k, fmt.Errorf("reading API key %s: %w", id, err)
	}
	return k, nil
}

// APIKeys returns every key without secrets, oldest first.
func (db *DB) APIKeys(ctx context.Context) ([]auth.KeyRecord, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("listing API keys: %w", err)
	}
	defer rows.Close()
	var out []auth.KeyRecord
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("listing API keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey marks a key revoked.
func (db *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time, ev auth.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, formatTime(at), id)
		if err != nil {
			return fmt.Errorf("revoking API key %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return auth.ErrNoKey
		}
		return insertAudit(ctx, tx, ev)
	})
}

// RotateAPIKey adds s as the key's newest secret; the older ones end at graceUntil at the
// latest, and those already ended are deleted.
func (db *DB) RotateAPIKey(ctx context.Context, id string, s auth.KeySecret, graceUntil time.Time, ev auth.AuditEvent) error {
	return db.inTx(ctx, func(tx *txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE id = ? AND revoked_at IS NULL`, id).Scan(&n); err != nil {
			return fmt.Errorf("rotating API key %s: %w", id, err)
		}
		if n == 0 {
			return auth.ErrNoKey
		}
		rows, err := tx.QueryContext(ctx, `SELECT rowid, expires_at FROM api_key_secrets WHERE key_id = ?`, id)
		if err != nil {
			return fmt.Errorf("rotating API key %s: %w", id, err)
		}
		type upd struct {
			rowid int64
			del   bool
		}
		var todo []upd
		for rows.Next() {
			var rowid int64
			var exp sql.NullString
			if err := rows.Scan(&rowid, &exp); err != nil {
				rows.Close()
				return fmt.Errorf("rotating API key %s: %w", id, err)
			}
			t, err := parseTime(exp)
			if err != nil {
				rows.Close()
				return fmt.Errorf("rotating API key %s: %w", id, err)
			}
			switch {
			case !t.IsZero() && !t.After(s.Created):
				todo = append(todo, upd{rowid, true})
			case t.IsZero() || t.After(graceUntil):
				todo = append(todo, upd{rowid, false})
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rotating API key %s: %w", id, err)
		}
		for _, u := range todo {
			q, args := `UPDATE api_key_secrets SET expires_at = ? WHERE rowid = ?`, []any{formatTime(graceUntil), u.rowid}
			if u.del {
				q, args = `DELETE FROM api_key_secrets WHERE rowid = ?`, []any{u.rowid}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return fmt.Errorf("rotating API key %s: %w", id, err)
			}
		}
		if err := insertSecret(ctx, tx, id, s); err != nil {
			return err
		}
		return insertAudit(ctx, tx, ev)
	})
}

// TouchAPIKeys records last-used times, keeping the later of the stored and the given one.
func (db *DB) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	return db.inTx(ctx, func(tx *txn) error {
		for id, at := range used {
			_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				formatTime(at), id, formatTime(at))
			if err != nil {
				return fmt.Errorf("recording use of API key %s: %w", id, err)
			}
		}
		return nil
	})
}

// Audit appends one event to the audit log.
func (db *DB) Audit(ctx context.Context, ev auth.AuditEvent) error {
	return insertAudit(ctx, db.sql, ev)
}

func insertAudit(ctx context.Context, q querier, ev auth.AuditEvent) error {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	null := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (at, event, key_id, remote_addr, actor, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		formatTime(ev.At), ev.Event, null(ev.KeyID), null(ev.RemoteAddr), null(ev.Actor), null(ev.Detail))
	if err != nil {
		return fmt.Errorf("writing the audit log: %w", err)
	}
	return nil
}

// AuditLog returns the latest limit events (all when limit <= 0), oldest first; keyID ""
// means every key.
func (db *DB) AuditLog(ctx context.Context, keyID string, limit int) ([]auth.AuditEvent, error) {
	if limit <= 0 {
		// Both stores read this as no limit; PostgreSQL refuses SQLite's -1.
		limit = 1 << 62
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM (
	SELECT id, at, event, key_id, remote_addr, actor, detail FROM audit_log
	WHERE ? = '' OR key_id = ? ORDER BY id DESC LIMIT ?
) AS recent ORDER BY id`, keyID, keyID, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer rows.Close()
	var out []auth.AuditEvent
	for rows.Next() {
		var ev auth.AuditEvent
		var at string
		var key, addr, actor, detail sql.NullString
		if err := rows.Scan(&ev.ID, &at, &ev.Event, &key, &addr, &actor, &detail); err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		if ev.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("reading the audit log: %w", err)
		}
		ev.KeyID, ev.RemoteAddr, ev.Actor, ev.Detail = key.String, addr.String, actor.String, detail.String
		out = append(out, ev)
	}
	return out, rows.Err()
}

// inTx runs fn in a write transaction.
func (db *DB) inTx(ctx context.Context, fn func(*txn) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("state DB: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("state DB: %w", err)
	}
	return nil
}

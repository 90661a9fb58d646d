package state

import (
	"context"
	"fmt"
	"time"
)

// LoginFailure is one failed login as a replica recorded it for the others.
type LoginFailure struct {
	ID      int64
	At      time.Time
	Addr    string
	KeyID   string
	Replica string
}

// RecordLoginFailure stores a failed login seen by replica.
func (db *DB) RecordLoginFailure(ctx context.Context, f LoginFailure) error {
	_, err := db.sql.ExecContext(ctx, `INSERT INTO login_failures (at, addr, key_id, replica) VALUES (?, ?, ?, ?)`,
		formatTime(f.At), f.Addr, f.KeyID, f.Replica)
	if err != nil {
		return fmt.Errorf("recording a failed login: %w", err)
	}
	return nil
}

// LoginFailuresSince returns the failures at or after since that other replicas than replica
// recorded, oldest first.
func (db *DB) LoginFailuresSince(ctx context.Context, since time.Time, replica string) ([]LoginFailure, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT id, at, addr, key_id, replica FROM login_failures
WHERE at >= ? AND replica <> ? ORDER BY at, id`, formatTime(since), replica)
	if err != nil {
		return nil, fmt.Errorf("reading failed logins: %w", err)
	}
	defer rows.Close()
	var out []LoginFailure
	for rows.Next() {
		var f LoginFailure
		var at string
		if err := rows.Scan(&f.ID, &at, &f.Addr, &f.KeyID, &f.Replica); err != nil {
			return nil, fmt.Errorf("reading failed logins: %w", err)
		}
		if f.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return nil, fmt.Errorf("reading failed logins: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// PruneLoginFailures deletes the failures before before.
func (db *DB) PruneLoginFailures(ctx context.Context, before time.Time) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM login_failures WHERE at < ?`, formatTime(before)); err != nil {
		return fmt.Errorf("pruning failed logins: %w", err)
	}
	return nil
}

package admin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewKeyExpiry(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		k       NewKey
		want    time.Time
		wantErr string
	}{
		{k: NewKey{}},
		{k: NewKey{Expires: "2027-01-31"}, want: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)},
		{k: NewKey{Expires: "2027-01-31T10:00:00+02:00"}, want: time.Date(2027, 1, 31, 8, 0, 0, 0, time.UTC)},
		{k: NewKey{ExpiresIn: "90d"}, want: now.Add(90 * 24 * time.Hour)},
		{k: NewKey{ExpiresIn: "12h"}, want: now.Add(12 * time.Hour)},
		{k: NewKey{ExpiresIn: "0d"}, wantErr: "positive number of days"},
		{k: NewKey{ExpiresIn: "-1h"}, wantErr: "positive number of days (90d) or a duration"},
		{k: NewKey{Expires: "tomorrow"}, wantErr: "want 2027-01-31 or an RFC 3339 time"},
		{k: NewKey{Expires: "2027-01-31", ExpiresIn: "1d"}, wantErr: "not both"},
	}
	for _, tc := range cases {
		spec, err := tc.k.spec(now)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: error %v, want one saying %q", tc.k, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%+v: %v", tc.k, err)
		case !spec.Expires.Equal(tc.want):
			t.Errorf("%+v: expires %v, want %v", tc.k, spec.Expires, tc.want)
		}
	}
}

// TestKeysByName: an operator names a key; a name two unrevoked keys share is refused with
// both ids, and a revoked key's name no longer counts.
func TestKeysByName(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	op := Op{StateDB: filepath.Join(t.TempDir(), "state.db"), Stdout: &out, Stderr: io.Discard, Log: slog.New(slog.DiscardHandler)}
	create := func() string {
		out.Reset()
		if err := CreateKey(ctx, op, NewKey{Name: "grafana", Role: "viewer", Tenants: []string{"t1"}}); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	create()
	if err := RevokeKey(ctx, op, "grafana"); err != nil {
		t.Fatalf("revoke by its name: %v", err)
	}
	create()
	create()
	err := RevokeKey(ctx, op, "grafana")
	if err == nil || !strings.Contains(err.Error(), `2 keys are named "grafana"`) {
		t.Fatalf("revoke of a shared name: %v", err)
	}
	if err := RotateKey(ctx, op, "nobody", time.Hour); err == nil || !strings.Contains(err.Error(), `no API key with id or name "nobody"`) {
		t.Fatalf("rotate of an unknown name: %v", err)
	}
	out.Reset()
	if err := ListKeys(ctx, op); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "grafana"); got != 3 {
		t.Fatalf("list shows %d keys named grafana, want 3:\n%s", got, out.String())
	}
	if strings.Count(out.String(), "revoked") != 1 {
		t.Fatalf("list should show the one revoked key:\n%s", out.String())
	}
}

// A request wrong in itself is refused before the state DB is opened, which would create it.
func TestRefusedBeforeTheStateDBIsCreated(t *testing.T) {
	ctx := context.Background()
	op := Op{StateDB: filepath.Join(t.TempDir(), "state.db"), Stdout: io.Discard, Stderr: io.Discard, Log: slog.New(slog.DiscardHandler)}
	if err := CreateKey(ctx, op, NewKey{Name: "k", Role: "admin", ExpiresIn: "soon"}); err == nil {
		t.Error("a key with expiry 'soon' was created")
	}
	if err := AddSource(ctx, op, Source{Name: "s", Type: "oracle"}, Credentials{}, ""); err == nil {
		t.Error("a source of type oracle was added")
	}
	if _, err := os.Stat(op.StateDB); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the state DB exists after refused requests (stat: %v)", err)
	}
}

package admin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/setupranali/setupranali/engine/postgres"
	"github.com/setupranali/setupranali/gateway"
	"github.com/setupranali/setupranali/state"
)

// Source and Credentials are the source registry's records (package state), named here so the
// program fills them from its flags through this package alone.
type (
	Source      = state.Source
	Credentials = state.Credentials
)

// SourcePostgres is the default type of a new source.
const SourcePostgres = state.TypePostgres

// keyring parses UBI_SECRET_KEY, the keys that encrypt source credentials.
func keyring(secretKey string) (*state.Keyring, error) {
	return state.ParseKeyring(secretKey)
}

// AddSource registers src with its credentials, encrypted with the first key of secretKey
// (UBI_SECRET_KEY), which is needed only when there are credentials.
func AddSource(ctx context.Context, op Op, src Source, creds Credentials, secretKey string) error {
	// Checked before the state DB is opened, which would create it.
	if err := src.Validate(creds); err != nil {
		return err
	}
	var keys *state.Keyring
	if !creds.Empty() {
		var err error
		if keys, err = keyring(secretKey); err != nil {
			return err
		}
	}
	db, err := op.openState(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	added, err := db.AddSource(ctx, src, creds, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "added source %s (id %s, %s)\n", added.Name, added.ID, added.Type)
	return nil
}

// ListSources prints every source, without credentials.
func ListSources(ctx context.Context, op Op) error {
	db, err := op.openState(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(op.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTYPE\tTARGET\tCREDENTIALS")
	for _, s := range list {
		cred := "none"
		if s.HasCredentials() {
			cred = fmt.Sprintf("%s (key %s)", orDefault(s.Settings.Credential, "yes"), s.KeyID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Type, gateway.SourceTarget(s), cred)
	}
	tw.Flush()
	if len(list) == 0 {
		fmt.Fprintln(op.Stdout, "(no sources; add one with 'setupranali sources add')")
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// withSource opens the state DB for a command on one source.
func withSource(ctx context.Context, op Op, do func(*state.DB) error) error {
	db, err := op.openState(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return do(db)
}

// ShowSource prints the settings of the source ref names (a name or an id); credentials show
// as ********, and settings at their zero value not at all.
func ShowSource(ctx context.Context, op Op, ref string) error {
	return withSource(ctx, op, func(db *state.DB) error {
		s, err := db.Source(ctx, ref)
		if err != nil {
			return err
		}
		st := s.Settings
		w := op.Stdout
		line := func(k string, v any) {
			if fmt.Sprint(v) != "" && fmt.Sprint(v) != "0" && fmt.Sprint(v) != "false" {
				fmt.Fprintf(w, "%s: %v\n", k, v)
			}
		}
		line("id", s.ID)
		line("name", s.Name)
		line("type", s.Type)
		line("host", st.Host)
		line("port", st.Port)
		line("database", st.Database)
		line("user", st.User)
		line("sslmode", st.SSLMode)
		line("path", st.Path)
		for _, k := range slices.Sorted(maps.Keys(st.Options)) {
			line("option "+k, st.Options[k])
		}
		line("max_conns", st.MaxConns)
		line("min_conns", st.MinConns)
		line("connect_timeout_seconds", st.ConnectTimeoutSeconds)
		line("transaction_pooling", st.TransactionPooling)
		switch {
		case !s.HasCredentials():
			fmt.Fprintln(w, "credentials: none")
		case st.Credential == "dsn":
			fmt.Fprintln(w, "dsn: ********")
		default:
			fmt.Fprintln(w, "password: ********")
		}
		line("key_id", s.KeyID)
		line("created", s.CreatedAt.Format(time.RFC3339))
		line("updated", s.UpdatedAt.Format(time.RFC3339))
		return nil
	})
}

// TestSource opens the source ref names as the gateway would (gateway.OpenSource), connects
// and prints the latency. Its error says why a connection failed, which clients of the
// gateway are never told, but never carries the credentials.
func TestSource(ctx context.Context, op Op, ref, secretKey string) error {
	return withSource(ctx, op, func(db *state.DB) error {
		s, err := db.Source(ctx, ref)
		if err != nil {
			return err
		}
		var keys *state.Keyring
		if s.HasCredentials() {
			if keys, err = keyring(secretKey); err != nil {
				return fmt.Errorf("source %q: %w", s.Name, err)
			}
		}
		s, creds, err := db.Credentials(ctx, s.ID, keys)
		if err != nil {
			return err
		}
		start := time.Now()
		be, err := gateway.OpenSource(ctx, s, creds, gateway.SourceOptions{Log: op.Log})
		if err != nil {
			return err
		}
		defer be.Close()
		timeout := time.Duration(s.Settings.ConnectTimeoutSeconds)*time.Second + 5*time.Second
		if s.Settings.ConnectTimeoutSeconds == 0 {
			timeout = 15 * time.Second
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		rtt, err := be.Ping(pctx)
		if err != nil {
			// The operator asked: the reason clients never see (refused, authentication, ...) too.
			if reason := postgres.ConnectReason(err); reason != "" {
				err = fmt.Errorf("%w: %s", err, reason)
			}
			return fmt.Errorf("source %q: %w", s.Name, gateway.Redact(err, creds))
		}
		fmt.Fprintf(op.Stdout, "source %s: ok, connected in %s, round trip %s\n", s.Name, roundDuration(time.Since(start)), roundDuration(rtt))
		return nil
	})
}

func roundDuration(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// RemoveSource deletes the source ref names.
func RemoveSource(ctx context.Context, op Op, ref string) error {
	return withSource(ctx, op, func(db *state.DB) error {
		s, err := db.RemoveSource(ctx, ref)
		if err != nil {
			return err
		}
		fmt.Fprintf(op.Stdout, "removed source %s (id %s)\n", s.Name, s.ID)
		return nil
	})
}

// RotateSourceKey re-encrypts every source's credentials with the first key of secretKey
// (UBI_SECRET_KEY) and says which older keys no record uses any more.
func RotateSourceKey(ctx context.Context, op Op, secretKey string) error {
	keys, err := keyring(secretKey)
	if err != nil {
		return err
	}
	db, err := op.openState(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.RotateKey(ctx, keys)
	if err != nil {
		return err
	}
	fmt.Fprintf(op.Stdout, "re-encrypted the credentials of %d sources with key %s\n", n, keys.Primary())
	if old := keys.IDs()[1:]; len(old) > 0 {
		fmt.Fprintf(op.Stdout, "no record uses key %s any more; remove it from UBI_SECRET_KEY once every server runs with the new key first\n", strings.Join(old, ", "))
	}
	return nil
}

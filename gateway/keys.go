package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/httpapi"
	"github.com/setupranali/setupranali/pgwire"
	"github.com/setupranali/setupranali/state"
)

// keyStore is the gateway's credentials: the API keys of the state DB, in demo mode the public
// demo keys (never written to the state DB), and the pg wire listener's TLS certificate.
type keyStore struct {
	// demo is the demo keys under the shared per-address failed-login limit.
	demo auth.StaticAuthenticator
	keys *auth.Keys
	// limit counts failed logins for every authenticator, so an address has one budget
	// whether it guesses at demo keys or stored ones.
	limit *auth.Limiter
	// feed shares the limiter's failures with the other replicas of a PostgreSQL store.
	feed *failureFeed
	db   *state.DB
	// tls is nil when no certificate is configured; certs reloads it when its files change and
	// on reloadTLS.
	tls   *tls.Config
	certs *pgwire.CertReloader
	log   *slog.Logger
}

// openKeyStore opens the API key store. Production uses the state DB's keys only and refuses to
// start when none is active. Other modes serve the demo keys, plus the keys of the state DB
// when that file already exists (demo mode never creates it).
func openKeyStore(ctx context.Context, cfg Config, log *slog.Logger) (*keyStore, error) {
	feed := newFailureFeed(log)
	ks := &keyStore{limit: auth.NewLimiter(auth.LimitConfig{OnFail: feed.publish}), feed: feed}
	if err := ks.loadTLS(cfg, log); err != nil {
		return nil, err
	}
	if !cfg.Production() {
		ks.demo = auth.Throttle(auth.NewStatic(auth.DemoKeys()), auth.ThrottleConfig{Limiter: ks.limit, Now: cfg.clock, Log: log})
		if _, err := os.Stat(cfg.StateDB); cfg.StateDSN == "" && errors.Is(err, fs.ErrNotExist) {
			return ks, nil
		}
	}
	db, err := cfg.openState(ctx, log)
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("API keys: %w", err)
	}
	ks.db = db
	ks.keys = auth.NewKeys(db, auth.KeysConfig{Log: log, Now: cfg.clock, Limiter: ks.limit})
	if db.Shared() {
		feed.start(db, ks.limit)
	}
	if cfg.Production() {
		n, err := ks.keys.Active(ctx)
		if err != nil {
			ks.Close()
			return nil, fmt.Errorf("API keys: %w", err)
		}
		if n == 0 {
			ks.Close()
			return nil, fmt.Errorf("production mode (SETU_ENV=production) needs API keys, and the state DB %s has no active one; create one with 'setupranali keys create NAME --role admin' (with the same SETU_STATE_DB or SETU_STATE_DSN)", cfg.stateWhere())
		}
		log.Info("API keys loaded", "state_db", cfg.stateWhere(), "shared", db.Shared(), "active_keys", n)
	}
	return ks, nil
}

// openState opens the state store: the shared PostgreSQL one of SETU_STATE_DSN, else the SQLite
// file of SETU_STATE_DB.
func (c Config) openState(ctx context.Context, log *slog.Logger) (*state.DB, error) {
	return state.OpenStore(ctx, c.StateDB, string(c.StateDSN), log)
}

// stateWhere names the state store for messages, without a password.
func (c Config) stateWhere() string {
	if c.StateDSN != "" {
		return state.RedactDSN(string(c.StateDSN))
	}
	return c.StateDB
}

// Keys is the state DB key store, nil when the gateway has none (demo without a state DB).
func (ks *keyStore) Keys() *auth.Keys { return ks.keys }

// admin is the key store as /v1/api-keys manages it: a nil interface, not a nil *auth.Keys in
// one, when there is none, so the API answers 501.
func (ks *keyStore) admin() httpapi.KeyAdmin {
	if ks.keys == nil {
		return nil
	}
	return ks.keys
}

// authenticator is what the pg wire server checks passwords with.
func (ks *keyStore) authenticator() pgwire.Authenticator {
	switch {
	case ks.keys == nil:
		return ks.demo
	case ks.demo == nil:
		return ks.keys
	}
	return demoAndKeys{ks}
}

// loadTLS reads the certificate pair; the reloader serves a changed pair on the next handshake.
func (ks *keyStore) loadTLS(cfg Config, log *slog.Logger) error {
	if cfg.TLSCert == "" && cfg.TLSKey == "" {
		if cfg.TLSRequire {
			return errors.New("SETU_TLS_REQUIRE is set but no certificate is: set SETU_TLS_CERT and SETU_TLS_KEY")
		}
		return nil
	}
	if cfg.TLSCert == "" || cfg.TLSKey == "" {
		return errors.New("TLS needs both SETU_TLS_CERT and SETU_TLS_KEY")
	}
	certs, err := pgwire.NewCertReloader(cfg.TLSCert, cfg.TLSKey, log)
	if err != nil {
		return err
	}
	ks.certs, ks.tls = certs, certs.TLSConfig()
	ks.log = log
	return nil
}

// reloadTLS reads the certificate pair again (the program does on SIGHUP; the reloader also
// notices changed files on its own). A pair that does not load is logged; the previous one
// keeps serving.
func (ks *keyStore) reloadTLS() {
	if ks.certs == nil {
		return
	}
	if err := ks.certs.Reload(); err != nil {
		ks.log.Error("TLS certificate reload failed; serving the previous one", "error", err)
	}
}

// Close writes pending last-used times and closes the state DB.
func (ks *keyStore) Close() error {
	if ks == nil {
		return nil
	}
	ks.feed.close()
	if ks.keys == nil {
		return nil
	}
	err := ks.keys.Close()
	if cerr := ks.db.Close(); err == nil {
		err = cerr
	}
	ks.keys, ks.db = nil, nil
	return err
}

// demoAndKeys serves keys of the sp_<id>_<secret> shape from the store and everything else
// from the demo keys.
type demoAndKeys struct{ ks *keyStore }

func (a demoAndKeys) Authenticate(ctx context.Context, secret string) (auth.Principal, error) {
	if auth.KeyIDOf(secret) != "" {
		return a.ks.keys.Authenticate(ctx, secret)
	}
	return a.ks.demo.Authenticate(ctx, secret)
}

func (a demoAndKeys) SCRAM(ctx context.Context, user string) (*auth.SCRAMLogin, error) {
	return a.ks.keys.SCRAM(ctx, user)
}

// Collectors are the key store's metrics (with the failed-login limiter's, which the demo keys
// share).
func (ks *keyStore) Collectors() []prometheus.Collector {
	switch {
	case ks == nil:
		return nil
	case ks.keys == nil:
		return ks.limit.Collectors()
	}
	return ks.keys.Collectors()
}

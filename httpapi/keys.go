package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/setupranali/setupranali/auth"
	"github.com/setupranali/setupranali/sqlerr"
)

// keyJSON is a key as /v1/api-keys shows it: never a secret or a digest.
type keyJSON struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Role     auth.Role  `json:"role"`
	Tenants  []string   `json:"tenants"`
	Scopes   []string   `json:"scopes"`
	Status   string     `json:"status"`
	Created  time.Time  `json:"created_at"`
	Expires  *time.Time `json:"expires_at"`
	Revoked  *time.Time `json:"revoked_at"`
	LastUsed *time.Time `json:"last_used_at"`
}

func toKeyJSON(k auth.KeyRecord, now time.Time) keyJSON {
	opt := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return keyJSON{ID: k.ID, Name: k.Name, Role: k.Role, Tenants: nonNil(k.Tenants), Scopes: nonNil(k.Scopes),
		Status: k.Status(now), Created: k.Created.UTC(), Expires: opt(k.Expires), Revoked: opt(k.Revoked), LastUsed: opt(k.LastUsed)}
}

// KeyAdmin is the API key store /v1/api-keys manages (auth.Keys). Its errors for a request
// (Create's) describe the request and never hold a secret; auth.ErrNoKey means no such key.
type KeyAdmin interface {
	List(ctx context.Context) ([]auth.KeyRecord, error)
	Key(ctx context.Context, id string) (auth.KeyRecord, error)
	Create(ctx context.Context, spec auth.KeySpec, actor string) (string, auth.KeyRecord, error)
	Revoke(ctx context.Context, id, actor string) error
	Rotate(ctx context.Context, id string, grace time.Duration, actor string) (string, error)
}

// keysAPI serves /v1/api-keys for admin keys: list, create (the key is in the response, once),
// revoke, rotate. Every change is in the audit log with the admin key's id as the actor and the
// caller's address.
type keysAPI struct {
	srv  *Server
	keys KeyAdmin
	log  *slog.Logger
	now  func() time.Time
}

// mountKeysAPI adds the /v1/api-keys routes. Without a key store (demo without a state DB) they
// answer 501: demo keys cannot be managed.
func (s *Server) mountKeysAPI() {
	a := &keysAPI{srv: s, keys: s.cfg.Keys, log: s.log, now: time.Now}
	admin := auth.RoleAdmin
	s.handle(http.MethodGet, "/v1/api-keys", http.HandlerFunc(a.list), admin)
	s.handle(http.MethodPost, "/v1/api-keys", http.HandlerFunc(a.create), admin)
	s.handle(http.MethodDelete, "/v1/api-keys/:id", http.HandlerFunc(a.revoke), admin)
	s.handle(http.MethodPost, "/v1/api-keys/:id/rotate", http.HandlerFunc(a.rotate), admin)
}

func (a *keysAPI) ready(w http.ResponseWriter, r *http.Request) bool {
	if a.keys == nil {
		a.srv.writeError(w, r, http.StatusNotImplemented, "no_key_store", "this gateway has no key store (demo mode without a state DB); its demo keys cannot be managed", "")
		return false
	}
	return true
}

// actor names the admin key acting, and ctx carries the caller's address for the audit log.
func (a *keysAPI) actor(r *http.Request) (string, *http.Request) {
	p, _ := principalFrom(r.Context())
	return "key:" + p.KeyID, r.WithContext(auth.WithRemoteAddr(r.Context(), clientAddr(r.Context())))
}

func writeKeyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	// Responses may carry a key: no cache may keep them.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (a *keysAPI) list(w http.ResponseWriter, r *http.Request) {
	if !a.ready(w, r) {
		return
	}
	keys, err := a.keys.List(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	now := a.now()
	out := make([]keyJSON, 0, len(keys))
	for _, k := range keys {
		out = append(out, toKeyJSON(k, now))
	}
	writeKeyJSON(w, http.StatusOK, map[string]any{"keys": out})
}

type createRequest struct {
	Name    string     `json:"name"`
	Role    auth.Role  `json:"role"`
	Tenants []string   `json:"tenants"`
	Scopes  []string   `json:"scopes"`
	Expires *time.Time `json:"expires_at"`
	// ExpiresInDays is an alternative to ExpiresAt.
	ExpiresInDays int `json:"expires_in_days"`
}

func (a *keysAPI) create(w http.ResponseWriter, r *http.Request) {
	if !a.ready(w, r) {
		return
	}
	var req createRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", "the body must be a JSON object with name, role, tenants, scopes and optionally expires_at or expires_in_days", "")
		return
	}
	if req.Role == "" {
		req.Role = auth.RoleViewer
	}
	spec := auth.KeySpec{Name: req.Name, Role: req.Role, Tenants: req.Tenants, Scopes: req.Scopes}
	switch {
	case req.Expires != nil && req.ExpiresInDays != 0:
		a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", "give expires_at or expires_in_days, not both", "")
		return
	case req.Expires != nil:
		spec.Expires = *req.Expires
	case req.ExpiresInDays < 0:
		a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", "expires_in_days must be positive", "")
		return
	case req.ExpiresInDays > 0:
		spec.Expires = a.now().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
	}
	actor, r := a.actor(r)
	key, rec, err := a.keys.Create(r.Context(), spec, actor)
	if err != nil {
		// Create's own errors describe the request; they never hold a secret.
		a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", err.Error(), "")
		return
	}
	writeKeyJSON(w, http.StatusCreated, map[string]any{
		"key":     key,
		"api_key": toKeyJSON(rec, a.now()),
		"warning": "store the key now: it is not kept and cannot be shown again",
	})
}

func (a *keysAPI) revoke(w http.ResponseWriter, r *http.Request) {
	if !a.ready(w, r) {
		return
	}
	id := httprouter.ParamsFromContext(r.Context()).ByName("id")
	actor, r := a.actor(r)
	err := a.keys.Revoke(r.Context(), id, actor)
	switch {
	case errors.Is(err, auth.ErrNoKey):
		a.srv.writeError(w, r, http.StatusNotFound, "api_key_not_found", "no such API key", "")
		return
	case err != nil:
		rec, gerr := a.keys.Key(r.Context(), id)
		if gerr == nil && !rec.Revoked.IsZero() {
			a.srv.writeError(w, r, http.StatusConflict, "api_key_revoked", "the API key is already revoked", "")
			return
		}
		a.internal(w, r, err)
		return
	}
	rec, err := a.keys.Key(r.Context(), id)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeKeyJSON(w, http.StatusOK, map[string]any{"api_key": toKeyJSON(rec, a.now())})
}

type rotateRequest struct {
	// GraceSeconds is how long the old secret keeps working; default 86400 (one day).
	GraceSeconds *int64 `json:"grace_seconds"`
}

func (a *keysAPI) rotate(w http.ResponseWriter, r *http.Request) {
	if !a.ready(w, r) {
		return
	}
	id := httprouter.ParamsFromContext(r.Context()).ByName("id")
	var req rotateRequest
	if r.ContentLength != 0 {
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", "the body must be a JSON object with optional grace_seconds", "")
			return
		}
	}
	grace := 24 * time.Hour
	if req.GraceSeconds != nil {
		if *req.GraceSeconds < 0 {
			a.srv.writeError(w, r, http.StatusBadRequest, "invalid_request", "grace_seconds cannot be negative", "")
			return
		}
		grace = time.Duration(*req.GraceSeconds) * time.Second
	}
	rec, err := a.keys.Key(r.Context(), id)
	if errors.Is(err, auth.ErrNoKey) {
		a.srv.writeError(w, r, http.StatusNotFound, "api_key_not_found", "no such API key", "")
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if st := rec.Status(a.now()); st != "active" {
		a.srv.writeError(w, r, http.StatusConflict, "api_key_"+st, "the API key is "+st+"; create a new one instead", "")
		return
	}
	actor, r := a.actor(r)
	key, err := a.keys.Rotate(r.Context(), id, grace, actor)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	writeKeyJSON(w, http.StatusOK, map[string]any{
		"key":                    key,
		"api_key":                toKeyJSON(rec, a.now()),
		"old_secret_valid_until": a.now().Add(grace).UTC(),
		"warning":                "store the key now: it is not kept and cannot be shown again",
	})
}

// internal answers a key store failure with a reference; the log has the cause.
func (a *keysAPI) internal(w http.ResponseWriter, r *http.Request, err error) {
	e := sqlerr.Internal(err)
	a.log.Error("API key request failed", "message", e.Message, "request_id", requestIDFrom(r.Context()), "error", err)
	a.srv.writeError(w, r, http.StatusInternalServerError, "internal_error", e.Message, "")
}

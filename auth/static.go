package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
)

// Key is one configured API key: the secret and the principal it stands for.
type Key struct {
	Secret    string
	Principal Principal
}

type storedKey struct {
	digest    [sha256.Size]byte
	principal Principal
}

// Static authenticates against a fixed set of keys held as SHA-256 digests. It serves the demo
// keys and keys given in configuration.
type Static struct {
	keys []storedKey
}

// NewStatic hashes the given keys; the secrets themselves are not kept.
func NewStatic(keys []Key) *Static {
	s := &Static{keys: make([]storedKey, 0, len(keys))}
	for _, k := range keys {
		s.keys = append(s.keys, storedKey{digest: sha256.Sum256([]byte(k.Secret)), principal: k.Principal})
	}
	return s
}

// Len returns how many keys are configured.
func (s *Static) Len() int { return len(s.keys) }

// Authenticate returns the principal of the key whose secret is presented. Every stored digest
// is compared, so the time taken does not depend on which key (if any) matched.
func (s *Static) Authenticate(_ context.Context, secret string) (Principal, error) {
	d := sha256.Sum256([]byte(secret))
	found := -1
	for i := range s.keys {
		if subtle.ConstantTimeCompare(d[:], s.keys[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrInvalidKey
	}
	return s.keys[found].principal, nil
}

// ErrBadKey is ErrInvalidKey, under its older name.
var ErrBadKey = ErrInvalidKey

// DemoKeys are the original product's well-known keys. They exist only in demo mode.
func DemoKeys() []Key {
	return []Key{
		{Secret: "dev-key-123", Principal: Principal{KeyID: "demo-admin", Tenants: []string{"default"}, Role: RoleAdmin}},
		{Secret: "tenantA-key", Principal: Principal{KeyID: "demo-tenantA", Tenants: []string{"tenantA"}, Role: RoleViewer}},
		{Secret: "tenantB-key", Principal: Principal{KeyID: "demo-tenantB", Tenants: []string{"tenantB"}, Role: RoleViewer}},
		{Secret: "readonly-key-456", Principal: Principal{KeyID: "demo-readonly", Tenants: []string{"default"}, Role: RoleViewer}},
		{Secret: "internal-admin-key", Principal: Principal{KeyID: "demo-internal-admin", Tenants: []string{"default"}, Role: RoleInternalAdmin}},
	}
}

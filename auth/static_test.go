package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/setupranali/setupranali/sqlerr"
)

func TestStaticAuthenticates(t *testing.T) {
	s := NewStatic(DemoKeys())
	p, err := s.Authenticate(context.Background(), "tenantA-key")
	if err != nil || p.KeyID != "demo-tenantA" || p.Role != RoleViewer || len(p.Tenants) != 1 || p.Tenants[0] != "tenantA" {
		t.Fatalf("tenantA-key: %+v, %v", p, err)
	}
	if p, _ := s.Authenticate(context.Background(), "dev-key-123"); !p.IsAdmin() {
		t.Errorf("dev-key-123 is not admin: %+v", p)
	}
	for _, bad := range []string{"", "tenantA-key ", "TENANTA-KEY", "dev-key-12"} {
		_, err := s.Authenticate(context.Background(), bad)
		if !errors.Is(err, ErrBadKey) || sqlerr.Code(err) != sqlerr.InvalidPassword {
			t.Errorf("%q: %v, want ErrBadKey (28P01)", bad, err)
		}
		if bad != "" && strings.Contains(err.Error(), bad) {
			t.Errorf("error repeats the presented key: %v", err)
		}
	}
}

func TestStaticKeepsOnlyDigests(t *testing.T) {
	s := NewStatic(DemoKeys())
	for _, k := range s.keys {
		if strings.Contains(string(k.digest[:]), "key") {
			t.Errorf("stored digest looks like a secret")
		}
	}
	if s.Len() != len(DemoKeys()) {
		t.Errorf("Len = %d", s.Len())
	}
}

func TestPrincipalScope(t *testing.T) {
	if !(Principal{}).InScope("orders") {
		t.Error("empty scope list must allow every dataset")
	}
	p := Principal{Scopes: []string{"orders"}}
	if !p.InScope("orders") || p.InScope("customers") {
		t.Error("scope allowlist not applied")
	}
}

package goldencases

import "github.com/setupranali/setupranali/auth"

// Principals are the callers the case files name, by the name they use. "quote" has a tenant
// value made to break out of a string literal.
var Principals = map[string]auth.Principal{
	"admin":   {KeyID: "k-admin", Tenants: []string{"default"}, Role: auth.RoleAdmin},
	"tenantA": {KeyID: "k-a", Tenants: []string{"tenantA"}, Role: auth.RoleViewer},
	"tenantB": {KeyID: "k-b", Tenants: []string{"tenantB"}, Role: auth.RoleViewer},
	"multi":   {KeyID: "k-m", Tenants: []string{"tenantA", "tenantB"}, Role: auth.RoleViewer},
	"none":    {KeyID: "k-n", Role: auth.RoleViewer},
	"scoped":  {KeyID: "k-s", Tenants: []string{"tenantA"}, Role: auth.RoleViewer, Scopes: []string{"cities"}},
	"quote":   {KeyID: "k-q", Tenants: []string{"it's'; DROP TABLE orders; --"}, Role: auth.RoleViewer},
}

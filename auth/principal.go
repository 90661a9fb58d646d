package auth

import "slices"

// Role says what a key may do beyond reading its own tenant's rows.
type Role string

const (
	// RoleViewer reads the datasets in its scope, filtered to its tenant(s).
	RoleViewer Role = "viewer"
	// RoleAdmin reads like a viewer; on datasets whose rls allows admin bypass it sees all tenants.
	RoleAdmin Role = "admin"
	// RoleInternalAdmin is for operations (status, reload, metrics). It reads no dataset rows
	// on any door: an operations credential sits in scripts and probes, and must not double as
	// a way into a tenant's data. It may still see the catalog (which datasets and columns
	// exist), which holds no rows.
	RoleInternalAdmin Role = "internal_admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleViewer, RoleAdmin, RoleInternalAdmin:
		return true
	}
	return false
}

// Principal is the authenticated caller.
type Principal struct {
	// KeyID is the public id of the API key; safe to log.
	KeyID string
	// Tenants are the tenant values the caller may see. An empty list sees no tenant rows.
	Tenants []string
	Role    Role
	// Scopes is a dataset allowlist; empty means every dataset.
	Scopes []string
}

// IsAdmin reports whether the principal may bypass row filters where a dataset allows it.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// ReadsRows reports whether the principal may read dataset rows at all (the planner refuses
// every dataset reference of one that may not).
func (p Principal) ReadsRows() bool { return p.Role != RoleInternalAdmin }

// InScope reports whether the principal may see the dataset with the given id.
func (p Principal) InScope(datasetID string) bool {
	return len(p.Scopes) == 0 || slices.Contains(p.Scopes, datasetID)
}

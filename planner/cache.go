package planner

import (
	"strconv"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultPlanCacheSize is how many plans (and parsed query strings) are kept when the
// configuration does not say.
const DefaultPlanCacheSize = 1024

// caches keep parse and plan results of repeated statements. Dashboards send the same SQL again
// and again; parsing and deparsing alone cost around 140 µs a statement.
type caches struct {
	parsed *lru.Cache[string, []*Statement]
	plans  *lru.Cache[string, *Plan]
}

func newCaches(size int) *caches {
	if size <= 0 {
		return nil
	}
	parsed, _ := lru.New[string, []*Statement](size)
	plans, _ := lru.New[string, *Plan](size)
	return &caches{parsed: parsed, plans: plans}
}

// planKey identifies a plan: the same statement text means the same plan only for the same
// catalog version, database, time zone, declared parameter types, and everything about the
// principal that shapes a plan. The key id
// is left out on purpose: two keys of one tenant, role and scope share plans.
func planKey(snap *Snapshot, s Session, sql string, paramOIDs []uint32) string {
	var b strings.Builder
	b.Grow(len(sql) + 128)
	b.WriteString(snap.Version())
	b.WriteByte(0)
	// The snapshot too: a plan holds its snapshot's system catalog, and a reload back to an
	// earlier catalog file has the same version but a new system catalog.
	b.WriteString(strconv.FormatUint(snap.gen, 10))
	b.WriteByte(0)
	b.WriteString(s.Database)
	b.WriteByte(0)
	b.WriteString(s.TimeZone)
	b.WriteByte(0)
	b.WriteString(string(s.Principal.Role))
	for _, list := range [][]string{s.Principal.Tenants, s.Principal.Scopes} {
		b.WriteByte(0)
		for _, v := range list {
			// Length-prefixed, so no tenant value can be forged to look like two.
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		}
	}
	b.WriteByte(0)
	for _, oid := range paramOIDs {
		b.WriteString(strconv.FormatUint(uint64(oid), 10))
		b.WriteByte(',')
	}
	b.WriteByte(0)
	b.WriteString(sql)
	return b.String()
}

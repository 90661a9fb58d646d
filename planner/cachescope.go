package planner

import (
	"strconv"
	"strings"
	"time"

	"github.com/setupranali/setupranali/catalog"
)

// resultCacheInfo fills what the result cache needs of a query plan that reads datasets: the
// catalog version, the principal's scope and the catalog's TTL override. It runs before a plan
// is shared through the plan cache, whose key holds the same version and principal.
func resultCacheInfo(cat *catalog.Catalog, s Session, plan *Plan) {
	if plan == nil {
		return
	}
	if plan.Inner != nil {
		resultCacheInfo(cat, s, plan.Inner)
	}
	plan.Zone = printLocation(s)
	if plan.Kind != KindQuery || len(plan.Datasets) == 0 {
		return
	}
	plan.CatalogVersion = cat.Version()
	plan.CacheScope = cacheScope(s)
	plan.CacheTTL = 0
	if plan.readsClock {
		plan.CacheTTL = -1
		return
	}
	for _, id := range plan.Datasets {
		ds, ok := cat.Dataset(id)
		if !ok || !ds.Cache.Override {
			continue
		}
		ttl := time.Duration(ds.Cache.TTLSeconds) * time.Second
		if ttl == 0 {
			plan.CacheTTL = -1
			return
		}
		if plan.CacheTTL == 0 || ttl < plan.CacheTTL {
			plan.CacheTTL = ttl
		}
	}
}

// cacheScope encodes everything about the principal that decides which rows a plan may see:
// role, tenants and scopes, length-prefixed so no value can be forged to look like two. The key
// id is left out: two keys of one tenant, role and scopes see the same rows.
func cacheScope(s Session) string {
	var b strings.Builder
	b.WriteString("role=")
	b.WriteString(string(s.Principal.Role))
	for _, part := range []struct {
		name string
		list []string
	}{{";tenants=", s.Principal.Tenants}, {";scopes=", s.Principal.Scopes}} {
		b.WriteString(part.name)
		b.WriteString(strconv.Itoa(len(part.list)))
		for _, v := range part.list {
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		}
	}
	return b.String()
}

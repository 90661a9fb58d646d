package catalog

import (
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

var (
	datasetKeys     = []string{"id", "name", "description", "tags", "defaultTimezone", "source", "fields", "dimensions", "metrics", "rls", "incremental", "cache", "primaryKey", "joins"}
	sourceKeys      = []string{"engine", "type", "reference", "sourceId"}
	rlsKeys         = []string{"enabled", "column", "mode", "allowAdminBypass"}
	incrementalKeys = []string{"enabled", "column", "type", "mode", "maxWindowDays"}
	cacheKeys       = []string{"ttlSeconds"}
)

// dataset reads one dataset. mapKey is its key in the map form of "datasets", nil in the list
// form. The returned dataset is complete only when no problem was reported.
func (l *loader) dataset(o *object, mapKey *yaml.Node) *Dataset {
	ds := &Dataset{}
	if mapKey != nil {
		ds.ID = mapKey.Value
		if id, ok := o.str("id"); ok && id != ds.ID {
			l.addf(o.lineOf("id"), "%s: id %q does not match its key %q", o.ctx, id, ds.ID)
		}
	} else {
		ds.ID = o.required("id")
	}
	ds.Name = ds.ID
	if name, ok := o.str("name"); ok {
		ds.Name = name
	}
	ds.Description, _ = o.str("description")
	ds.Tags = o.strings("tags")
	ds.DefaultTimezone = o.timezone("defaultTimezone")
	if !o.has("source") {
		l.addf(o.lineOf("source"), "%s: missing required key %q", o.ctx, "source")
	}
	ds.Source = source(o.sub("source", o.ctx+" source", sourceKeys))

	s := newScope(ds, o.ctx)
	s.readFields(o)
	s.readDimensions(o)
	s.readMetrics(o)
	s.readPrimaryKey(o)
	s.readJoins(o)
	ds.RLS = s.rls(o.sub("rls", o.ctx+" rls", rlsKeys))
	ds.Incremental = s.incremental(o.sub("incremental", o.ctx+" incremental", incrementalKeys))
	ds.Cache = resultCache(o.sub("cache", o.ctx+" cache", cacheKeys))
	return ds
}

// maxCacheTTLSeconds bounds a dataset's cache TTL: a day. Longer would keep results of a changed
// source for longer than anyone expects of a dashboard cache.
const maxCacheTTLSeconds = 86400

// resultCache reads a dataset's result-cache override.
func resultCache(o *object) Cache {
	var c Cache
	if o.absent {
		return c
	}
	if !o.has("ttlSeconds") {
		o.l.addf(o.lineOf("ttlSeconds"), "%s: missing required key %q", o.ctx, "ttlSeconds")
		return c
	}
	if n, ok := o.integer("ttlSeconds"); ok {
		if n < 0 || n > maxCacheTTLSeconds {
			o.l.addf(o.lineOf("ttlSeconds"), "%s: %q must be between 0 (never cache) and %d, got %d", o.ctx, "ttlSeconds", maxCacheTTLSeconds, n)
		}
		c.Override, c.TTLSeconds = true, n
	}
	return c
}

// timezone returns key's IANA zone name, UTC when absent. "Local" is refused: it would make the
// catalog's meaning depend on the host it runs on.
func (o *object) timezone(key string) string {
	tz, ok := o.str(key)
	if !ok {
		return defaultTimezone
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		o.l.addf(o.lineOf(key), `%s: unknown %s %q (want an IANA zone name such as "UTC" or "Europe/Berlin")`, o.ctx, key, tz)
	}
	return tz
}

// source reads a dataset's source mapping.
func source(src *object) Source {
	s := Source{
		Engine: src.enum("engine", defaultEngine, engines),
		Type:   src.enum("type", defaultSourceType, sourceTypes),
	}
	s.SourceID, _ = src.str("sourceId")
	s.Reference = src.required("reference")
	if s.Reference != "" && !validTableName(s.Reference) {
		src.l.addf(src.lineOf("reference"), "%s: reference %q is not a table name (want table, schema.table or catalog.schema.table)", src.ctx, s.Reference)
	}
	return s
}

// validTableName accepts one to three dot-separated, non-blank parts.
func validTableName(ref string) bool {
	parts := strings.Split(ref, ".")
	if len(parts) > 3 {
		return false
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return false
		}
	}
	return true
}

// rls reads a dataset's row-level security rule.
func (s *scope) rls(o *object) RLS {
	r := RLS{
		Enabled:          o.boolean("enabled"),
		Mode:             o.enum("mode", defaultRLSMode, rlsModes),
		AllowAdminBypass: o.boolean("allowAdminBypass"),
	}
	r.Column = s.fieldRef(o, "column", r.Enabled, "rls")
	return r
}

// incremental reads a dataset's incremental-refresh settings.
func (s *scope) incremental(o *object) Incremental {
	inc := Incremental{Enabled: o.boolean("enabled")}
	inc.Column = s.fieldRef(o, "column", inc.Enabled, "incremental")
	if t, ok := o.str("type"); ok {
		inc.Type = string(o.fieldType("type", t))
	}
	inc.Mode, _ = o.str("mode")
	if days, ok := o.integer("maxWindowDays"); ok {
		if days < 0 {
			o.l.addf(o.lineOf("maxWindowDays"), "%s: %q must not be negative, got %d", o.ctx, "maxWindowDays", days)
		}
		inc.MaxWindowDays = days
	}
	return inc
}

// fieldRef reads key as the name of one of the dataset's fields. It is required when the
// section is enabled: an enabled rule without its column would silently filter nothing.
func (s *scope) fieldRef(o *object, key string, enabled bool, section string) string {
	name, ok := o.str(key)
	switch {
	case o.blank(key) && enabled:
		o.l.addf(o.lineOf(key), "%s: %q is required when %s is enabled", o.ctx, key, section)
	case ok:
		s.checkField(o, key, key, name, "")
	}
	return name
}

// fieldType parses the type name s read from key, reporting unknown names.
func (o *object) fieldType(key, s string) FieldType {
	t, ok := ParseFieldType(s)
	if !ok {
		o.l.addf(o.lineOf(key), "%s: unknown %s %q (supported: %s)", o.ctx, key, s, fieldTypeNames)
	}
	return t
}

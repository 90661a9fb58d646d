package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// maxFingerprintText bounds the normalised text a log line carries: enough to recognise a
// tool's statement, not a megabyte of generated SQL per error.
const maxFingerprintText = 1000

// Fingerprint identifies a statement for an operator's log without the values in it: id is
// PostgreSQL's query fingerprint (the same for statements that differ only in their literals),
// text the statement with every literal replaced by $n. So a log at DEBUG says which tool query
// failed, and never carries a tenant's value, a filter value or a key that a client put in a
// literal. ok is false when sql does not parse; then nothing of it may be logged.
func Fingerprint(sql string) (id, text string, ok bool) {
	normalised, err := pg_query.Normalize(sql)
	if err != nil {
		return "", "", false
	}
	id, err = pg_query.Fingerprint(sql)
	if err != nil {
		return "", "", false
	}
	if len(normalised) > maxFingerprintText {
		normalised = normalised[:maxFingerprintText] + "..."
	}
	return id, normalised, true
}

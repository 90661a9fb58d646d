package gateway

import (
	"path/filepath"
	"strings"
	"testing"
)

// discoveryPassRate is the share of session and schema-discovery statements that must succeed
// in each protocol (issue 4: 95%); the rest must fail cleanly.
const discoveryPassRate = 0.95

// discoveryRuns replay the session and schema-discovery statements as a tenant viewer, whose
// catalog emulation shows only the datasets of its scopes: once as simple Query messages and
// once through the extended protocol, the way pgjdbc, Npgsql and node-postgres send them.
var discoveryRuns = []struct {
	name  string
	proto corpusProtocol
}{
	{"simple", simpleProtocol},
	{"extended", extendedProtocol},
}

// TestCorpusDiscoveryReplay replays what BI tools and drivers send on connect and during schema
// discovery (the shared bi-queries corpus, purposes session/startup and schema-discovery) against
// the fixture model. None may break the connection or answer with an XX code, at least 95% must
// succeed in each protocol, and the per-tool figures may not fall below the recorded baseline.
func TestCorpusDiscoveryReplay(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	entries, skipped, gw := startCorpusGateway(t, root, "session/startup", "schema-discovery")

	current := corpusBaseline{}
	names := make([]string, 0, len(discoveryRuns))
	for _, run := range discoveryRuns {
		rep := replayCorpus(t, gw, "tenantA-key", entries, skipped, run.proto)
		current[run.name] = &rep.figures
		names = append(names, run.name)
		logCorpusReport(t, run.name, rep)

		f := rep.figures
		if len(rep.broken) > 0 {
			t.Errorf("%s: %d statements broke the connection or answered with an XX code:\n%s",
				run.name, len(rep.broken), strings.Join(rep.broken, "\n"))
		}
		if rate := float64(f.OK) / float64(f.Total); rate < discoveryPassRate {
			t.Errorf("%s: %d of %d session and schema-discovery statements succeed (%.1f%%), below %.0f%%",
				run.name, f.OK, f.Total, 100*rate, 100*discoveryPassRate)
		}
	}

	path := filepath.Join(root, "testdata", "corpus", "discovery.json")
	if *corpusUpdate {
		writeCorpusBaseline(t, path, current)
		t.Logf("wrote %s", path)
	} else {
		compareCorpusBaseline(t, path, current, names)
	}
}

// TestTableauTempTableProbes replays Tableau's temporary-table probes (CREATE LOCAL TEMPORARY
// TABLE, SELECT INTO TEMPORARY TABLE, DROP TABLE). The gateway answers them as PostgreSQL
// answers a read-only session: 25006 read_only_sql_transaction, which Tableau takes as "no temp
// tables" and carries on. Each must fail that way in both protocols and leave the connection
// usable for the next statement.
func TestTableauTempTableProbes(t *testing.T) {
	t.Parallel()
	entries, _, gw := startCorpusGateway(t, repoRoot(t), "temp-table")
	for _, run := range discoveryRuns {
		conn := connectCorpus(t, gw, "tenantA-key")
		for _, e := range entries {
			outcome, detail := runCorpusEntry(conn, e, run.proto)
			if outcome != corpusCleanError || !strings.HasPrefix(detail, "25006 ") {
				t.Errorf("%s %s: got %q, want a clean 25006 read-only answer\n    %s", run.name, e.where, detail, compactSQL(e.SQL, 200))
			}
		}
	}
}

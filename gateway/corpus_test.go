package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/internal/sqlast"
	"github.com/setupranali/setupranali/internal/testkit"
)

var corpusFailures = flag.Bool("corpus.failures", false, "log every corpus statement that does not succeed, with its error")

var corpusUpdate = flag.Bool("corpus.update", false, "rewrite testdata/corpus/baseline.json with the current BI corpus replay figures")

// corpusStatementTimeout bounds one corpus statement; a statement that takes longer counts as a
// hang (broken), since every fixture table holds a few dozen rows.
const corpusStatementTimeout = 5 * time.Second

// corpusRuns are the principals the corpus is replayed as: the admin (the fixture datasets allow
// admin bypass) and a tenant viewer, whose every dataset reference gets the tenant filter.
var corpusRuns = []struct{ name, key string }{
	{"admin", "dev-key-123"},
	{"tenant", "tenantA-key"},
}

// corpusEntry is one line of a ../shared/bi-queries/*.jsonl file. A multi_statement entry is
// sent as it is, in one Query message, as the tool sends it.
type corpusEntry struct {
	Tool           string `json:"tool"`
	Purpose        string `json:"purpose"`
	SQL            string `json:"sql"`
	Templated      bool   `json:"templated"`
	MultiStatement bool   `json:"multi_statement"`

	where string // file:line
}

type corpusOutcome int

const (
	corpusOK corpusOutcome = iota
	corpusCleanError
	corpusBroken
)

// corpusFigures is what the baseline keeps per principal.
type corpusFigures struct {
	Total      int `json:"total"`
	OK         int `json:"ok"`
	CleanError int `json:"clean_error"`
	Broken     int `json:"broken"`
	Skipped    int `json:"skipped_templated"`
	// SkippedParams counts statements with $n parameters in a simple-protocol run: PostgreSQL
	// itself refuses them there; drivers send them through the extended protocol with values.
	SkippedParams int                          `json:"skipped_parameterised,omitempty"`
	PerTool       map[string]*corpusToolFigure `json:"per_tool"`
}

type corpusToolFigure struct {
	Total         int `json:"total"`
	OK            int `json:"ok"`
	CleanError    int `json:"clean_error"`
	Broken        int `json:"broken"`
	Skipped       int `json:"skipped_templated"`
	SkippedParams int `json:"skipped_parameterised,omitempty"`
}

type corpusBaseline map[string]*corpusFigures

type corpusErrorGroup struct {
	key     string
	count   int
	example corpusEntry
}

type corpusReport struct {
	figures corpusFigures
	groups  map[string]*corpusErrorGroup
	broken  []string
}

// TestCorpusReplay replays the aggregate and data queries that BI tools send (the shared
// bi-queries corpus) against its fixture model, once as admin and once as a tenant, and holds the
// number that succeed to at least the recorded baseline. No statement may break the connection
// or answer with an XX code.
func TestCorpusReplay(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	entries, skipped, gw := startCorpusGateway(t, root, "aggregate-query", "data-query")

	current := corpusBaseline{}
	reports := map[string]*corpusReport{}
	for _, run := range corpusRuns {
		rep := replayCorpus(t, gw, run.key, entries, skipped, simpleProtocol)
		reports[run.name] = rep
		current[run.name] = &rep.figures
	}

	for _, run := range corpusRuns {
		logCorpusReport(t, run.name, reports[run.name])
	}

	path := filepath.Join(root, "testdata", "corpus", "baseline.json")
	if *corpusUpdate {
		writeCorpusBaseline(t, path, current)
		t.Logf("wrote %s", path)
	} else {
		compareCorpusBaseline(t, path, current, runNames(corpusRuns))
	}

	for _, run := range corpusRuns {
		if rep := reports[run.name]; len(rep.broken) > 0 {
			t.Errorf("%s: %d statements broke the connection or answered with an XX code:\n%s",
				run.name, len(rep.broken), strings.Join(rep.broken, "\n"))
		}
	}
}

// startCorpusGateway loads the corpus statements of the given purposes and starts a gateway on
// the corpus's fixture model.
func startCorpusGateway(t *testing.T, root string, purposes ...string) ([]corpusEntry, map[string]int, *Gateway) {
	t.Helper()
	dir := filepath.Join(sharedDir(t, root), "bi-queries")
	entries, skipped := loadCorpus(t, dir, purposes...)
	if len(entries) == 0 {
		t.Fatalf("no %s statements in %s", strings.Join(purposes, " or "), dir)
	}
	gw := startTestGateway(t, func(c *Config) {
		c.Catalog = filepath.Join(dir, "fixture-catalog.yaml")
		c.DuckDBInit = filepath.Join(dir, "fixture-data.sql")
	})
	return entries, skipped, gw
}

// repoRoot is the directory holding go.mod, found upward from the test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}

// sharedDir is the shared folder beside the repository (SETU_SHARED_DIR overrides). Without it
// the test skips, unless SETU_REQUIRE_SHARED is set (CI), where it fails.
func sharedDir(t *testing.T, root string) string {
	t.Helper()
	dir := os.Getenv("SETU_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join(root, "..", "shared")
	}
	if st, err := os.Stat(filepath.Join(dir, "bi-queries")); err == nil && st.IsDir() {
		return dir
	}
	msg := fmt.Sprintf("shared folder with bi-queries/ not found at %s (set SETU_SHARED_DIR)", dir)
	if os.Getenv("SETU_REQUIRE_SHARED") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// loadCorpus reads every tool file (not the unattributed Cube tests) and keeps the statements of
// the given purposes, apart from templated ones, which are only counted per tool.
func loadCorpus(t *testing.T, dir string, purposes ...string) ([]corpusEntry, map[string]int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var entries []corpusEntry
	skipped := map[string]int{}
	for _, file := range files {
		if filepath.Base(file) == "_unattributed-cube-tests.jsonl" {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		line := 0
		for sc.Scan() {
			line++
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			var e corpusEntry
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				f.Close()
				t.Fatalf("%s:%d: %v", file, line, err)
			}
			if !slices.Contains(purposes, e.Purpose) {
				continue
			}
			if e.Templated {
				skipped[e.Tool]++
				continue
			}
			e.where = fmt.Sprintf("%s:%d", filepath.Base(file), line)
			entries = append(entries, e)
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return entries, skipped
}

// corpusProtocol is how a statement is sent.
type corpusProtocol int

const (
	// simpleProtocol sends the text in one Query message, as the tool does.
	simpleProtocol corpusProtocol = iota
	// extendedProtocol sends each statement as Parse/Bind/Describe/Execute/Sync through the
	// unnamed statement; a text of several statements is split first, since the extended
	// protocol carries one statement a Parse.
	extendedProtocol
)

// replayCorpus sends each statement in the given protocol and classifies the answer. After a
// broken statement it reconnects.
func replayCorpus(t *testing.T, gw *Gateway, key string, entries []corpusEntry, skipped map[string]int, proto corpusProtocol) *corpusReport {
	t.Helper()
	rep := &corpusReport{
		figures: corpusFigures{PerTool: map[string]*corpusToolFigure{}},
		groups:  map[string]*corpusErrorGroup{},
	}
	tool := func(name string) *corpusToolFigure {
		tf := rep.figures.PerTool[name]
		if tf == nil {
			tf = &corpusToolFigure{}
			rep.figures.PerTool[name] = tf
		}
		return tf
	}
	for name, n := range skipped {
		tool(name).Skipped = n
		rep.figures.Skipped += n
	}

	conn := connectCorpus(t, gw, key)
	for _, e := range entries {
		tf := tool(e.Tool)
		if proto == simpleProtocol && corpusParams(e.SQL) > 0 {
			tf.SkippedParams++
			rep.figures.SkippedParams++
			continue
		}
		outcome, detail := runCorpusEntry(conn, e, proto)
		tf.Total++
		rep.figures.Total++
		switch outcome {
		case corpusOK:
			tf.OK++
			rep.figures.OK++
			continue
		case corpusCleanError:
			tf.CleanError++
			rep.figures.CleanError++
		case corpusBroken:
			tf.Broken++
			rep.figures.Broken++
			detail = "BROKEN " + detail
			rep.broken = append(rep.broken, fmt.Sprintf("  %s (%s): %s\n    %s", e.where, e.Tool, detail, compactSQL(e.SQL, 0)))
			if !conn.IsClosed() {
				conn.Close(context.Background())
			}
			conn = connectCorpus(t, gw, key)
		}
		if *corpusFailures {
			t.Logf("FAILED %s (%s): %s\n    %s", e.where, e.Tool, detail, compactSQL(e.SQL, 0))
		}
		g := rep.groups[detail]
		if g == nil {
			g = &corpusErrorGroup{key: detail, example: e}
			rep.groups[detail] = g
		}
		g.count++
	}
	return rep
}

// connectCorpus connects like a driver that cancels a statement whose context ends (a
// CancelRequest first, the socket deadline a second later), so a statement that hangs does not
// keep the engine busy for the ones after it.
func connectCorpus(t *testing.T, gw *Gateway, key string) *pgconn.PgConn {
	t.Helper()
	cfg, err := pgx.ParseConfig(connString(gw, key))
	if err != nil {
		t.Fatal(err)
	}
	// The corpus was captured against Cube, whose database is called "db"; tools qualify
	// tables with it ("db"."public"."KibanaSampleDataEcommerce").
	cfg.Database = "db"
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: time.Second}
	}
	ctx := testkit.ContextWithin(t, 10*time.Second)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn.PgConn()
}

// runCorpusEntry runs one corpus entry in the given protocol; a split multi-statement entry
// counts as its first failing statement.
func runCorpusEntry(conn *pgconn.PgConn, e corpusEntry, proto corpusProtocol) (corpusOutcome, string) {
	// A statement that opened a transaction (BEGIN, or a failed one inside it) leaves it to the
	// tool's next step; the replay starts every entry outside a transaction.
	defer func() {
		if !conn.IsClosed() && conn.TxStatus() != 'I' {
			ctx, cancel := context.WithTimeout(context.Background(), corpusStatementTimeout)
			defer cancel()
			conn.Exec(ctx, "ROLLBACK").ReadAll()
		}
	}()
	if proto == simpleProtocol {
		return runCorpusStatement(conn, e.SQL, proto)
	}
	// Drivers split a text of several statements before Parse (Npgsql does; PostgreSQL refuses
	// more than one a Parse), whether or not the corpus marks the entry multi-statement.
	stmts := []string{e.SQL}
	if split, err := pg_query.SplitWithParser(e.SQL, true); err == nil && len(split) > 1 {
		stmts = split
	}
	for _, sql := range stmts {
		if outcome, detail := runCorpusStatement(conn, sql, proto); outcome != corpusOK {
			return outcome, detail
		}
	}
	return corpusOK, ""
}

// runCorpusStatement classifies one statement: ok when every result is free of errors; a clean
// error when the server answers with a SQLSTATE outside class XX and the connection still
// answers SELECT 1; broken otherwise (XX code, dropped connection, timeout). detail is
// "SQLSTATE message" (its first line) or a description of the breakage.
func runCorpusStatement(conn *pgconn.PgConn, sql string, proto corpusProtocol) (corpusOutcome, string) {
	ctx, cancel := context.WithTimeout(context.Background(), corpusStatementTimeout)
	defer cancel()
	var err error
	if proto == extendedProtocol {
		// A driver binds values to $n; the replay binds NULLs of the types the server infers.
		err = conn.ExecParams(ctx, sql, make([][]byte, corpusParams(sql)), nil, nil, nil).Read().Err
	} else {
		var results []*pgconn.Result
		results, err = conn.Exec(ctx, sql).ReadAll()
		for _, r := range results {
			if err == nil && r.Err != nil {
				err = r.Err
			}
		}
	}
	if err == nil {
		return corpusOK, ""
	}
	if ctx.Err() != nil {
		return corpusBroken, fmt.Sprintf("no answer within %s (%v)", corpusStatementTimeout, err)
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return corpusBroken, "connection dropped: " + err.Error()
	}
	// Engine errors carry a multi-line excerpt of the statement; the first line names the
	// problem and keeps statements with the same problem in one group.
	msg, _, _ := strings.Cut(pe.Message, "\n")
	detail := pe.Code + " " + strings.TrimSpace(msg)
	if strings.HasPrefix(pe.Code, "XX") {
		return corpusBroken, detail
	}
	if conn.IsClosed() {
		return corpusBroken, detail + " (connection closed)"
	}
	pctx, pcancel := context.WithTimeout(context.Background(), corpusStatementTimeout)
	defer pcancel()
	if _, perr := conn.Exec(pctx, "SELECT 1").ReadAll(); perr != nil {
		return corpusBroken, fmt.Sprintf("%s (then SELECT 1 failed: %v)", detail, perr)
	}
	return corpusCleanError, detail
}

// corpusParams is the number of $n parameters a statement takes (0 when it does not parse).
func corpusParams(sql string) int {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return 0
	}
	n := 0
	for _, st := range tree.Stmts {
		sqlast.Walk(st.Stmt, func(node *pg_query.Node) bool {
			if pr := node.GetParamRef(); pr != nil {
				n = max(n, int(pr.Number))
			}
			return true
		})
	}
	return n
}

func logCorpusReport(t *testing.T, run string, rep *corpusReport) {
	t.Helper()
	f := rep.figures
	tools := make([]string, 0, len(f.PerTool))
	for name := range f.PerTool {
		tools = append(tools, name)
	}
	sort.Strings(tools)
	t.Logf("== %s run", run)
	for _, name := range tools {
		tf := f.PerTool[name]
		line := fmt.Sprintf("%s: %d statements, ok %d, clean error %d, broken %d", name, tf.Total, tf.OK, tf.CleanError, tf.Broken)
		if tf.Skipped > 0 {
			line += fmt.Sprintf(" (%d templated skipped)", tf.Skipped)
		}
		if tf.SkippedParams > 0 {
			line += fmt.Sprintf(" (%d with parameters skipped)", tf.SkippedParams)
		}
		t.Logf("%s", line)
	}
	t.Logf("%s total: %d statements, ok %d, clean error %d, broken %d (%d templated, %d with parameters skipped); pass rate %.1f%%",
		run, f.Total, f.OK, f.CleanError, f.Broken, f.Skipped, f.SkippedParams, 100*float64(f.OK)/float64(max(f.Total, 1)))
	if !testing.Verbose() || len(rep.groups) == 0 {
		return
	}
	groups := make([]*corpusErrorGroup, 0, len(rep.groups))
	for _, g := range rep.groups {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].count != groups[j].count {
			return groups[i].count > groups[j].count
		}
		return groups[i].key < groups[j].key
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d distinct errors, most frequent first:\n", run, len(groups))
	for _, g := range groups {
		fmt.Fprintf(&b, "%s: %d\n    e.g. %s (%s): %s\n", g.key, g.count, g.example.where, g.example.Tool, compactSQL(g.example.SQL, 400))
	}
	t.Logf("%s", b.String())
}

// compactSQL folds whitespace so an example fits on one line, cut at limit runes (0: no cut).
func compactSQL(sql string, limit int) string {
	s := strings.Join(strings.Fields(sql), " ")
	if r := []rune(s); limit > 0 && len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

func runNames(runs []struct{ name, key string }) []string {
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.name
	}
	return names
}

// compareCorpusBaseline holds the named runs of current to the recorded baseline at path.
func compareCorpusBaseline(t *testing.T, path string, current corpusBaseline, runs []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -corpus.update to record one)", err)
	}
	var base corpusBaseline
	if err := json.Unmarshal(b, &base); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, run := range runs {
		cur, was := current[run], base[run]
		if was == nil {
			t.Errorf("%s has no %q figures (run with -corpus.update)", path, run)
			continue
		}
		if cur.OK < was.OK {
			t.Errorf("%s: %d of %d corpus statements succeed, fewer than the baseline's %d of %d (%s)",
				run, cur.OK, cur.Total, was.OK, was.Total, path)
		}
		for name, tf := range cur.PerTool {
			if wt := was.PerTool[name]; wt != nil && tf.OK < wt.OK {
				t.Logf("%s: %s went from %d to %d ok", run, name, wt.OK, tf.OK)
			}
		}
		if cur.OK > was.OK {
			t.Logf("%s: %d ok, more than the baseline's %d: record it with -corpus.update", run, cur.OK, was.OK)
		}
		if cur.Total != was.Total {
			t.Logf("%s: the corpus has %d statements to run, the baseline %d: refresh it with -corpus.update", run, cur.Total, was.Total)
		}
	}
}

func writeCorpusBaseline(t *testing.T, path string, current corpusBaseline) {
	t.Helper()
	b, err := json.MarshalIndent(current, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

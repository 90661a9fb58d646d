package fences

// backends are the concrete implementations behind engine's interfaces: data-source backends, the
// result cache, and the pg catalog emulation (top-level pgcatalog: it is also the planner's
// SystemCatalog, so it lives beside the planner rather than under engine). Only the composition
// root wires them in.
var backends = []string{"engine/duckdb", "engine/mysql", "engine/postgres", "engine/rediscache", "pgcatalog"}

// frontDoors are the protocol servers. Nothing below them may depend on them.
var frontDoors = []string{"pgwire/...", "httpapi/..."}

// mains are programs; nothing else depends on them.
var mains = []string{"cmd/...", "bench/...", "loadtest/...", "scripts/..."}

func join(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Rules are the fences of ARCHITECTURE.md ("dependencies point inward") as the code holds them
// today; each was measured against `go list` before it was written down, and the module test
// keeps it so.
//
// Rules issue 16 adds once the code has moved (each fails on today's code, so it is not encoded
// yet):
//   - catalog imports nothing of ours: today it imports internal/sqlast for its expression checks.
var Rules = []Rule{
	{
		Name:      "leaf packages import nothing of ours",
		From:      []string{"sqlerr/...", "dependency/...", "httpapi/semantic", "internal/clientaddr", "internal/promsum", "internal/sqlast/...", "internal/testkit/..."},
		AllowOnly: []string{},
		Tests:     true,
	},
	{
		// The PostgreSQL types and their encodings are shared by the planner, the engine and the
		// front doors, so they depend on none of them.
		Name:      "pgtypes depends only on sqlerr",
		From:      []string{"pgtypes/..."},
		AllowOnly: []string{"sqlerr"},
		Tests:     true,
	},
	{
		Name:      "catalog depends only on internal/sqlast",
		From:      []string{"catalog/..."},
		AllowOnly: []string{"internal/sqlast/..."},
		Tests:     true,
	},
	{
		Name:      "auth depends only on sqlerr",
		From:      []string{"auth/..."},
		AllowOnly: []string{"sqlerr"},
		Tests:     true,
	},
	{
		Name:  "planner does not depend on execution, admission, state or front doors",
		From:  []string{"planner/..."},
		Deny:  join([]string{"engine/...", "pgcatalog/...", "admission/...", "ratelimit/...", "state/...", "metrics/..."}, frontDoors, mains),
		Tests: true,
	},
	{
		Name:  "admission does not depend on planning, execution, state or front doors",
		From:  []string{"admission/..."},
		Deny:  join([]string{"engine/...", "planner/...", "catalog/...", "state/...", "metrics/..."}, frontDoors, mains),
		Tests: true,
	},
	{
		Name:  "ratelimit does not depend on admission, planning, execution or front doors",
		From:  []string{"ratelimit/..."},
		Deny:  join([]string{"admission/...", "engine/...", "planner/...", "catalog/...", "state/..."}, frontDoors, mains),
		Tests: true,
	},
	{
		Name:  "state does not depend on planning, execution or front doors",
		From:  []string{"state/..."},
		Deny:  join([]string{"engine/...", "planner/...", "catalog/...", "admission/..."}, frontDoors, mains),
		Tests: true,
	},
	{
		Name:  "pgwire never depends on httpapi or a concrete backend",
		From:  []string{"pgwire/..."},
		Deny:  join([]string{"httpapi/..."}, backends, mains),
		Tests: true,
	},
	{
		Name:  "httpapi never depends on pgwire",
		From:  []string{"httpapi/..."},
		Deny:  join([]string{"pgwire/..."}, mains),
		Tests: true,
	},
	{
		// httpapi's own tests drive the server over the real planner and a real DuckDB
		// executor, as engine's external tests do, so this one is for production code.
		Name: "httpapi never depends on a concrete backend",
		From: []string{"httpapi/..."},
		Deny: backends,
	},
	{
		Name: "OData and semantic requests are built without the planner or the engine",
		From: []string{"httpapi/odata/...", "httpapi/semantic/..."},
		Deny: []string{"planner/...", "engine/..."},
	},
	{
		Name:  "engine and its backends do not depend on front doors, state or metrics",
		From:  []string{"engine/...", "pgcatalog/..."},
		Deny:  join([]string{"state/...", "metrics/..."}, frontDoors, mains),
		Tests: true,
	},
	{
		// Tests of engine and of a backend may wire in another backend (engine's external tests
		// run the executor over DuckDB and the Redis cache), so this rule is for production code.
		Name:   "concrete backends are wired in only by the composition root",
		From:   []string{"..."},
		Except: join([]string{"pgcatalog", "gateway/..."}, mains),
		Deny:   backends,
	},
	{
		Name: "the pg catalog emulation runs on its own DuckDB only",
		From: []string{"pgcatalog/..."},
		Deny: []string{"engine/postgres", "engine/rediscache"},
	},
	{
		// The planner reaches the catalog emulation through planner.SystemCatalog only; the
		// emulation's rewrite rules import the planner, so the engine side must not import back.
		Name:  "the planner's engine does not depend on the pg catalog emulation",
		From:  []string{"engine/..."},
		Deny:  []string{"pgcatalog/..."},
		Tests: true,
	},
	{
		Name:  "metrics does not depend on front doors or a concrete backend",
		From:  []string{"metrics/..."},
		Deny:  join(frontDoors, backends, mains),
		Tests: true,
	},
	{
		Name: "internal helpers stay below planning, execution and front doors",
		From: []string{"internal/..."},
		Deny: join([]string{"planner/...", "engine/...", "admission/...", "state/...", "metrics/..."}, frontDoors, mains),
	},
	{
		// It skips and fails tests; a running gateway has no use for it.
		Name:   "only tests use the shared test helpers",
		From:   []string{"..."},
		Except: []string{"internal/testkit/..."},
		Deny:   []string{"internal/testkit/..."},
	},
	{
		// The front doors are served by the assembled gateway; the program reaches them only
		// through it.
		Name:   "pgwire and httpapi are wired in only by the gateway",
		From:   []string{"..."},
		Except: join([]string{"gateway/..."}, frontDoors, mains),
		Deny:   frontDoors,
	},
	{
		// The program is flags, environment, subcommands and signals: what serving does is
		// package gateway, what the operator subcommands do is gateway/admin. Its tests set up
		// state DBs and keys directly, so this one is for production code.
		Name:      "cmd/setupranali imports only the assembled gateway",
		From:      []string{"cmd/setupranali"},
		AllowOnly: []string{"gateway/..."},
		Direct:    true,
	},
	{
		Name:   "nothing depends on a program",
		From:   []string{"..."},
		Except: mains,
		Deny:   mains,
		Tests:  true,
	},
}

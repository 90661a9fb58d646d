package httpapi

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"
)

// endpoint documents one route, for /openapi.json and /docs alike.
type endpoint struct {
	Method, Path, Summary, Description string
	// Auth is "none", "key" or the roles needed.
	Auth    string
	Params  []param
	Body    string
	Returns string
	Tag     string
}

type param struct{ Name, In, Description string }

var odataOptions = []param{
	{"$select", "query", "comma-separated properties; paths along many-to-one navigation properties (customers/region) come back nested"},
	{"$filter", "query", "eq ne gt ge lt le, and or not, parentheses, in (...), contains/startswith/endswith, tolower/toupper, year/month/day; literals: 'text', numbers, true/false, null, 2025-01-31, 2025-01-31T10:00:00Z"},
	{"$orderby", "query", "properties with asc/desc"},
	{"$top", "query", "most rows in all pages"},
	{"$skip", "query", "rows to skip"},
	{"$count", "query", "true adds @odata.count"},
	{"$apply", "query", "filter(...), groupby((dims), aggregate(metric with sum|min|max|average|countdistinct as alias)); dims may be paths (customers/region)"},
	{"$expand", "query", "many-to-one navigation properties, optionally with ($select=dims): the related entity nested, null when none; other options inside, one-to-many and nested $expand are 501"},
	{"$format", "query", "json"},
}

var endpoints = []endpoint{
	{Method: "GET", Path: "/v1/health", Tag: "operations", Auth: "none", Summary: "Liveness",
		Description: "Fast liveness check that never touches a backend.", Returns: `{"status":"ok","time":"…","version":"…","cache":{"enabled":false,"redis_available":false}}`},
	{Method: "GET", Path: "/v1/ready", Tag: "operations", Auth: "none", Summary: "Readiness",
		Description: "This replica can serve: not draining, catalog loaded, embedded engine up; 503 with the failing components otherwise. Shared dependencies (Redis, remote sources) that are down show as degraded components with 200.", Returns: `{"status":"ready","components":{"catalog":{"status":"ok"},"duckdb":{"status":"ok"},"redis":{"status":"ok","required":false}}}`},
	{Method: "GET", Path: "/internal/status", Tag: "operations", Auth: "admin or internal_admin", Summary: "Operations status",
		Description: "Environment flags (no secrets), guards, databases, connections and catalog version."},
	{Method: "POST", Path: "/internal/reload", Tag: "operations", Auth: "admin or internal_admin", Summary: "Reload the catalog",
		Description: "Loads the catalog file again (also on SIGHUP). An invalid catalog is refused with 422 and the previous one keeps serving."},
	{Method: "GET", Path: "/metrics", Tag: "operations", Auth: "none (or admin with SETU_METRICS_REQUIRE_KEY)", Summary: "Prometheus metrics",
		Description: "Requests and queries by protocol, latency histograms, errors by status and SQLSTATE class, result rows and bytes, cancellations, authentication failures, open connections."},
	{Method: "POST", Path: "/v1/query", Tag: "query", Auth: "key", Summary: "Run a semantic query",
		Description: "Dimensions (names or {name, timeGrain, alias}) and metrics (names or {name, alias}) of a dataset, and of the datasets its declared joins reach named \"<dataset>.<column>\" (each metric at its own dataset's grain), filtered, ordered and paged; tenant filters apply to every dataset as on every front door. Content-Type application/json; an unknown key anywhere is a 400 naming it.",
		Body:        `{"dataset":"orders","dimensions":["city",{"name":"order_date","timeGrain":"month","alias":"month"}],"metrics":["total_revenue"],"filters":{"or":[{"field":"city","op":"eq","value":"Indore"},{"field":"city","op":"in","values":["Bhopal"]}]},"orderBy":[{"field":"total_revenue","direction":"desc"}],"limit":10,"offset":0,"incrementalFrom":"2025-01-01","incrementalTo":"2025-01-31"}`,
		Returns:     `{"columns":[{"name":"city","type":"string"},{"name":"total_revenue","type":"number"}],"rows":[{"city":"Indore","total_revenue":1000}],"stats":{"rowCount":1,"cacheHit":false,"durationMs":3,"rlsApplied":true,"truncated":false}}`},
	{Method: "GET", Path: "/v1/datasets", Tag: "catalog", Auth: "key", Summary: "List datasets", Description: "The datasets the key may see, with dimensions and metrics."},
	{Method: "GET", Path: "/v1/datasets/{id}", Tag: "catalog", Auth: "key", Summary: "Describe a dataset", Params: []param{{"id", "path", "dataset id"}},
		Description: "Dimensions and metrics with labels, types, formats and aggregations."},
	{Method: "GET", Path: "/v1/datasets/{id}/schema", Tag: "catalog", Auth: "key", Summary: "Dataset columns", Params: []param{{"id", "path", "dataset id"}},
		Description: "The columns a query returns: name, kind (dimension or metric), type."},
	{Method: "GET", Path: "/odata", Tag: "odata", Auth: "key", Summary: "OData service document", Description: "Entity sets the key may see (also under /v1/odata)."},
	{Method: "GET", Path: "/odata/$metadata", Tag: "odata", Auth: "key", Summary: "OData CSDL metadata", Description: "One EntityType per dataset with its dimensions and metrics (all nullable), keyed by the synthetic _key property (the entity's dimension values as a JSON array, never null); labels as Core.Description annotations. Declared many-to-one joins to datasets the key may see are NavigationProperty elements, bound to their targets' entity sets."},
	{Method: "GET", Path: "/odata/{set}", Tag: "odata", Auth: "key", Summary: "OData entity set", Params: append([]param{{"set", "path", "dataset id"}}, odataOptions...),
		Description: "Rows of a dataset: one per combination of dimension values with its metrics. Server-driven paging through @odata.nextLink; a closed range on the incremental column (lower and upper bound) longer than the dataset's maxWindowDays is refused; a lone bound never is."},
	{Method: "GET", Path: "/odata/{set}/$count", Tag: "odata", Auth: "key", Summary: "OData row count", Params: []param{{"set", "path", "dataset id"}, {"$filter", "query", "as for the entity set"}, {"$apply", "query", "as for the entity set"}},
		Description: "The number of rows the entity set would return, as plain text."},
	{Method: "GET", Path: "/openapi.json", Tag: "documentation", Auth: "none", Summary: "This API as OpenAPI 3"},
	{Method: "GET", Path: "/docs", Tag: "documentation", Auth: "none", Summary: "This page"},
}

func openAPIDocument(version string) map[string]any {
	paths := map[string]any{}
	for _, e := range endpoints {
		op := map[string]any{
			"summary":     e.Summary,
			"description": e.Description,
			"tags":        []string{e.Tag},
			"responses": map[string]any{
				"200": map[string]any{"description": "OK"},
				"401": map[string]any{"description": "authentication_required"},
				"403": map[string]any{"description": "invalid_api_key, api_key_revoked, api_key_expired or insufficient_role"},
			},
		}
		if e.Auth == "none" {
			op["security"] = []any{}
			op["responses"] = map[string]any{"200": map[string]any{"description": "OK"}}
		}
		var params []any
		for _, p := range e.Params {
			params = append(params, map[string]any{"name": p.Name, "in": p.In, "required": p.In == "path",
				"description": p.Description, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if e.Body != "" {
			var example any
			json.Unmarshal([]byte(e.Body), &example)
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": map[string]any{"type": "object"}, "example": example}}}
		}
		item, _ := paths[e.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[e.Path] = item
		}
		item[strings.ToLower(e.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "SetuPranali HTTP API", "version": version,
			"description": "Semantic gateway: the same datasets, tenant filters and limits as the PostgreSQL wire protocol."},
		"paths": paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			"bearer": map[string]any{"type": "http", "scheme": "bearer"},
		}},
		"security": []any{map[string]any{"apiKey": []any{}}, map[string]any{"bearer": []any{}}},
	}
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, openAPIDocument(s.cfg.Version))
}

var docsPage = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>SetuPranali HTTP API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #1d1d1f; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.endpoint { margin: 1rem 0; padding: .6rem .9rem; border: 1px solid #e3e3e3; border-radius: 6px; }
.method { font-weight: 700; font-family: monospace; padding: 0 .4rem; border-radius: 3px; background: #eef; }
code, pre { font-family: ui-monospace, monospace; font-size: .9em; } pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
.auth { color: #666; font-size: .9em; }
</style>
</head>
<body>
<main>
<h1 id="title">SetuPranali HTTP API</h1>
<p>Version {{.Version}}. Send an API key in <code>X-API-Key</code> or <code>Authorization: Bearer</code>.
Missing key: 401 <code>authentication_required</code>; wrong, revoked or expired key: 403
<code>invalid_api_key</code>, <code>api_key_revoked</code>, <code>api_key_expired</code>. Every response carries
<code>X-Request-ID</code>. The machine-readable description is <a href="/openapi.json">/openapi.json</a>.</p>
{{range .Groups}}
<section class="group" id="{{.Tag}}">
<h2>{{.Tag}}</h2>
{{range .Endpoints}}
<div class="endpoint" data-path="{{.Path}}">
<p><span class="method">{{.Method}}</span> <code class="path">{{.Path}}</code> — {{.Summary}} <span class="auth">(auth: {{.Auth}})</span></p>
{{if .Description}}<p>{{.Description}}</p>{{end}}
{{if .Params}}<ul>{{range .Params}}<li><code>{{.Name}}</code> ({{.In}}): {{.Description}}</li>{{end}}</ul>{{end}}
{{if .Body}}<p>Request body:</p><pre>{{.Body}}</pre>{{end}}
{{if .Returns}}<p>Response:</p><pre>{{.Returns}}</pre>{{end}}
</div>
{{end}}
</section>
{{end}}
</main>
</body>
</html>
`))

type docGroup struct {
	Tag       string
	Endpoints []endpoint
}

func (s *Server) docs(w http.ResponseWriter, r *http.Request, _ httprouter.Params) {
	var groups []docGroup
	for _, e := range endpoints {
		if len(groups) == 0 || groups[len(groups)-1].Tag != e.Tag {
			groups = append(groups, docGroup{Tag: e.Tag})
		}
		g := &groups[len(groups)-1]
		g.Endpoints = append(g.Endpoints, e)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	docsPage.Execute(w, map[string]any{"Version": s.cfg.Version, "Groups": groups})
}

// Package httpapi is the HTTP side server: health, readiness, operations status and catalog
// reload, Prometheus metrics, the JSON query API (/v1/query, /v1/datasets), OData v4 for Power BI
// and Excel (/odata, /v1/odata; parsing and CSDL in httpapi/odata), API key management for admin
// keys (/v1/api-keys, over a KeyAdmin), the result cache purge (/internal/cache/purge, over a
// CachePurger), an OpenAPI document and a /docs page. Routing is github.com/julienschmidt/httprouter.
//
// Invariants:
//   - Every query goes through the same planner as pg wire: requests are parsed into a
//     semantic.Query, built into a parse tree over catalog datasets with every client value a
//     bound parameter (no SQL text is written or parsed), and planned with the caller's
//     principal through the passes SQL takes (tenant filters, scopes, guards, row caps all apply
//     there). This package never writes engine SQL and never imports pgwire or a backend; it
//     takes the planner, the executor and the key check through interfaces it declares.
//   - Every request gets a request id (X-Request-ID, taken when well-formed, else generated),
//     returned in the response and present in each log line of the request. Logs carry key id,
//     tenant and dataset, never a key secret, a credential or a result value.
//   - A request is read strictly and never answered as if part of it were not there: an unknown
//     or repeated key anywhere in a /v1/query body, bytes after its JSON value, a non-JSON
//     Content-Type, an OData option or construct it does not implement are all refused by name
//     (4xx), since a dropped condition answers with numbers that look right and are not.
//   - A panic in a handler is a 500 naming the request id, never a crash.
package httpapi

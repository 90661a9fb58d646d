// Package odata is the OData v4 surface of the HTTP server, for Power BI and Excel "OData Feed":
// the CSDL $metadata and service document generated from the catalog, and the parsing of query
// options ($select, $filter, $orderby, $top, $skip, $count, $apply, $expand, $format) into a
// semantic.Query plus the Shape that makes each result row an entity's JSON object. It runs
// nothing: httpapi plans the query through the planner like any other.
//
// A Model is the catalog as one caller sees it: its entity sets, and as navigation properties
// the declared joins leading from a dataset to at most one row of another it may see. A path
// along them ("customers/region") becomes the semantic name "customers.region", which
// httpapi/semantic joins through the resolver the Model gives (LEFT joins along the declared
// steps); its value is written nested under the navigation property, and $expand nests the
// related entity (null when no row is related).
//
// Invariants: an option or filter construct the server does not support is an error naming it
// (501 for valid OData we do not implement, 400 for malformed input), never silently dropped;
// values from the URL become literals (bound parameters), never SQL text; a dataset the caller
// may not see is neither a navigation property nor reachable by a path.
package odata

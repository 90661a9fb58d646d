// Package odata is the OData v4 surface of the HTTP server, for Power BI and Excel "OData Feed":
// the CSDL $metadata and service document generated from the catalog, and the parsing of query
// options ($select, $filter, $orderby, $top, $skip, $count, $apply, $format) into a
// semantic.Query. It runs nothing: httpapi plans the query through the planner like any other.
//
// Invariants: an option or filter construct the server does not support is an error naming it
// (501 for valid OData we do not implement, 400 for malformed input), never silently dropped;
// values from the URL become literals (bound parameters), never SQL text.
package odata

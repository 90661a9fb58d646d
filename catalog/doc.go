// Package catalog is SetuPranali's semantic model: the datasets of catalog.yaml, their physical
// fields, and the dimensions and metrics clients see as columns.
//
// Load and LoadFile read the file strictly. The YAML is walked as a node tree so that every
// problem (a syntax error, an unknown or duplicate key, a value of the wrong kind, an unknown type
// or aggregation, a reference to a missing field, a duplicate name) is collected with its line
// number, and all of them are returned together in one *ValidationError: an operator fixes the
// whole file in one pass instead of one error per restart.
//
// Datasets may declare a primaryKey (the fields that identify a row) and joins to other datasets
// (many_to_one, one_to_many or one_to_one, on pairs of fields). Load checks a join against both
// datasets: the fields exist with one type, the relationship agrees with the declared keys (the
// "one" side's whole primaryKey is in "on"), no relationship is declared twice, and no dataset
// reaches another by two many-to-one paths. JoinsFrom lists the joins leading from a dataset,
// declared ones and others' read backwards; ManyToOnePath finds the one path of to-one steps
// between two datasets. Together these are what the planner needs to keep a metric at its own
// dataset's grain: following only to-one steps from a metric's dataset never repeats its rows.
//
// A loaded Catalog has every default filled in (dataset name, source engine and type, dimension
// field, metric return type, timezone), so consumers never re-derive them. Lookups are exact, with
// case-insensitive fallbacks that refuse to guess between names differing only by case.
//
// Version is a SHA-256 over the model's semantics only: reformatting, comments, key order, list
// versus map form and spelling defaults out do not change it; any change of meaning does. It is
// meant for cache keys and reload detection.
//
// Invariants: a *Catalog is immutable once Load returns it (a reload builds a new one); there is
// no way to obtain a partially valid Catalog. This package imports nothing from the project.
package catalog

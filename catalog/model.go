package catalog

// Catalog is an immutable, validated semantic catalog. Share it freely; never modify it after
// Load returns it (a reload builds a new one and swaps it in).
type Catalog struct {
	// Datasets in file order.
	Datasets []*Dataset

	byID map[string]*Dataset
	// joins indexes JoinsFrom: declared joins and declared joins read backwards.
	joins   map[string][]*Join
	version string
}

// Dataset is one semantic table: its columns are its dimensions and metrics.
type Dataset struct {
	ID              string
	Name            string
	Description     string
	Tags            []string
	DefaultTimezone string
	Source          Source
	Fields          []*Field
	Dimensions      []*Dimension
	Metrics         []*Metric
	RLS             RLS
	Incremental     Incremental
	Cache           Cache
	// PrimaryKey are the fields that identify a row (one, or several for a composite key); empty
	// when not declared. Nothing checks the data: declaring a key is the author's promise that
	// no two rows share it, which is what lets a many-to-one join never repeat a row.
	PrimaryKey []string
	// Joins are the declared relationships from this dataset to others, in file order.
	Joins []*Join

	fields  map[string]*Field
	columns map[string]Column
}

// Relationship says how many rows of a join's target match one row of the dataset declaring it.
type Relationship string

// The relationships a join may declare.
const (
	// ManyToOne: each row matches at most one target row (the target's primaryKey is in "on").
	ManyToOne Relationship = "many_to_one"
	// OneToMany: each target row matches at most one row of this dataset (this primaryKey is in "on").
	OneToMany Relationship = "one_to_many"
	// OneToOne: at most one row on either side (both primaryKeys are in "on").
	OneToOne Relationship = "one_to_one"
)

// Join is a declared relationship from a dataset to another (or to itself).
type Join struct {
	// Dataset is the target dataset's id.
	Dataset      string
	Relationship Relationship
	// On pairs this dataset's fields with the target's, in file order; rows match when every
	// pair is equal.
	On   []JoinPair
	Line int

	// from is the id of the dataset the join leads from; reversed marks a join read backwards
	// (see Catalog.JoinsFrom), origin the declared join it reverses. Unexported so that
	// Version hashes only what the file declares.
	from     string
	reversed bool
	origin   *Join
}

// JoinPair is one equality of a join: this dataset's Field equals the target's TargetField.
type JoinPair struct{ Field, TargetField string }

// Source says where a dataset's rows live.
type Source struct {
	// Engine is the execution engine, e.g. "duckdb" or "postgres".
	Engine string
	// Type is "table" (Reference names a table, optionally schema-qualified).
	Type string
	// Reference is the physical table name for Type "table".
	Reference string
	// SourceID names a registered data source; empty means the engine's default.
	SourceID string
}

// Field is a physical column of the source.
type Field struct {
	Name         string
	Type         FieldType
	SemanticType string
	Line         int
}

// Dimension is a column users group and filter by.
type Dimension struct {
	Name string
	// Field is the physical column the dimension shows; empty when SQL computes it.
	Field string
	// SQL, when set, computes the dimension from fields, e.g. "upper(city)" or a CASE bucket.
	SQL         string
	Label       string
	Description string
	// Type is the dimension's type: its field's, or the one declared next to SQL.
	Type FieldType
	// Fields are the fields the dimension reads (Field, or the columns SQL names).
	Fields []string
	Line   int
}

// Metric is an aggregate over the dataset's rows.
type Metric struct {
	Name        string
	Label       string
	Description string
	Expression  MetricExpression
	// ReturnType is the result type: as declared, else derived from the aggregation (count and
	// count_distinct: int64; avg: double; sum: the field's type, int32 widened to int64; min and
	// max: the field's type). Never empty in a loaded catalog.
	ReturnType FieldType
	Format     string
	Line       int
}

// MetricExpression defines how a metric aggregates.
type MetricExpression struct {
	// Type is "aggregation" (Agg over Field) or "derived" (SQL over other metrics).
	Type  string
	Agg   Agg
	Field string
	// Filter, for an aggregation, restricts the rows it aggregates (a condition over fields),
	// e.g. "status = 'paid'".
	Filter string
	// SQL, for a derived metric, combines other metrics after aggregation, e.g.
	// "total_revenue / orders_count". Division by zero gives NULL.
	SQL string
	// Uses are the metrics a derived metric combines, in order of first use.
	Uses []string
}

// Expression types of a metric.
const (
	ExpressionAggregation = "aggregation"
	ExpressionDerived     = "derived"
)

// Derived reports whether the metric combines other metrics.
func (m *Metric) Derived() bool { return m.Expression.Type == ExpressionDerived }

// Agg is an aggregation kind of a metric.
type Agg string

// The aggregations a metric may use.
const (
	AggSum           Agg = "sum"
	AggAvg           Agg = "avg"
	AggMin           Agg = "min"
	AggMax           Agg = "max"
	AggCount         Agg = "count"
	AggCountDistinct Agg = "count_distinct"
	// AggStddev and AggVariance are the sample statistics (stddev_samp, var_samp).
	AggStddev   Agg = "stddev"
	AggVariance Agg = "variance"
)

// RLS is a dataset's row-level security rule.
type RLS struct {
	Enabled bool
	// Column is the field holding the tenant value.
	Column string
	// Mode is "equals" (one tenant) or "in_list" (the principal's tenant list).
	Mode             string
	AllowAdminBypass bool
}

// Incremental describes an incremental-refresh column (kept for the original's format).
type Incremental struct {
	Enabled bool
	Column  string
	// Type is a normalised FieldType name (see ParseFieldType), or empty.
	Type          string
	Mode          string
	MaxWindowDays int
}

// Cache is a dataset's result-cache override.
type Cache struct {
	// Override is true when the catalog sets ttlSeconds for the dataset: then TTLSeconds
	// replaces CACHE_TTL_SECONDS for results that read it (a query reading several datasets
	// uses the shortest), and 0 keeps them out of the cache.
	Override   bool
	TTLSeconds int
}

// FieldType is a catalog type name, normalised (see ParseFieldType).
type FieldType string

// The catalog's type vocabulary.
const (
	TypeString    FieldType = "string"
	TypeInt32     FieldType = "int32"
	TypeInt64     FieldType = "int64"
	TypeDouble    FieldType = "double"
	TypeDecimal   FieldType = "decimal"
	TypeBoolean   FieldType = "boolean"
	TypeDate      FieldType = "date"
	TypeTimestamp FieldType = "timestamp"
	// TypeTimestampTZ is a timestamp with time zone.
	TypeTimestampTZ FieldType = "timestamptz"
)

// ColumnKind tells a dimension from a metric.
type ColumnKind int

// Column kinds.
const (
	KindDimension ColumnKind = iota + 1
	KindMetric
)

// Column is a dataset column as a client sees it: a dimension or a metric.
type Column struct {
	Kind      ColumnKind
	Dimension *Dimension
	Metric    *Metric
}

// Name returns the column's name.
func (c Column) Name() string {
	if c.Kind == KindMetric {
		return c.Metric.Name
	}
	return c.Dimension.Name
}

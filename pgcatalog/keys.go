package pgcatalog

import (
	"regexp"
	"slices"
	"strings"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/planner"
)

// The catalog's declared keys, as PostgreSQL would show them: a dataset's primaryKey is a
// PRIMARY KEY constraint with its unique btree index, and each declared many-to-one step is a
// FOREIGN KEY from the dataset holding the reference to the target's primary key. Clients
// (pgjdbc getPrimaryKeys/getImportedKeys, SQLAlchemy's inspector, psql \d, DBeaver's ER view,
// Tableau's relationship inference) read them from pg_constraint, pg_index and the index's
// pg_class row, and from information_schema's table_constraints, key_column_usage,
// constraint_column_usage, constraint_table_usage and referential_constraints.
//
// Only client-visible columns can be key columns: a key field is shown through the first
// dimension that shows that field as it is (Field set, no SQL). A primary key with a field no
// such dimension shows is not reported, and neither is a foreign key with such a field on
// either side, nor one whose target fields are not exactly the target's reported primary key
// (PostgreSQL's foreign keys reference a unique constraint; the gateway's only one is the
// primary key). Nothing is reported rather than a key over columns a client cannot query.
//
// Which side holds the reference: a many_to_one join is a foreign key of the declaring
// dataset; a one_to_many join is the target's many-to-one back to the declaring dataset; a
// one_to_one join is a foreign key of the declaring dataset when its target fields are the
// target's primary key, else of the target when the declaring side's fields are the
// declaring dataset's primary key.

// primaryKey is a dataset's reported PRIMARY KEY.
type primaryKey struct {
	ds        *catalog.Dataset
	rel       int      // the dataset's pg_class oid
	index     int      // the oid of the key's index (pg_class, pg_index.indexrelid)
	oid       int      // the constraint's pg_constraint oid
	name      string   // <dataset>_pkey, PostgreSQL's default (numbered past a relation's name)
	fields    []string // the dataset's key fields, in primaryKey order
	columns   []string // the dimensions showing them
	attnums   []int
	constrDef string // pg_get_constraintdef
	indexDef  string // pg_get_indexdef
}

// foreignKey is a reported FOREIGN KEY from one dataset to another's primary key.
type foreignKey struct {
	from, to         *catalog.Dataset
	rel, refRel      int
	oid              int
	name             string
	columns, refCols []string // client-visible columns, pairwise
	attnums, refNums []int
	// positions are each column's position in the target's primary key (1-based):
	// key_column_usage.position_in_unique_constraint.
	positions []int
	pk        *primaryKey
	def       string
}

// keyModel are the keys the emulation reports for a catalog.
type keyModel struct {
	pks []*primaryKey
	fks []*foreignKey
}

// notNull are the attribute numbers of ds's primary key columns: PostgreSQL makes a primary key
// column NOT NULL, and tools read nullability from pg_attribute or information_schema.
func (m keyModel) notNull(ds *catalog.Dataset) map[int]bool {
	out := map[int]bool{}
	for _, pk := range m.pks {
		if pk.ds == ds {
			for _, n := range pk.attnums {
				out[n] = true
			}
		}
	}
	return out
}

// keysOf derives the reported keys of cat. Oids are allocated from next on, after the
// datasets' own.
func keysOf(cat *catalog.Catalog, next int) keyModel {
	var m keyModel
	rels := map[*catalog.Dataset]int{}
	pkOf := map[*catalog.Dataset]*primaryKey{}
	// relNames are the relation names of the schema: an index is named as PostgreSQL names it,
	// <dataset>_pkey, then with a number when a relation already has that name.
	relNames := map[string]bool{}
	for i, ds := range cat.Datasets {
		rels[ds] = firstDatasetOID + i
		relNames[ds.ID] = true
	}
	for _, ds := range cat.Datasets {
		if len(ds.PrimaryKey) == 0 {
			continue
		}
		cols, nums, ok := visibleColumns(ds, ds.PrimaryKey)
		if !ok {
			continue
		}
		name := chooseName(ds.ID, "", "pkey", relNames)
		pk := &primaryKey{ds: ds, rel: rels[ds], index: next, oid: next + 1, name: name,
			fields: ds.PrimaryKey, columns: cols, attnums: nums}
		next += 2
		pk.constrDef = "PRIMARY KEY (" + identList(cols) + ")"
		pk.indexDef = "CREATE UNIQUE INDEX " + quoteIdent(pk.name) + " ON public." + quoteIdent(ds.ID) + " USING btree (" + identList(cols) + ")"
		pkOf[ds] = pk
		m.pks = append(m.pks, pk)
	}
	// The catalog refuses a relationship declared twice (also once from each end), so each
	// join is its own foreign key.
	// Constraint names are unique in the schema: the primary keys' are taken.
	names := map[string]bool{}
	for _, pk := range m.pks {
		names[pk.name] = true
	}
	for _, ds := range cat.Datasets {
		for _, j := range ds.Joins {
			target, _ := cat.LookupDataset(j.Dataset)
			if target == nil {
				continue
			}
			from, to, pairs := referenceSide(ds, target, j, pkOf)
			if from == nil {
				continue
			}
			fk := newForeignKey(from, to, pairs, pkOf[to])
			if fk == nil {
				continue
			}
			fk.rel, fk.refRel, fk.oid = rels[from], rels[to], next
			next++
			// PostgreSQL's default name; a second foreign key of the same columns (to another
			// dataset) is numbered, as PostgreSQL numbers it.
			fk.name = chooseName(from.ID, fkNameAddition(fk.columns), "fkey", names)
			fk.def = "FOREIGN KEY (" + identList(fk.columns) + ") REFERENCES " + quoteIdent(to.ID) + "(" + identList(fk.refCols) + ")"
			m.fks = append(m.fks, fk)
		}
	}
	return m
}

// referenceSide says which dataset of join j (declared on ds, to target) holds the reference,
// with the pairs oriented from it: (its field, the referenced field). nil when neither does.
func referenceSide(ds, target *catalog.Dataset, j *catalog.Join, pkOf map[*catalog.Dataset]*primaryKey) (from, to *catalog.Dataset, pairs []catalog.JoinPair) {
	forward := j.On
	backward := make([]catalog.JoinPair, len(j.On))
	for i, p := range j.On {
		backward[i] = catalog.JoinPair{Field: p.TargetField, TargetField: p.Field}
	}
	switch j.Relationship {
	case catalog.ManyToOne:
		return ds, target, forward
	case catalog.OneToMany:
		return target, ds, backward
	case catalog.OneToOne:
		if isKey(pkOf[target], targetFields(forward)) {
			return ds, target, forward
		}
		if isKey(pkOf[ds], targetFields(backward)) {
			return target, ds, backward
		}
	}
	return nil, nil, nil
}

func targetFields(pairs []catalog.JoinPair) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.TargetField
	}
	return out
}

// isKey reports whether fields are exactly pk's fields, in any order.
func isKey(pk *primaryKey, fields []string) bool {
	if pk == nil || len(fields) != len(pk.fields) {
		return false
	}
	for _, f := range fields {
		if !slices.Contains(pk.fields, f) {
			return false
		}
	}
	return true
}

// newForeignKey is the foreign key from one dataset to another's primary key over pairs, or
// nil when it cannot be reported (see the package comment above).
func newForeignKey(from, to *catalog.Dataset, pairs []catalog.JoinPair, pk *primaryKey) *foreignKey {
	if !isKey(pk, targetFields(pairs)) {
		return nil
	}
	fields := make([]string, len(pairs))
	for i, p := range pairs {
		fields[i] = p.Field
	}
	cols, nums, ok := visibleColumns(from, fields)
	if !ok {
		return nil
	}
	refCols, refNums, ok := visibleColumns(to, targetFields(pairs))
	if !ok {
		return nil
	}
	fk := &foreignKey{from: from, to: to, columns: cols, refCols: refCols, attnums: nums, refNums: refNums, pk: pk}
	for _, p := range pairs {
		fk.positions = append(fk.positions, slices.Index(pk.fields, p.TargetField)+1)
	}
	return fk
}

// visibleColumns are the client-visible columns showing fields, with their attribute numbers;
// ok is false when a field has no dimension showing it as it is.
func visibleColumns(ds *catalog.Dataset, fields []string) (cols []string, nums []int, ok bool) {
	attnum := map[string]int{}
	for i, c := range planner.DatasetColumns(ds) {
		attnum[c.Name] = i + 1
	}
	for _, f := range fields {
		name := ""
		for _, d := range ds.Dimensions {
			if d.Field == f && d.SQL == "" {
				name = d.Name
				break
			}
		}
		if name == "" || attnum[name] == 0 {
			return nil, nil, false
		}
		cols = append(cols, name)
		nums = append(nums, attnum[name])
	}
	return cols, nums, true
}

// plainIdent is an identifier PostgreSQL prints without quotes (key words aside).
var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_$]*$`)

// quoteIdent quotes a name as PostgreSQL's quote_ident does for the names a catalog allows;
// names that are reserved key words are quoted too.
func quoteIdent(s string) string {
	if plainIdent.MatchString(s) && !reservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func identList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

// reservedWords are PostgreSQL's reserved key words (and those reserved but allowed as
// function or type names), which quote_ident quotes.
var reservedWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both case cast
		check collate collation column concurrently constraint create cross current_catalog current_date current_role
		current_schema current_time current_timestamp current_user default deferrable desc distinct do else end except
		false fetch for foreign freeze from full grant group having ilike in initially inner intersect into is isnull join
		lateral leading left like limit localtime localtimestamp natural not notnull null offset on only or order outer
		overlaps placing primary references returning right select session_user similar some symmetric system_user table
		tablesample then to trailing true union unique user using variadic verbose when where window with`) {
		m[w] = true
	}
	return m
}()

// keyTables are the tables that show the keys: pg_constraint, pg_index, and the
// information_schema views of constraints. Rows of one dataset carry dataset_id; rows that
// name two (a foreign key and its target) carry both, dataset_id and ref_dataset_id, and are
// shown only when both are in the principal's scope. The index relations' pg_class and
// pg_attribute rows (psql \d <index> lists its columns) are added to class and attr.
func keyTables(m keyModel, class, attr *table) []*table {
	constraint := &table{schema: "pg_catalog", name: "pg_constraint", scoped: true, refScoped: true, cols: cols(`oid:i conname
		connamespace:i contype condeferrable:b condeferred:b convalidated:b conrelid:i contypid:i conindid:i conparentid:i
		confrelid:i confupdtype confdeltype confmatchtype conislocal:b coninhcount:i connoinherit:b conkey:il confkey:il
		conpfeqop:l conppeqop:l conffeqop:l confdelsetcols:l conexclop:l conbin setu_def dataset_id ref_dataset_id`),
		sysCols: []string{"setu_def"}}
	index := &table{schema: "pg_catalog", name: "pg_index", scoped: true, cols: cols(`indexrelid:i indrelid:i indnatts:s
		indnkeyatts:s indisunique:b indnullsnotdistinct:b indisprimary:b indisexclusion:b indimmediate:b indisclustered:b
		indisvalid:b indcheckxmin:b indisready:b indislive:b indisreplident:b indkey:il indcollation:il indclass:il
		indoption:il indexprs indpred setu_defs:l dataset_id`), sysCols: []string{"setu_defs"}}
	tc := &table{schema: "information_schema", name: "table_constraints", scoped: true, refScoped: true,
		cols: cols(`constraint_catalog constraint_schema constraint_name table_catalog table_schema table_name
		constraint_type is_deferrable initially_deferred enforced nulls_distinct dataset_id ref_dataset_id`),
		dbCols: []string{"constraint_catalog", "table_catalog"}}
	kcu := &table{schema: "information_schema", name: "key_column_usage", scoped: true, refScoped: true,
		cols: cols(`constraint_catalog constraint_schema constraint_name table_catalog table_schema table_name column_name
		ordinal_position:i position_in_unique_constraint:i dataset_id ref_dataset_id`),
		dbCols: []string{"constraint_catalog", "table_catalog"}}
	ccu := &table{schema: "information_schema", name: "constraint_column_usage", scoped: true, refScoped: true,
		cols: cols(`table_catalog table_schema table_name column_name constraint_catalog constraint_schema constraint_name
		dataset_id ref_dataset_id`), dbCols: []string{"table_catalog", "constraint_catalog"}}
	ctu := &table{schema: "information_schema", name: "constraint_table_usage", scoped: true, refScoped: true,
		cols: cols(`table_catalog table_schema table_name constraint_catalog constraint_schema constraint_name
		dataset_id ref_dataset_id`), dbCols: []string{"table_catalog", "constraint_catalog"}}
	rc := &table{schema: "information_schema", name: "referential_constraints", scoped: true, refScoped: true,
		cols: cols(`constraint_catalog constraint_schema constraint_name unique_constraint_catalog unique_constraint_schema
		unique_constraint_name match_option update_rule delete_rule dataset_id ref_dataset_id`),
		dbCols: []string{"constraint_catalog", "unique_constraint_catalog"}}

	for _, pk := range m.pks {
		id := pk.ds.ID
		n := len(pk.columns)
		class.rows = append(class.rows, []any{pk.index, pk.name, namespacePublic, 0, 0, roleOID, btreeAM, pk.index, 0, 1, 0.0, 0, 0,
			false, false, "p", "i", n, 0, false, false, false, false, false, true, "n", false, 0, 0, 0, nil, nil, nil, false, id})
		dcols := planner.DatasetColumns(pk.ds)
		for i, num := range pk.attnums {
			attr.rows = append(attr.rows, attributeRow(pk.index, dcols[num-1], i+1, id, false))
		}
		constraint.rows = append(constraint.rows, []any{pk.oid, pk.name, namespacePublic, "p", false, false, true, pk.rel, 0,
			pk.index, 0, 0, " ", " ", " ", true, 0, true, pk.attnums, nil, nil, nil, nil, nil, nil, nil, pk.constrDef, id, nil})
		index.rows = append(index.rows, []any{pk.index, pk.rel, n, n, true, false, true, false, true, false, true, false, true,
			true, false, pk.attnums, make([]int, n), make([]int, n), make([]int, n), nil, nil, append([]string{pk.indexDef}, pk.columns...), id})
		tc.rows = append(tc.rows, []any{nil, "public", pk.name, nil, "public", id, "PRIMARY KEY", "NO", "NO", "YES", nil, id, nil})
		ctu.rows = append(ctu.rows, []any{nil, "public", id, nil, "public", pk.name, id, nil})
		for i, col := range pk.columns {
			kcu.rows = append(kcu.rows, []any{nil, "public", pk.name, nil, "public", id, col, i + 1, nil, id, nil})
			ccu.rows = append(ccu.rows, []any{nil, "public", id, col, nil, "public", pk.name, id, nil})
		}
	}
	for _, fk := range m.fks {
		from, to := fk.from.ID, fk.to.ID
		constraint.rows = append(constraint.rows, []any{fk.oid, fk.name, namespacePublic, "f", false, false, true, fk.rel, 0,
			fk.pk.index, 0, fk.refRel, "a", "a", "s", true, 0, true, fk.attnums, fk.refNums, nil, nil, nil, nil, nil, nil,
			fk.def, from, to})
		tc.rows = append(tc.rows, []any{nil, "public", fk.name, nil, "public", from, "FOREIGN KEY", "NO", "NO", "YES", nil, from, to})
		rc.rows = append(rc.rows, []any{nil, "public", fk.name, nil, "public", fk.pk.name, "NONE", "NO ACTION", "NO ACTION", from, to})
		for i, col := range fk.columns {
			kcu.rows = append(kcu.rows, []any{nil, "public", fk.name, nil, "public", from, col, i + 1, fk.positions[i], from, to})
		}
		// constraint_column_usage and constraint_table_usage name what a foreign key
		// references: the target's table and columns.
		ctu.rows = append(ctu.rows, []any{nil, "public", to, nil, "public", fk.name, to, from})
		for _, col := range fk.refCols {
			ccu.rows = append(ccu.rows, []any{nil, "public", to, col, nil, "public", fk.name, to, from})
		}
	}
	return []*table{constraint, index, tc, kcu, ccu, ctu, rc}
}

// btreeAM is pg_am's oid of btree, the access method of every key index.
const btreeAM = 403

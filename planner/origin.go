package planner

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/setupranali/setupranali/catalog"
	"github.com/setupranali/setupranali/pgtypes"
)

// FirstDatasetOID is the pg_class oid of a catalog's first dataset; the others follow in
// catalog order (DatasetOID). The system catalog emulation lists datasets under these oids and
// RowDescription announces them, so that a driver's lookup of a result column's table
// (pgjdbc's ResultSetMetaData.getTableName) finds the dataset.
const FirstDatasetOID = 16384

// DatasetOID is the pg_class oid of ds in cat, 0 when ds is not cat's.
func DatasetOID(cat *catalog.Catalog, ds *catalog.Dataset) uint32 {
	for i, d := range cat.Datasets {
		if d == ds {
			return uint32(FirstDatasetOID + i)
		}
	}
	return 0
}

// origin is the table column a result column reads as it is, as PostgreSQL reports it in
// RowDescription: the dataset's oid and the column's attribute number (its position in
// DatasetColumns); zero for a computed column.
type origin struct {
	table  uint32
	attnum int16
}

// setOrigins marks the columns of dataset ds as its attributes 1..n.
func setOrigins(cols []column, cat *catalog.Catalog, ds *catalog.Dataset) {
	oid := DatasetOID(cat, ds)
	for i := range cols {
		cols[i].origin = origin{table: oid, attnum: int16(i + 1)}
	}
}

// targetOrigin is the origin of a select item of type typ that is a plain column reference:
// the column's own, through sub-selects and CTEs as PostgreSQL follows it. A cast to the
// column's own type is no cast in PostgreSQL and keeps the origin; any other item is computed.
func (b *binder) targetOrigin(rt *pg_query.ResTarget, typ pgtypes.Type, sc *scope) origin {
	val := rt.Val
	if tc := val.GetTypeCast(); tc != nil {
		val = tc.Arg
	}
	cr := val.GetColumnRef()
	if cr == nil {
		return origin{}
	}
	rel, name, err := b.columnName(cr)
	if err != nil {
		return origin{}
	}
	r, err := sc.resolveColumn(rel, name, b.pos(cr.Location))
	if err != nil || r.col.typ.OID != typ.OID {
		return origin{}
	}
	return r.col.origin
}

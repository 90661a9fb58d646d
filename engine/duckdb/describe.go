package duckdb

import (
	"context"
	"database/sql/driver"
	"fmt"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Description is what preparing a statement tells about it, without running it.
type Description struct {
	Names  []string
	Types  []duckdb.Type
	Params []duckdb.Type
}

// Describe prepares query and reports its result columns and parameter types.
func (b *Backend) Describe(ctx context.Context, query string) (*Description, error) {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return nil, mapError(ctx, err)
	}
	defer conn.Close()
	var d Description
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(driver.ConnPrepareContext)
		if !ok {
			return fmt.Errorf("duckdb connection cannot prepare")
		}
		st, err := pc.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		s, ok := st.(*duckdb.Stmt)
		if !ok {
			return fmt.Errorf("unexpected statement type %T", st)
		}
		n, err := s.ColumnCount()
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			name, err := s.ColumnName(i)
			if err != nil {
				return err
			}
			t, err := s.ColumnType(i)
			if err != nil {
				return err
			}
			d.Names, d.Types = append(d.Names, name), append(d.Types, t)
		}
		for i := 1; i <= s.NumInput(); i++ {
			t, err := s.ParamType(i)
			if err != nil {
				t = duckdb.TYPE_INVALID
			}
			d.Params = append(d.Params, t)
		}
		return nil
	})
	if err != nil {
		return nil, mapError(ctx, err)
	}
	return &d, nil
}

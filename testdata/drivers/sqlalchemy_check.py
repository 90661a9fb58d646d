"""Drives the gateway with SQLAlchemy's PostgreSQL dialect on psycopg2, as Superset does:
dialect initialisation, the inspector (table names, has_table, columns with their types,
primary key, indexes) and a query.

Usage: sqlalchemy_check.py HOST PORT KEY. Prints one JSON object for the Go test.
"""
import json
import sys

import sqlalchemy as sa

host, port, key = sys.argv[1], sys.argv[2], sys.argv[3]
engine = sa.create_engine(f"postgresql+psycopg2://superset:{key}@{host}:{port}/setupranali?sslmode=disable")
out = {}
with engine.connect() as conn:
    out["server_version_info"] = list(engine.dialect.server_version_info)
    rows = conn.execute(sa.text("SELECT city, total_revenue FROM orders GROUP BY city HAVING total_revenue > :v ORDER BY city"), {"v": 600})
    out["rows"] = [[r[0], float(r[1])] for r in rows]
insp = sa.inspect(engine)
out["tables"] = insp.get_table_names(schema="public")
out["has_orders"] = insp.has_table("orders", schema="public")
out["columns"] = [[c["name"], str(c["type"]), c["nullable"]] for c in insp.get_columns("orders", schema="public")]
out["pk"] = insp.get_pk_constraint("orders", schema="public")["constrained_columns"]
out["indexes"] = insp.get_indexes("orders", schema="public")
print(json.dumps(out))

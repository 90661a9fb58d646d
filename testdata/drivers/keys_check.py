"""Reads the model's keys with SQLAlchemy's inspector on psycopg2, as Superset and other
SQLAlchemy-based tools do: get_pk_constraint and get_foreign_keys.

Usage: keys_check.py HOST PORT KEY. Prints one JSON object for the Go test.
"""
import json
import sys

import sqlalchemy as sa

host, port, key = sys.argv[1], sys.argv[2], sys.argv[3]
engine = sa.create_engine(f"postgresql+psycopg2://superset:{key}@{host}:{port}/setupranali?sslmode=disable")
insp = sa.inspect(engine)
out = {
    "orders_pk": insp.get_pk_constraint("orders", schema="public"),
    "customers_pk": insp.get_pk_constraint("customers", schema="public"),
    "orders_fks": insp.get_foreign_keys("orders", schema="public"),
    "customers_fks": insp.get_foreign_keys("customers", schema="public"),
    "orders_indexes": insp.get_indexes("orders", schema="public"),
}
print(json.dumps(out, sort_keys=True))

"""Drives the gateway with psycopg2 (libpq, simple protocol) the way Superset and notebooks do.

Usage: psycopg2_check.py HOST PORT KEY. Prints one JSON object with what it saw; the Go test
(cmd/setupranali/drivers_test.go) asserts on it.
"""
import json
import sys

import psycopg2
import psycopg2.errors

host, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = {}
conn = psycopg2.connect(host=host, port=port, user="superset", password=key, dbname="setupranali",
                        sslmode="disable", connect_timeout=10)
out["server_version"] = conn.server_version
out["encoding"] = conn.encoding
with conn.cursor() as cur:
    # psycopg2 is not autocommit: this runs inside BEGIN, as Superset's queries do.
    cur.execute("SELECT city, total_revenue FROM orders ORDER BY city")
    out["columns"] = [d.name for d in cur.description]
    out["type_codes"] = [d.type_code for d in cur.description]
    out["rows"] = [[r[0], float(r[1])] for r in cur.fetchall()]
    cur.execute("SELECT city, orders_count FROM orders WHERE city = %s AND order_date >= %s",
                ("Indore", "2025-12-01"))
    out["param_rows"] = [list(r) for r in cur.fetchall()]
    try:
        cur.execute("SELECT cty FROM orders")
    except psycopg2.Error as e:
        out["error_code"] = e.pgcode
    conn.rollback()
    cur.execute("SELECT count(*) FROM orders")
    out["after_error"] = cur.fetchone()[0]
conn.close()
print(json.dumps(out))

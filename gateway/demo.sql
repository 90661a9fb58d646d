-- The embedded demo's data: the original product's six orders over three tenants, and the
-- customers who placed them (catalog.yaml joins orders to customers many-to-one). Customer ids
-- are unique across tenants, so customer_id alone is the key; c4 has no orders yet.
CREATE TABLE customers (
  customer_id VARCHAR NOT NULL PRIMARY KEY,
  tenant_id   VARCHAR NOT NULL,
  name        VARCHAR NOT NULL,
  region      VARCHAR NOT NULL,
  segment     VARCHAR NOT NULL
);
INSERT INTO customers VALUES
  ('c1', 'tenantA', 'Malwa Traders',     'Central', 'retail'),
  ('c2', 'tenantA', 'Narmada Foods',     'Central', 'wholesale'),
  ('c3', 'tenantB', 'Yamuna Stores',     'North',   'retail'),
  ('c4', 'tenantB', 'Capital Wholesale', 'North',   'wholesale'),
  ('c5', 'default', 'Harbour Supplies',  'West',    'wholesale'),
  ('c6', 'default', 'Marina Textiles',   'South',   'retail');
CREATE TABLE orders (
  order_id    VARCHAR NOT NULL PRIMARY KEY,
  tenant_id   VARCHAR NOT NULL,
  order_date  DATE    NOT NULL,
  city        VARCHAR NOT NULL,
  revenue     DOUBLE  NOT NULL,
  quantity    BIGINT  NOT NULL,
  customer_id VARCHAR NOT NULL REFERENCES customers (customer_id)
);
INSERT INTO orders VALUES
  ('o1', 'tenantA', DATE '2025-12-01', 'Indore',  1000.0, 2, 'c1'),
  ('o2', 'tenantA', DATE '2025-12-01', 'Bhopal',   500.0, 1, 'c1'),
  ('o3', 'tenantB', DATE '2025-12-02', 'Indore',   250.0, 1, 'c3'),
  ('o4', 'tenantB', DATE '2025-12-03', 'Delhi',   1200.0, 3, 'c3'),
  ('o5', 'default', DATE '2025-12-02', 'Mumbai',   800.0, 2, 'c5'),
  ('o6', 'default', DATE '2025-12-03', 'Chennai',  600.0, 1, 'c6');

-- The embedded demo's data: the original product's six orders over three tenants.
CREATE TABLE orders (
  order_id   VARCHAR NOT NULL PRIMARY KEY,
  tenant_id  VARCHAR NOT NULL,
  order_date DATE    NOT NULL,
  city       VARCHAR NOT NULL,
  revenue    DOUBLE  NOT NULL,
  quantity   BIGINT  NOT NULL
);
INSERT INTO orders VALUES
  ('o1', 'tenantA', DATE '2025-12-01', 'Indore',  1000.0, 2),
  ('o2', 'tenantA', DATE '2025-12-01', 'Bhopal',   500.0, 1),
  ('o3', 'tenantB', DATE '2025-12-02', 'Indore',   250.0, 1),
  ('o4', 'tenantB', DATE '2025-12-03', 'Delhi',   1200.0, 3),
  ('o5', 'default', DATE '2025-12-02', 'Mumbai',   800.0, 2),
  ('o6', 'default', DATE '2025-12-03', 'Chennai',  600.0, 1);

-- The demo data of gateway/demo.sql (DuckDB) for PostgreSQL: the original product's six
-- orders over three tenants, and the customers who placed them. docker-compose.yml loads it into
-- the warehouse database on first start; deploy/catalog.yaml describes it.
CREATE TABLE public.customers (
  customer_id text NOT NULL PRIMARY KEY,
  tenant_id   text NOT NULL,
  name        text NOT NULL,
  region      text NOT NULL,
  segment     text NOT NULL
);
CREATE INDEX customers_tenant_id ON public.customers (tenant_id);
INSERT INTO public.customers VALUES
  ('c1', 'tenantA', 'Malwa Traders',     'Central', 'retail'),
  ('c2', 'tenantA', 'Narmada Foods',     'Central', 'wholesale'),
  ('c3', 'tenantB', 'Yamuna Stores',     'North',   'retail'),
  ('c4', 'tenantB', 'Capital Wholesale', 'North',   'wholesale'),
  ('c5', 'default', 'Harbour Supplies',  'West',    'wholesale'),
  ('c6', 'default', 'Marina Textiles',   'South',   'retail');
CREATE TABLE public.orders (
  order_id    text             NOT NULL PRIMARY KEY,
  tenant_id   text             NOT NULL,
  order_date  date             NOT NULL,
  city        text             NOT NULL,
  revenue     double precision NOT NULL,
  quantity    bigint           NOT NULL,
  customer_id text             NOT NULL REFERENCES public.customers (customer_id)
);
CREATE INDEX orders_tenant_id ON public.orders (tenant_id);
INSERT INTO public.orders VALUES
  ('o1', 'tenantA', DATE '2025-12-01', 'Indore',  1000.0, 2, 'c1'),
  ('o2', 'tenantA', DATE '2025-12-01', 'Bhopal',   500.0, 1, 'c1'),
  ('o3', 'tenantB', DATE '2025-12-02', 'Indore',   250.0, 1, 'c3'),
  ('o4', 'tenantB', DATE '2025-12-03', 'Delhi',   1200.0, 3, 'c3'),
  ('o5', 'default', DATE '2025-12-02', 'Mumbai',   800.0, 2, 'c5'),
  ('o6', 'default', DATE '2025-12-03', 'Chennai',  600.0, 1, 'c6');

-- The demo data of gateway/demo.sql (DuckDB) for PostgreSQL: the original product's six
-- orders over three tenants. docker-compose.yml loads it into the warehouse database on first
-- start; deploy/catalog.yaml describes it.
CREATE TABLE public.orders (
  order_id   text             NOT NULL PRIMARY KEY,
  tenant_id  text             NOT NULL,
  order_date date             NOT NULL,
  city       text             NOT NULL,
  revenue    double precision NOT NULL,
  quantity   bigint           NOT NULL
);
CREATE INDEX orders_tenant_id ON public.orders (tenant_id);
INSERT INTO public.orders VALUES
  ('o1', 'tenantA', DATE '2025-12-01', 'Indore',  1000.0, 2),
  ('o2', 'tenantA', DATE '2025-12-01', 'Bhopal',   500.0, 1),
  ('o3', 'tenantB', DATE '2025-12-02', 'Indore',   250.0, 1),
  ('o4', 'tenantB', DATE '2025-12-03', 'Delhi',   1200.0, 3),
  ('o5', 'default', DATE '2025-12-02', 'Mumbai',   800.0, 2),
  ('o6', 'default', DATE '2025-12-03', 'Chennai',  600.0, 1);

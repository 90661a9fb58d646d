// Drives the gateway with node-postgres: simple queries, a parameterised query (extended
// protocol, unnamed statement), a named prepared statement, an error, and cancellation.
// Usage: node check.js HOST PORT KEY. Prints one JSON object for the Go test to assert on.
const { Client } = require('pg');

async function main() {
  const [host, port, key] = process.argv.slice(2);
  const client = new Client({ host, port: Number(port), user: 'node', password: key, database: 'setupranali' });
  await client.connect();
  const out = {};
  const simple = await client.query('SELECT city, total_revenue FROM orders ORDER BY city');
  out.fields = simple.fields.map((f) => [f.name, f.dataTypeID]);
  out.rows = simple.rows;
  const param = await client.query('SELECT city, orders_count FROM orders WHERE city = $1', ['Bhopal']);
  out.param_rows = param.rows;
  const named = { name: 'by_city', text: 'SELECT total_revenue FROM orders WHERE city = $1', values: ['Indore'] };
  out.named = (await client.query(named)).rows;
  out.named_again = (await client.query({ ...named, values: ['Delhi'] })).rows;
  try {
    await client.query('SELECT cty FROM orders');
  } catch (e) {
    out.error_code = e.code;
  }
  out.after_error = (await client.query('SELECT count(*) AS n FROM orders')).rows[0].n;
  await client.end();
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// peer.mjs — one measurement of a peer engine (DuckDB or Polars), in a process of its own
// so that a peer that runs out of memory or crashes cannot take the runner with it, and
// so that its thread count is set before the library starts.
//   node peer.mjs JOB.json
// JOB: { engine, file, workload, params, query, threads, data, out, tmp }. The result goes to
// JOB.out as JSON: { ok, seconds, columns, rows } or { ok: false, error }. The time
// covers the query (and the checksum over a stored answer), not starting node or loading
// the library: the same work ember's wall clock covers, minus ember's own start-up.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH, script, querySql, checkPolars, canon } from './common.mjs';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const mod = (await import(path.join(BENCH, 'workloads', `${job.file}.mjs`))).default;
const workload = (Array.isArray(mod) ? mod : [mod]).find((w) => w.name === job.workload);
const query = workload.queries(job.params).find((q) => q.id === job.query);
const ctx = { params: job.params, data: job.data };

function plain(v) {
  // JSON has no bigint: keep exact integers as text, they compare as numbers later.
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return canon(v);
}

async function runDuckdb() {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const config = { threads: String(job.threads), temp_directory: job.tmp,
                   ...(workload.duckdbConfig ?? {}) };
  const inst = await DuckDBInstance.create(':memory:', config);
  const conn = await inst.connect();
  let sql = querySql(query, 'duckdb');
  if (Array.isArray(sql)) sql = sql[0];
  const stmts = script(workload.setup('duckdb', ctx), sql, query.check);
  // The library's own start-up is not the query's time (ember's is, but it is ~20 ms).
  await conn.runAndReadAll('SELECT 1');
  const t0 = process.hrtime.bigint();
  let reader = null;
  for (const s of stmts) reader = await conn.runAndReadAll(s);
  const t1 = process.hrtime.bigint();
  return { seconds: Number(t1 - t0) / 1e9, columns: reader.columnNames(),
           rows: reader.getRows().map((r) => r.map(plain)) };
}

async function runPolars() {
  const pl = (await import('nodejs-polars')).default;
  await pl.DataFrame({ warm: [1] }).lazy().select(pl.col('warm').sum()).collect();
  const t0 = process.hrtime.bigint();
  const tables = workload.polarsTables(pl, ctx);
  let res = await query.polars(tables, pl, ctx);
  if (typeof res.collect === 'function') res = await res.collect(workload.polarsCollect ?? {});
  if (query.check) res = res.select(...checkPolars(pl, query.check));
  const t1 = process.hrtime.bigint();
  return { seconds: Number(t1 - t0) / 1e9, columns: res.columns,
           rows: res.rows().map((r) => r.map(plain)) };
}

let result;
try {
  const r = job.engine === 'duckdb' ? await runDuckdb() : await runPolars();
  result = { ok: true, ...r };
} catch (e) {
  result = { ok: false, error: String(e && e.message ? e.message : e).split('\n')[0] };
}
writeFileSync(job.out, JSON.stringify(result));
process.exit(result.ok ? 0 : 1);

// duck.mjs — run SQL in DuckDB (an independent engine, for tests and benchmarks only).
//   node duck.mjs [--threads N] [--timer] [--format tsv|csv] -e 'SQL' | -f file.sql
// Prints the last statement's rows tab-separated (NULL as NULL), one row per line.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
let sql = null, threads = null, timer = false, header = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '-e') sql = args[++i];
  else if (args[i] === '-f') sql = readFileSync(args[++i], 'utf8');
  else if (args[i] === '--threads') threads = args[++i];
  else if (args[i] === '--timer') timer = true;
  else if (args[i] === '--header') header = true;
  else { console.error(`duck.mjs: unknown argument ${args[i]}`); process.exit(2); }
}
if (sql === null) { console.error('usage: duck.mjs [--threads N] -e SQL | -f FILE'); process.exit(2); }

function text(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? `${v}.0`.replace(/\.0$/, '') : String(v);
  if (typeof v === 'object' && typeof v.toString === 'function') return v.toString();
  return String(v);
}

const inst = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
const conn = await inst.connect();
const stmts = sql.split(/;\s*(?:\n|$)/).map(s => s.trim()).filter(s => s.length);
const t0 = process.hrtime.bigint();
let reader = null;
for (const s of stmts) reader = await conn.runAndReadAll(s);
const t1 = process.hrtime.bigint();
if (reader) {
  if (header) console.log(reader.columnNames().join('\t'));
  const out = [];
  for (const row of reader.getRows()) out.push(row.map(text).join('\t'));
  if (out.length) console.log(out.join('\n'));
}
if (timer) console.error(`duckdb time: ${(Number(t1 - t0) / 1e9).toFixed(3)} s`);

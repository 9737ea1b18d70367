#!/usr/bin/env bash
# Parquet interoperability with an independent engine (DuckDB, from npm in tests/tools):
#  1. every fixture in tests/data/parquet (written by DuckDB: every codec, v1 and v2 pages,
#     dictionary and plain, NULLs, decimals, timestamps, nested columns, Hive partitions)
#     reads in ember to exactly the rows DuckDB reads;
#  2. files ember writes (COPY ... TO, every codec, v1 and v2 pages, PARTITION_BY, and CSV
#     and JSON too) read back in DuckDB to the same rows as the source.
# Rows compare as multisets, numbers with a relative tolerance of 1e-9. DuckDB types ember
# does not have are normalized on DuckDB's side (nested values as to_json text, FLOAT as
# DOUBLE, TIME/UUID/ENUM/INTERVAL as text, TIMESTAMP_S/MS/NS/TZ as TIMESTAMP).
# Without node/npm the check is skipped (exit 77) with a message, except when CI=true.
set -euo pipefail
EMBER=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v node >/dev/null || ! bash "$ROOT/scripts/npm-tools.sh" >/dev/null; then
  if [ "${CI:-}" = "true" ]; then echo "parquet_interop: node/npm or DuckDB unavailable in CI"; exit 1; fi
  echo "parquet_interop: SKIPPED (node/npm or DuckDB unavailable)"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROOT/tests/tools"
node --input-type=module - "$EMBER" "$ROOT" "$tmp" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const [ember, root, tmp] = process.argv.slice(2);
const data = `${root}/tests/data/parquet`;
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await inst.connect();

function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean' || typeof v === 'number') return v;
  return typeof v === 'object' ? v.toString() : String(v);
}
function num(x) {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && x.trim() !== '' && !isNaN(+x)) return +x;
  return NaN;
}
function same(a, b) {
  if (a === null || b === null) return a === b;
  const x = num(a), y = num(b);
  if (!isNaN(x) && !isNaN(y)) return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  return String(a) === String(b);
}
const key = row => JSON.stringify(row.map(v => { const x = num(v); return isNaN(x) ? v : +x.toPrecision(9); }));
const sorted = rows => rows.map(r => [key(r), r]).sort((p, q) => p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0).map(p => p[1]);

async function duck(sql) {
  const r = await conn.runAndReadAll(sql);
  return r.getRows().map(row => row.map(norm));
}
function emberRows(sql, master = 'local[2]') {
  const out = execFileSync(ember, ['sql', '--master', master, '--format', 'json', '-e', sql],
                           { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(out).map(o => Object.values(o).map(norm));
}
function emberRun(sql, master = 'local[4]') {
  execFileSync(ember, ['sql', '--master', master, '--conf', 'ember.sql.shuffle.partitions=3', '-e', sql],
               { encoding: 'utf8' });
}
// A SELECT list over `from` that turns DuckDB-only types into what ember reads them as.
async function normalized(from, columns = null) {
  const desc = await duck(`DESCRIBE SELECT * FROM ${from}`);
  const items = [];
  for (const [name, type] of desc) {
    if (columns && !columns.includes(name)) continue;
    const c = `"${name}"`, t = String(type);
    if (t.includes('[') || t.startsWith('STRUCT') || t.startsWith('MAP')) items.push(`to_json(${c})::VARCHAR`);
    else if (t === 'FLOAT') items.push(`${c}::DOUBLE`);
    else if (t === 'TIMESTAMP WITH TIME ZONE') items.push(`timezone('UTC', ${c})`);
    else if (t.startsWith('TIMESTAMP_')) items.push(`${c}::TIMESTAMP`);
    else if (t === 'BLOB') items.push(`decode(${c})`);
    else if (t === 'TIME' || t === 'UUID' || t === 'INTERVAL' || t.startsWith('ENUM')) items.push(`${c}::VARCHAR`);
    else items.push(c);
  }
  return items;
}

let passed = 0, failed = 0;
function check(what, mine, theirs) {
  const a = sorted(mine), b = sorted(theirs);
  let where = a.length === b.length ? -1 : Math.min(a.length, b.length);
  for (let i = 0; where < 0 && i < a.length; i++)
    if (a[i].length !== b[i].length || !a[i].every((v, j) => same(v, b[i][j]))) where = i;
  if (where < 0) { passed++; return; }
  failed++;
  console.log(`FAIL ${what}: ${a.length} vs ${b.length} rows; first difference at sorted row ${where}:`);
  console.log(`  left:  ${JSON.stringify(a[where])}\n  right: ${JSON.stringify(b[where])}`);
}

// 1. DuckDB's files read by ember.
const files = readdirSync(data).filter(f => f.endsWith('.parquet') && f !== 'wide_decimal.parquet').sort();
for (const f of files) {
  const path = `'${data}/${f}'`;
  const cols = await normalized(path);
  let mine;
  try { mine = emberRows(`SELECT * FROM ${path}`); }
  catch (e) { failed++; console.log(`FAIL ember reading ${f}: ${e.stderr || e.message}`); continue; }
  check(`reading ${f}`, mine, await duck(`SELECT ${cols.join(', ')} FROM ${path}`));
}
check('reading hive/', emberRows(`SELECT id, v, year, region FROM read_parquet('${data}/hive')`),
      await duck(`SELECT id, v, year, region FROM read_parquet('${data}/hive/*/*/*.parquet', hive_partitioning = true)`));

// 2. ember's files read by DuckDB.
const sources = ['types_v1_snappy.parquet', 'types_v2_zstd.parquet', 'times.parquet', 'nested.parquet'];
for (const src of sources) {
  const from = `'${data}/${src}'`;
  const want = await duck(`SELECT ${(await normalized(from)).join(', ')} FROM ${from}`);
  for (const codec of ['uncompressed', 'snappy', 'gzip', 'zstd', 'lz4']) {
    for (const version of ['v1', 'v2']) {
      if (src !== sources[0] && version === 'v2' && codec !== 'zstd') continue;
      const out = `${tmp}/${src}.${codec}.${version}.parquet`;
      try {
        emberRun(`COPY (SELECT * FROM ${from}) TO '${out}' (FORMAT parquet, COMPRESSION ${codec}, ` +
                 `PARQUET_VERSION ${version}, ROW_GROUP_SIZE 100)`, 'local[1]');
      } catch (e) { failed++; console.log(`FAIL ember writing ${out}: ${e.stderr || e.message}`); continue; }
      const back = `'${out}'`;
      check(`DuckDB reading ember's ${src} (${codec}, ${version})`,
            await duck(`SELECT ${(await normalized(back)).join(', ')} FROM ${back}`), want);
    }
  }
}
// A directory of part files from several tasks, and PARTITION_BY directories.
const types = `'${data}/types_v1_zstd.parquet'`;
const typeCols = (await duck(`DESCRIBE SELECT * FROM ${types}`)).map(r => r[0]);
const wantTypes = await duck(`SELECT ${(await normalized(types)).join(', ')} FROM ${types}`);
emberRun(`COPY (SELECT * FROM ${types} ORDER BY i64) TO '${tmp}/dir' (FORMAT parquet)`);
check('DuckDB reading ember\'s directory of parts',
      await duck(`SELECT ${(await normalized(`'${tmp}/dir/*.parquet'`)).join(', ')} FROM '${tmp}/dir/*.parquet'`), wantTypes);
emberRun(`COPY (SELECT * FROM ${types}) TO '${tmp}/parts' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (s_dict, i8))`);
const partsFrom = `read_parquet('${tmp}/parts/**/*.parquet', hive_partitioning = true)`;
const partsCols = (await normalized(partsFrom, typeCols));
check('DuckDB reading ember\'s PARTITION_BY output',
      await duck(`SELECT ${typeCols.map(c => partsCols.find(x => x.includes(`"${c}"`))).join(', ')} FROM ${partsFrom}`),
      wantTypes);
check('ember reading its PARTITION_BY output',
      emberRows(`SELECT ${typeCols.join(', ')} FROM read_parquet('${tmp}/parts')`), wantTypes);
// CSV and JSON writers.
emberRun(`COPY (SELECT * FROM ${types}) TO '${tmp}/w.csv' (FORMAT csv)`, 'local[1]');
check('DuckDB reading ember\'s CSV', await duck(`SELECT * FROM read_csv('${tmp}/w.csv')`), wantTypes);
emberRun(`COPY (SELECT * FROM ${types}) TO '${tmp}/w.json' (FORMAT json)`, 'local[1]');
check('DuckDB reading ember\'s JSON', await duck(`SELECT * FROM read_json('${tmp}/w.json')`), wantTypes);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
JS

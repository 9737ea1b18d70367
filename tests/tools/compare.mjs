// compare.mjs — run every query of a file in ember and in DuckDB and compare the answers.
//   node compare.mjs EMBER_BINARY QUERIES.sql DATA_DIR [ember args...]
// Queries are separated by lines holding only ';'. `$DATA` in a query is replaced by
// DATA_DIR. Rows are compared as multisets (sorted), numbers with a relative tolerance
// of 1e-9, so the check is about the answer, not about row order (slt files check order).
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const [ember, file, data, ...emberArgs] = process.argv.slice(2);
const queries = readFileSync(file, 'utf8').split(/^;\s*$/m)
  .map(q => q.replace(/^--.*$/gm, '').trim()).filter(q => q.length)
  .map(q => q.replaceAll('$DATA', data));

function norm(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean' || typeof v === 'number') return v;
  const s = typeof v === 'object' ? v.toString() : String(v);
  return s;
}
function same(a, b) {
  if (a === null || b === null) return a === b;
  const x = typeof a === 'number' ? a : (typeof a === 'string' && a.trim() !== '' && !isNaN(+a) ? +a : NaN);
  const y = typeof b === 'number' ? b : (typeof b === 'string' && b.trim() !== '' && !isNaN(+b) ? +b : NaN);
  if (!isNaN(x) && !isNaN(y)) return x === y || Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
  return String(a) === String(b);
}
const key = row => JSON.stringify(row.map(v => typeof v === 'number' ? +v.toPrecision(9) : v));

const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const conn = await inst.connect();
let failed = 0, passed = 0;
for (const q of queries) {
  let mine;
  try {
    const out = execFileSync(ember, ['sql', ...emberArgs, '--format', 'json', '-e', q],
                             { encoding: 'utf8', maxBuffer: 1 << 28 });
    mine = JSON.parse(out).map(o => Object.values(o).map(norm));
  } catch (e) {
    console.log(`FAIL (ember error)\n${q}\n${e.stderr || e.message}`);
    failed++;
    continue;
  }
  const reader = await conn.runAndReadAll(q);
  const theirs = reader.getRows().map(r => r.map(norm));
  mine.sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  theirs.sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  let ok = mine.length === theirs.length;
  let where = ok ? -1 : Math.min(mine.length, theirs.length);
  for (let i = 0; ok && i < mine.length; i++) {
    if (mine[i].length !== theirs[i].length || !mine[i].every((v, j) => same(v, theirs[i][j]))) {
      ok = false;
      where = i;
    }
  }
  if (ok) { passed++; continue; }
  failed++;
  console.log(`FAIL\n${q}\nember rows: ${mine.length}, duckdb rows: ${theirs.length}; first difference at sorted row ${where}:`);
  console.log(`  ember:  ${JSON.stringify(mine[where])}\n  duckdb: ${JSON.stringify(theirs[where])}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

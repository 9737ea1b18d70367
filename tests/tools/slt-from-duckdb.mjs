// slt-from-duckdb.mjs — write sqllogictest records whose expected results come from
// DuckDB (an independent engine), so that ember's SQL tests are not self-graded.
//   node slt-from-duckdb.mjs SPEC > out.slt
// SPEC: blocks separated by blank lines. A block starting with "setup" holds
// statements run in DuckDB and emitted as `statement ok` records; a block starting
// with "query <types> [rowsort|nosort]" holds one query whose rows DuckDB computes;
// "error <expected text>" blocks are emitted as `statement error` as written;
// lines starting with '#' are copied. DuckDB values are printed the way ember prints
// them (DOUBLE with at least one decimal, NULL, (empty) for '').
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const spec = readFileSync(process.argv[2], 'utf8').split(/\n\s*\n/);
const inst = await DuckDBInstance.create(':memory:');
const conn = await inst.connect();

function fmt(v, type) {
  if (v === null || v === undefined) return 'NULL';
  const t = String(type);
  if (t === 'DOUBLE' || t === 'FLOAT') {
    if (Number.isInteger(v)) return `${v}.0`;
    return String(v);
  }
  if (typeof v === 'string') return v === '' ? '(empty)' : v;
  return v.toString();
}

const out = [];
for (const raw of spec) {
  const block = raw.trim();
  if (!block) continue;
  const lines = block.split('\n');
  const head = lines[0];
  if (head.startsWith('#')) { out.push(block); continue; }
  const body = lines.slice(1).join('\n');
  if (head === 'setup') {
    for (const st of body.split(/;\s*(?:\n|$)/).map(x => x.trim()).filter(Boolean)) {
      await conn.run(st);
      out.push(`statement ok\n${st}`);
    }
  } else if (head.startsWith('query')) {
    const reader = await conn.runAndReadAll(body);
    const types = reader.columnTypes();
    const rows = reader.getRows().map(r => r.map((v, i) => fmt(v, types[i])).join('\t'));
    out.push(`${head}\n${body}\n----\n${rows.join('\n')}`.replace(/\n$/, ''));
  } else if (head.startsWith('error')) {
    const expect = head.slice(5).trim();
    out.push(`statement error\n${body}${expect ? `\n----\n${expect}` : ''}`);
  } else {
    console.error(`slt-from-duckdb: unknown block header: ${head}`);
    process.exit(2);
  }
}
console.log(out.join('\n\n'));

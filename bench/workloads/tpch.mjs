// tpch.mjs — TPC-H, all 22 queries (bench/tpch/queries/), at scale factor SF (default 1;
// SF=10 on request) over data from `ember gen tpch`, read from CSV (tpch-csv) and from
// Parquet (tpch-parquet). ember and DuckDB run the same SQL over the same views
// (bench/tpch/views.sh: CSV columns cast to the specification's types); Polars runs the
// queries written with its expressions (bench/lib/tpch-polars.mjs). Answers are compared
// in full.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BENCH } from '../lib/common.mjs';
import { sources } from '../lib/workload.mjs';
import { tpchPolarsQueries, tpchPolarsTables } from '../lib/tpch-polars.mjs';

const QUERIES = path.join(BENCH, 'tpch', 'queries');

function sf(settings) {
  const v = settings.SF === undefined || settings.SF === '' ? 1 : Number(settings.SF);
  if (!(v > 0)) throw new Error(`SF: not a positive scale factor: ${settings.SF}`);
  return v;
}

const dataset = (p, format) => ({
  id: `tpch-sf${p.sf}-${format}`,
  gen: ['tpch', '--sf', String(p.sf), '--format', format],
  sources: sources('tpch'),
});

function queries() {
  if (!existsSync(QUERIES)) return [];
  return readdirSync(QUERIES).filter((f) => /^q\d+\.sql$/.test(f)).sort().map((f) => {
    const id = f.replace(/\.sql$/, '');
    const n = Number(id.slice(1));
    return {
      id,
      title: '',
      sql: readFileSync(path.join(QUERIES, f), 'utf8'),
      polars: tpchPolarsQueries[n],
    };
  });
}

// DuckDB reads CSV much faster with the column types given than as text cast afterwards
// (views.sh's portable form): the same view with the types in read_csv's `columns`,
// and no dialect sniffing. A view of another form is left as it is.
function typedCsvViews(sql) {
  return sql.split('\n').map((line) => {
    const m = /^CREATE VIEW (\w+) AS SELECT (.*) FROM read_csv\(('(?:[^']|'')*'), header = true, all_varchar = true\);$/.exec(line.trim());
    if (!m) return line;
    const items = [];
    let depth = 0, start = 0;
    for (let i = 0; i <= m[2].length; i++) {
      const ch = m[2][i];
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      else if ((ch === ',' && depth === 0) || i === m[2].length) {
        items.push(m[2].slice(start, i).trim());
        start = i + 1;
      }
    }
    const columns = [];
    for (const item of items) {
      const cast = /^CAST\((\w+) AS (.+)\) AS (\w+)$/.exec(item);
      if (cast && cast[1] === cast[3]) columns.push(`'${cast[1]}': '${cast[2]}'`);
      else if (/^\w+$/.test(item)) columns.push(`'${item}': 'VARCHAR'`);
      else return line;
    }
    return `CREATE VIEW ${m[1]} AS SELECT * FROM read_csv(${m[3]}, header = true, auto_detect = false, ` +
      `delim = ',', quote = '"', escape = '"', columns = {${columns.join(', ')}});`;
  }).join('\n');
}

function variant(format, order) {
  return {
    name: `tpch-${format}`,
    title: `TPC-H, 22 queries at scale factor SF (default 1), from ${format === 'csv' ? 'CSV' : 'Parquet'}`,
    groups: ['tpch'],
    order,
    params: (settings) => ({ sf: sf(settings) }),
    datasets: (p) => [dataset(p, format)],
    setup(engine, ctx) {
      const dir = ctx.data[dataset(ctx.params, format).id];
      const sql = execFileSync('bash', [path.join(BENCH, 'tpch', 'views.sh'), dir, format], { encoding: 'utf8' });
      return engine === 'duckdb' && format === 'csv' ? typedCsvViews(sql) : sql;
    },
    polarsTables: (pl, ctx) => tpchPolarsTables(pl, ctx.data[dataset(ctx.params, format).id], format),
    queries,
  };
}

export default [variant('csv', 10), variant('parquet', 11)];

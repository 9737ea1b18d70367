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
      return execFileSync('bash', [path.join(BENCH, 'tpch', 'views.sh'), dir, format], { encoding: 'utf8' });
    },
    polarsTables: (pl, ctx) => tpchPolarsTables(pl, ctx.data[dataset(ctx.params, format).id], format),
    queries,
  };
}

export default [variant('csv', 10), variant('parquet', 11)];

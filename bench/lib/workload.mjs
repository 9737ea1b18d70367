// workload.mjs — helpers for the workload definitions in bench/workloads/.
//
// A workload module exports (default) one workload or an array of them:
//   name, title, groups (names BENCH= also selects it by), order (position in a run)
//   params(settings)      -> parameters from the environment (ROWS, SF, ...)
//   datasets(params)      -> [{ id, gen: [ember gen arguments], sources: [generator files] }]
//                            generated once into bench/data/<id>/ and reused while the
//                            generator's version, its sources and its arguments are unchanged
//   setup(engine, ctx)    -> SQL that makes the data queryable for 'ember' or 'duckdb'
//                            (views over the files in ctx.data[<dataset id>])
//   polarsTables(pl, ctx) -> { name: LazyFrame } for Polars
//   queries(params)       -> [{ id, title, sql | ember/duckdb (text, or for ember a list
//                            of alternative spellings), polars(tables, pl, ctx), check,
//                            expect, conf }]
//   runs(RUNS), timeout, emberConf, duckdbConfig, polarsCollect, tolerance, showPeerRss
import path from 'node:path';

// Sizes are given the way benchmarks name them: 1e7, 25e5 or 10000000.
export function count(v, dflt) {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`not a positive count: ${v}`);
  return n;
}

// The db-benchmark's spelling of a count in file names (as `ember gen` writes them).
export function pretty(n) {
  if (n <= 0) return String(n);
  let e = 0;
  while (n % 10 === 0) { n /= 10; e++; }
  return e ? `${n}e${e}` : String(n);
}

export function sqlString(s) {
  return `'${String(s).replaceAll("'", "''")}'`;
}

export function file(ctx, datasetId, name) {
  return path.join(ctx.data[datasetId], name);
}

// Source files whose change regenerates a data set (globs relative to the repository).
export const GEN_SOURCES = {
  common: ['src/gen/gen_int.h', 'src/gen/writer.c', 'src/gen/perm.c'],
  h2o: ['src/gen/h2o.*'],
  words: ['src/gen/words.*'],
  sort: ['src/gen/sort.*'],
  tpch: ['src/gen/tpch*'],
};
export const sources = (...kinds) => kinds.flatMap((k) => GEN_SOURCES[k]);

// A view over a CSV file with a header line, in both SQL engines' spelling.
export function csvView(name, path_) {
  return `CREATE VIEW ${name} AS SELECT * FROM read_csv(${sqlString(path_)});`;
}

// Polars tables opened on first use: a query that names three tables does not pay for
// opening the other five (as the SQL engines only get views for the tables they read).
export function lazyTables(openers) {
  const tables = {};
  for (const [name, open] of Object.entries(openers)) {
    let frame = null;
    Object.defineProperty(tables, name, { enumerable: true, get: () => (frame ??= open()) });
  }
  return tables;
}

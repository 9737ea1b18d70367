// h2o-join.mjs — the join task of the h2o.ai / DuckDB Labs db-benchmark: its five
// questions joining the table x (N rows, default 1e7) with small (N/1e6 rows), medium
// (N/1e3) and big (N) (`ember gen h2o-join`). The SQL is the benchmark's DuckDB solution
// with the columns spelled out instead of `x.*` and USING; the Polars code is its Polars
// solution. Answers are stored and checked by the benchmark's checksums (row count, sum
// of v1, sum of v2).
import { count, pretty, file, csvView, sources, lazyTables } from '../lib/workload.mjs';

export const joinDataset = (rows, tables) => ({
  id: `h2o-join-${pretty(rows)}${tables ? `-${tables.replaceAll(',', '-')}` : ''}`,
  gen: ['h2o-join', '--rows', String(rows), ...(tables ? ['--tables', tables] : [])],
  sources: sources('common', 'h2o'),
});

// The file of each table, as the generator names them.
export function joinFiles(rows, ctx, datasetId) {
  const n = pretty(rows);
  const f = (size) => file(ctx, datasetId, `J1_${n}_${size}_0_0.csv`);
  return {
    x: f('NA'),
    small: f(pretty(Math.max(Math.floor(rows / 1e6), 1))),
    medium: f(pretty(Math.floor(rows / 1e3))),
    big: f(n),
  };
}

const X = 'x.id1, x.id2, x.id3, x.id4, x.id5, x.id6, x.v1';
const CHECK = ['count', 'sum:v1', 'sum:v2'];

export default {
  name: 'h2o-join',
  title: 'db-benchmark join: 5 questions, x of N rows (default 1e7) with small, medium, big, from CSV',
  groups: ['h2o', 'join'],
  order: 30,
  params: (settings) => ({ rows: count(settings.ROWS, 1e7) }),
  datasets: (p) => [joinDataset(p.rows)],
  setup(engine, ctx) {
    const f = joinFiles(ctx.params.rows, ctx, joinDataset(ctx.params.rows).id);
    return Object.entries(f).map(([name, p]) => csvView(name, p)).join('\n');
  },
  polarsTables(pl, ctx) {
    const f = joinFiles(ctx.params.rows, ctx, joinDataset(ctx.params.rows).id);
    return lazyTables(Object.fromEntries(Object.entries(f).map(([name, p]) => [name, () => pl.scanCSV(p)])));
  },
  queries: () => [
    {
      id: 'q1', title: 'small inner on int',
      sql: `SELECT ${X}, small.id4 AS small_id4, small.v2 FROM x JOIN small ON x.id1 = small.id1`,
      check: CHECK,
      polars: ({ x, small }) => x.join(small, { on: 'id1' }),
    },
    {
      id: 'q2', title: 'medium inner on int',
      sql: `SELECT ${X}, medium.id1 AS medium_id1, medium.id4 AS medium_id4, medium.id5 AS medium_id5, medium.v2 FROM x JOIN medium ON x.id2 = medium.id2`,
      check: CHECK,
      polars: ({ x, medium }) => x.join(medium, { on: 'id2' }),
    },
    {
      id: 'q3', title: 'medium outer on int',
      sql: `SELECT ${X}, medium.id1 AS medium_id1, medium.id4 AS medium_id4, medium.id5 AS medium_id5, medium.v2 FROM x LEFT JOIN medium ON x.id2 = medium.id2`,
      check: CHECK,
      polars: ({ x, medium }) => x.join(medium, { on: 'id2', how: 'left' }),
    },
    {
      id: 'q4', title: 'medium inner on factor',
      sql: `SELECT ${X}, medium.id1 AS medium_id1, medium.id2 AS medium_id2, medium.id4 AS medium_id4, medium.v2 FROM x JOIN medium ON x.id5 = medium.id5`,
      check: CHECK,
      polars: ({ x, medium }) => x.join(medium, { on: 'id5' }),
    },
    {
      id: 'q5', title: 'big inner on int',
      sql: `SELECT ${X}, big.id1 AS big_id1, big.id2 AS big_id2, big.id4 AS big_id4, big.id5 AS big_id5, big.id6 AS big_id6, big.v2 FROM x JOIN big ON x.id3 = big.id3`,
      check: CHECK,
      polars: ({ x, big }) => x.join(big, { on: 'id3' }),
    },
  ],
};

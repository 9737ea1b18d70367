// h2o-groupby.mjs — the groupby task of the h2o.ai / DuckDB Labs db-benchmark: its ten
// questions over its table of N rows (default 1e7) and K = 100 groups, 0% NAs
// (`ember gen h2o-groupby`). The SQL is the benchmark's DuckDB solution, the Polars code
// its Polars solution. Each answer is stored and checked by the benchmark's checksums
// (sums of the measures) plus the number of groups.
import { count, pretty, file, csvView, sources } from '../lib/workload.mjs';

export const groupbyDataset = (p) => ({
  id: `h2o-groupby-${pretty(p.rows)}-${pretty(p.groups)}`,
  gen: ['h2o-groupby', '--rows', String(p.rows), '--groups', String(p.groups)],
  sources: sources('common', 'h2o'),
});

export const groupbyFile = (p, ctx) =>
  file(ctx, groupbyDataset(p).id, `G1_${pretty(p.rows)}_${pretty(p.groups)}_0_0.csv`);

export function groupbyParams(settings) {
  return { rows: count(settings.ROWS, 1e7), groups: 100 };
}

const q = (id, title, sql, check, polars, extra = {}) => ({ id, title, sql, check, polars, ...extra });

export default {
  name: 'h2o-groupby',
  title: 'db-benchmark groupby: 10 questions over N rows (default 1e7), K = 100, from CSV',
  groups: ['h2o', 'groupby'],
  order: 20,
  params: groupbyParams,
  datasets: (p) => [groupbyDataset(p)],
  setup: (engine, ctx) => csvView('x', groupbyFile(ctx.params, ctx)),
  polarsTables: (pl, ctx) => ({ x: pl.scanCSV(groupbyFile(ctx.params, ctx)) }),
  queries: () => [
    q('q1', 'sum v1 by id1',
      'SELECT id1, sum(v1) AS v1 FROM x GROUP BY id1',
      ['count', 'sum:v1'],
      ({ x }, pl) => x.groupBy('id1').agg(pl.col('v1').sum())),
    q('q2', 'sum v1 by id1:id2',
      'SELECT id1, id2, sum(v1) AS v1 FROM x GROUP BY id1, id2',
      ['count', 'sum:v1'],
      ({ x }, pl) => x.groupBy(['id1', 'id2']).agg(pl.col('v1').sum())),
    q('q3', 'sum v1 mean v3 by id3',
      'SELECT id3, sum(v1) AS v1, avg(v3) AS v3 FROM x GROUP BY id3',
      ['count', 'sum:v1', 'sum:v3'],
      ({ x }, pl) => x.groupBy('id3').agg(pl.col('v1').sum(), pl.col('v3').mean())),
    q('q4', 'mean v1:v3 by id4',
      'SELECT id4, avg(v1) AS v1, avg(v2) AS v2, avg(v3) AS v3 FROM x GROUP BY id4',
      ['count', 'sum:v1', 'sum:v2', 'sum:v3'],
      ({ x }, pl) => x.groupBy('id4').agg(pl.col('v1').mean(), pl.col('v2').mean(), pl.col('v3').mean())),
    q('q5', 'sum v1:v3 by id6',
      'SELECT id6, sum(v1) AS v1, sum(v2) AS v2, sum(v3) AS v3 FROM x GROUP BY id6',
      ['count', 'sum:v1', 'sum:v2', 'sum:v3'],
      ({ x }, pl) => x.groupBy('id6').agg(pl.col('v1').sum(), pl.col('v2').sum(), pl.col('v3').sum())),
    q('q6', 'median v3 sd v3 by id4 id5',
      'SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5',
      ['count', 'sum:median_v3', 'sum:sd_v3'],
      ({ x }, pl) => x.groupBy(['id4', 'id5']).agg(pl.col('v3').median().alias('median_v3'),
                                                    pl.col('v3').std().alias('sd_v3')),
      {
        // The same aggregates under the other names SQL dialects give them.
        ember: [
          'SELECT id4, id5, median(v3) AS median_v3, stddev(v3) AS sd_v3 FROM x GROUP BY id4, id5',
          'SELECT id4, id5, percentile_cont(0.5) WITHIN GROUP (ORDER BY v3) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5',
          'SELECT id4, id5, percentile(v3, 0.5) AS median_v3, stddev_samp(v3) AS sd_v3 FROM x GROUP BY id4, id5',
        ],
      }),
    q('q7', 'max v1 - min v2 by id3',
      'SELECT id3, max(v1) - min(v2) AS range_v1_v2 FROM x GROUP BY id3',
      ['count', 'sum:range_v1_v2'],
      ({ x }, pl) => x.groupBy('id3').agg(pl.col('v1').max().minus(pl.col('v2').min()).alias('range_v1_v2'))),
    q('q8', 'largest two v3 by id6',
      'SELECT id6, v3 AS largest2_v3 FROM (SELECT id6, v3, row_number() OVER (PARTITION BY id6 ORDER BY v3 DESC) AS order_v3 FROM x WHERE v3 IS NOT NULL) sub_query WHERE order_v3 <= 2',
      ['count', 'sum:largest2_v3'],
      ({ x }, pl) => x.dropNulls('v3').groupBy('id6')
        .agg(pl.col('v3').sort({ descending: true }).head(2).alias('largest2_v3')).explode('largest2_v3')),
    q('q9', 'regression v1 v2 by id2 id4',
      'SELECT id2, id4, pow(corr(v1, v2), 2) AS r2 FROM x GROUP BY id2, id4',
      ['count', 'sum:r2'],
      ({ x }, pl) => x.groupBy(['id2', 'id4']).agg(pl.pearsonCorr('v1', 'v2').pow(2).alias('r2'))),
    q('q10', 'sum v3 count by id1:id6',
      'SELECT id1, id2, id3, id4, id5, id6, sum(v3) AS v3, count(*) AS count FROM x GROUP BY id1, id2, id3, id4, id5, id6',
      ['count', 'sum:v3', 'sum:count'],
      ({ x }, pl) => x.groupBy(['id1', 'id2', 'id3', 'id4', 'id5', 'id6'])
        .agg(pl.col('v3').sum(), pl.len().alias('count'))),
  ],
};

// shuffle.mjs — a shuffle-heavy aggregation: GROUP BY id3, id4 over the db-benchmark's
// groupby table (N rows, default 1e7; about 0.63 N groups of N/100 × 100 possible), so
// that the partial aggregation on the map side hardly reduces anything and nearly every
// row crosses the exchange, into ember.sql.shuffle.partitions = 200 partitions.
import { groupbyDataset, groupbyFile, groupbyParams } from './h2o-groupby.mjs';
import { csvView } from '../lib/workload.mjs';

export default {
  name: 'shuffle',
  title: 'shuffle-heavy aggregation: ~0.63 N groups, 200 shuffle partitions, from CSV',
  groups: ['shuffle'],
  order: 40,
  params: groupbyParams,
  datasets: (p) => [groupbyDataset(p)],
  setup: (engine, ctx) => csvView('x', groupbyFile(ctx.params, ctx)),
  polarsTables: (pl, ctx) => ({ x: pl.scanCSV(groupbyFile(ctx.params, ctx)) }),
  emberConf: { 'ember.sql.shuffle.partitions': 200 },
  queries: () => [{
    id: 'id3-id4', title: 'count, sum v3 by id3, id4',
    sql: 'SELECT id3, id4, count(*) AS n, sum(v3) AS v3 FROM x GROUP BY id3, id4',
    check: ['count', 'sum:n', 'sum:v3', 'min:id3', 'max:id3'],
    polars: ({ x }, pl) => x.groupBy(['id3', 'id4']).agg(pl.len().alias('n'), pl.col('v3').sum()),
  }],
};

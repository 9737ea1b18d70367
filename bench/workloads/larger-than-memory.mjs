// larger-than-memory.mjs — a join and an aggregation over about 5 GiB of CSV with
// ember.executor.memory=1g: the db-benchmark's join tables x and big at N = 5e7 rows
// (LTM_ROWS), joined on id3 (a key unique in big) and aggregated by id5 (5e4 groups).
// The build side alone is larger than the budget, so ember has to spill to finish.
// DuckDB gets the same budget (memory_limit = 1GB; it spills to disk too); Polars has no
// memory limit and runs its streaming engine. What each peer does is reported as is,
// with its peak resident memory.
import { count } from '../lib/workload.mjs';
import { joinDataset, joinFiles } from './h2o-join.mjs';
import { csvView } from '../lib/workload.mjs';

const TABLES = 'x,big';
const files = (ctx) => joinFiles(ctx.params.rows, ctx, joinDataset(ctx.params.rows, TABLES).id);

export default {
  name: 'larger-than-memory',
  title: 'join + aggregation over ~5 GiB of CSV with ember.executor.memory=1g',
  groups: ['ltm', 'memory'],
  order: 70,
  params: (settings) => ({ rows: count(settings.LTM_ROWS, 5e7) }),
  datasets: (p) => [joinDataset(p.rows, TABLES)],
  setup(engine, ctx) {
    const f = files(ctx);
    return [csvView('x', f.x), csvView('big', f.big)].join('\n');
  },
  polarsTables(pl, ctx) {
    const f = files(ctx);
    return { x: pl.scanCSV(f.x), big: pl.scanCSV(f.big) };
  },
  emberConf: { 'ember.executor.memory': '1g' },
  duckdbConfig: { memory_limit: '1GB' },
  polarsCollect: { streaming: true },
  showPeerRss: true,
  // One run each by default: a run takes minutes.
  runs: (runs) => Math.min(runs, 1),
  timeout: 1800,
  queries: () => [{
    id: 'join-agg', title: 'x JOIN big ON id3, GROUP BY id5',
    sql: 'SELECT x.id5, count(*) AS n, sum(x.v1) AS v1, sum(big.v2) AS v2 FROM x JOIN big ON x.id3 = big.id3 GROUP BY x.id5',
    check: ['count', 'sum:n', 'sum:v1', 'sum:v2'],
    polars: ({ x, big }, pl) => x.join(big, { on: 'id3' }).groupBy('id5')
      .agg(pl.len().alias('n'), pl.col('v1').sum(), pl.col('v2').sum()),
  }],
};

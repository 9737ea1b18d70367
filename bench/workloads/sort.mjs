// sort.mjs — sorting N random BIGINTs (default 1e8, `ember gen sort`: uniform over the
// whole signed 64-bit range, read from CSV). The sorted answer is stored, and checked by
// its row count, minimum, maximum and sum (as DOUBLE): a lost, duplicated or altered row
// shows; the order itself is not checked.
import { count, pretty, file, csvView, sources } from '../lib/workload.mjs';

const dataset = (p) => ({
  id: `sort-${pretty(p.rows)}`,
  gen: ['sort', '--rows', String(p.rows)],
  sources: sources('common', 'sort'),
});
const input = (ctx) => file(ctx, dataset(ctx.params).id, 'sort.csv');

export default {
  name: 'sort',
  title: 'sort N random BIGINTs (default 1e8), from CSV',
  groups: ['sort'],
  order: 50,
  params: (settings) => ({ rows: count(settings.ROWS, 1e8) }),
  datasets: (p) => [dataset(p)],
  setup: (engine, ctx) => csvView('t', input(ctx)),
  polarsTables: (pl, ctx) => ({ t: pl.scanCSV(input(ctx)) }),
  timeout: 1200,
  queries: () => [{
    id: 'order-by', title: 'SELECT x ORDER BY x',
    sql: 'SELECT x FROM t ORDER BY x',
    check: ['count', 'min:x', 'max:x', 'fsum:x'],
    polars: ({ t }) => t.sort('x'),
  }],
};

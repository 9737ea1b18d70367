// wordcount.mjs — word count over generated text (`ember gen words`: about 1 GiB by
// default, lowercase words with Zipf-distributed frequencies), in SQL: the RDD API will
// take over when it exists.
//   wordcount        text.txt, 4-16 words per line: split each line into words, count
//                    them. ember and DuckDB run the same SQL, DuckDB's
//                    unnest(string_split(line, ' ')); ember also accepts Spark's and
//                    PostgreSQL's spellings (tests/sql/unnest/).
//   wordcount-lines  one_word_per_line.txt, the same kind of text with one word per
//                    line: a plain GROUP BY, which isolates the counting from the split.
// Answers are stored and checked by the number of distinct words, the total, the
// largest count and the first and last word.
import { file, sqlString, sources } from '../lib/workload.mjs';

function size(v) {
  if (v === undefined || v === '') return 1 << 30;
  const m = /^(\d+)([kmg]?)$/i.exec(String(v));
  if (!m) throw new Error(`TEXT_BYTES: not a size (like 1g or 200m): ${v}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2].toLowerCase()];
}

const label = (b) => (b % (1 << 30) === 0 ? `${b / (1 << 30)}g` : b % (1 << 20) === 0 ? `${b / (1 << 20)}m`
  : b % 1024 === 0 ? `${b / 1024}k` : String(b));
const dataset = (p, onePerLine) => ({
  id: `words-${label(p.bytes)}${onePerLine ? '-one-per-line' : ''}`,
  gen: ['words', '--bytes', String(p.bytes), ...(onePerLine ? ['--one-per-line'] : [])],
  sources: sources('common', 'words'),
});

// One text column per line: the text has no commas or quotes, so the default CSV
// dialect reads each line whole.
function view(engine, name, column, path_) {
  const opts = engine === 'duckdb'
    ? `header = false, delim = ',', columns = {'${column}': 'VARCHAR'}`
    : `header = false, schema = '${column} VARCHAR'`;
  return `CREATE VIEW ${name} AS SELECT * FROM read_csv(${sqlString(path_)}, ${opts});`;
}
const polarsText = (pl, path_, column) =>
  pl.scanCSV(path_, { hasHeader: false, sep: ',', schema: { [column]: pl.Utf8 } });

const params = (settings) => ({ bytes: size(settings.TEXT_BYTES) });
const CHECK = ['count', 'sum:n', 'max:n', 'min:word', 'max:word'];
const split = (words) => `SELECT word, count(*) AS n FROM (SELECT ${words} AS word FROM lines) words GROUP BY word`;

export default [
  {
    name: 'wordcount',
    title: 'word count over ~1 GiB of text (4-16 words per line): split, GROUP BY word',
    groups: ['wordcount', 'words'],
    order: 60,
    params,
    datasets: (p) => [dataset(p, false)],
    setup: (engine, ctx) => view(engine, 'lines', 'line', file(ctx, dataset(ctx.params, false).id, 'text.txt')),
    polarsTables: (pl, ctx) => ({ lines: polarsText(pl, file(ctx, dataset(ctx.params, false).id, 'text.txt'), 'line') }),
    queries: () => [{
      id: 'split-count', title: 'count words',
      sql: split("unnest(string_split(line, ' '))"),
      check: CHECK,
      polars: ({ lines }, pl) => lines.select(pl.col('line').str.split(' ').explode().alias('word'))
        .groupBy('word').agg(pl.len().alias('n')),
    }],
  },
  {
    name: 'wordcount-lines',
    title: 'word count over ~1 GiB of text, one word per line (no splitting): GROUP BY word',
    groups: ['wordcount', 'words'],
    order: 61,
    params,
    datasets: (p) => [dataset(p, true)],
    setup: (engine, ctx) => view(engine, 'words', 'word', file(ctx, dataset(ctx.params, true).id, 'one_word_per_line.txt')),
    polarsTables: (pl, ctx) => ({ words: polarsText(pl, file(ctx, dataset(ctx.params, true).id, 'one_word_per_line.txt'), 'word') }),
    queries: () => [{
      id: 'count', title: 'count words',
      sql: 'SELECT word, count(*) AS n FROM words GROUP BY word',
      check: CHECK,
      polars: ({ words }, pl) => words.groupBy('word').agg(pl.len().alias('n')),
    }],
  },
];

// common.mjs — what the runner (run.mjs) and the peer processes (peer.mjs) share: the
// repository's paths, the SQL script a query becomes, answer checks expressed for SQL
// and for Polars, and the comparison of answers (as multisets, numbers with a tolerance).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const BENCH = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const ROOT = path.dirname(BENCH);

// The table a checked query's answer is stored in before its checksum is taken.
export const ANSWER_TABLE = 'bench_answer';

// ---- answer checks -----------------------------------------------------------------
// A query with many result rows is not printed: its answer is stored (CREATE TABLE ... AS)
// and a one-row checksum over it is compared, the way the db-benchmark checks answers.
// A check is a list of 'count', 'sum:col', 'min:col', 'max:col' or 'fsum:col' (the sum
// of the column cast to DOUBLE, for integers whose exact sum would overflow BIGINT).

function checkParts(check) {
  return check.map((item) => {
    const [fn, col] = item.split(':');
    if (fn === 'count' && col === undefined) return { fn, col };
    if (['sum', 'min', 'max', 'fsum'].includes(fn) && col) return { fn, col };
    throw new Error(`bad check item '${item}'`);
  });
}

export function checkSql(check) {
  const items = checkParts(check).map(({ fn, col }, i) => {
    const expr = fn === 'count' ? 'count(*)'
      : fn === 'fsum' ? `sum(CAST(${col} AS DOUBLE))` : `${fn}(${col})`;
    return `${expr} AS c${i}`;
  });
  return `SELECT ${items.join(', ')} FROM ${ANSWER_TABLE}`;
}

export function checkPolars(pl, check) {
  return checkParts(check).map(({ fn, col }, i) => {
    const e = fn === 'count' ? pl.len()
      : fn === 'fsum' ? pl.col(col).cast(pl.Float64).sum()
      : fn === 'sum' ? pl.col(col).sum() : fn === 'min' ? pl.col(col).min() : pl.col(col).max();
    return e.alias(`c${i}`);
  });
}

// ---- SQL scripts ---------------------------------------------------------------------

// Statements separated by ';' at the end of a line (the convention of duck.mjs).
export function splitStatements(sql) {
  return sql.split(/;\s*(?:\n|$)/).map((s) => s.trim()).filter((s) => s.length);
}

// The SQL text of a query for an engine: the engine's own text when the query has one,
// otherwise the shared text. An array lists alternatives (the first one that works is
// used). null means the engine has no text for the query.
export function querySql(query, engine) {
  const own = query[engine];
  if (own !== undefined && typeof own !== 'function') return own;
  return query.sql ?? null;
}

// The statements an engine runs for one measurement: the workload's setup (views over
// the data files), then the query, either as it is or stored and check-summed.
export function script(setupSql, querySqlText, check) {
  const body = splitStatements(querySqlText);
  // Only the views the query names: creating a view over a file costs DuckDB a look at
  // the file (it binds at creation), which a query that never reads it should not pay.
  const words = new Set(body.join(' ').toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
  const stmts = splitStatements(setupSql ?? '').filter((s) => {
    const m = /^create\s+(?:or\s+replace\s+)?view\s+([a-z_][a-z0-9_]*)/i.exec(s);
    return !m || words.has(m[1].toLowerCase());
  });
  if (check) {
    const last = body.pop();
    stmts.push(...body, `CREATE TABLE ${ANSWER_TABLE} AS ${last}`, checkSql(check));
  } else {
    stmts.push(...body);
  }
  return stmts;
}

// ---- answers -----------------------------------------------------------------------

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

// One value in a form every engine's output reduces to: null, a number, or a string.
// Numeric text becomes a number so that DECIMAL printed by one engine and DOUBLE by
// another compare by value.
export function canon(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) {
    const d = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    const t = v.getUTCHours() * 3600 + v.getUTCMinutes() * 60 + v.getUTCSeconds();
    return t === 0 && v.getUTCMilliseconds() === 0 ? d
      : `${d} ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}:${pad(v.getUTCSeconds())}`;
  }
  const s = typeof v === 'object' ? v.toString() : String(v);
  return NUMBER.test(s) ? Number(s) : s;
}

// ember's --format csv output: a header line, then rows; an unquoted empty field is NULL.
export function parseEmberCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false, inQuotes = false, i = 0;
  const endField = () => {
    row.push(!quoted && field === '' ? null : field);
    field = '';
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { inQuotes = false; i++; continue; }
      field += c;
      i++;
      continue;
    }
    if (c === '"') { inQuotes = true; quoted = true; i++; continue; }
    if (c === ',') { endField(); i++; continue; }
    if (c === '\n' || c === '\r') {
      endField();
      rows.push(row);
      row = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c;
    i++;
  }
  if (field !== '' || quoted || row.length) { endField(); rows.push(row); }
  if (rows.length === 0) return { columns: [], rows: [] };
  return { columns: rows[0], rows: rows.slice(1) };
}

export function sameValue(a, b, tol) {
  if (a === null || b === null) return a === b;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    const d = Math.abs(a - b);
    return d <= tol.abs || d <= tol.rel * Math.max(Math.abs(a), Math.abs(b));
  }
  return String(a) === String(b);
}

function rowKey(row) {
  return JSON.stringify(row.map((v) => (typeof v === 'number' ? +v.toPrecision(6) : v)));
}

const DEFAULT_TOLERANCE = { rel: 1e-6, abs: 1e-6 };

// Compare two answers as multisets of rows. Returns null when they agree, otherwise a
// short description of the first difference.
export function compareAnswers(mine, theirs, tolerance = DEFAULT_TOLERANCE) {
  const a = mine.map((r) => r.map(canon));
  const b = theirs.map((r) => r.map(canon));
  if (a.length !== b.length) {
    return `${a.length} rows instead of ${b.length}`;
  }
  const width = (r) => (r ? r.length : 0);
  if (a.length && width(a[0]) !== width(b[0])) {
    return `${width(a[0])} columns instead of ${width(b[0])}`;
  }
  const sortRows = (rows) => rows.map((r) => [rowKey(r), r])
    .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)).map((x) => x[1]);
  const sa = sortRows(a), sb = sortRows(b);
  let first = -1;
  for (let i = 0; i < sa.length && first < 0; i++) {
    if (!sa[i].every((v, j) => sameValue(v, sb[i][j], tolerance))) first = i;
  }
  if (first < 0) return null;
  // Rounded sort keys can order nearly equal rows differently on the two sides: match
  // the rows greedily before calling the answers different (small answers only).
  if (sa.length <= 5000) {
    const used = new Array(sb.length).fill(false);
    let unmatched = null;
    for (const r of sa) {
      const j = sb.findIndex((s, k) => !used[k] && r.every((v, c) => sameValue(v, s[c], tolerance)));
      if (j < 0) { unmatched = r; break; }
      used[j] = true;
    }
    if (unmatched === null) return null;
    const near = sb.find((s, k) => !used[k]);
    return `row ${JSON.stringify(unmatched)} has no match (e.g. ${JSON.stringify(near)})`;
  }
  return `first difference: ${JSON.stringify(sa[first])} vs ${JSON.stringify(sb[first])}`;
}

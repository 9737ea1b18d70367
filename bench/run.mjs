// run.mjs — ember's benchmark runner (`make bench`).
//
// For every selected workload (bench/workloads/*.mjs): generate its data once with
// ember's own generators (cached under bench/data/, keyed by the generator's version,
// its sources and its parameters), then run each query on ember and on each peer that
// can run it (DuckDB, Polars), alternating engines, RUNS times each, every engine held
// to THREADS threads. An engine's time counts only when its answer matches DuckDB's.
// Prints a table and appends its rows to bench/results/<date>.csv.
//
// Settings (environment variables, or --name=value arguments):
//   BENCH    workloads or groups to run, comma-separated (default: all); see --list
//   SF       TPC-H scale factor (default 1)
//   ROWS     rows of the h2o, shuffle and sort data sets (defaults: 1e7, 1e7, 1e8)
//   TEXT_BYTES  size of the word-count text (default 1g)
//   LTM_ROWS rows of each larger-than-memory table (default 5e7)
//   RUNS     measured runs per engine and query (default 3)
//   THREADS  threads of every engine (default: the number of CPUs)
//   ENGINES  engines to run (default ember,duckdb,polars)
//   TIMEOUT  seconds before a run is stopped (default 600; some workloads allow more)
//   RELATIVE_TIMEOUT  once DuckDB's time t is known, other engines stop after
//            max(60 s, RELATIVE_TIMEOUT × t) (default 20)
//   BUDGET   seconds one query may take over all its runs on all engines (default 90):
//            after the first round, another round of runs starts only while the query's
//            total so far plus one more round stays within it (at least one run each)
//   EMBER    the ember binary (default build/ember)
//   GENERATE_ONLY  1: generate the selected workloads' data sets and stop (no queries)
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, openSync, closeSync,
  appendFileSync, mkdtempSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH, ROOT, script, querySql, parseEmberCsv, compareAnswers } from './lib/common.mjs';

// ---- settings --------------------------------------------------------------------

const settings = { ...process.env };
for (const a of process.argv.slice(2)) {
  const m = /^--([A-Za-z_]+)=(.*)$/.exec(a);
  if (m) settings[m[1].toUpperCase()] = m[2];
  else if (a === '--list') settings.LIST = '1';
  else if (a === '--generate-only') settings.GENERATE_ONLY = '1';
  else { console.error(`run.mjs: unknown argument '${a}'`); process.exit(2); }
}
function num(v, d) {
  if (v === undefined || v === '') return d;
  const n = Number(v);
  if (!(n > 0)) { console.error(`run.mjs: expected a positive number, got '${v}'`); process.exit(2); }
  return n;
}
const RUNS = Math.max(1, num(settings.RUNS, 3));
const THREADS = Math.max(1, num(settings.THREADS, os.availableParallelism?.() ?? os.cpus().length));
const TIMEOUT = num(settings.TIMEOUT, 600);
const BUDGET = num(settings.BUDGET, 90);
const RELATIVE_TIMEOUT = num(settings.RELATIVE_TIMEOUT, 20);
const ENGINES = (settings.ENGINES || 'ember,duckdb,polars').split(',').map((s) => s.trim()).filter(Boolean);
const EMBER = path.resolve(ROOT, settings.EMBER || 'build/ember');
const DATA = path.join(BENCH, 'data');
const PEERS = ['duckdb', 'polars'];
const GENERATE_ONLY = !['', '0', undefined].includes(settings.GENERATE_ONLY);

// ---- workloads -------------------------------------------------------------------

const workloads = [];
for (const f of readdirSync(path.join(BENCH, 'workloads')).filter((f) => f.endsWith('.mjs')).sort()) {
  const mod = (await import(path.join(BENCH, 'workloads', f))).default;
  for (const w of Array.isArray(mod) ? mod : [mod]) {
    if (w && w.name) workloads.push(Object.assign(w, { file: f.replace(/\.mjs$/, '') }));
  }
}
workloads.sort((a, b) => (a.order ?? 50) - (b.order ?? 50));

if (settings.LIST) {
  for (const w of workloads) console.log(`${w.name.padEnd(22)} ${(w.groups ?? []).join(',').padEnd(24)} ${w.title}`);
  process.exit(0);
}

const wanted = (settings.BENCH || '').split(',').map((s) => s.trim()).filter(Boolean);
const selects = (s, w) => s === 'all' || w.name === s || (w.groups ?? []).includes(s);
for (const s of wanted) {
  if (!workloads.some((w) => selects(s, w))) {
    console.error(`run.mjs: BENCH=${s} selects no workload (node bench/run.mjs --list shows them)`);
    process.exit(2);
  }
}
const selected = workloads.filter((w) => !wanted.length || wanted.some((s) => selects(s, w)));
for (const e of ENGINES) {
  if (!['ember', 'duckdb', 'polars'].includes(e)) {
    console.error(`run.mjs: unknown engine '${e}' (ember, duckdb, polars)`);
    process.exit(2);
  }
}
// A peer that is not installed is said so once, not as an error on every query.
const PEER_PACKAGES = { duckdb: '@duckdb/node-api', polars: 'nodejs-polars' };
for (const [e, pkg] of Object.entries(PEER_PACKAGES)) {
  if (ENGINES.includes(e) && !existsSync(path.join(BENCH, 'node_modules', pkg, 'package.json'))) {
    console.error(`run.mjs: ${pkg} is not installed in bench/node_modules (cd bench && npm install); running without ${e}`);
    ENGINES.splice(ENGINES.indexOf(e), 1);
  }
}
if (!existsSync(EMBER)) {
  console.error(`run.mjs: no ember binary at ${EMBER} (make build)`);
  process.exit(2);
}
const TMP = mkdtempSync(path.join(os.tmpdir(), 'ember-bench-'));

// Measured processes run in process groups of their own (so that a timeout can stop a
// process and its children): an interrupted runner takes the running one down with it.
let running = null;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (running) { try { process.kill(-running, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(TMP, { recursive: true, force: true });
    process.exit(130);
  });
}

// ---- helpers ---------------------------------------------------------------------

function sha(text) {
  return createHash('sha256').update(text).digest('hex');
}

function hashSources(patterns) {
  const h = createHash('sha256');
  for (const p of patterns) {
    const dir = path.join(ROOT, path.dirname(p));
    const re = new RegExp(`^${path.basename(p).replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((n) => re.test(n)).sort()) {
      h.update(f);
      h.update(readFileSync(path.join(dir, f)));
    }
  }
  return h.digest('hex').slice(0, 16);
}

function sqlString(s) {
  return `'${s.replaceAll("'", "''")}'`;
}

function fmtTime(s) {
  return s >= 100 ? `${s.toFixed(0)} s` : s >= 10 ? `${s.toFixed(1)} s` : s >= 0.1 ? `${s.toFixed(2)} s`
    : `${(s * 1000).toFixed(1)} ms`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function oneLine(s, max = 160) {
  const t = String(s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

// Run a command with a time limit, its own process group (killed as a whole on timeout),
// stdout to a file, peak RSS from /usr/bin/time. Resolves to
// { code, signal, timedOut, seconds, rssKb, stderr }.
function runTimed(cmd, args, { env, stdoutFile, timeout }) {
  return new Promise((resolve) => {
    const timeFile = path.join(TMP, 'time.txt');
    rmSync(timeFile, { force: true });
    const useTime = existsSync('/usr/bin/time');
    const argv = useTime ? ['-f', '%M', '-o', timeFile, cmd, ...args] : args;
    const out = openSync(stdoutFile, 'w');
    const t0 = process.hrtime.bigint();
    const child = spawn(useTime ? '/usr/bin/time' : cmd, argv, {
      env: env ?? process.env, stdio: ['ignore', out, 'pipe'], detached: true,
    });
    running = child.pid;
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 65536) stderr += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeout * 1000);
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      running = null;
      clearTimeout(timer);
      closeSync(out);
      let rssKb = null, sig = signal;
      if (useTime && existsSync(timeFile)) {
        const t = readFileSync(timeFile, 'utf8');
        const m = /(\d+)\s*$/.exec(t.trim());
        if (m) rssKb = Number(m[1]);
        // /usr/bin/time reports a child killed by a signal in its own output.
        const s = /terminated by signal (\d+)/.exec(t);
        if (s) sig = os.constants.signals && Object.keys(os.constants.signals)
          .find((k) => os.constants.signals[k] === Number(s[1])) || `signal ${s[1]}`;
      }
      // GNU time exits with the child's status; "Command exited with non-zero status"
      // lines go to the -o file, not to stderr.
      resolve({ code, signal: sig, timedOut, seconds, rssKb, stderr });
    });
  });
}

// What a failed run means, in a few words.
function classify(r, errorText) {
  if (r.timedOut) return { status: 'timeout', detail: `stopped after ${Math.round(r.limit ?? TIMEOUT)} s` };
  if (r.signal) {
    const why = r.signal === 'SIGKILL' ? 'killed (SIGKILL: out of memory?)' : `crashed (${r.signal})`;
    return { status: 'crashed', detail: why };
  }
  const msg = oneLine(errorText || `exit status ${r.code}`);
  const unsupported = /does not exist|not (yet )?supported|cannot .* yet|unsupported|not implemented|syntax error|unknown (function|option|table|format|data set)|no function|cannot be used|is not a known|only .* supported/i;
  if (unsupported.test(msg)) return { status: 'unsupported', detail: msg };
  return { status: 'error', detail: msg };
}

function emberError(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /^(Error|ember):/.test(l)) ?? lines[0] ?? '';
  return err.replace(/^Error:\s*/, '');
}

// ---- data sets -------------------------------------------------------------------

let generatorVersions = new Map();
function generatorVersion(gen) {
  if (!generatorVersions.has(gen)) {
    let v = '';
    try { v = execFileSync(EMBER, ['gen', gen, '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { v = ''; }
    generatorVersions.set(gen, v);
  }
  return generatorVersions.get(gen);
}

// Make sure a data set exists; returns { dir } or { error }.
const datasetState = new Map();
async function ensureDataset(ds) {
  if (datasetState.has(ds.id)) return datasetState.get(ds.id);
  const dir = path.join(DATA, ds.id);
  const stamp = JSON.stringify({ gen: ds.gen, version: generatorVersion(ds.gen[0]),
                                 sources: hashSources(ds.sources ?? []) });
  const stampFile = path.join(dir, '.stamp');
  let state;
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    state = { dir };
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`  generating ${ds.id}: ember gen ${ds.gen.join(' ')} ... `);
    const log = path.join(TMP, 'gen.out');
    const r = await runTimed(EMBER, ['gen', ...ds.gen, '--out', dir], { stdoutFile: log, timeout: 3600 });
    if (r.code === 0 && !r.signal) {
      writeFileSync(stampFile, stamp);
      console.log(`${fmtTime(r.seconds)}`);
      state = { dir };
    } else {
      const c = classify(r, emberError(r.stderr));
      console.log(`failed: ${c.detail}`);
      rmSync(dir, { recursive: true, force: true });
      state = { error: { status: c.status, detail: `ember gen ${ds.gen[0]}: ${c.detail}` } };
    }
  }
  datasetState.set(ds.id, state);
  return state;
}

// ---- one measurement per engine --------------------------------------------------

async function runEmber(w, q, ctx, sqlText, limit) {
  const file = path.join(TMP, 'query.sql');
  const stmts = script(w.setup('ember', ctx), sqlText, q.check);
  writeFileSync(file, stmts.map((s) => `${s};\n`).join(''));
  const conf = { ...(w.emberConf ?? {}), ...(q.conf ?? {}) };
  // An inline query runs the way a user types it: ember sql -e '...'.
  const input = q.inline ? ['-e', stmts.join('; ')] : ['-f', file];
  const args = ['sql', '--master', `local[${THREADS}]`, '--format', 'csv',
                ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]), ...input];
  const out = path.join(TMP, 'ember.out');
  const r = await runTimed(EMBER, args, { stdoutFile: out, timeout: limit });
  r.limit = limit;
  if (r.code !== 0 || r.signal || r.timedOut) return { ok: false, ...classify(r, emberError(r.stderr)) };
  const parsed = parseEmberCsv(readFileSync(out, 'utf8'));
  return { ok: true, seconds: r.seconds, rssKb: r.rssKb, rows: parsed.rows };
}

async function runPeer(engine, w, q, ctx, limit) {
  const jobFile = path.join(TMP, 'job.json');
  const outFile = path.join(TMP, 'peer.json');
  rmSync(outFile, { force: true });
  const spill = path.join(TMP, 'spill');
  mkdirSync(spill, { recursive: true });
  writeFileSync(jobFile, JSON.stringify({
    engine, file: w.file, workload: w.name, params: ctx.params, query: q.id, threads: THREADS, data: ctx.data,
    out: outFile, tmp: spill,
  }));
  const env = { ...process.env, POLARS_MAX_THREADS: String(THREADS) };
  const r = await runTimed(process.execPath, [path.join(BENCH, 'lib', 'peer.mjs'), jobFile],
                           { env, stdoutFile: path.join(TMP, 'peer.out'), timeout: limit });
  r.limit = limit;
  rmSync(spill, { recursive: true, force: true });
  let res = null;
  if (existsSync(outFile)) { try { res = JSON.parse(readFileSync(outFile, 'utf8')); } catch { res = null; } }
  if (r.timedOut || r.signal || !res) return { ok: false, ...classify(r, res?.error ?? oneLine(r.stderr)) };
  if (!res.ok) {
    const c = classify({ code: 1 }, res.error);
    return { ok: false, status: c.status === 'unsupported' ? 'unsupported' : 'error', detail: c.detail };
  }
  return { ok: true, seconds: res.seconds, rssKb: r.rssKb, rows: res.rows };
}

// ---- one query on every engine ---------------------------------------------------

function enginesFor(q) {
  return ENGINES.filter((e) => {
    if (e === 'ember') return querySql(q, 'ember') !== null;
    if (e === 'duckdb') return querySql(q, 'duckdb') !== null;
    if (e === 'polars') return typeof q.polars === 'function';
    return false;
  });
}

async function measureQuery(w, q, ctx, runs, limit) {
  const engines = enginesFor(q);
  const st = Object.fromEntries(ENGINES.map((e) => [e, engines.includes(e)
    ? { status: 'ok', times: [], rss: [], detail: '' } : { status: 'n/a', times: [], rss: [], detail: '' }]));
  if (ctx.error) {
    for (const e of engines) Object.assign(st[e], { status: ctx.error.status === 'unsupported' && e === 'ember' ? 'unsupported' : 'no data', detail: ctx.error.detail });
    return st;
  }
  // The reference answer: DuckDB's, or the query's own expected rows.
  let reference = q.expect ? { rows: q.expect, from: 'expected' } : null;
  // ember's text may list alternatives (e.g. the ways of splitting a string): the first
  // that ember accepts is used for every run.
  let emberSql = querySql(q, 'ember');
  let alternatives = Array.isArray(emberSql) ? [...emberSql] : [emberSql];
  // DuckDB runs first so that every other engine's first answer can be checked at once.
  const base = [...engines].sort((a, b) => (a === 'duckdb' ? -1 : b === 'duckdb' ? 1 : 0));
  const t0 = process.hrtime.bigint();
  for (let run = 0; run < runs; run++) {
    // A long query gets fewer rounds: the next one starts only if it fits the budget.
    const spent = Number(process.hrtime.bigint() - t0) / 1e9;
    if (run > 0 && spent + spent / run > BUDGET) break;
    const order = base.map((_, i) => base[(i + run) % base.length]);
    for (const e of order) {
      const s = st[e];
      if (s.status !== 'ok') continue;
      let r;
      // Once DuckDB's time is known, another engine gets at most RELATIVE_TIMEOUT times
      // as long (but at least a minute): one pathological plan must not eat the run.
      const ref = st.duckdb?.times?.length ? median(st.duckdb.times) : null;
      const runLimit = e !== 'duckdb' && ref !== null
        ? Math.min(limit, Math.max(60, RELATIVE_TIMEOUT * ref)) : limit;
      if (e === 'ember') {
        const failures = [];
        for (;;) {
          r = await runEmber(w, q, ctx, alternatives[0], runLimit);
          if (r.ok || run > 0 || r.status !== 'unsupported' || alternatives.length === 1) break;
          failures.push(r);
          alternatives.shift();
        }
        // Every spelling unsupported: report the preferred one's error.
        if (!r.ok && r.status === 'unsupported' && failures.length) {
          r = { ...failures[0], detail: `${failures[0].detail} (${failures.length} other spelling${failures.length > 1 ? 's' : ''} also unsupported)` };
        }
      } else {
        r = await runPeer(e, w, q, ctx, runLimit);
      }
      if (!r.ok) { Object.assign(s, { status: r.status, detail: r.detail }); continue; }
      if (e === 'duckdb' && !reference) reference = { rows: r.rows, from: 'duckdb' };
      if (reference && !(e === 'duckdb' && reference.from === 'duckdb')) {
        const diff = compareAnswers(r.rows, reference.rows, w.tolerance);
        if (diff) { Object.assign(s, { status: 'wrong', detail: oneLine(diff, 300) }); continue; }
      } else if (!reference && e !== 'duckdb') {
        s.unchecked = true;
      }
      s.times.push(r.seconds);
      if (r.rssKb) s.rss.push(r.rssKb);
    }
  }
  return st;
}

// ---- output ----------------------------------------------------------------------

const COLS = ['workload', 'query', ...ENGINES, ...ENGINES.filter((e) => e !== 'ember').map((e) => `ember/${e}`), 'ember RSS', 'notes'];
const tableRows = [];

function cell(s) {
  if (s.status === 'ok') return `${fmtTime(median(s.times))}${s.unchecked ? ' ?' : ''}`;
  if (s.status === 'n/a') return '—';
  return s.status === 'wrong' ? 'WRONG' : s.status;
}

function rowFor(w, q, st) {
  const row = { workload: w.name, query: q.id, title: q.title ?? '' };
  for (const e of ENGINES) row[e] = cell(st[e]);
  for (const e of ENGINES.filter((x) => x !== 'ember')) {
    row[`ember/${e}`] = st.ember?.status === 'ok' && st[e].status === 'ok'
      ? (median(st.ember.times) / median(st[e].times)).toFixed(2) : '—';
  }
  const rss = st.ember?.rss?.length ? Math.max(...st.ember.rss) : null;
  row['ember RSS'] = rss ? `${Math.round(rss / 1024)} MB` : '—';
  // Engines failing for the same reason share one note: "duckdb, polars no data: ...".
  const byDetail = new Map();
  for (const e of ENGINES) {
    const s = st[e];
    let label = null;
    if (s.status !== 'ok' && s.status !== 'n/a' && s.detail) label = `${e} ${s.status === 'wrong' ? 'wrong answer' : s.status}`;
    else if (s.unchecked) label = `${e} unchecked`;
    if (!label) continue;
    const key = s.unchecked ? 'no reference answer (DuckDB did not run)' : s.detail;
    byDetail.set(key, [...(byDetail.get(key) ?? []), label]);
  }
  const notes = [...byDetail].map(([detail, labels]) => `${labels.join(', ')}: ${detail}`);
  if (w.showPeerRss) {
    for (const e of PEERS) if (st[e]?.rss?.length) notes.push(`${e} peak RSS ${Math.round(Math.max(...st[e].rss) / 1024)} MB`);
  }
  row.notes = notes.join('; ');
  row.st = st;
  return row;
}

function printRow(row) {
  const parts = [row.workload, `${row.query}${row.title ? ` ${row.title}` : ''}`, ...ENGINES.map((e) => row[e]),
                 ...ENGINES.filter((e) => e !== 'ember').map((e) => row[`ember/${e}`]), row['ember RSS']];
  console.log(`  ${parts.join(' | ')}${row.notes ? `  (${row.notes})` : ''}`);
}

function markdownTable(rows) {
  const head = COLS;
  const body = rows.map((r) => [r.workload, `${r.query}${r.title ? ` ${r.title}` : ''}`, ...ENGINES.map((e) => r[e]),
    ...ENGINES.filter((e) => e !== 'ember').map((e) => r[`ember/${e}`]), r['ember RSS'], r.notes.replaceAll('|', '\\|')]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((wd) => '-'.repeat(wd + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

function csvField(v) {
  const s = String(v ?? '');
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

function gitCommit() {
  try {
    return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() +
      (execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() ? '+dirty' : '');
  } catch { return ''; }
}

function writeCsv(rows, startedAt) {
  const dir = path.join(BENCH, 'results');
  mkdirSync(dir, { recursive: true });
  const date = startedAt.toISOString().slice(0, 10);
  const file = path.join(dir, `${date}.csv`);
  const header = ['started', 'commit', 'cpus', 'threads', 'runs', 'workload', 'query', 'title'];
  for (const e of ENGINES) header.push(`${e}_status`, `${e}_median_s`, `${e}_times_s`, `${e}_peak_rss_mb`);
  for (const e of ENGINES.filter((x) => x !== 'ember')) header.push(`ratio_ember_${e}`);
  header.push('notes');
  const commit = gitCommit();
  const lines = rows.map((r) => {
    const done = Math.max(0, ...ENGINES.map((e) => r.st[e].times.length));
    const f = [startedAt.toISOString(), commit, os.cpus().length, THREADS, done, r.workload, r.query, r.title];
    for (const e of ENGINES) {
      const s = r.st[e];
      f.push(s.status === 'ok' && s.unchecked ? 'unchecked' : s.status,
             s.status === 'ok' ? median(s.times).toFixed(4) : '',
             s.times.map((t) => t.toFixed(4)).join(' '),
             s.rss.length ? Math.round(Math.max(...s.rss) / 1024) : '');
    }
    for (const e of ENGINES.filter((x) => x !== 'ember')) f.push(r[`ember/${e}`] === '—' ? '' : r[`ember/${e}`]);
    f.push(r.notes);
    return f.map(csvField).join(',');
  });
  if (!existsSync(file)) appendFileSync(file, `${header.join(',')}\n`);
  appendFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// ---- main ------------------------------------------------------------------------

const startedAt = new Date();
console.log(`ember bench: ${selected.map((w) => w.name).join(', ')}`);
console.log(`  ${THREADS} threads, ${RUNS} runs (within ${BUDGET} s a query), engines ${ENGINES.join(', ')}, ember ${EMBER}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
mkdirSync(DATA, { recursive: true });

for (const w of selected) {
  const params = w.params(settings);
  const ctx = { params, data: {} };
  console.log(`\n${w.name}: ${w.title}`);
  for (const ds of w.datasets(params)) {
    const r = await ensureDataset(ds);
    if (r.error) { ctx.error = r.error; break; }
    ctx.data[ds.id] = r.dir;
  }
  if (GENERATE_ONLY) continue;
  const runs = w.runs ? w.runs(RUNS) : RUNS;
  const limit = w.timeout ? Math.max(TIMEOUT, w.timeout) : TIMEOUT;
  for (const q of w.queries(params)) {
    const st = await measureQuery(w, q, ctx, runs, limit);
    const row = rowFor(w, q, st);
    tableRows.push(row);
    printRow(row);
  }
}

rmSync(TMP, { recursive: true, force: true });
if (GENERATE_ONLY) {
  console.log('\ndata sets ready (GENERATE_ONLY: no queries run)');
  process.exit(0);
}
console.log(`\nResults (median of up to ${RUNS} runs, fewer where a query's runs would pass ${BUDGET} s; ${THREADS} threads; ratio < 1 means ember is faster; ` +
            `'?' = unchecked; ember RSS = peak resident memory of the ember process):\n`);
console.log(markdownTable(tableRows));
const rssByWorkload = new Map();
for (const r of tableRows) {
  const rss = r.st.ember?.rss ?? [];
  if (rss.length) rssByWorkload.set(r.workload, Math.max(rssByWorkload.get(r.workload) ?? 0, ...rss));
}
if (rssByWorkload.size) {
  console.log(`\nember peak RSS per workload: ${[...rssByWorkload].map(([w, kb]) => `${w} ${Math.round(kb / 1024)} MB`).join(', ')}`);
}
const file = writeCsv(tableRows, startedAt);
console.log(`\nwrote ${path.relative(ROOT, file)}`);

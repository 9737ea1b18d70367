/*
 * adaptive.c — adaptive query execution: a stage's tasks chosen from the real
 * sizes of the shuffles it reads (the contract is in adaptive.h).
 *
 * For a stage with more than one partition, in this order:
 *
 * 1. Broadcast switch. A shuffled join (hash or sort-merge) one of whose sides
 *    wrote at most ember.sql.autoBroadcastJoinThreshold bytes in all runs as a
 *    broadcast hash join: every task reads that side whole as its build side
 *    and its own partition of the other side. A side whose unmatched rows must
 *    be kept cannot be built so (every task would emit them), and semi and
 *    anti joins build their right side only. The join is replaced in a copy of
 *    the stage's fragment.
 *
 * 2. Skew. A reduce partition is skewed on one input when its bytes exceed
 *    both skewedPartitionFactor times the median partition of that input and
 *    skewedPartitionThresholdInBytes (Spark's rule). Its map outputs are cut
 *    into consecutive ranges of about a target size (never inside one map's
 *    output), and each range becomes a task:
 *    - A join side may be split when the other side's unmatched rows are not
 *      kept, because every piece reads the other side whole and would emit
 *      them once per piece; of a semi or anti join only the left side, since
 *      a left row must meet every right row in one task. Inner joins split
 *      either side or both (a task per pair of ranges). After a broadcast
 *      switch the streamed side can always be split.
 *    - A final aggregation's partition is split when every aggregate merges
 *      its partial states exactly. Each piece merges the states of a range of
 *      maps into states again (aggregation mode MERGE) and writes them to the
 *      stage's spare shuffle; then one task reads the pieces back in map order
 *      and runs the stage's fragment over them in place of the partition.
 *      Merging in the same order gives identical answers for counts, exact
 *      sums (integer, decimal) and the averages built on them, min and max
 *      (ties keep the earlier value) and HyperLogLog sketches (register
 *      maxima). Floating-point sums and the Welford states of variance and
 *      stddev would round differently when regrouped, so an aggregation with
 *      any of those is not split; DISTINCT and holistic aggregates never get
 *      here (they aggregate in one phase).
 *
 * 3. Coalescing. Runs of partitions that were not split are grouped into tasks
 *    of up to a target size: ember.sql.adaptive.advisoryPartitionSizeInBytes,
 *    less when that would leave executor threads idle.
 *
 * Every decision adds a line to the job's adaptive log (EXPLAIN ANALYZE).
 */
#include "sched/adaptive.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct em_aqe {
    em_exec_env *env;
    const em_stage_dag *dag;
    em_job_stats *stats;  /* or NULL */
    em_arena *arena;      /* rewritten fragments and task lists, for the whole job */
    em_aqe_stage *stages; /* [stage id] */
    bool *spare_used;     /* [stage id]: the stage's spare shuffle holds pieces */
};

em_aqe *em__aqe_create(em_exec_env *env, const em_stage_dag *dag, em_job_stats *stats)
{
    em_aqe *a = em_calloc(1, sizeof(em_aqe));
    a->env = env;
    a->dag = dag;
    a->stats = stats;
    a->arena = em_arena_create(8192);
    a->stages = em_arena_calloc(a->arena, sizeof(em_aqe_stage) * (size_t)EM_MAX(dag->nstages, 1));
    a->spare_used = em_arena_calloc(a->arena, sizeof(bool) * (size_t)EM_MAX(dag->nstages, 1));
    return a;
}

void em__aqe_destroy(em_aqe *a)
{
    if (!a) return;
    em_arena_destroy(a->arena);
    em_free(a);
}

static int spare_shuffle(const em_aqe *a, const em_stage *st)
{
    const em_stage_dag *d = a->dag;
    if (st->id < 0 || st->id >= d->nspare_shuffles) return -1;
    return d->nshuffles - d->nspare_shuffles + st->id;
}

void em__aqe_stage_done(em_aqe *a, const em_stage *st)
{
    if (st->id < 0 || st->id >= a->dag->nstages || !a->spare_used[st->id]) return;
    if (!a->env->backend) em_shuffle_release(a->env->shuffles, spare_shuffle(a, st));
}

/* ---- helpers ----------------------------------------------------------------- */

static void note(em_aqe *a, const em_stage *st, const char *fmt, ...) EM_PRINTF(3, 4);
static void note(em_aqe *a, const em_stage *st, const char *fmt, ...)
{
    if (!a->stats || !a->stats->adaptive_log) return;
    em_strbuf_printf(a->stats->adaptive_log, "stage %d: ", st->id);
    va_list ap;
    va_start(ap, fmt);
    em_strbuf_vprintf(a->stats->adaptive_log, fmt, ap);
    va_end(ap);
    em_strbuf_putc(a->stats->adaptive_log, '\n');
}

typedef struct bytes_text {
    char s[32];
} bytes_text;

static bytes_text human(int64_t b)
{
    bytes_text t;
    if (b < 1024)
        snprintf(t.s, sizeof t.s, "%lld B", (long long)b);
    else if (b < ((int64_t)1 << 20))
        snprintf(t.s, sizeof t.s, "%.1f KiB", (double)b / 1024);
    else if (b < ((int64_t)1 << 30))
        snprintf(t.s, sizeof t.s, "%.1f MiB", (double)b / (1 << 20));
    else
        snprintf(t.s, sizeof t.s, "%.1f GiB", (double)b / (1 << 30));
    return t;
}

/* A shallow copy of a node with its own children array. */
static em_pop *copy_node(em_arena *ar, const em_pop *p)
{
    em_pop *c = em_arena_alloc(ar, sizeof(em_pop));
    *c = *p;
    c->children = em_arena_calloc(ar, sizeof(em_pop *) * (size_t)EM_MAX(p->nchildren, 1));
    if (p->nchildren) memcpy(c->children, p->children, sizeof(em_pop *) * (size_t)p->nchildren);
    return c;
}

/* A copy of the stage's main path (root down its first children) in which
 * `target`, a node on that path, is replaced by `with`; the rest is shared. */
static em_pop *clone_path(em_arena *ar, const em_pop *p, const em_pop *target, em_pop *with)
{
    if (p == target) return with;
    em_pop *c = copy_node(ar, p);
    if (p->nchildren > 0) c->children[0] = clone_path(ar, p->children[0], target, with);
    return c;
}

static em_stage *copy_stage(em_arena *ar, const em_stage *st, em_pop *root)
{
    em_stage *c = em_arena_alloc(ar, sizeof(em_stage));
    *c = *st;
    c->root = root;
    return c;
}

static const em_pop *next_on_path(const em_pop *p)
{
    return p->nchildren > 0 ? p->children[0] : NULL;
}

static bool hash_read(const em_pop *p)
{
    return p->kind == EM_POP_SHUFFLE_READ && !p->u.shuffle_read.broadcast &&
           p->u.shuffle_read.nmerge == 0;
}

static void plain(em_aqe *a, const em_stage *run, em_aqe_stage *out)
{
    out->ntasks = run->nparts;
    out->tasks = em_arena_calloc(a->arena, sizeof(em_aqe_task) * (size_t)EM_MAX(run->nparts, 1));
    for (int p = 0; p < run->nparts; p++)
        out->tasks[p] = (em_aqe_task){.stage = run, .spec = {.partition = p}};
}

/* ---- 1. broadcast switch --------------------------------------------------- */

/* Whether a join may build (and broadcast) the given side: not when the
 * side's unmatched rows are kept, and semi/anti joins broadcast only their
 * right side (marks on a left side would have to be merged across tasks). */
static bool can_broadcast(em_join_kind k, bool right)
{
    switch (k) {
    case EM_JOIN_KIND_INNER:
        return true;
    case EM_JOIN_KIND_LEFT:
    case EM_JOIN_KIND_SEMI:
    case EM_JOIN_KIND_ANTI:
        return right;
    case EM_JOIN_KIND_RIGHT:
        return !right;
    default: /* FULL keeps both sides; a null-aware anti join is broadcast already */
        return false;
    }
}

static const em_stage *switch_to_broadcast(em_aqe *a, const em_stage *st)
{
    int64_t thr = a->env->broadcast_threshold;
    if (thr <= 0) return st;
    const em_pop *j = NULL;
    for (const em_pop *p = st->root; p && !j; p = next_on_path(p)) {
        if (p->kind == EM_POP_UNION) return st;
        if (p->kind == EM_POP_HASH_JOIN && p->nchildren == 2) {
            const em_pop *c0 = p->children[0], *c1 = p->children[1];
            bool shuffled = c0->kind == EM_POP_SHUFFLE_READ && c1->kind == EM_POP_SHUFFLE_READ &&
                            !c0->u.shuffle_read.broadcast && !c1->u.shuffle_read.broadcast;
            if (shuffled) j = p;
        }
    }
    if (!j) return st;
    const em_join_spec *sp = &j->u.join.spec;
    if (sp->nkeys == 0) return st;
    int64_t bytes[2];
    for (int i = 0; i < 2; i++)
        bytes[i] = em_shuffle_bytes(a->env->shuffles, j->children[i]->u.shuffle_read.shuffle_id);
    /* The current build side first, so that it stays built on a tie. */
    int pick = -1;
    for (int i = 1; i >= 0; i--) {
        bool right = i == 1 ? sp->build_right : !sp->build_right;
        if (!can_broadcast(sp->kind, right) || bytes[i] > thr) continue;
        if (pick < 0 || bytes[i] < bytes[pick]) pick = i;
    }
    if (pick < 0) return st;
    em_arena *ar = a->arena;
    bool build_right = pick == 1 ? sp->build_right : !sp->build_right;
    em_pop *probe = copy_node(ar, j->children[1 - pick]);
    probe->u.shuffle_read.nmerge = 0; /* a hash join needs no sorted runs */
    probe->u.shuffle_read.merge_keys = NULL;
    em_pop *build = copy_node(ar, j->children[pick]);
    build->u.shuffle_read.nmerge = 0;
    build->u.shuffle_read.merge_keys = NULL;
    build->u.shuffle_read.broadcast = true;
    em_pop *nj = copy_node(ar, j);
    nj->children[0] = probe;
    nj->children[1] = build;
    nj->u.join.sort_merge = false;
    nj->u.join.spec.build_right = build_right;
    if (a->stats) a->stats->broadcast_switches++;
    note(a, st,
         "switched %s join to a broadcast hash join: the %s side wrote %s (threshold %s), "
         "built whole by every task%s",
         em_join_kind_name(sp->kind), build_right ? "right" : "left", human(bytes[pick]).s,
         human(thr).s, j->u.join.sort_merge ? " instead of a sort-merge join" : "");
    return copy_stage(ar, st, clone_path(ar, st->root, j, nj));
}

/* ---- 2. skew --------------------------------------------------------------- */

typedef struct reads {
    int n;
    int ids[16];
    bool ok;
} reads;

/* Partitions can be regrouped when the stage's tasks are driven by hash
 * shuffle reads that all have the stage's partitioning (a join reads two
 * co-partitioned shuffles), with no union and no other kind of source. */
static void find_reads(const em_pop *p, int nparts, reads *r, bool main_path)
{
    if (p->kind == EM_POP_UNION) r->ok = false;
    if (p->kind == EM_POP_SHUFFLE_READ) {
        if (p->u.shuffle_read.broadcast) {
            if (main_path) r->ok = false;
            return;
        }
        if (p->u.shuffle_read.nmerge > 0 || p->nparts != nparts || r->n == 16) r->ok = false;
        if (r->ok) r->ids[r->n++] = p->u.shuffle_read.shuffle_id;
        return;
    }
    if (p->nchildren == 0) r->ok = false; /* a scan or values drives the tasks */
    for (int i = 0; i < p->nchildren; i++)
        find_reads(p->children[i], nparts, r, main_path && i == 0);
}

typedef enum site_kind { SITE_NONE, SITE_JOIN, SITE_AGG } site_kind;

/* An input whose skewed partitions may be split. */
typedef struct side {
    const em_pop *read;
    int shuffle_id;
    bool can_split;
    const char *name;
    int64_t *size; /* [partition] */
    int64_t median;
    int64_t limit; /* larger partitions are skewed */
    int64_t avg;   /* mean size of the partitions that are not */
    int *bounds;   /* scratch: map range boundaries */
} side;

typedef struct site {
    site_kind kind;
    const em_pop *node; /* the join, or the final aggregation */
    int nsides;
    side sides[2];
} site;

/* Whether side `left` of a join may be split into pieces that each read the
 * other side whole. */
static bool join_can_split(em_join_kind k, bool left)
{
    bool other_kept = left ? k == EM_JOIN_KIND_RIGHT || k == EM_JOIN_KIND_FULL
                           : k == EM_JOIN_KIND_LEFT || k == EM_JOIN_KIND_FULL;
    if (other_kept) return false;
    bool semi_like =
        k == EM_JOIN_KIND_SEMI || k == EM_JOIN_KIND_ANTI || k == EM_JOIN_KIND_ANTI_NULL_AWARE;
    return left || !semi_like;
}

/* Whether every aggregate of a final aggregation merges its states exactly,
 * so that merging them in two steps (in the same order) changes nothing. */
static bool exactly_mergeable(const em_pop *agg)
{
    for (int i = 0; i < agg->u.agg.naggs; i++) {
        const em_agg_call *c = &agg->u.agg.aggs[i];
        if (c->distinct) return false;
        switch (c->kind) {
        case EM_AGG_COUNT_STAR:
        case EM_AGG_COUNT:
        case EM_AGG_MIN:
        case EM_AGG_MAX:
        case EM_AGG_APPROX_COUNT_DISTINCT:
            break;
        case EM_AGG_SUM:
        case EM_AGG_AVG: {
            em_type st[EM_AGG_MAX_STATES];
            int n = em_agg_state_types(c, st);
            if (n < 1 || st[0].id == EM_TYPE_DOUBLE) return false;
            if (c->arg && c->arg->type.id == EM_TYPE_DOUBLE) return false;
            break;
        }
        default: /* floating-point states, or a phase of their own */
            return false;
        }
    }
    return true;
}

static void find_site(const em_stage *run, const reads *r, site *out)
{
    memset(out, 0, sizeof *out);
    for (const em_pop *p = run->root; p; p = next_on_path(p)) {
        if (p->kind == EM_POP_HASH_JOIN) {
            if (p->u.join.sort_merge || p->nchildren != 2) return;
            const em_join_spec *sp = &p->u.join.spec;
            int n = 0;
            for (int i = 0; i < 2; i++) {
                const em_pop *c = p->children[i];
                if (!hash_read(c)) continue;
                bool left = (i == 0) == sp->build_right;
                out->sides[n++] = (side){.read = c,
                                         .shuffle_id = c->u.shuffle_read.shuffle_id,
                                         .can_split = join_can_split(sp->kind, left),
                                         .name = left ? "left" : "right"};
            }
            if (n == 0) continue; /* a broadcast join over something else: look below */
            if (n != r->n) return;
            out->kind = SITE_JOIN;
            out->node = p;
            out->nsides = n;
            return;
        }
        if (p->kind == EM_POP_HASH_AGG && p->u.agg.mode == EM_AGG_MODE_FINAL) {
            const em_pop *c = p->children[0];
            if (!hash_read(c) || r->n != 1 || p->u.agg.nkeys == 0 || !exactly_mergeable(p)) return;
            out->kind = SITE_AGG;
            out->node = p;
            out->nsides = 1;
            out->sides[0] = (side){.read = c,
                                   .shuffle_id = c->u.shuffle_read.shuffle_id,
                                   .can_split = true,
                                   .name = "input"};
            return;
        }
    }
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

/* Spark's median partition size (at least 1). */
static int64_t median(const int64_t *size, int n)
{
    int64_t *s = em_malloc(sizeof(int64_t) * (size_t)n);
    memcpy(s, size, sizeof(int64_t) * (size_t)n);
    qsort(s, (size_t)n, sizeof(int64_t), cmp_i64);
    int64_t m = n % 2 == 0 ? (s[n / 2] + s[n / 2 - 1]) / 2 : s[n / 2];
    em_free(s);
    return EM_MAX(m, 1);
}

/* Cut the map outputs of one reduce partition into consecutive ranges of
 * about `target` bytes: returns the range count, bounds[0..count]. */
static int cut_maps(em_shuffle_store *s, int id, int reduce, int64_t target, int *bounds)
{
    int nmaps = em_shuffle_nmaps(s, id), n = 0;
    int64_t cur = 0;
    bounds[0] = 0;
    for (int m = 0; m < nmaps; m++) {
        int64_t b = em_shuffle_block_bytes(s, id, m, reduce);
        if (cur > 0 && cur + b > target) {
            bounds[++n] = m;
            cur = 0;
        }
        cur += b;
    }
    /* A small last range joins the one before it (Spark's 20%). */
    if (n > 0 && cur < target / 5) n--;
    bounds[++n] = nmaps;
    return n;
}

typedef struct task_vec {
    int n, cap;
    em_aqe_task *items;
} task_vec;

static em_aqe_task *push(task_vec *v)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->items = em_realloc(v->items, sizeof(em_aqe_task) * (size_t)v->cap);
    }
    em_aqe_task *t = &v->items[v->n++];
    memset(t, 0, sizeof *t);
    return t;
}

static em_aqe_task *to_arena(em_arena *ar, task_vec *v)
{
    em_aqe_task *t = em_arena_alloc(ar, sizeof(em_aqe_task) * (size_t)EM_MAX(v->n, 1));
    if (v->n) memcpy(t, v->items, sizeof(em_aqe_task) * (size_t)v->n);
    em_free(v->items);
    return t;
}

/* The fragments of a split aggregation: the pieces merge the states of a map
 * range (root: a MERGE aggregation over the stage's shuffle read, output to
 * the spare shuffle); the merging task runs the stage's fragment with the
 * read replaced by one of the spare shuffle. */
typedef struct agg_split {
    em_stage *pieces, *merge;
    em_pop *spare_read;
} agg_split;

static void make_agg_split(em_aqe *a, const em_stage *run, const site *si, int spare,
                           agg_split *out)
{
    em_arena *ar = a->arena;
    const em_pop *read = si->sides[0].read;
    em_pop *m = copy_node(ar, si->node);
    m->id = -1; /* not a node of the plan: EXPLAIN ANALYZE counts the final aggregation */
    m->u.agg.mode = EM_AGG_MODE_MERGE;
    m->schema = read->schema;
    m->nparts = read->nparts;
    m->children[0] = (em_pop *)read;
    em_stage *pieces = copy_stage(ar, run, m);
    pieces->is_result = false;
    pieces->shuffle_id = spare;
    pieces->out_kind = EM_EXCHANGE_SINGLE;
    pieces->out_nparts = 1;
    pieces->out_nkeys = 0;
    pieces->out_keys = NULL;
    em_pop *sr = em_pop_new(ar, EM_POP_SHUFFLE_READ, 0);
    sr->id = -1;
    sr->schema = read->schema;
    sr->nparts = 1;
    sr->u.shuffle_read.shuffle_id = spare;
    out->pieces = pieces;
    out->merge = copy_stage(ar, run, clone_path(ar, run->root, read, sr));
    out->spare_read = sr;
}

/* Skew splitting and coalescing; false when the stage keeps one plain task
 * per partition. */
static bool plan_partitions(em_aqe *a, const em_stage *st, const em_stage *run, em_aqe_stage *out)
{
    em_exec_env *env = a->env;
    em_shuffle_store *store = env->shuffles;
    int n = run->nparts;
    reads r = {.ok = true};
    find_reads(run->root, n, &r, true);
    if (!r.ok || r.n == 0) return false;

    int64_t *total = em_calloc((size_t)n, sizeof(int64_t));
    int64_t sum = 0;
    for (int p = 0; p < n; p++) {
        for (int k = 0; k < r.n; k++) total[p] += em_shuffle_partition_bytes(store, r.ids[k], p);
        sum += total[p];
    }
    site si;
    find_site(run, &r, &si);
    int spare = spare_shuffle(a, st);
    if (si.kind == SITE_AGG && spare < 0) si.kind = SITE_NONE;
    int64_t factor = EM_MAX(env->skew_factor, 1);
    for (int s = 0; s < si.nsides; s++) {
        side *sd = &si.sides[s];
        sd->size = em_calloc((size_t)n, sizeof(int64_t));
        for (int p = 0; p < n; p++)
            sd->size[p] = em_shuffle_partition_bytes(store, sd->shuffle_id, p);
        int64_t med = sd->median = median(sd->size, n);
        sd->limit =
            EM_MAX(med > INT64_MAX / factor ? INT64_MAX : med * factor, env->skew_threshold_bytes);
        int64_t rest = 0;
        int nrest = 0;
        for (int p = 0; p < n; p++)
            if (sd->size[p] <= sd->limit) rest += sd->size[p], nrest++;
        sd->avg = nrest ? rest / nrest : 0;
        sd->bounds = em_malloc(sizeof(int) * (size_t)(em_shuffle_nmaps(store, sd->shuffle_id) + 1));
    }

    /* Keep every executor thread busy when there is enough data for it. */
    int par = EM_MAX(env->parallelism, 1);
    int64_t target =
        EM_MIN(env->advisory_partition_bytes, EM_MAX(sum / (2 * par), (int64_t)1 << 20));
    task_vec tasks = {0}, pre = {0};
    agg_split as = {0};
    int groups = 0, nplain = 0, nsplit = 0;
    int first = -1; /* the open group of partitions [first, p) */
    int64_t cur = 0;
    for (int p = 0; p <= n; p++) {
        int nr[2] = {1, 1};
        bool split = false;
        for (int s = 0; p < n && s < si.nsides; s++) {
            side *sd = &si.sides[s];
            if (si.kind == SITE_NONE || !sd->can_split || sd->size[p] <= sd->limit) continue;
            /* Pieces of about a non-skewed partition, or fewer when that would
             * not give every thread a piece (Spark: the advisory size). */
            int64_t want =
                EM_MAX(sd->avg, EM_MIN(env->advisory_partition_bytes, sd->size[p] / par));
            nr[s] = cut_maps(store, sd->shuffle_id, p, EM_MAX(want, 1), sd->bounds);
            split |= nr[s] > 1;
        }
        bool close = p == n || split || (first >= 0 && cur > 0 && cur + total[p] > target);
        if (close && first >= 0) {
            em_aqe_task *t = push(&tasks);
            t->stage = run;
            t->spec = (em_task_spec){
                .partition = tasks.n - 1, .coalesced = true, .part_first = first, .part_end = p};
            groups++;
            first = -1;
        }
        if (p == n) break;
        if (!split) {
            nplain++;
            if (first < 0) first = p, cur = 0;
            cur += total[p];
            continue;
        }
        nsplit++;
        if (si.kind == SITE_JOIN) {
            for (int i = 0; i < nr[0]; i++)
                for (int k = 0; k < nr[1]; k++) {
                    em_aqe_task *t = push(&tasks);
                    t->stage = run;
                    t->spec = (em_task_spec){.partition = tasks.n - 1,
                                             .coalesced = true,
                                             .part_first = p,
                                             .part_end = p + 1};
                    for (int s = 0; s < si.nsides; s++) {
                        int idx = s == 0 ? i : k;
                        if (nr[s] < 2) continue;
                        t->spec.map_ranges[t->spec.nmap_ranges++] =
                            (em_map_range){si.sides[s].shuffle_id, si.sides[s].bounds[idx],
                                           si.sides[s].bounds[idx + 1]};
                    }
                }
            if (a->stats) {
                a->stats->skew_join_partitions++;
                a->stats->skew_join_tasks += nr[0] * nr[1];
            }
            em_strbuf how;
            em_strbuf_init(&how);
            for (int s = 0; s < si.nsides; s++) {
                const side *sd = &si.sides[s];
                em_strbuf_printf(&how, "%s%s side %s", s ? ", " : "", sd->name,
                                 human(sd->size[p]).s);
                if (nr[s] > 1)
                    em_strbuf_printf(&how, " (median %s) in %d map ranges", human(sd->median).s,
                                     nr[s]);
                else
                    em_strbuf_puts(&how, " read whole");
            }
            note(a, st, "skew-split partition %d of %s join into %d tasks: %s", p,
                 em_join_kind_name(si.node->u.join.spec.kind), nr[0] * nr[1], how.data);
            em_strbuf_release(&how);
        } else {
            if (!as.pieces) make_agg_split(a, run, &si, spare, &as);
            const side *sd = &si.sides[0];
            int pre_first = pre.n;
            for (int i = 0; i < nr[0]; i++) {
                em_aqe_task *t = push(&pre);
                t->stage = as.pieces;
                t->spec = (em_task_spec){.partition = pre.n - 1,
                                         .coalesced = true,
                                         .part_first = p,
                                         .part_end = p + 1,
                                         .nmap_ranges = 1};
                t->spec.map_ranges[0] =
                    (em_map_range){sd->shuffle_id, sd->bounds[i], sd->bounds[i + 1]};
            }
            em_aqe_task *t = push(&tasks);
            t->stage = as.merge;
            t->spec = (em_task_spec){.partition = tasks.n - 1,
                                     .coalesced = true,
                                     .part_first = 0,
                                     .part_end = 1,
                                     .nmap_ranges = 1};
            t->spec.map_ranges[0] = (em_map_range){spare, pre_first, pre.n};
            if (a->stats) {
                a->stats->skew_agg_partitions++;
                a->stats->skew_agg_tasks += nr[0];
            }
            note(a, st,
                 "skew-split partition %d of the aggregation into %d tasks and 1 merging task: "
                 "input %s (median %s) in %d map ranges",
                 p, nr[0], human(sd->size[p]).s, human(sd->median).s, nr[0]);
        }
    }
    for (int s = 0; s < si.nsides; s++) {
        em_free(si.sides[s].size);
        em_free(si.sides[s].bounds);
    }
    em_free(total);
    if (nsplit == 0 && groups == n) {
        em_free(tasks.items);
        return false;
    }
    if (groups < nplain) {
        if (a->stats) {
            a->stats->coalesced_stages++;
            a->stats->partitions_before += n;
            a->stats->partitions_after += groups + nsplit;
        }
        note(a, st, "coalesced %d -> %d partitions (target %s)", n, groups + nsplit,
             human(target).s);
    }
    /* A task's partition is below its stage's task count (task descriptions
     * are checked so): the fragments that run say how many tasks they have. */
    if (tasks.n != run->nparts) {
        em_stage *resized = copy_stage(a->arena, run, run->root);
        resized->nparts = tasks.n;
        for (int i = 0; i < tasks.n; i++)
            if (tasks.items[i].stage == run) tasks.items[i].stage = resized;
    }
    if (as.merge) as.merge->nparts = tasks.n;
    if (pre.n > 0) {
        as.pieces->nparts = pre.n;
        as.spare_read->u.shuffle_read.nmaps = pre.n;
        em_shuffle_register(store, spare, pre.n, 1);
        a->spare_used[st->id] = true;
    }
    out->ntasks = tasks.n;
    out->tasks = to_arena(a->arena, &tasks);
    out->npre = pre.n;
    out->pre = to_arena(a->arena, &pre);
    return true;
}

const em_aqe_stage *em__aqe_plan_stage(em_aqe *a, const em_stage *st)
{
    em_aqe_stage *out = &a->stages[st->id];
    memset(out, 0, sizeof *out);
    const em_stage *run = st;
    if (a->env->adaptive && st->nparts > 1) {
        run = switch_to_broadcast(a, st);
        if (plan_partitions(a, st, run, out)) return out;
    }
    plain(a, run, out);
    return out;
}

/*
 * session.c — the public API (include/ember.h): sessions, configuration,
 * statements and their results.
 *
 * A statement goes parse -> bind -> optimize -> physical plan -> stage DAG ->
 * scheduler, all on the caller's thread except the tasks, which run on the
 * session's executor pool. Everything a statement allocates lives in one arena
 * that goes away when the statement is done; results own their batches.
 */
#include "api/api_int.h"

#include "cluster/cluster.h"
#include "net/wire.h"
#include "sched/sched.h"
#include "sql/binder/binder.h"
#include "sql/optimizer/optimizer.h"
#include "sql/parser/parser.h"
#include "sql/physical/physical.h"

#include <stdio.h>
#include <stdlib.h>

#include <string.h>

/* ---- configuration ----------------------------------------------------- */

/* CONF_COUNT: an integer >= 0 (0 meaning "all" or "none"); CONF_SIZE_OFF: a
 * size, or -1 to turn the feature off. */
typedef enum conf_kind {
    CONF_INT,
    CONF_COUNT,
    CONF_SIZE,
    CONF_SIZE_OFF,
    CONF_BOOL,
    CONF_STRING
} conf_kind;

typedef struct conf_def {
    const char *key;
    const char *def;
    conf_kind kind;
    const char *doc;
} conf_def;

static const conf_def conf_defs[] = {
    {"ember.sql.shuffle.partitions", "200", CONF_INT, "reduce partitions of a shuffle"},
    {"ember.executor.memory", "1g", CONF_SIZE, "memory budget of an executor"},
    {"ember.local.dir", "/tmp", CONF_STRING, "directory for spill files"},
    {"ember.task.maxFailures", "4", CONF_INT, "attempts of a task before the job fails"},
    {"ember.files.maxPartitionBytes", "128m", CONF_SIZE, "largest file split"},
    {"ember.sql.adaptive.enabled", "true", CONF_BOOL, "adaptive query execution"},
    {"ember.test.serializeTasks", "false", CONF_BOOL,
     "round-trip every task through its wire form (testing)"},
    {"ember.ui.showConsoleProgress", "false", CONF_BOOL, "console progress bar"},
    {"ember.sql.autoBroadcastJoinThreshold", "10m", CONF_SIZE_OFF,
     "largest join side that is broadcast instead of shuffled (-1: never)"},
    {"ember.sql.adaptive.advisoryPartitionSizeInBytes", "64m", CONF_SIZE,
     "target size of a reduce partition after adaptive coalescing"},
    {"ember.sql.adaptive.skewJoin.skewedPartitionFactor", "5", CONF_INT,
     "a reduce partition this many times the median is skewed (joins and aggregations)"},
    {"ember.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes", "256m", CONF_SIZE,
     "a skewed reduce partition is also larger than this; it is split into several tasks"},
    {"ember.sql.join.preferSortMergeJoin", "false", CONF_BOOL,
     "plan shuffled joins as sort-merge joins instead of (spilling) hash joins"},
    {"ember.authenticate.secret", "", CONF_STRING,
     "shared secret every cluster connection proves it knows (empty: none)"},
    {"ember.executor.cores", "0", CONF_COUNT, "cores per executor on a cluster (0: a worker's free cores)"},
    {"ember.cores.max", "0", CONF_COUNT, "cores of the whole application on a cluster (0: all)"},
    {"ember.driver.host", "127.0.0.1", CONF_STRING, "address executors connect back to"},
    {"ember.app.name", "ember", CONF_STRING, "application name shown by the master"},
    {"ember.cluster.executorWaitSeconds", "30", CONF_INT,
     "how long a driver waits for its first executors"},
    {"ember.speculation", "false", CONF_BOOL,
     "run a copy of tasks that run much longer than the rest of their stage (cluster mode)"},
    {"ember.speculation.multiplier", "1.5", CONF_STRING,
     "a task is a straggler past this many times its stage's median task time"},
    {"ember.speculation.quantile", "0.75", CONF_STRING,
     "fraction of a stage's tasks that must finish before speculation starts"},
    {"ember.test.inject", "", CONF_STRING,
     "fault injection for tests, e.g. fail:stage=2,task=3,attempt=0 (see sched/inject.c)"},
};

_Static_assert(sizeof(conf_defs) / sizeof(conf_defs[0]) <= EM__NCONF, "EM__NCONF is too small");

static const conf_def *conf_find(const char *key)
{
    for (size_t i = 0; i < EM_ARRAY_LEN(conf_defs); i++)
        if (em_str_ieq(conf_defs[i].key, key)) return &conf_defs[i];
    return NULL;
}

static int conf_check(const conf_def *d, const char *value, em_error *err)
{
    switch (d->kind) {
    case CONF_INT: {
        char *end;
        long v = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || v <= 0 || v > 100000)
            return em_error_set(err, EM_EINVAL, "%s must be a positive integer, not '%s'", d->key,
                                value);
        return 0;
    }
    case CONF_COUNT: {
        char *end;
        long v = strtol(value, &end, 10);
        if (*value == '\0' || *end != '\0' || v < 0 || v > 100000)
            return em_error_set(err, EM_EINVAL, "%s must be an integer >= 0, not '%s'", d->key,
                                value);
        return 0;
    }
    case CONF_SIZE_OFF:
        if (strcmp(value, "-1") == 0) return 0;
        /* fall through */
    case CONF_SIZE:
        if (em_parse_size(value) <= 0)
            return em_error_set(err, EM_EINVAL, "%s must be a size such as 512m or 2g, not '%s'",
                                d->key, value);
        return 0;
    case CONF_BOOL:
        if (!em_str_ieq(value, "true") && !em_str_ieq(value, "false"))
            return em_error_set(err, EM_EINVAL, "%s must be true or false, not '%s'", d->key,
                                value);
        return 0;
    case CONF_STRING:
        return 0;
    }
    return 0;
}

int em_session_set_conf(em_session *s, const char *key, const char *value, em_error *err)
{
    const conf_def *d = conf_find(key);
    if (!d) {
        const char *best = NULL;
        int best_d = 6;
        for (size_t i = 0; i < EM_ARRAY_LEN(conf_defs); i++) {
            int dist = em_edit_distance(key, conf_defs[i].key);
            if (dist < best_d) best_d = dist, best = conf_defs[i].key;
        }
        if (best)
            return em_error_set(err, EM_EINVAL,
                                "unknown configuration key '%s'; did you mean '%s'?", key, best);
        return em_error_set(err, EM_EINVAL, "unknown configuration key '%s'", key);
    }
    if (value == NULL) value = d->def;
    EM_TRY(conf_check(d, value, err));
    if (strcmp(d->key, "ember.test.inject") == 0) EM_TRY(em_inject_check(value, err));
    if (strcmp(d->key, "ember.speculation.multiplier") == 0 ||
        strcmp(d->key, "ember.speculation.quantile") == 0) {
        char *end;
        double v = strtod(value, &end);
        bool q = strcmp(d->key, "ember.speculation.quantile") == 0;
        if (*value == '\0' || *end != '\0' || !(v > 0) || (q && v > 1) || (!q && v < 1))
            return em_error_set(err, EM_EINVAL, "%s must be a number %s, not '%s'", d->key,
                                q ? "in (0, 1]" : ">= 1", value);
    }
    size_t idx = (size_t)(d - conf_defs);
    em_free(s->conf[idx]);
    s->conf[idx] = em_strdup(value);
    if (strcmp(d->key, "ember.test.inject") == 0) s->env.inject = *value ? s->conf[idx] : NULL;
    if (strcmp(d->key, "ember.task.maxFailures") == 0) s->env.max_failures = atoi(value);
    if (strcmp(d->key, "ember.speculation") == 0) s->env.speculation = em_str_ieq(value, "true");
    if (strcmp(d->key, "ember.speculation.multiplier") == 0)
        s->env.speculation_multiplier = strtod(value, NULL);
    if (strcmp(d->key, "ember.speculation.quantile") == 0)
        s->env.speculation_quantile = strtod(value, NULL);
    if (strcmp(d->key, "ember.test.serializeTasks") == 0)
        s->env.serialize_tasks = em_str_ieq(value, "true");
    if (strcmp(d->key, "ember.sql.adaptive.enabled") == 0)
        s->env.adaptive = em_str_ieq(value, "true");
    if (strcmp(d->key, "ember.sql.adaptive.advisoryPartitionSizeInBytes") == 0)
        s->env.advisory_partition_bytes = em_parse_size(value);
    if (strcmp(d->key, "ember.sql.adaptive.skewJoin.skewedPartitionFactor") == 0)
        s->env.skew_factor = atoi(value);
    if (strcmp(d->key, "ember.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes") == 0)
        s->env.skew_threshold_bytes = em_parse_size(value);
    if (strcmp(d->key, "ember.sql.autoBroadcastJoinThreshold") == 0)
        s->env.broadcast_threshold = em_parse_size(value);
    return 0;
}

const char *em_session_get_conf(em_session *s, const char *key)
{
    const conf_def *d = conf_find(key);
    return d ? s->conf[d - conf_defs] : NULL;
}

static int64_t conf_int(em_session *s, const char *key)
{
    const char *v = em_session_get_conf(s, key);
    return v ? atoll(v) : 0;
}

static int64_t conf_size(em_session *s, const char *key)
{
    const char *v = em_session_get_conf(s, key);
    return v ? em_parse_size(v) : 0;
}

/* ---- sessions ---------------------------------------------------------- */

static int parse_master(const char *master, int *threads, bool *cluster, em_error *err)
{
    *cluster = false;
    if (!master || strcmp(master, "local[*]") == 0) {
        *threads = em_cpu_count();
        return 0;
    }
    if (strcmp(master, "local") == 0) {
        *threads = 1;
        return 0;
    }
    int n;
    char tail;
    if (sscanf(master, "local[%d%c", &n, &tail) == 2 && tail == ']' && n > 0 && n <= 1024 &&
        master[strlen(master) - 1] == ']') {
        *threads = n;
        return 0;
    }
    char host[256];
    int port;
    if (strncmp(master, "ember://", 8) == 0) {
        em_error perr = {0};
        if (em_net_parse_url(master, host, sizeof host, &port, &perr) < 0)
            return em_error_set(err, EM_EINVAL, "invalid master '%s': %s", master, perr.message);
        *cluster = true;
        *threads = 1; /* until the executors are known */
        return 0;
    }
    return em_error_set(err, EM_EINVAL,
                        "invalid master '%s': expected local, local[N], local[*] or "
                        "ember://host:port",
                        master);
}

int em_session_create(const char *master, em_session **out, em_error *err)
{
    int threads = 1;
    bool cluster;
    EM_TRY(parse_master(master, &threads, &cluster, err));
    em_session *s = em_calloc(1, sizeof(em_session));
    s->nthreads = threads;
    s->cluster = cluster;
    s->task_cores = threads;
    s->master = em_strdup(master ? master : "local[*]");
    for (size_t i = 0; i < EM_ARRAY_LEN(conf_defs); i++) s->conf[i] = em_strdup(conf_defs[i].def);
    s->catalog = em_catalog_create();
    s->env.pool = em_threadpool_create(threads);
    s->env.max_failures = 4;
    s->env.speculation_multiplier = 1.5;
    s->env.speculation_quantile = 0.75;
    s->env.parallelism = threads;
    s->env.adaptive = true;
    s->env.advisory_partition_bytes = (int64_t)64 << 20;
    s->env.skew_factor = 5;
    s->env.skew_threshold_bytes = (int64_t)256 << 20;
    s->env.broadcast_threshold = (int64_t)10 << 20;
    *out = s;
    return 0;
}

void em_session_destroy(em_session *s)
{
    if (!s) return;
    em_cluster_driver_stop(s->driver);
    em_threadpool_destroy(s->env.pool);
    em_catalog_destroy(s->catalog);
    for (size_t i = 0; i < EM_ARRAY_LEN(conf_defs); i++) em_free(s->conf[i]);
    em_free(s->master);
    em_free(s);
}

/* ---- results ----------------------------------------------------------- */

static em_result *result_create(const char *statement)
{
    em_result *r = em_calloc(1, sizeof(em_result));
    r->statement = statement;
    em_batch_list_init(&r->batches);
    r->strings = em_arena_create(4096);
    return r;
}

/* Take ownership of schema (copied) and the batches. */
static void result_set_rows(em_result *r, const em_schema *schema, em_batch_list *batches)
{
    r->schema = em_schema_copy(schema);
    em_batch_list_move(&r->batches, batches);
    r->starts = em_malloc(sizeof(int64_t) * (size_t)(r->batches.count + 1));
    int64_t total = 0;
    for (int64_t i = 0; i < r->batches.count; i++) {
        r->starts[i] = total;
        total += r->batches.items[i]->nrows;
    }
    r->starts[r->batches.count] = total;
    r->nrows = total;
}

void em_result_destroy(em_result *r)
{
    if (!r) return;
    em_batch_list_release(&r->batches);
    if (r->schema) em_schema_destroy(r->schema);
    em_free(r->starts);
    em_arena_destroy(r->strings);
    em_free(r);
}

const char *em_result_statement(const em_result *r)
{
    return r->statement;
}

double em_result_seconds(const em_result *r)
{
    return r->seconds;
}

int em_result_column_count(const em_result *r)
{
    return r->schema ? r->schema->nfields : 0;
}

const char *em_result_column_name(const em_result *r, int col)
{
    return col >= 0 && col < em_result_column_count(r) ? r->schema->fields[col].name : NULL;
}

const char *em_result_column_type(const em_result *r, int col)
{
    if (col < 0 || col >= em_result_column_count(r)) return NULL;
    em_result *m = (em_result *)r;
    char buf[64];
    return em_arena_strdup(m->strings, em_type_name(r->schema->fields[col].type, buf, sizeof buf));
}

int64_t em_result_row_count(const em_result *r)
{
    return r->nrows;
}

/* Locate a row: the batch holding it and its index there. */
static const em_vector *cell(const em_result *r, int64_t row, int col, int64_t *idx)
{
    if (row < 0 || row >= r->nrows || col < 0 || col >= em_result_column_count(r)) return NULL;
    int64_t lo = 0, hi = r->batches.count - 1;
    while (lo < hi) {
        int64_t mid = (lo + hi + 1) / 2;
        if (r->starts[mid] <= row)
            lo = mid;
        else
            hi = mid - 1;
    }
    *idx = row - r->starts[lo];
    return r->batches.items[lo]->cols[col];
}

bool em_result_is_null(const em_result *r, int64_t row, int col)
{
    int64_t i;
    const em_vector *v = cell(r, row, col, &i);
    return !v || !em_vector_is_valid(v, i);
}

const char *em_result_string(em_result *r, int64_t row, int col)
{
    int64_t i;
    const em_vector *v = cell(r, row, col, &i);
    if (!v || !em_vector_is_valid(v, i)) return NULL;
    em_value val = em_vector_get(v, i);
    if (val.type.id == EM_TYPE_VARCHAR) /* a vector of empty strings may have no bytes at all */
        return em_arena_strndup(r->strings, val.v.str.len > 0 ? val.v.str.ptr : "",
                                (size_t)val.v.str.len);
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_value_format(&val, &sb);
    const char *s = em_arena_strdup(r->strings, sb.data ? sb.data : "");
    em_strbuf_release(&sb);
    return s;
}

int64_t em_result_int64(const em_result *r, int64_t row, int col)
{
    int64_t i;
    const em_vector *v = cell(r, row, col, &i);
    if (!v || !em_vector_is_valid(v, i)) return 0;
    em_value val = em_vector_get(v, i);
    switch (val.type.id) {
    case EM_TYPE_BOOLEAN:
        return val.v.b;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        return val.v.i32;
    case EM_TYPE_DOUBLE:
        return (int64_t)val.v.f64;
    case EM_TYPE_DECIMAL:
        return val.v.i64 / em_pow10[val.type.scale];
    default:
        return val.v.i64;
    }
}

double em_result_double(const em_result *r, int64_t row, int col)
{
    int64_t i;
    const em_vector *v = cell(r, row, col, &i);
    if (!v || !em_vector_is_valid(v, i)) return 0;
    em_value val = em_vector_get(v, i);
    switch (val.type.id) {
    case EM_TYPE_DOUBLE:
        return val.v.f64;
    case EM_TYPE_DECIMAL:
        return (double)val.v.i64 / (double)em_pow10[val.type.scale];
    case EM_TYPE_VARCHAR:
        return 0;
    default:
        return (double)em_result_int64(r, row, col);
    }
}

int em_result_export_arrow(em_result *r, struct ArrowArrayStream *out, em_error *err)
{
    em_schema empty = {0};
    return em_arrow_export_stream(r->schema ? r->schema : &empty, &r->batches, out, err);
}

/* ---- running queries --------------------------------------------------- */

/* Everything one statement allocates. */
typedef struct stmt_ctx {
    em_session *s;
    em_arena *arena;
    em_bind_ctx bind;
} stmt_ctx;

/* Uncorrelated scalar subqueries run ahead of their query, as in Spark. */
static int run_scalar(void *ctx, em_lop *plan, em_value *out, em_error *err)
{
    stmt_ctx *c = ctx;
    em_stage_dag dag;
    EM_TRY(em__plan_lop(c->s, &c->bind, plan, NULL, false, &dag, err));
    em_batch_list rows;
    em_batch_list_init(&rows);
    EM_TRY(em__run_dag(c->s, &dag, &rows, NULL, err));
    em_type t = plan->schema->fields[0].type;
    int rc = 0;
    if (rows.rows > 1) {
        rc = em_error_set(err, EM_EINVAL,
                          "more than one row returned by a subquery used as an expression");
    } else if (rows.rows == 0) {
        *out = em_value_null(t);
    } else {
        for (int64_t i = 0; i < rows.count; i++)
            if (rows.items[i]->nrows == 1)
                *out = em_value_copy(c->arena, em_vector_get(rows.items[i]->cols[0], 0));
    }
    em_batch_list_release(&rows);
    return rc;
}

static void stmt_init(stmt_ctx *c, em_session *s)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->arena = em_arena_create(64 * 1024);
    c->bind.arena = c->arena;
    c->bind.catalog = s->catalog;
    c->bind.pool = s->env.pool;
    c->bind.parallelism = s->nthreads;
    c->bind.max_partition_bytes = conf_size(s, "ember.files.maxPartitionBytes");
    c->bind.run_scalar = run_scalar;
    c->bind.run_ctx = c;
}

static void stmt_release(stmt_ctx *c)
{
    em_bind_ctx_release(&c->bind);
    em_arena_destroy(c->arena);
}

typedef struct planned {
    em_lop *logical;
    em_pop *physical;
    em_stage_dag dag;
} planned;

static int plan_query(stmt_ctx *c, const em_ast *query, planned *out, em_error *err)
{
    em_lop *bound;
    EM_TRY(em_bind_query(&c->bind, query, &bound, err));
    return em__plan_lop(c->s, &c->bind, bound, &out->logical, false, &out->dag, err);
}

static void own_scan(void *ctx, em_scan_desc *d)
{
    em_bind_ctx *bc = ctx;
    bc->scans = em_realloc(bc->scans, sizeof(em_scan_desc *) * (size_t)(bc->nscans + 1));
    bc->scans[bc->nscans++] = d;
}

int em__session_ensure_cluster(em_session *s, em_error *err)
{
    if (!s->cluster || s->driver) return 0;
    em_cluster_conf conf = {
        .master_url = s->master,
        .app_name = em_session_get_conf(s, "ember.app.name"),
        .driver_host = em_session_get_conf(s, "ember.driver.host"),
        .secret = em_session_get_conf(s, "ember.authenticate.secret"),
        .executor_cores = (int)conf_int(s, "ember.executor.cores"),
        .max_cores = (int)conf_int(s, "ember.cores.max"),
        .executor_memory = conf_size(s, "ember.executor.memory"),
        .wait_seconds = (int)conf_int(s, "ember.cluster.executorWaitSeconds"),
    };
    EM_TRY(em_cluster_driver_start(&conf, &s->env, &s->driver, err));
    /* One scheduler thread per executor core: each blocks on one remote task. */
    int cores = EM_MAX(em_cluster_driver_cores(s->driver), 1);
    em_threadpool_destroy(s->env.pool);
    s->env.pool = em_threadpool_create(cores);
    s->nthreads = cores;
    s->env.parallelism = cores;
    s->env.backend = em_cluster_driver_backend(s->driver);
    int per = conf.executor_cores > 0 ? conf.executor_cores : 1;
    s->task_cores = EM_MIN(per, cores);
    return 0;
}

int em__plan_lop(em_session *s, em_bind_ctx *bc, em_lop *bound, em_lop **logical_out, bool single,
                 em_stage_dag *dag, em_error *err)
{
    EM_TRY(em__session_ensure_cluster(s, err));
    em_arena *a = bc->arena;
    em_lop *opt;
    EM_TRY(em_optimize(a, bound, &opt, err));
    if (logical_out) *logical_out = opt;
    em_plan_conf conf = {.shuffle_partitions = (int)conf_int(s, "ember.sql.shuffle.partitions"),
                         .parallelism = s->nthreads,
                         .broadcast_threshold = conf_size(s, "ember.sql.autoBroadcastJoinThreshold"),
                         .task_memory = conf_size(s, "ember.executor.memory") / EM_MAX(s->task_cores, 1),
                         .prefer_sort_merge = em_str_ieq(
                             em_session_get_conf(s, "ember.sql.join.preferSortMergeJoin"), "true"),
                         .own_scan = own_scan,
                         .own_ctx = bc};
    em_pop *phys;
    EM_TRY(em_physical_plan(a, opt, &conf, &phys, err));
    if (single && phys->nparts != 1) phys = em_physical_single(a, phys);
    return em_stage_dag_build(a, phys, dag, err);
}

int em__run_dag(em_session *s, const em_stage_dag *dag, em_batch_list *rows, em_job_stats *stats,
                em_error *err)
{
    EM_TRY(em__session_ensure_cluster(s, err));
    /* A pool per job: its spill files go when the job ends, whatever happened. */
    em_memory_pool *outer = s->env.memory;
    s->env.memory = em_memory_pool_create(conf_size(s, "ember.executor.memory"),
                                          em_session_get_conf(s, "ember.local.dir"));
    s->env.shuffles = em_shuffle_store_create(dag->nshuffles, s->env.memory);
    int rc = em_job_run(&s->env, dag, rows, stats, err);
    em_shuffle_store_destroy(s->env.shuffles);
    s->env.shuffles = NULL;
    em_memory_pool_destroy(s->env.memory);
    s->env.memory = outer;
    if (rc < 0) em_batch_list_release(rows);
    return rc;
}

static const em_schema *dag_schema(const em_stage_dag *dag)
{
    return dag->stages[dag->nstages - 1].root->schema;
}

/* Result columns of type NULL (SELECT NULL) are reported as VARCHAR. */
static em_schema *result_schema(const em_schema *s)
{
    em_schema *c = em_schema_copy(s);
    for (int i = 0; i < c->nfields; i++)
        if (c->fields[i].type.id == EM_TYPE_NULL) c->fields[i].type = em_type_make(EM_TYPE_VARCHAR);
    return c;
}

static int run_select(stmt_ctx *c, const em_ast *query, em_result *r, em_error *err)
{
    planned p = {0};
    EM_TRY(plan_query(c, query, &p, err));
    em_batch_list rows;
    em_batch_list_init(&rows);
    EM_TRY(em__run_dag(c->s, &p.dag, &rows, NULL, err));
    em_schema *schema = result_schema(dag_schema(&p.dag));
    result_set_rows(r, schema, &rows);
    em_schema_destroy(schema);
    return 0;
}

static void text_rows(em_result *r, const char *column, const char *text)
{
    em_schema *s = em_schema_create(1);
    s->fields[0].name = em_strdup(column);
    s->fields[0].type = em_type_make(EM_TYPE_VARCHAR);
    s->fields[0].nullable = false;
    em_vector *v = em_vector_create(s->fields[0].type, 16);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        em_vector_append_str(v, p, (int32_t)len);
        p += len + (nl ? 1 : 0);
    }
    em_batch *b = em_batch_create(1);
    b->nrows = v->length;
    em_batch_set_col(b, 0, v);
    em_batch_list rows;
    em_batch_list_init(&rows);
    em_batch_list_push(&rows, b);
    result_set_rows(r, s, &rows);
    em_schema_destroy(s);
}

static int run_explain(stmt_ctx *c, const em_ast *ast, em_result *r, em_error *err)
{
    const em_ast *inner = ast->u.explain.stmt;
    if (inner->kind != EM_AST_SELECT)
        return em_error_set_pos(err, EM_EUNSUPPORTED, inner->location + 1,
                                "EXPLAIN supports queries only");
    planned p = {0};
    EM_TRY(plan_query(c, inner, &p, err));
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "== Optimized Logical Plan ==\n");
    em_lop_format(p.logical, &sb);
    em_strbuf_puts(&sb, "\n== Physical Plan ==\n");
    if (!ast->u.explain.analyze) em_stage_dag_format(&p.dag, NULL, &sb);
    if (ast->u.explain.analyze) {
        em_batch_list rows;
        em_batch_list_init(&rows);
        em_job_stats st = {0};
        st.node_stats = em_arena_calloc(c->arena, sizeof(em_op_stats) * (size_t)(p.dag.nnodes + 1));
        em_strbuf aqe;
        em_strbuf_init(&aqe);
        st.adaptive_log = &aqe;
        st.stage_attempts =
            em_arena_calloc(c->arena, sizeof(int64_t) * (size_t)(p.dag.nstages + 1));
        int rc = em__run_dag(c->s, &p.dag, &rows, &st, err);
        if (rc < 0) {
            em_strbuf_release(&aqe);
            em_strbuf_release(&sb);
            return rc;
        }
        em_stage_dag_format(&p.dag, st.node_stats, &sb);
        em_strbuf_printf(&sb,
                         "\n== Execution ==\nrows: %lld\nstages: %d\ntasks: %lld (%lld failed "
                         "attempts)\nshuffled: %lld rows, %lld bytes\nadaptive: %d stage%s "
                         "coalesced, %lld -> %lld partitions\n",
                         (long long)rows.rows, st.nstages, (long long)st.tasks_launched,
                         (long long)st.tasks_failed, (long long)st.shuffle_rows,
                         (long long)st.shuffle_bytes, st.coalesced_stages,
                         st.coalesced_stages == 1 ? "" : "s", (long long)st.partitions_before,
                         (long long)st.partitions_after);
        em_strbuf_printf(&sb,
                         "adaptive: %d skewed join partition%s split into %lld tasks, %d skewed "
                         "aggregation partition%s split into %lld tasks, %d join%s switched to "
                         "broadcast\n",
                         st.skew_join_partitions, st.skew_join_partitions == 1 ? "" : "s",
                         (long long)st.skew_join_tasks, st.skew_agg_partitions,
                         st.skew_agg_partitions == 1 ? "" : "s", (long long)st.skew_agg_tasks,
                         st.broadcast_switches, st.broadcast_switches == 1 ? "" : "s");
        em_strbuf_printf(&sb,
                         "memory: peak %lld bytes, spilled %lld bytes in %lld files\ntime: %.3f "
                         "s\n",
                         (long long)st.peak_memory, (long long)st.spilled_bytes,
                         (long long)st.spill_files, st.seconds);
        em_strbuf_puts(&sb, "task attempts per stage:");
        for (int i = 0; i < p.dag.nstages; i++)
            em_strbuf_printf(&sb, " %d=%lld", i, (long long)st.stage_attempts[i]);
        em_strbuf_printf(&sb,
                         "\nrecovery: %lld lost map output%s recomputed, %d stage re-attempt%s, "
                         "%lld speculative task%s\n",
                         (long long)st.maps_recomputed, st.maps_recomputed == 1 ? "" : "s",
                         st.stage_reattempts, st.stage_reattempts == 1 ? "" : "s",
                         (long long)st.speculative_tasks, st.speculative_tasks == 1 ? "" : "s");
        if (aqe.len > 0) {
            em_strbuf_puts(&sb, "\n== Adaptive Execution ==\n");
            em_strbuf_append(&sb, aqe.data, aqe.len);
        }
        em_strbuf_release(&aqe);
        em_batch_list_release(&rows);
    }
    text_rows(r, "plan", sb.data);
    em_strbuf_release(&sb);
    return 0;
}

/* Run `query` and return its rows coerced to `target` (by position). */
static int materialize(stmt_ctx *c, const em_ast *query, const em_schema *target,
                       const int *target_cols, int ntarget_cols, em_schema **schema_out,
                       em_batch_list *rows, em_error *err)
{
    em_lop *bound;
    EM_TRY(em_bind_query(&c->bind, query, &bound, err));
    if (target) {
        /* INSERT: the query's columns go to target_cols (or all columns in
         * order); the others get NULL. */
        int n = target->nfields, nq = bound->schema->nfields;
        int want = target_cols ? ntarget_cols : n;
        if (nq != want)
            return em_error_set_pos(err, EM_EBIND, query->location + 1,
                                    "INSERT has %d target columns but the query gives %d", want,
                                    nq);
        em_lop *p = em_lop_new(c->arena, EM_LOP_PROJECT, 1);
        p->children[0] = bound;
        p->u.project.nexprs = n;
        p->u.project.exprs = em_arena_alloc(c->arena, sizeof(em_expr *) * (size_t)(n + 1));
        p->schema = em_lop_schema(c->arena, n);
        for (int i = 0; i < n; i++) {
            int src = target_cols ? -1 : i;
            for (int k = 0; target_cols && k < ntarget_cols; k++)
                if (target_cols[k] == i) src = k;
            em_type t = target->fields[i].type;
            em_expr *e = src >= 0 ? em_expr_column(c->arena, src, bound->schema->fields[src].type)
                                  : em_expr_const(c->arena, em_value_null(t));
            p->u.project.exprs[i] = em_expr_cast(c->arena, e, t);
            p->schema->fields[i] = target->fields[i];
        }
        bound = p;
    }
    em_stage_dag dag;
    EM_TRY(em__plan_lop(c->s, &c->bind, bound, NULL, false, &dag, err));
    EM_TRY(em__run_dag(c->s, &dag, rows, NULL, err));
    if (schema_out) *schema_out = result_schema(dag_schema(&dag));
    return 0;
}

static void count_result(em_result *r, int64_t n)
{
    em_schema *s = em_schema_create(1);
    s->fields[0].name = em_strdup("count");
    s->fields[0].type = em_type_make(EM_TYPE_BIGINT);
    em_vector *v = em_vector_create(s->fields[0].type, 1);
    em_vector_append_i64(v, n);
    em_batch *b = em_batch_create(1);
    b->nrows = 1;
    em_batch_set_col(b, 0, v);
    em_batch_list rows;
    em_batch_list_init(&rows);
    em_batch_list_push(&rows, b);
    result_set_rows(r, s, &rows);
    em_schema_destroy(s);
}

static int check_not_null(const em_table *t, const em_batch_list *rows, em_error *err)
{
    for (int c = 0; c < t->schema->nfields; c++) {
        if (t->schema->fields[c].nullable) continue;
        for (int64_t i = 0; i < rows->count; i++)
            if (em_vector_null_count(rows->items[i]->cols[c]) > 0)
                return em_error_set(err, EM_EINVAL,
                                    "NULL value in column \"%s\" of table \"%s\" violates NOT NULL",
                                    t->schema->fields[c].name, t->name);
    }
    return 0;
}

static int run_insert(stmt_ctx *c, const em_ast *ast, em_result *r, em_error *err)
{
    em_table *t = em_catalog_table(c->s->catalog, ast->u.insert.table);
    if (!t)
        return em_error_set_pos(err, EM_ENOENT, ast->location + 1, "table \"%s\" does not exist",
                                ast->u.insert.table);
    int *cols = NULL;
    int ncols = ast->u.insert.ncolumns;
    if (ncols > 0) {
        cols = em_arena_alloc(c->arena, sizeof(int) * (size_t)ncols);
        for (int i = 0; i < ncols; i++) {
            cols[i] = em_schema_find(t->schema, ast->u.insert.columns[i]);
            if (cols[i] < 0)
                return em_error_set_pos(err, EM_EBIND, ast->location + 1,
                                        "column \"%s\" of table \"%s\" does not exist",
                                        ast->u.insert.columns[i], t->name);
        }
    }
    em_batch_list rows;
    em_batch_list_init(&rows);
    EM_TRY(materialize(c, ast->u.insert.query, t->schema, cols, ncols, NULL, &rows, err));
    int rc = check_not_null(t, &rows, err);
    if (rc < 0) {
        em_batch_list_release(&rows);
        return rc;
    }
    int64_t n = rows.rows;
    em_batch_list_move(&t->data, &rows);
    count_result(r, n);
    return 0;
}

static int run_create_table(stmt_ctx *c, const em_ast *ast, em_error *err)
{
    const char *name = ast->u.create.name;
    bool replace = ast->u.create.or_replace;
    if (ast->u.create.if_not_exists &&
        (em_catalog_table(c->s->catalog, name) || em_catalog_view(c->s->catalog, name)))
        return 0;
    if (ast->u.create.query) {
        em_batch_list rows;
        em_batch_list_init(&rows);
        em_schema *schema = NULL;
        EM_TRY(materialize(c, ast->u.create.query, NULL, NULL, 0, &schema, &rows, err));
        em_table *t;
        int rc = em_catalog_create_table(c->s->catalog, name, schema, replace, &t, err);
        if (rc < 0) {
            em_batch_list_release(&rows);
            err->sql_pos = ast->location + 1;
            return rc;
        }
        /* Columns of type NULL were declared VARCHAR: give the data that type. */
        for (int64_t i = 0; i < rows.count; i++)
            for (int k = 0; k < schema->nfields; k++)
                if (rows.items[i]->cols[k]->type.id == EM_TYPE_NULL)
                    rows.items[i]->cols[k]->type = schema->fields[k].type;
        em_batch_list_move(&t->data, &rows);
        return 0;
    }
    int n = ast->u.create.ncolumns;
    em_schema *schema = em_schema_create(n);
    for (int i = 0; i < n; i++) {
        const em_ast_coldef *d = &ast->u.create.columns[i];
        for (int k = 0; k < i; k++)
            if (em_str_ieq(schema->fields[k].name, d->name)) {
                em_schema_destroy(schema);
                return em_error_set_pos(err, EM_EBIND, d->location + 1,
                                        "column \"%s\" specified more than once", d->name);
            }
        schema->fields[i].name = em_strdup(d->name);
        schema->fields[i].type = d->type;
        schema->fields[i].nullable = !d->not_null;
    }
    int rc = em_catalog_create_table(c->s->catalog, name, schema, replace, NULL, err);
    if (rc < 0) err->sql_pos = ast->location + 1;
    return rc;
}

static int run_create_view(stmt_ctx *c, const em_ast *ast, const char *text, int len,
                           em_error *err)
{
    /* Bind once now so that a broken view is reported when it is created. */
    em_lop *bound;
    EM_TRY(em_bind_query(&c->bind, ast->u.create.query, &bound, err));
    if (ast->u.create.nalias > bound->schema->nfields)
        return em_error_set_pos(err, EM_EBIND, ast->location + 1,
                                "CREATE VIEW specifies more column names than columns");
    char *sql = em_strndup(text, (size_t)len);
    int rc = em_catalog_create_view(c->s->catalog, ast->u.create.name, sql, ast->u.create.nalias,
                                    ast->u.create.alias, ast->u.create.or_replace, err);
    em_free(sql);
    if (rc < 0) err->sql_pos = ast->location + 1;
    return rc;
}

static int run_drop(stmt_ctx *c, const em_ast *ast, em_error *err)
{
    for (int i = 0; i < ast->u.drop.nnames; i++) {
        int rc = em_catalog_drop(c->s->catalog, ast->u.drop.names[i], ast->u.drop.is_view,
                                 ast->u.drop.if_exists, err);
        if (rc < 0) {
            err->sql_pos = ast->location + 1;
            return rc;
        }
    }
    return 0;
}

static int run_statement(em_session *s, const em_ast *ast, const char *text, int len,
                         em_result **out, em_error *err)
{
    static const char *kinds[] = {[EM_AST_SELECT] = "SELECT",
                                  [EM_AST_EXPLAIN] = "EXPLAIN",
                                  [EM_AST_CREATE_TABLE] = "CREATE TABLE",
                                  [EM_AST_CREATE_VIEW] = "CREATE VIEW",
                                  [EM_AST_INSERT] = "INSERT",
                                  [EM_AST_DROP] = "DROP",
                                  [EM_AST_SET] = "SET",
                                  [EM_AST_COPY] = "COPY"};
    if (ast->kind > EM_AST_SET || !kinds[ast->kind])
        return em_error_set_pos(err, EM_EUNSUPPORTED, ast->location + 1,
                                "unsupported statement");
    /* On a cluster, the executors are known before binding sizes file splits
     * for them; SET comes first so that a script can set the secret. */
    if (ast->kind != EM_AST_SET) EM_TRY(em__session_ensure_cluster(s, err));
    double t0 = em_now_seconds();
    em_result *r = result_create(kinds[ast->kind]);
    stmt_ctx c;
    stmt_init(&c, s);
    int rc;
    switch (ast->kind) {
    case EM_AST_SELECT:
        rc = run_select(&c, ast, r, err);
        break;
    case EM_AST_EXPLAIN:
        rc = run_explain(&c, ast, r, err);
        break;
    case EM_AST_CREATE_TABLE:
        rc = run_create_table(&c, ast, err);
        break;
    case EM_AST_CREATE_VIEW:
        rc = run_create_view(&c, ast, text, len, err);
        break;
    case EM_AST_INSERT:
        rc = run_insert(&c, ast, r, err);
        break;
    case EM_AST_DROP:
        rc = run_drop(&c, ast, err);
        break;
    case EM_AST_SET:
        rc = em_session_set_conf(s, ast->u.set.name, ast->u.set.value, err);
        if (rc < 0) err->sql_pos = ast->location + 1;
        break;
    default: {
        int64_t rows = 0;
        rc = em__run_copy(s, &c.bind, ast, &rows, err);
        if (rc == 0) count_result(r, rows);
    }
    }
    stmt_release(&c);
    if (rc < 0) {
        em_result_destroy(r);
        return rc;
    }
    r->seconds = em_now_seconds() - t0;
    *out = r;
    return 0;
}

/* Run every statement; each result goes to fn (which does not own it) or, when
 * `last` is given, replaces the previous one there. */
static int run_script(em_session *s, const char *sql, em_result_fn fn, void *ctx,
                      em_result **last, em_error *err)
{
    memset(err, 0, sizeof *err);
    em_arena *a = em_arena_create(16 * 1024);
    em_parsed parsed;
    int rc = em_parse(sql, a, &parsed, err);
    for (int i = 0; rc == 0 && i < parsed.nstmts; i++) {
        const char *text = sql + parsed.stmt_offsets[i];
        int len = parsed.stmt_lengths[i] > 0 ? parsed.stmt_lengths[i] : (int)strlen(text);
        em_result *r = NULL;
        rc = run_statement(s, parsed.stmts[i], text, len, &r, err);
        if (rc < 0) break;
        if (fn) rc = fn(ctx, text, len, r);
        if (last) {
            em_result_destroy(*last);
            *last = r;
        } else {
            em_result_destroy(r);
        }
    }
    em_arena_destroy(a);
    return rc;
}

int em_sql_each(em_session *s, const char *sql, em_result_fn fn, void *ctx, em_error *err)
{
    return run_script(s, sql, fn, ctx, NULL, err);
}

int em_sql(em_session *s, const char *sql, em_result **out, em_error *err)
{
    em_result *last = NULL;
    int rc = run_script(s, sql, NULL, NULL, &last, err);
    if (rc < 0) {
        em_result_destroy(last);
        return rc;
    }
    *out = last ? last : result_create("SELECT");
    return 0;
}

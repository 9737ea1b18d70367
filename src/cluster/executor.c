/*
 * executor.c — the executor process: runs a driver's tasks and serves the
 * shuffle blocks they write.
 *
 * Started by a worker (`ember executor --driver H:P ...`), it connects back to
 * the driver, registers, and then receives LaunchTask messages. Each task runs
 * on the executor's thread pool through the same code as local mode
 * (em_task_execute): a map task's output stays in this process — in memory or
 * in an indexed file under the work directory — and its sizes per reduce
 * partition go back in the TaskStatus; a result task's rows go back as encoded
 * batches. Reducers read map outputs held elsewhere by fetching them from the
 * executor that holds them (the block server below), with retries; when every
 * retry fails the task reports a fetch failure naming the lost map output, and
 * the driver recomputes it from lineage.
 *
 * The executor lives as long as its driver connection: when the driver goes
 * away (or says SHUTDOWN) it stops. Shuffle outputs are kept per job and
 * dropped when the driver ends the job.
 */
#include "cluster/cluster_int.h"

#include "memory/memory.h"
#include "net/plan_serde.h"
#include "sched/sched.h"
#include "format/format.h"
#include "sql/catalog/catalog.h"
#include "task.pb-c.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FETCH_ATTEMPTS 3

typedef struct executor executor;

/* What a job's readers need to fetch blocks held by other executors. */
typedef struct fetch_ctx {
    executor *x;
    int64_t job_id;
} fetch_ctx;

/* An in-memory table of the driver's, as far as this executor's tasks read it. */
typedef struct job_table {
    em_table table; /* data.items[i] is NULL for batches no task here has read */
    struct job_table *next;
} job_table;

typedef struct exec_job {
    int64_t id;
    fetch_ctx fetch;
    job_table *tables;
    em_shuffle_store *store;
    int nshuffles;
    int refs;  /* running tasks, plus one while the driver has not ended the job */
    volatile int cancel;
    struct exec_job *next;
} exec_job;

/* An idle connection to another executor's block server, kept for reuse. */
typedef struct idle_conn {
    char host[64];
    int port;
    em_conn *conn;
    struct idle_conn *next;
} idle_conn;

struct executor {
    const em_executor_opts *opts;
    em_conn *driver;
    em_threadpool *pool;
    em_memory_pool *memory;
    em_exec_env env; /* template: each task gets a copy with its job's store */
    pthread_mutex_t lock;
    exec_job *jobs;
    idle_conn *idle;
    int nidle;
    int listen_fd;
    int block_port;
    volatile int stopping;
    int serving; /* block server connection threads */
    int finished; /* tasks reported */
    struct exec_task *tasks; /* queued or running */
    char inject[512]; /* ember.test.inject of the latest task */
    pthread_cond_t idle_cond; /* `serving` went down */
};

static int fetch_blocks(void *ctx, const em_shuffle_location *loc, int shuffle_id, int map,
                        int first, int end, em_batch_list *out, em_error *err);

/* A task the driver sent, from its arrival until its status is sent. */
typedef struct exec_task {
    executor *x;
    Emberpb__LaunchTask *lt; /* NULL when the message was malformed */
    exec_job *job;           /* a reference, or NULL */
    int64_t task_id;
    volatile int cancel;     /* set by KILL_TASK or when the job ends */
    struct exec_task *next;  /* in the executor's list of tasks */
} exec_task;

/* The map output a task failed to fetch, recorded by the fetch function on the
 * task's own thread and read back when the task reports its failure. */
typedef struct fetch_failure {
    bool set;
    int shuffle, map;
    char executor[64];
} fetch_failure;
static _Thread_local fetch_failure tls_fetch_failure;
/* The attempt number of the task running on this thread (fault injection). */
static _Thread_local int tls_attempt;

static void number_nodes(em_pop *p, int *next)
{
    p->id = (*next)++;
    for (int i = 0; i < p->nchildren; i++) number_nodes(p->children[i], next);
}

/* ---- jobs ----------------------------------------------------------------- */

/* The job's state, created by its first task; a reference the caller drops
 * with job_unref. NULL when the driver has already ended the job. */
static exec_job *job_get(executor *x, int64_t id, int nshuffles)
{
    pthread_mutex_lock(&x->lock);
    exec_job *j = x->jobs;
    while (j && j->id != id) j = j->next;
    if (!j) {
        j = em_calloc(1, sizeof(exec_job));
        j->id = id;
        j->nshuffles = nshuffles;
        j->store = em_shuffle_store_create(nshuffles, x->memory);
        j->fetch = (fetch_ctx){.x = x, .job_id = id};
        em_shuffle_store_set_fetch(j->store, fetch_blocks, &j->fetch);
        j->refs = 1; /* the driver's, dropped by JOB_END */
        j->next = x->jobs;
        x->jobs = j;
    }
    j->refs++;
    pthread_mutex_unlock(&x->lock);
    return j;
}

static void job_unref_locked(executor *x, exec_job *j)
{
    if (--j->refs > 0) return;
    for (exec_job **pp = &x->jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            break;
        }
    em_shuffle_store_destroy(j->store);
    while (j->tables) {
        job_table *jt = j->tables;
        j->tables = jt->next;
        em_batch_list_release(&jt->table.data);
        em_free(jt->table.name);
        em_free(jt);
    }
    em_free(j);
}

static void job_unref(executor *x, exec_job *j)
{
    pthread_mutex_lock(&x->lock);
    job_unref_locked(x, j);
    pthread_mutex_unlock(&x->lock);
}

static void job_end(executor *x, int64_t id)
{
    pthread_mutex_lock(&x->lock);
    exec_job *j = x->jobs;
    while (j && j->id != id) j = j->next;
    if (j) {
        j->cancel = 1;
        for (struct exec_task *t = x->tasks; t; t = t->next)
            if (t->job == j) t->cancel = 1;
        j->id = -1 - j->id; /* no new task or fetch finds it */
        job_unref_locked(x, j);
    }
    pthread_mutex_unlock(&x->lock);
}

/* ---- fetching blocks from other executors -------------------------------- */

static em_conn *take_conn(executor *x, const char *host, int port)
{
    pthread_mutex_lock(&x->lock);
    for (idle_conn **pp = &x->idle; *pp; pp = &(*pp)->next) {
        idle_conn *ic = *pp;
        if (ic->port == port && strcmp(ic->host, host) == 0) {
            *pp = ic->next;
            x->nidle--;
            pthread_mutex_unlock(&x->lock);
            em_conn *c = ic->conn;
            em_free(ic);
            return c;
        }
    }
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

static void give_conn(executor *x, const char *host, int port, em_conn *c)
{
    pthread_mutex_lock(&x->lock);
    if (x->nidle >= 16) {
        pthread_mutex_unlock(&x->lock);
        em_conn_close(c);
        return;
    }
    idle_conn *ic = em_calloc(1, sizeof(idle_conn));
    snprintf(ic->host, sizeof ic->host, "%s", host);
    ic->port = port;
    ic->conn = c;
    ic->next = x->idle;
    x->idle = ic;
    x->nidle++;
    pthread_mutex_unlock(&x->lock);
}

/* One fetch over one connection: request, then blocks until FETCH_END. */
static int fetch_once(em_conn *c, int64_t job_id, int shuffle_id, int map, int first, int end,
                      em_strbuf *bytes, int64_t *nblocks, em_error *err)
{
    Emberpb__FetchRequest req = EMBERPB__FETCH_REQUEST__INIT;
    req.job_id = job_id;
    req.shuffle_id = shuffle_id;
    req.map = map;
    req.reduce_first = first;
    req.reduce_end = end;
    EM_TRY(em__cluster_send(c, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH, &req.base, err));
    for (;;) {
        uint16_t type;
        uint8_t *payload;
        size_t len;
        EM_TRY(em_conn_recv(c, EM_CLUSTER_FETCH_TIMEOUT_MS, &type, &payload, &len, err));
        if (type == EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH_BLOCK) {
            em_strbuf_append(bytes, (const char *)payload, len);
            em_free(payload);
            continue;
        }
        if (type != EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH_END) {
            em_free(payload);
            return em_error_set(err, EM_EIO, "unexpected message %u in a fetch", type);
        }
        Emberpb__FetchEnd *fe = emberpb__fetch_end__unpack(NULL, len, payload);
        em_free(payload);
        if (!fe) return em_error_set(err, EM_EIO, "malformed fetch reply");
        int rc = 0;
        if (!fe->ok)
            rc = em_error_set(err, EM_ENOENT, "%.*s", (int)fe->error_message.len,
                              (const char *)fe->error_message.data);
        *nblocks = fe->blocks;
        emberpb__fetch_end__free_unpacked(fe, NULL);
        return rc;
    }
}

static int decode_blocks(const em_strbuf *bytes, int64_t nblocks, em_batch_list *out,
                         em_error *err)
{
    size_t off = 0;
    int64_t n = 0;
    while (off < bytes->len) {
        em_batch *b;
        size_t used;
        EM_TRY(em_batch_decode((const uint8_t *)bytes->data + off, bytes->len - off, &b, &used,
                               err));
        em_batch_list_push(out, b);
        off += used;
        n++;
    }
    if (n != nblocks)
        return em_error_set(err, EM_EFORMAT, "fetched %lld blocks, the server sent %lld",
                            (long long)n, (long long)nblocks);
    return 0;
}

static int fetch_blocks(void *ctx, const em_shuffle_location *loc, int shuffle_id, int map,
                        int first, int end, em_batch_list *out, em_error *err)
{
    fetch_ctx *fc = ctx;
    executor *x = fc->x;
    em_error last = {0};
    pthread_mutex_lock(&x->lock);
    /* Injected into first attempts only, so that the rerun gets through. */
    bool inject = tls_attempt == 0 && em_inject_fetch_fail(x->inject, shuffle_id, map);
    pthread_mutex_unlock(&x->lock);
    if (inject) {
        tls_fetch_failure = (fetch_failure){.set = true, .shuffle = shuffle_id, .map = map};
        snprintf(tls_fetch_failure.executor, sizeof tls_fetch_failure.executor, "%s",
                 loc->executor);
        return em_error_set(err, EM_EFETCH, "injected fetch failure of shuffle %d map %d from %s",
                            shuffle_id, map, loc->executor);
    }
    for (int attempt = 0; attempt < FETCH_ATTEMPTS; attempt++) {
        if (attempt > 0) usleep((useconds_t)(100000 << (attempt - 1)));
        em_conn *c = take_conn(x, loc->host, loc->port);
        int rc = 0;
        if (!c) {
            rc = em_net_connect(loc->host, loc->port, EM_CLUSTER_CONNECT_TIMEOUT_MS, &c, &last);
            if (rc == 0)
                rc = em_conn_handshake_client(c, EM_ROLE_FETCH, x->opts->secret,
                                              EM_CLUSTER_CONNECT_TIMEOUT_MS, &last);
        }
        em_strbuf bytes;
        em_strbuf_init(&bytes);
        int64_t nblocks = 0;
        if (rc == 0)
            rc = fetch_once(c, fc->job_id, shuffle_id, map, first, end, &bytes, &nblocks, &last);
        if (rc == 0) {
            em_batch_list got;
            em_batch_list_init(&got);
            rc = decode_blocks(&bytes, nblocks, &got, &last);
            if (rc == 0) em_batch_list_move(out, &got);
            em_batch_list_release(&got);
        }
        em_strbuf_release(&bytes);
        if (rc == 0) {
            give_conn(x, loc->host, loc->port, c);
            return 0;
        }
        if (c) em_conn_close(c);
        em_log_warn("executor %s: fetch of shuffle %d map %d from %s (%s:%d) failed (attempt %d): %s",
                    x->opts->executor_id, shuffle_id, map, loc->executor, loc->host, loc->port,
                    attempt + 1, last.message);
    }
    tls_fetch_failure = (fetch_failure){.set = true, .shuffle = shuffle_id, .map = map};
    snprintf(tls_fetch_failure.executor, sizeof tls_fetch_failure.executor, "%s", loc->executor);
    return em_error_set(err, EM_EFETCH,
                        "cannot fetch shuffle %d map %d from executor %s at %s:%d: %s", shuffle_id,
                        map, loc->executor, loc->host, loc->port, last.message);
}

/* ---- the block server ------------------------------------------------------ */

typedef struct serve_arg {
    executor *x;
    em_conn *conn;
} serve_arg;

static int serve_fetch(executor *x, em_conn *c, const uint8_t *payload, size_t len, em_error *err)
{
    Emberpb__FetchRequest *req = emberpb__fetch_request__unpack(NULL, len, payload);
    if (!req) return em_error_set(err, EM_EIO, "malformed fetch request");
    em_strbuf bytes;
    em_strbuf_init(&bytes);
    int64_t nblocks = 0;
    em_error ferr = {0};
    int rc = EM_ENOENT;
    pthread_mutex_lock(&x->lock);
    exec_job *j = x->jobs;
    while (j && j->id != req->job_id) j = j->next;
    if (j) j->refs++;
    pthread_mutex_unlock(&x->lock);
    if (!j)
        em_error_set(&ferr, EM_ENOENT, "job %lld is not known here", (long long)req->job_id);
    else if (!em_shuffle_registered(j->store, req->shuffle_id))
        em_error_set(&ferr, EM_ENOENT, "shuffle %d is not held here", req->shuffle_id);
    else
        rc = em_shuffle_read_encoded(j->store, req->shuffle_id, req->map, req->reduce_first,
                                     req->reduce_end, &bytes, &nblocks, &ferr);
    if (j) job_unref(x, j);
    emberpb__fetch_request__free_unpacked(req, NULL);
    int sent = 0;
    /* Blocks go in frames of at most a few MiB, whatever the block boundaries. */
    const size_t chunk = (size_t)4 << 20;
    for (size_t off = 0; rc == 0 && sent == 0 && off < bytes.len; off += chunk)
        sent = em_conn_send(c, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH_BLOCK, bytes.data + off,
                            EM_MIN(chunk, bytes.len - off), EM_CLUSTER_SEND_TIMEOUT_MS, err);
    em_strbuf_release(&bytes);
    if (sent < 0) return sent;
    Emberpb__FetchEnd fe = EMBERPB__FETCH_END__INIT;
    fe.ok = rc == 0;
    fe.blocks = nblocks;
    if (rc < 0) {
        fe.error_message.data = (uint8_t *)ferr.message;
        fe.error_message.len = strlen(ferr.message);
    }
    return em__cluster_send(c, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH_END, &fe.base, err);
}

static void *serve_conn(void *arg)
{
    serve_arg *sa = arg;
    executor *x = sa->x;
    em_conn *c = sa->conn;
    em_free(sa);
    em_error err = {0};
    char role[32];
    bool ok = em_conn_handshake_server(c, x->opts->secret, EM_CLUSTER_CONNECT_TIMEOUT_MS, role,
                                       sizeof role, &err) == 0;
    /* A refused handshake was logged by wire.c. */
    while (ok && !x->stopping) {
        uint16_t type;
        uint8_t *payload;
        size_t len;
        int rc = em_conn_recv(c, 1000, &type, &payload, &len, &err);
        if (rc == EM_ETIMEOUT) continue;
        if (rc < 0) break;
        if (type != EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_FETCH) {
            em_log_warn("executor %s: unexpected message %u from %s; closing", x->opts->executor_id,
                        type, em_conn_peer(c));
            em_free(payload);
            break;
        }
        rc = serve_fetch(x, c, payload, len, &err);
        em_free(payload);
        if (rc < 0) {
            em_log_warn("executor %s: fetch from %s: %s", x->opts->executor_id, em_conn_peer(c),
                        err.message);
            break;
        }
    }
    em_conn_close(c);
    pthread_mutex_lock(&x->lock);
    x->serving--;
    pthread_cond_broadcast(&x->idle_cond);
    pthread_mutex_unlock(&x->lock);
    return NULL;
}

static void *accept_loop(void *arg)
{
    executor *x = arg;
    while (!x->stopping) {
        em_conn *c;
        em_error err = {0};
        int rc = em_net_accept(x->listen_fd, 500, &c, &err);
        if (rc == EM_ETIMEOUT) continue;
        if (rc < 0) {
            if (!x->stopping) em_log_warn("executor: accept failed: %s", err.message);
            usleep(100000);
            continue;
        }
        serve_arg *sa = em_calloc(1, sizeof(serve_arg));
        sa->x = x;
        sa->conn = c;
        pthread_t th;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_mutex_lock(&x->lock);
        x->serving++;
        pthread_mutex_unlock(&x->lock);
        if (pthread_create(&th, &attr, serve_conn, sa) != 0) {
            em_conn_close(c);
            em_free(sa);
            pthread_mutex_lock(&x->lock);
            x->serving--;
            pthread_mutex_unlock(&x->lock);
        }
        pthread_attr_destroy(&attr);
    }
    return NULL;
}

/* ---- tasks ------------------------------------------------------------------ */



/* Lookup for the task decoder: the job's in-memory tables. */
static em_table *lookup_table(void *ctx, const char *name)
{
    exec_job *j = ctx;
    for (job_table *jt = j->tables; jt; jt = jt->next)
        if (strcmp(jt->table.name, name) == 0) return &jt->table;
    return NULL;
}

/* Keep the table batches a task brought (on the driver connection's thread,
 * before the task is queued, so a task always finds its own slice). */
static int add_tables(executor *x, exec_job *j, const Emberpb__LaunchTask *lt, em_error *err)
{
    for (size_t i = 0; i < lt->n_tables; i++) {
        const Emberpb__TableSlice *ts = lt->tables[i];
        if (ts->total < 0 || ts->first < 0 || ts->first + (int64_t)ts->n_blocks > ts->total ||
            ts->total > ((int64_t)1 << 30))
            return em_error_set(err, EM_EINVAL, "malformed table slice");
        char name[256];
        em__pb_copy(name, sizeof name, &ts->name);
        pthread_mutex_lock(&x->lock);
        job_table *jt = j->tables;
        while (jt && strcmp(jt->table.name, name) != 0) jt = jt->next;
        if (!jt) {
            jt = em_calloc(1, sizeof(job_table));
            jt->table.name = em_strdup(name);
            jt->table.data.items = em_calloc((size_t)EM_MAX(ts->total, 1), sizeof(em_batch *));
            jt->table.data.count = jt->table.data.cap = ts->total;
            jt->next = j->tables;
            j->tables = jt;
        }
        int rc = 0;
        if (jt->table.data.count != ts->total)
            rc = em_error_set(err, EM_EINVAL, "table '%s' changed size during the job", name);
        for (size_t k = 0; rc == 0 && k < ts->n_blocks; k++) {
            em_batch **slot = &jt->table.data.items[ts->first + (int64_t)k];
            if (*slot) continue;
            size_t used;
            rc = em_batch_decode(ts->blocks[k].data, ts->blocks[k].len, slot, &used, err);
        }
        pthread_mutex_unlock(&x->lock);
        EM_TRY(rc);
    }
    return 0;
}

/* Record what the task was given: its job's shuffles and where their maps are. */
static void apply_shuffles(executor *x, exec_job *j, const Emberpb__LaunchTask *lt)
{
    pthread_mutex_lock(&x->lock);
    for (size_t i = 0; i < lt->n_shuffles; i++) {
        const Emberpb__ShuffleInfo *si = lt->shuffles[i];
        if (si->shuffle_id < 0 || si->shuffle_id >= j->nshuffles || si->nmaps < 0 ||
            si->nreduce < 0)
            continue;
        if (em_shuffle_registered(j->store, si->shuffle_id) &&
            (em_shuffle_nmaps(j->store, si->shuffle_id) != si->nmaps ||
             em_shuffle_nreduce(j->store, si->shuffle_id) != si->nreduce))
            /* Adaptive execution reuses a spare shuffle id with a new shape
             * for a later stage: what it held before is no longer read. */
            em_shuffle_release(j->store, si->shuffle_id);
        if (!em_shuffle_registered(j->store, si->shuffle_id))
            em_shuffle_register(j->store, si->shuffle_id, si->nmaps, si->nreduce);
    }
    pthread_mutex_unlock(&x->lock);
    for (size_t i = 0; i < lt->n_shuffles; i++) {
        const Emberpb__ShuffleInfo *si = lt->shuffles[i];
        if (si->shuffle_id < 0 || si->shuffle_id >= j->nshuffles) continue;
        for (size_t k = 0; k < si->n_maps; k++) {
            const Emberpb__MapLocation *ml = si->maps[k];
            em_shuffle_location loc = {.port = ml->port};
            em__pb_copy(loc.executor, sizeof loc.executor, &ml->executor_id);
            em__pb_copy(loc.host, sizeof loc.host, &ml->host);
            if (ml->empty) {
                em_shuffle_set_empty(j->store, si->shuffle_id, ml->map);
                continue;
            }
            /* Our own outputs are read from the store directly. */
            if (strcmp(loc.executor, x->opts->executor_id) == 0) continue;
            em_shuffle_set_remote(j->store, si->shuffle_id, ml->map, &loc, NULL, 0);
        }
    }
}

static char *bytes_dup(em_arena *a, ProtobufCBinaryData b)
{
    char *s = em_arena_alloc(a, b.len + 1);
    if (b.len) memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    return s;
}

/* COPY ... TO: the driver's write description, rebuilt in `a`; the schema is
 * heap-allocated (free with em_schema_destroy). */
static int read_write_desc(const Emberpb__WriteDesc *wd, em_arena *a, em_write_desc **out,
                           em_error *err)
{
    em_write_desc *w = em_arena_alloc(a, sizeof *w);
    memset(w, 0, sizeof *w);
    w->format = bytes_dup(a, wd->format);
    w->path = bytes_dup(a, wd->path);
    w->single_file = wd->single_file;
    w->noptions = (int)wd->n_options;
    w->options = em_arena_alloc(a, sizeof(em_kv) * (wd->n_options + 1));
    for (size_t i = 0; i < wd->n_options; i++) {
        w->options[i].key = bytes_dup(a, wd->options[i]->key);
        w->options[i].value = bytes_dup(a, wd->options[i]->value);
    }
    w->schema = em_schema_create((int)wd->n_schema);
    for (size_t i = 0; i < wd->n_schema; i++) {
        const Emberpb__Column *c = wd->schema[i];
        if (c->type_id > EM_TYPE_INTERVAL || c->precision > 38 || c->scale > c->precision) {
            em_schema_destroy(w->schema);
            return em_error_set(err, EM_EINVAL, "malformed write description: column %zu", i);
        }
        w->schema->fields[i].name = em_strdup(bytes_dup(a, c->name));
        w->schema->fields[i].type =
            (em_type){.id = (uint8_t)c->type_id, .precision = (uint8_t)c->precision,
                      .scale = (uint8_t)c->scale};
    }
    w->npartition_cols = (int)wd->n_partition_cols;
    w->partition_cols = em_arena_alloc(a, sizeof(int) * (wd->n_partition_cols + 1));
    for (size_t i = 0; i < wd->n_partition_cols; i++) {
        if (wd->partition_cols[i] < 0 || wd->partition_cols[i] >= (int)wd->n_schema) {
            em_schema_destroy(w->schema);
            return em_error_set(err, EM_EINVAL, "malformed write description: partition column");
        }
        w->partition_cols[i] = wd->partition_cols[i];
    }
    w->max_file_bytes = wd->max_file_bytes;
    w->job_id = bytes_dup(a, wd->job_id);
    *out = w;
    return 0;
}

static int run_launch(executor *x, exec_job *j, volatile int *cancel,
                      const Emberpb__LaunchTask *lt, Emberpb__TaskStatus *st,
                      em_strbuf *blocks, ProtobufCBinaryData **block_ptrs, size_t *nblocks,
                      int64_t **sizes, em_op_stats **stats_out, int *nnodes_out, em_error *err)
{
    em_arena *arena = em_arena_create(16384);
    em_task_desc desc;
    em_stage *stage;
    int rc = em_task_desc_deserialize(lt->task.data, lt->task.len, arena, lookup_table, j, &desc,
                                      &stage, err);
    if (rc < 0) {
        em_arena_destroy(arena);
        return rc;
    }
    int nnodes = 0;
    number_nodes(stage->root, &nnodes);
    em_op_stats *stats = em_calloc((size_t)EM_MAX(nnodes, 1), sizeof(em_op_stats));
    apply_shuffles(x, j, lt);
    em_exec_env env = x->env;
    env.shuffles = j->store;
    char inject[512];
    em__pb_copy(inject, sizeof inject, &lt->inject);
    env.inject = inject[0] ? inject : NULL;
    pthread_mutex_lock(&x->lock);
    memcpy(x->inject, inject, sizeof inject);
    pthread_mutex_unlock(&x->lock);
    em_task_spec spec = {.partition = desc.partition,
                         .attempt = desc.attempt,
                         .part_first = lt->part_first,
                         .part_end = lt->part_end,
                         .coalesced = lt->coalesced};
    for (size_t i = 0; i < lt->n_map_ranges && i < EM_MAX_MAP_RANGES; i++) {
        const Emberpb__MapRange *mr = lt->map_ranges[i];
        spec.map_ranges[spec.nmap_ranges++] =
            (em_map_range){.shuffle_id = mr->shuffle_id, .map_first = mr->map_first,
                           .map_end = mr->map_end};
    }
    em_batch_list out;
    em_batch_list_init(&out);
    tls_fetch_failure.set = false;
    tls_attempt = desc.attempt;
    em_write_desc *write = NULL;
    if (lt->write) rc = read_write_desc(lt->write, arena, &write, err);
    if (rc == 0) {
        em_memory_task_begin(x->memory);
        rc = em_task_execute(&env, stage, &spec, write, cancel, &out, stats, nnodes, err);
        em_memory_task_end(x->memory);
    }
    if (write) em_schema_destroy(write->schema);
    if (rc == 0 && stage->is_result) {
        *block_ptrs = em_calloc((size_t)EM_MAX(out.count, 1), sizeof(ProtobufCBinaryData));
        size_t *ends = em_calloc((size_t)EM_MAX(out.count, 1), sizeof(size_t));
        for (int64_t i = 0; i < out.count; i++) {
            em_batch_encode(out.items[i], blocks);
            ends[i] = blocks->len;
        }
        for (int64_t i = 0; i < out.count; i++) {
            size_t start = i ? ends[i - 1] : 0;
            (*block_ptrs)[i].data = (uint8_t *)blocks->data + start;
            (*block_ptrs)[i].len = ends[i] - start;
        }
        *nblocks = (size_t)out.count;
        em_free(ends);
    } else if (rc == 0) {
        int nreduce = stage->out_nparts;
        *sizes = em_calloc((size_t)EM_MAX(nreduce, 1), sizeof(int64_t));
        em_shuffle_map_sizes(j->store, stage->shuffle_id, desc.partition, *sizes, &st->output_rows);
        st->partition_bytes = *sizes;
        st->n_partition_bytes = (size_t)nreduce;
    }
    em_batch_list_release(&out);
    *stats_out = stats;
    *nnodes_out = nnodes;
    em_plan_serde_release(stage);
    em_arena_destroy(arena);
    return rc;
}

static void run_task_thread(void *arg)
{
    exec_task *et = arg;
    executor *x = et->x;
    em_error err = {0};
    Emberpb__TaskStatus st = EMBERPB__TASK_STATUS__INIT;
    Emberpb__LaunchTask *lt = et->lt;
    em_strbuf blocks;
    em_strbuf_init(&blocks);
    ProtobufCBinaryData *block_ptrs = NULL;
    size_t nblocks = 0;
    int64_t *sizes = NULL;
    em_op_stats *stats = NULL;
    int nnodes = 0;
    int rc;
    st.task_id = et->task_id;
    if (!lt || !et->job) {
        rc = em_error_set(&err, EM_EINVAL, "malformed LaunchTask message");
    } else {
        int64_t spilled0 = em_memory_pool_spilled_bytes(x->memory);
        rc = et->cancel ? em_error_set(&err, EM_ECANCELED, "task killed before it started")
                        : run_launch(x, et->job, &et->cancel, lt, &st, &blocks, &block_ptrs,
                                     &nblocks, &sizes, &stats, &nnodes, &err);
        st.spilled_bytes = em_memory_pool_spilled_bytes(x->memory) - spilled0;
        st.peak_memory = em_memory_pool_peak(x->memory);
    }
    Emberpb__NodeStats *ns = em_calloc((size_t)EM_MAX(nnodes, 1), sizeof(Emberpb__NodeStats));
    Emberpb__NodeStats **nsp = em_calloc((size_t)EM_MAX(nnodes, 1), sizeof(Emberpb__NodeStats *));
    size_t nns = 0;
    for (int i = 0; rc == 0 && i < nnodes; i++) {
        const em_op_stats *s = &stats[i];
        if (!s->rows_in && !s->rows_out && !s->nanos && !s->batches_in) continue;
        emberpb__node_stats__init(&ns[nns]);
        ns[nns].index = i;
        ns[nns].rows_in = s->rows_in;
        ns[nns].rows_out = s->rows_out;
        ns[nns].batches_in = s->batches_in;
        ns[nns].nanos = s->nanos;
        ns[nns].mem_peak = s->mem_peak;
        ns[nns].spilled = s->spilled;
        nsp[nns] = &ns[nns];
        nns++;
    }
    st.stats = nsp;
    st.n_stats = nns;
    st.result_blocks = block_ptrs;
    st.n_result_blocks = nblocks;
    if (rc == 0) {
        st.state = EMBERPB__TASK_STATE__TASK_OK;
    } else {
        st.state = rc == EM_EFETCH && tls_fetch_failure.set ? EMBERPB__TASK_STATE__TASK_FETCH_FAILED
                                                            : EMBERPB__TASK_STATE__TASK_FAILED;
        st.error_code = rc;
        em__pb_set(&st.error_message, err.message);
        if (st.state == EMBERPB__TASK_STATE__TASK_FETCH_FAILED) {
            st.fetch_shuffle = tls_fetch_failure.shuffle;
            st.fetch_map = tls_fetch_failure.map;
            em__pb_set(&st.fetch_executor, tls_fetch_failure.executor);
        }
    }
    em_error serr = {0};
    if (em__cluster_send(x->driver, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_STATUS, &st.base, &serr) < 0)
        em_log_warn("executor %s: cannot report task %lld: %s", x->opts->executor_id,
                    (long long)st.task_id, serr.message);
    em_free(ns);
    em_free(nsp);
    em_free(stats);
    em_free(sizes);
    em_free(block_ptrs);
    em_strbuf_release(&blocks);
    if (lt) emberpb__launch_task__free_unpacked(lt, NULL);
    if (et->job) job_unref(x, et->job);
    pthread_mutex_lock(&x->lock);
    for (struct exec_task **pp = &x->tasks; *pp; pp = &(*pp)->next)
        if (*pp == et) {
            *pp = et->next;
            break;
        }
    int finished = ++x->finished;
    bool leave = em_inject_executor_exit(x->inject, x->opts->executor_id, finished);
    pthread_mutex_unlock(&x->lock);
    em_free(et);
    if (leave) {
        em_log_warn("executor %s: exiting after %d tasks (ember.test.inject)", x->opts->executor_id,
                    finished);
        _exit(3);
    }
}

/* ---- the process ------------------------------------------------------------- */

static int register_with_driver(executor *x, em_error *err)
{
    char host[256];
    int port;
    EM_TRY(em_net_parse_url(x->opts->driver_url, host, sizeof host, &port, err));
    EM_TRY(em_net_connect(host, port, EM_CLUSTER_CONNECT_TIMEOUT_MS, &x->driver, err));
    EM_TRY(em_conn_handshake_client(x->driver, EM_ROLE_EXECUTOR, x->opts->secret,
                                    EM_CLUSTER_CONNECT_TIMEOUT_MS, err));
    Emberpb__RegisterExecutor reg = EMBERPB__REGISTER_EXECUTOR__INIT;
    em__pb_set(&reg.executor_id, x->opts->executor_id);
    em__pb_set(&reg.app_id, x->opts->app_id ? x->opts->app_id : "");
    em__pb_set(&reg.host, x->opts->host ? x->opts->host : "127.0.0.1");
    reg.block_port = x->block_port;
    reg.cores = x->opts->cores;
    reg.memory = x->opts->memory;
    reg.pid = (int32_t)getpid();
    EM_TRY(em__cluster_send(x->driver, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_REGISTER, &reg.base, err));
    uint16_t type;
    uint8_t *payload;
    size_t len;
    EM_TRY(em_conn_recv(x->driver, EM_CLUSTER_SEND_TIMEOUT_MS, &type, &payload, &len, err));
    Emberpb__Registered *ok = NULL;
    if (type == EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_REGISTERED)
        ok = emberpb__registered__unpack(NULL, len, payload);
    em_free(payload);
    if (!ok)
        return em_error_set(err, EM_EIO, "the driver answered registration with message %u", type);
    /* Relative paths in the driver's queries mean paths under its directory. */
    char cwd[4096];
    em__pb_copy(cwd, sizeof cwd, &ok->driver_cwd);
    emberpb__registered__free_unpacked(ok, NULL);
    if (cwd[0] && chdir(cwd) != 0)
        em_log_warn("executor %s: cannot work from the driver's directory %s; relative paths "
                    "will not resolve",
                    x->opts->executor_id, cwd);
    return 0;
}

static void serve_driver(executor *x)
{
    for (;;) {
        uint16_t type;
        uint8_t *payload;
        size_t len;
        em_error err = {0};
        int rc = em_conn_recv(x->driver, 1000, &type, &payload, &len, &err);
        if (rc == EM_ETIMEOUT) continue;
        if (rc < 0) {
            em_log_info("executor %s: driver connection ended (%s); stopping", x->opts->executor_id,
                        err.message);
            return;
        }
        switch (type) {
        case EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_LAUNCH: {
            exec_task *et = em_calloc(1, sizeof(exec_task));
            et->x = x;
            et->lt = emberpb__launch_task__unpack(NULL, len, payload);
            em_free(payload);
            if (et->lt) {
                et->task_id = et->lt->task_id;
                if (et->lt->nshuffles >= 0 && et->lt->nshuffles <= 100000) {
                    et->job = job_get(x, et->lt->job_id, et->lt->nshuffles);
                    em_error terr = {0};
                    if (add_tables(x, et->job, et->lt, &terr) < 0) {
                        em_log_warn("executor %s: %s", x->opts->executor_id, terr.message);
                        job_unref(x, et->job);
                        et->job = NULL;
                    }
                }
            }
            pthread_mutex_lock(&x->lock);
            et->next = x->tasks;
            x->tasks = et;
            if (et->job && et->job->cancel) et->cancel = 1;
            pthread_mutex_unlock(&x->lock);
            em_threadpool_submit(x->pool, run_task_thread, et);
            continue;
        }
        case EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_JOB_END: {
            Emberpb__JobEnd *je = emberpb__job_end__unpack(NULL, len, payload);
            if (je) {
                job_end(x, je->job_id);
                emberpb__job_end__free_unpacked(je, NULL);
            }
            break;
        }
        case EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_KILL_TASK: {
            Emberpb__KillTask *kt = emberpb__kill_task__unpack(NULL, len, payload);
            if (kt) {
                pthread_mutex_lock(&x->lock);
                for (exec_task *t = x->tasks; t; t = t->next)
                    if (t->task_id == kt->task_id) t->cancel = 1;
                pthread_mutex_unlock(&x->lock);
                emberpb__kill_task__free_unpacked(kt, NULL);
            }
            break;
        }
        case EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_SHUTDOWN:
            em_free(payload);
            em_log_info("executor %s: the driver asked to stop", x->opts->executor_id);
            return;
        default:
            em_log_warn("executor %s: unexpected message %u from the driver", x->opts->executor_id,
                        type);
            break;
        }
        em_free(payload);
    }
}

int em_executor_run(const em_executor_opts *opts, em_error *err)
{
    signal(SIGPIPE, SIG_IGN);
    /* An executor belongs to its worker: when the worker dies, so does it (a
     * worker killed with SIGKILL cannot stop its children itself). */
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) return em_error_set(err, EM_EIO, "the worker is already gone");
    executor x = {.opts = opts, .listen_fd = -1};
    pthread_mutex_init(&x.lock, NULL);
    pthread_cond_init(&x.idle_cond, NULL);
    int cores = opts->cores > 0 ? opts->cores : 1;
    /* Spill files stay in the work directory after the move to the driver's. */
    char work[4096];
    if (!realpath(opts->work_dir ? opts->work_dir : ".", work))
        snprintf(work, sizeof work, "%s", opts->work_dir ? opts->work_dir : ".");
    x.memory = em_memory_pool_create(opts->memory > 0 ? opts->memory : (int64_t)1 << 30, work);
    x.pool = em_threadpool_create(cores);
    x.env = (em_exec_env){.pool = x.pool,
                          .memory = x.memory,
                          .max_failures = 1,
                          .parallelism = cores,
                          .adaptive = false};
    pthread_t acceptor;
    bool accepting = false;
    int rc = em_net_listen(opts->host ? opts->host : "127.0.0.1", 0, &x.listen_fd, &x.block_port,
                           err);
    if (rc == 0) {
        accepting = pthread_create(&acceptor, NULL, accept_loop, &x) == 0;
        if (!accepting) rc = em_error_set(err, EM_EINTERNAL, "cannot start the block server");
    }
    if (rc == 0) rc = register_with_driver(&x, err);
    if (rc == 0) {
        em_log_info("executor %s: registered with driver %s (block server on port %d, %d cores)",
                    opts->executor_id, opts->driver_url, x.block_port, cores);
        serve_driver(&x);
    }
    /* Stop: let running tasks see their jobs cancelled, then wait for them. */
    pthread_mutex_lock(&x.lock);
    for (exec_job *j = x.jobs; j; j = j->next) j->cancel = 1;
    for (exec_task *t = x.tasks; t; t = t->next) t->cancel = 1;
    pthread_mutex_unlock(&x.lock);
    em_threadpool_destroy(x.pool);
    x.stopping = 1;
    if (accepting) pthread_join(acceptor, NULL);
    /* Block server threads notice `stopping` within a receive timeout. */
    pthread_mutex_lock(&x.lock);
    while (x.serving > 0) pthread_cond_wait(&x.idle_cond, &x.lock);
    pthread_mutex_unlock(&x.lock);
    if (x.listen_fd >= 0) close(x.listen_fd);
    if (x.driver) em_conn_close(x.driver);
    while (x.jobs) {
        exec_job *j = x.jobs;
        j->refs = 1;
        job_unref_locked(&x, j);
    }
    while (x.idle) {
        idle_conn *ic = x.idle;
        x.idle = ic->next;
        em_conn_close(ic->conn);
        em_free(ic);
    }
    em_memory_pool_cleanup(x.memory);
    em_memory_pool_destroy(x.memory);
    pthread_cond_destroy(&x.idle_cond);
    pthread_mutex_destroy(&x.lock);
    return rc;
}

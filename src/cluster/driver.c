/*
 * driver.c — the driver's side of a cluster: the task backend that runs the
 * scheduler's tasks on remote executors, and the map-output tracker's updates.
 *
 * The driver registers its application with the master, which has workers
 * start executor processes; those connect back to the driver's listening
 * socket, register, and are then given tasks. The scheduler (sched/scheduler.c)
 * is the same as in local mode: its threads call backend_run, which picks an
 * executor with a free core, sends the task (its serialized plan fragment plus
 * where the parent stages' map outputs live), and blocks until the executor's
 * TaskStatus arrives or the executor is lost. A finished map task's output
 * location and sizes go into the job's shuffle store, which is the map-output
 * tracker adaptive execution reads. A lost executor (connection closed, or the
 * master reporting it dead) fails the tasks it was running with a retryable
 * error and drops every map output it held, which the scheduler recomputes from
 * lineage.
 */
#include "cluster/cluster_int.h"

#include "net/plan_serde.h"
#include "sched/sched.h"
#include "format/format.h"
#include "sql/catalog/catalog.h"
#include "task.pb-c.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct remote_exec {
    char id[64];
    char host[64];
    int block_port;
    int cores;
    int free; /* cores not running a task */
    bool alive;
    em_conn *conn;
    pthread_t reader;
    bool reader_started;
    int pid;
    struct remote_exec *next;
} remote_exec;

typedef struct pending {
    int64_t task_id;
    remote_exec *ex;
    bool done, lost;
    /* Another attempt won while this one ran: nobody waits for it any more, but
     * its executor's core stays taken until its status arrives. */
    bool abandoned;
    Emberpb__TaskStatus *status;
    struct pending *next;
} pending;

struct em_cluster_driver {
    em_cluster_conf conf;
    char *secret;
    em_exec_env *env;
    em_task_backend backend;
    int listen_fd, port;
    pthread_t acceptor;
    bool accepting;
    volatile int stopping;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    remote_exec *execs;
    pending *pending;
    int64_t next_task, job_id;
    const em_stage_dag *cur_dag;
    em_shuffle_store *store; /* the running job's, or NULL between jobs */
    em_app_client *app;
};

/* Under d->lock: the executor is gone. Its running tasks fail (and are
 * retried elsewhere); the map outputs it held are lost. */
static void lose_executor_locked(em_cluster_driver *d, remote_exec *ex, const char *reason)
{
    if (!ex->alive) return;
    ex->alive = false;
    int lost = d->store ? em_shuffle_lose_executor(d->store, ex->id) : 0;
    if (!d->stopping)
        em_log_warn("driver: lost executor %s (%s); %d map output(s) lost", ex->id, reason, lost);
    for (pending **pp = &d->pending; *pp;) {
        pending *p = *pp;
        if (p->ex == ex && p->abandoned) {
            *pp = p->next;
            em_free(p);
            continue;
        }
        if (p->ex == ex && !p->done) p->lost = true;
        pp = &p->next;
    }
    /* Wake its reader thread if it is still blocked. */
    if (ex->conn) shutdown(em_conn_fd(ex->conn), SHUT_RDWR);
    pthread_cond_broadcast(&d->cond);
}

typedef struct reader_arg {
    em_cluster_driver *d;
    remote_exec *ex;
} reader_arg;

static void *read_statuses(void *arg)
{
    reader_arg *ra = arg;
    em_cluster_driver *d = ra->d;
    remote_exec *ex = ra->ex;
    em_free(ra);
    char reason[256] = "connection closed";
    while (!d->stopping) {
        uint16_t type;
        uint8_t *payload;
        size_t len;
        em_error err = {0};
        int rc = em_conn_recv(ex->conn, 1000, &type, &payload, &len, &err);
        if (rc == EM_ETIMEOUT) {
            pthread_mutex_lock(&d->lock);
            bool alive = ex->alive;
            pthread_mutex_unlock(&d->lock);
            if (!alive) break;
            continue;
        }
        if (rc < 0) {
            snprintf(reason, sizeof reason, "%.200s", err.message);
            break;
        }
        if (type != EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_STATUS) {
            em_free(payload);
            snprintf(reason, sizeof reason, "unexpected message %u", type);
            break;
        }
        Emberpb__TaskStatus *st = emberpb__task_status__unpack(NULL, len, payload);
        em_free(payload);
        if (!st) {
            snprintf(reason, sizeof reason, "malformed task status");
            break;
        }
        pthread_mutex_lock(&d->lock);
        pending **pp = &d->pending;
        while (*pp && (*pp)->task_id != st->task_id) pp = &(*pp)->next;
        pending *p = *pp;
        if (p && p->abandoned) {
            /* The attempt nobody waits for is over: its core is free again. */
            *pp = p->next;
            em_free(p);
            p = NULL;
            ex->free++;
            pthread_cond_broadcast(&d->cond);
        } else if (p && !p->done && !p->lost) {
            p->status = st;
            p->done = true;
            st = NULL;
            pthread_cond_broadcast(&d->cond);
        }
        pthread_mutex_unlock(&d->lock);
        if (st) emberpb__task_status__free_unpacked(st, NULL);
    }
    pthread_mutex_lock(&d->lock);
    lose_executor_locked(d, ex, reason);
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

/* A new connection: it must be an executor of this application. */
static void accept_executor(em_cluster_driver *d, em_conn *c)
{
    em_error err = {0};
    char role[32];
    if (em_conn_handshake_server(c, d->secret, EM_CLUSTER_CONNECT_TIMEOUT_MS, role, sizeof role,
                                 &err) < 0) {
        em_conn_close(c); /* the handshake logged why */
        return;
    }
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    Emberpb__RegisterExecutor *reg = NULL;
    if (strcmp(role, EM_ROLE_EXECUTOR) != 0 ||
        em_conn_recv(c, EM_CLUSTER_CONNECT_TIMEOUT_MS, &type, &payload, &len, &err) < 0 ||
        type != EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_REGISTER ||
        !(reg = emberpb__register_executor__unpack(NULL, len, payload))) {
        em_log_warn("driver: %s (role %s) did not register as an executor", em_conn_peer(c), role);
        em_free(payload);
        em_conn_close(c);
        return;
    }
    em_free(payload);
    remote_exec *ex = em_calloc(1, sizeof(remote_exec));
    em__pb_copy(ex->id, sizeof ex->id, &reg->executor_id);
    em__pb_copy(ex->host, sizeof ex->host, &reg->host);
    ex->block_port = reg->block_port;
    ex->cores = ex->free = reg->cores > 0 ? reg->cores : 1;
    ex->pid = reg->pid;
    ex->conn = c;
    ex->alive = true;
    emberpb__register_executor__free_unpacked(reg, NULL);
    Emberpb__Registered ok = EMBERPB__REGISTERED__INIT;
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) em__pb_set(&ok.driver_cwd, cwd);
    if (em__cluster_send(c, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_REGISTERED, &ok.base, &err) < 0) {
        em_log_warn("driver: executor %s: %s", ex->id, err.message);
        em_conn_close(c);
        em_free(ex);
        return;
    }
    reader_arg *ra = em_calloc(1, sizeof(reader_arg));
    ra->d = d;
    ra->ex = ex;
    pthread_mutex_lock(&d->lock);
    ex->next = d->execs;
    d->execs = ex;
    ex->reader_started = pthread_create(&ex->reader, NULL, read_statuses, ra) == 0;
    if (!ex->reader_started) {
        em_free(ra);
        ex->alive = false;
    }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    em_log_info("driver: executor %s registered from %s (%d cores, blocks on port %d, pid %d)",
                ex->id, ex->host, ex->cores, ex->block_port, ex->pid);
}

static void *accept_loop(void *arg)
{
    em_cluster_driver *d = arg;
    while (!d->stopping) {
        em_conn *c;
        em_error err = {0};
        int rc = em_net_accept(d->listen_fd, 500, &c, &err);
        if (rc == EM_ETIMEOUT) continue;
        if (rc < 0) {
            if (!d->stopping) em_log_warn("driver: accept failed: %s", err.message);
            usleep(100000);
            continue;
        }
        accept_executor(d, c);
    }
    return NULL;
}

static void on_executor_lost(void *ctx, const char *executor_id, const char *reason)
{
    em_cluster_driver *d = ctx;
    pthread_mutex_lock(&d->lock);
    for (remote_exec *ex = d->execs; ex; ex = ex->next)
        if (strcmp(ex->id, executor_id) == 0) lose_executor_locked(d, ex, reason);
    pthread_mutex_unlock(&d->lock);
}

/* ---- running a task ---------------------------------------------------------- */

static void timespec_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Under d->lock: an alive executor with a free core (the least loaded), waiting
 * for one; NULL after wait_seconds with no executor alive at all. */
static remote_exec *pick_executor_locked(em_cluster_driver *d, em_error *err)
{
    double deadline = em_now_seconds() + (d->conf.wait_seconds > 0 ? d->conf.wait_seconds : 30);
    for (;;) {
        remote_exec *best = NULL;
        bool any = false;
        for (remote_exec *ex = d->execs; ex; ex = ex->next) {
            if (!ex->alive) continue;
            any = true;
            if (ex->free > 0 && (!best || ex->free > best->free)) best = ex;
        }
        if (best) {
            best->free--;
            return best;
        }
        if (any) deadline = em_now_seconds() + (d->conf.wait_seconds > 0 ? d->conf.wait_seconds : 30);
        if (em_now_seconds() > deadline) {
            em_error_set(err, EM_EIO, "no executor is alive (waited %d s)", d->conf.wait_seconds);
            return NULL;
        }
        struct timespec ts;
        timespec_in(&ts, 500);
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
    }
}

/* The shape of one shuffle as the job registered it (adaptive execution may
 * have run more or fewer map tasks than the plan said), and, for a shuffle the
 * task reads, where its maps live. */
static Emberpb__ShuffleInfo *shuffle_info(em_cluster_driver *d, int shuffle_id, bool read,
                                          int first, int end, em_arena *a)
{
    Emberpb__ShuffleInfo *si = em_arena_alloc(a, sizeof *si);
    emberpb__shuffle_info__init(si);
    si->shuffle_id = shuffle_id;
    if (!d->store || !em_shuffle_registered(d->store, shuffle_id)) return si;
    si->nmaps = em_shuffle_nmaps(d->store, shuffle_id);
    si->nreduce = em_shuffle_nreduce(d->store, shuffle_id);
    if (!read) return si;
    si->maps = em_arena_alloc(a, sizeof(Emberpb__MapLocation *) * (size_t)EM_MAX(si->nmaps, 1));
    for (int m = 0; m < si->nmaps; m++) {
        em_shuffle_location loc;
        /* A lost map is left out: the task's read of it fails, and the
         * scheduler recomputes it. */
        if (!em_shuffle_remote_location(d->store, shuffle_id, m, &loc)) continue;
        Emberpb__MapLocation *ml = em_arena_alloc(a, sizeof *ml);
        emberpb__map_location__init(ml);
        ml->map = m;
        /* A map that wrote nothing for the partitions the task reads need not be
         * fetched (sizes are exact). */
        if (first >= 0) {
            int64_t bytes = 0;
            for (int r = first; r < end; r++)
                bytes += em_shuffle_block_bytes(d->store, shuffle_id, m, r);
            if (bytes == 0) {
                ml->empty = true;
                si->maps[si->n_maps++] = ml;
                continue;
            }
        }
        ml->port = loc.port;
        size_t hl = strlen(loc.host), el = strlen(loc.executor);
        char *h = em_arena_alloc(a, hl + 1), *e = em_arena_alloc(a, el + 1);
        memcpy(h, loc.host, hl + 1);
        memcpy(e, loc.executor, el + 1);
        em__pb_set(&ml->host, h);
        em__pb_set(&ml->executor_id, e);
        si->maps[si->n_maps++] = ml;
    }
    return si;
}

/* COPY ... TO: what the result stage's writers need, for the executors. */
static Emberpb__WriteDesc *write_desc(const em_write_desc *w, em_arena *a)
{
    Emberpb__WriteDesc *wd = em_arena_alloc(a, sizeof *wd);
    emberpb__write_desc__init(wd);
    em__pb_set(&wd->format, w->format);
    em__pb_set(&wd->path, w->path);
    wd->single_file = w->single_file;
    wd->n_options = (size_t)w->noptions;
    wd->options = em_arena_alloc(a, sizeof(Emberpb__Option *) * (wd->n_options + 1));
    for (int i = 0; i < w->noptions; i++) {
        Emberpb__Option *o = em_arena_alloc(a, sizeof *o);
        emberpb__option__init(o);
        em__pb_set(&o->key, w->options[i].key);
        em__pb_set(&o->value, w->options[i].value);
        wd->options[i] = o;
    }
    wd->n_schema = (size_t)w->schema->nfields;
    wd->schema = em_arena_alloc(a, sizeof(Emberpb__Column *) * (wd->n_schema + 1));
    for (int i = 0; i < w->schema->nfields; i++) {
        Emberpb__Column *c = em_arena_alloc(a, sizeof *c);
        emberpb__column__init(c);
        em__pb_set(&c->name, w->schema->fields[i].name);
        c->type_id = w->schema->fields[i].type.id;
        c->precision = w->schema->fields[i].type.precision;
        c->scale = w->schema->fields[i].type.scale;
        wd->schema[i] = c;
    }
    wd->n_partition_cols = (size_t)w->npartition_cols;
    wd->partition_cols = w->partition_cols;
    wd->max_file_bytes = w->max_file_bytes;
    em__pb_set(&wd->job_id, w->job_id ? w->job_id : "");
    return wd;
}

/* The shuffles a fragment reads (its SHUFFLE_READ nodes), each once; whole[i]
 * when some read takes every partition (a broadcast or merged read). */
static void collect_reads(const em_pop *p, int *ids, bool *whole, int *n, int cap)
{
    if (p->kind == EM_POP_SHUFFLE_READ) {
        int id = p->u.shuffle_read.shuffle_id;
        bool all = p->u.shuffle_read.broadcast || p->u.shuffle_read.nmerge > 0;
        int i = 0;
        while (i < *n && ids[i] != id) i++;
        if (i == *n && *n < cap) {
            ids[i] = id;
            whole[i] = false;
            (*n)++;
        }
        if (i < cap) whole[i] |= all;
    }
    for (int i = 0; i < p->nchildren; i++) collect_reads(p->children[i], ids, whole, n, cap);
}

static bool has_union(const em_pop *p)
{
    if (p->kind == EM_POP_UNION) return true;
    for (int i = 0; i < p->nchildren; i++)
        if (has_union(p->children[i])) return true;
    return false;
}

/* In-memory tables live in the driver's catalog: a task that scans one gets
 * the batches its partition reads (the same slice task.c computes). */
typedef struct slices {
    Emberpb__TableSlice **items;
    size_t n, cap;
    em_strbuf bytes; /* every encoded block, back to back */
} slices;

/* `partition < 0`: a union branch the task does not run; its tables are named
 * with no blocks (the executor resolves every scan of the fragment it decodes). */
static void collect_tables(const em_pop *p, int partition, slices *sl, em_arena *a)
{
    if (p->kind == EM_POP_UNION && partition >= 0) {
        /* Only the branch this partition runs has rows, numbered by its own partitions. */
        int local = partition, run = em_pop_union_branch(p, &local);
        for (int i = 0; i < p->nchildren; i++)
            collect_tables(p->children[i], i == run ? local : -1, sl, a);
        return;
    }
    if (p->kind == EM_POP_SCAN_TABLE && p->u.scan.table) {
        int64_t nb = p->u.scan.table_batches, np = p->nparts > 0 ? p->nparts : 1;
        const em_table *t = p->u.scan.table;
        /* Only batches that exist (the table is never shorter than when it was
         * planned, but a slice must not promise a block it does not carry). */
        int64_t end = partition < 0 ? 0 : EM_MIN(nb * (partition + 1) / np, t->data.count);
        int64_t first = partition < 0 ? 0 : EM_MIN(nb * partition / np, end);
        Emberpb__TableSlice *ts = em_arena_alloc(a, sizeof *ts);
        emberpb__table_slice__init(ts);
        em__pb_set(&ts->name, p->u.scan.table_name);
        ts->total = nb;
        ts->first = first;
        ts->n_blocks = (size_t)(end - first);
        /* Offsets now, pointers once every block is encoded (the buffer moves). */
        ts->blocks = em_arena_alloc(a, sizeof(ProtobufCBinaryData) * (ts->n_blocks + 1));
        for (int64_t i = first; i < end; i++) {
            size_t start = sl->bytes.len;
            em_batch_encode(t->data.items[i], &sl->bytes);
            ts->blocks[i - first].data = (uint8_t *)(uintptr_t)start;
            ts->blocks[i - first].len = sl->bytes.len - start;
        }
        if (sl->n == sl->cap) {
            sl->cap = sl->cap ? sl->cap * 2 : 4;
            sl->items = em_realloc(sl->items, sizeof(*sl->items) * sl->cap);
        }
        sl->items[sl->n++] = ts;
    }
    for (int i = 0; i < p->nchildren; i++) collect_tables(p->children[i], partition, sl, a);
}

static void slices_fix_pointers(slices *sl)
{
    for (size_t k = 0; k < sl->n; k++)
        for (size_t i = 0; i < sl->items[k]->n_blocks; i++)
            sl->items[k]->blocks[i].data =
                (uint8_t *)sl->bytes.data + (uintptr_t)sl->items[k]->blocks[i].data;
}

/* Take in a successful status: map output locations, result rows, counters. */
static int absorb_status(em_cluster_driver *d, const em_stage *stage, const em_task_spec *spec,
                         remote_exec *ex, const Emberpb__TaskStatus *st, em_batch_list *out,
                         em_op_stats *node_stats, em_error *err)
{
    if (stage->is_result) {
        for (size_t i = 0; i < st->n_result_blocks; i++) {
            em_batch *b;
            size_t used;
            EM_TRY(em_batch_decode(st->result_blocks[i].data, st->result_blocks[i].len, &b, &used,
                                   err));
            em_batch_list_push(out, b);
        }
    } else {
        if (st->n_partition_bytes != (size_t)stage->out_nparts)
            return em_error_set(err, EM_EIO, "executor %s reported %zu partition sizes, not %d",
                                ex->id, st->n_partition_bytes, stage->out_nparts);
        em_shuffle_location loc = {.port = ex->block_port};
        snprintf(loc.executor, sizeof loc.executor, "%s", ex->id);
        snprintf(loc.host, sizeof loc.host, "%s", ex->host);
        pthread_mutex_lock(&d->lock);
        /* Recorded only while the executor lives: a status that raced with its
         * loss must not resurrect outputs that are gone. */
        bool alive = ex->alive;
        if (alive && d->store)
            em_shuffle_set_remote(d->store, stage->shuffle_id, spec->partition, &loc,
                                  st->partition_bytes, st->output_rows);
        pthread_mutex_unlock(&d->lock);
        if (!alive) return em_error_set(err, EM_EIO, "executor %s was lost", ex->id);
    }
    if (node_stats) {
        int n = em__cluster_preorder(stage->root, NULL, 0);
        int *ids = em_malloc(sizeof(int) * (size_t)EM_MAX(n, 1));
        em__cluster_preorder(stage->root, ids, n);
        for (size_t i = 0; i < st->n_stats; i++) {
            const Emberpb__NodeStats *ns = st->stats[i];
            if (ns->index < 0 || ns->index >= n) continue;
            em_op_stats *s = &node_stats[ids[ns->index]];
            s->rows_in += ns->rows_in;
            s->rows_out += ns->rows_out;
            s->batches_in += ns->batches_in;
            s->nanos += ns->nanos;
            s->mem_peak = EM_MAX(s->mem_peak, ns->mem_peak);
            s->spilled += ns->spilled;
        }
        em_free(ids);
    }
    return 0;
}

static int backend_run(void *ctx, const em_stage_dag *dag, const em_stage *stage,
                       const em_task_spec *spec, em_batch_list *out, em_op_stats *node_stats,
                       em_error *err)
{
    em_cluster_driver *d = ctx;
    pthread_mutex_lock(&d->lock);
    if (dag != d->cur_dag) {
        d->cur_dag = dag;
        d->job_id++;
        d->store = d->env->shuffles;
    }
    int64_t job_id = d->job_id;
    remote_exec *ex = pick_executor_locked(d, err);
    if (!ex) {
        pthread_mutex_unlock(&d->lock);
        return err->code;
    }
    pending *p = em_calloc(1, sizeof(pending));
    p->task_id = ++d->next_task;
    p->ex = ex;
    p->next = d->pending;
    d->pending = p;
    /* What the task reads: its parents' map locations, known now. */
    em_arena *a = em_arena_create(4096);
    Emberpb__LaunchTask lt = EMBERPB__LAUNCH_TASK__INIT;
    int reads[64], nreads = 0;
    bool whole[64];
    collect_reads(stage->root, reads, whole, &nreads, 64);
    /* The reduce partitions a hash read takes (skew splits narrow the maps,
     * not the partitions; a union's branches number their own partitions). */
    if (has_union(stage->root))
        for (int k = 0; k < nreads; k++) whole[k] = true;
    int first = spec->coalesced ? spec->part_first : spec->partition;
    int end = spec->coalesced ? spec->part_end : spec->partition + 1;
    lt.n_shuffles = 0;
    lt.shuffles = em_arena_alloc(a, sizeof(Emberpb__ShuffleInfo *) * (size_t)(nreads + 1));
    for (int k = 0; k < nreads; k++)
        lt.shuffles[lt.n_shuffles++] =
            shuffle_info(d, reads[k], true, whole[k] ? -1 : first, whole[k] ? -1 : end, a);
    if (!stage->is_result)
        lt.shuffles[lt.n_shuffles++] = shuffle_info(d, stage->shuffle_id, false, -1, -1, a);
    pthread_mutex_unlock(&d->lock);

    slices sl = {0};
    em_strbuf_init(&sl.bytes);
    collect_tables(stage->root, spec->partition, &sl, a);
    slices_fix_pointers(&sl);
    lt.tables = sl.items;
    lt.n_tables = sl.n;
    em_task_desc desc = {.stage_id = stage->id,
                         .partition = spec->partition,
                         .attempt = spec->attempt,
                         .stage = stage};
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = em_task_desc_serialize(&desc, &buf, &len, err);
    if (rc == 0) {
        lt.task_id = p->task_id;
        lt.job_id = job_id;
        lt.task.data = buf;
        lt.task.len = len;
        lt.part_first = spec->part_first;
        lt.part_end = spec->part_end;
        lt.coalesced = spec->coalesced;
        Emberpb__MapRange ranges[EM_MAX_MAP_RANGES], *rp[EM_MAX_MAP_RANGES];
        for (int i = 0; i < spec->nmap_ranges && i < EM_MAX_MAP_RANGES; i++) {
            emberpb__map_range__init(&ranges[i]);
            ranges[i].shuffle_id = spec->map_ranges[i].shuffle_id;
            ranges[i].map_first = spec->map_ranges[i].map_first;
            ranges[i].map_end = spec->map_ranges[i].map_end;
            rp[i] = &ranges[i];
        }
        lt.map_ranges = rp;
        lt.n_map_ranges = (size_t)EM_MIN(spec->nmap_ranges, EM_MAX_MAP_RANGES);
        lt.nshuffles = dag->nshuffles;
        if (stage->is_result && dag->write) lt.write = write_desc(dag->write, a);
        if (d->env->inject) em__pb_set(&lt.inject, d->env->inject);
        rc = em__cluster_send(ex->conn, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_LAUNCH, &lt.base, err);
    }
    em_free(buf);
    em_free(sl.items);
    em_strbuf_release(&sl.bytes);
    em_arena_destroy(a);

    pthread_mutex_lock(&d->lock);
    bool abandoned = false;
    if (rc < 0) {
        lose_executor_locked(d, ex, err->message);
        rc = EM_EIO;
    } else {
        /* Another attempt of the task may win meanwhile (speculation): then stop
         * waiting; the executor's late status finds no pending entry. */
        while (!p->done && !p->lost) {
            if (spec->abandon && *spec->abandon) {
                abandoned = true;
                break;
            }
            struct timespec ts;
            timespec_in(&ts, 100);
            pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        }
    }
    if (abandoned) {
        /* Left in the list: the reader frees it, and the core, when it ends.
         * The executor is asked to stop it. */
        p->abandoned = true;
        int64_t task_id = p->task_id;
        pthread_mutex_unlock(&d->lock);
        Emberpb__KillTask kt = EMBERPB__KILL_TASK__INIT;
        kt.task_id = task_id;
        em_error kerr = {0};
        if (em__cluster_send(ex->conn, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_KILL_TASK, &kt.base,
                             &kerr) < 0)
            em_log_debug("driver: cannot stop task %lld on executor %s: %s", (long long)task_id,
                         ex->id, kerr.message);
        return em_error_set(err, EM_ECANCELED, "another attempt finished first");
    }
    for (pending **pp = &d->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    ex->free++;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);

    Emberpb__TaskStatus *st = p->status;
    bool lost = p->lost && !p->done;
    em_free(p);
    if (rc < 0) return em_error_set(err, EM_EIO, "executor %s was lost: %s", ex->id, err->message);
    if (lost) return em_error_set(err, EM_EIO, "executor %s was lost while running the task", ex->id);
    switch (st->state) {
    case EMBERPB__TASK_STATE__TASK_OK:
        rc = absorb_status(d, stage, spec, ex, st, out, node_stats, err);
        break;
    case EMBERPB__TASK_STATE__TASK_FETCH_FAILED: {
        char who[64];
        em__pb_copy(who, sizeof who, &st->fetch_executor);
        /* Whatever that executor held is presumed gone (as Spark does). */
        pthread_mutex_lock(&d->lock);
        int n = d->store ? em_shuffle_lose_executor(d->store, who) : 0;
        pthread_mutex_unlock(&d->lock);
        em_log_warn("driver: fetch failure from executor %s (shuffle %d map %d); %d output(s) "
                    "marked lost",
                    who, st->fetch_shuffle, st->fetch_map, n);
        rc = em_error_set(err, EM_EFETCH, "%.*s", (int)st->error_message.len,
                          (const char *)st->error_message.data);
        break;
    }
    default: {
        int code = st->error_code < 0 && st->error_code >= EM_EFETCH ? st->error_code : EM_EINTERNAL;
        rc = em_error_set(err, code, "%.*s", (int)st->error_message.len,
                          (const char *)st->error_message.data);
        break;
    }
    }
    emberpb__task_status__free_unpacked(st, NULL);
    return rc;
}

static void backend_job_end(void *ctx, const em_stage_dag *dag)
{
    em_cluster_driver *d = ctx;
    pthread_mutex_lock(&d->lock);
    bool ran = d->cur_dag == dag;
    int64_t job_id = d->job_id;
    d->cur_dag = NULL;
    d->store = NULL;
    remote_exec *alive[256];
    int n = 0;
    for (remote_exec *ex = d->execs; ex && n < 256; ex = ex->next)
        if (ex->alive) alive[n++] = ex;
    pthread_mutex_unlock(&d->lock);
    if (!ran) return;
    Emberpb__JobEnd je = EMBERPB__JOB_END__INIT;
    je.job_id = job_id;
    for (int i = 0; i < n; i++) {
        em_error err = {0};
        if (em__cluster_send(alive[i]->conn, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_JOB_END, &je.base,
                             &err) < 0)
            em_log_warn("driver: executor %s: %s", alive[i]->id, err.message);
    }
}

/* ---- start and stop ----------------------------------------------------------- */

int em_cluster_driver_cores(em_cluster_driver *d)
{
    int cores = 0;
    pthread_mutex_lock(&d->lock);
    for (remote_exec *ex = d->execs; ex; ex = ex->next)
        if (ex->alive) cores += ex->cores;
    pthread_mutex_unlock(&d->lock);
    return cores;
}

em_task_backend *em_cluster_driver_backend(em_cluster_driver *d)
{
    return &d->backend;
}

int em_cluster_driver_start(const em_cluster_conf *conf, struct em_exec_env *env,
                            em_cluster_driver **out, em_error *err)
{
    signal(SIGPIPE, SIG_IGN);
    em_cluster_driver *d = em_calloc(1, sizeof(em_cluster_driver));
    d->conf = *conf;
    d->secret = em_strdup(conf->secret ? conf->secret : "");
    d->conf.secret = d->secret;
    d->env = env;
    d->listen_fd = -1;
    d->backend = (em_task_backend){.ctx = d, .run = backend_run, .job_end = backend_job_end};
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    const char *host = conf->driver_host && *conf->driver_host ? conf->driver_host : "127.0.0.1";
    int rc = em_net_listen(host, 0, &d->listen_fd, &d->port, err);
    if (rc == 0) {
        em_log_info("driver: listening for executors on port %d", d->port);
        d->accepting = pthread_create(&d->acceptor, NULL, accept_loop, d) == 0;
        if (!d->accepting) rc = em_error_set(err, EM_EINTERNAL, "cannot start the driver's listener");
    }
    if (rc == 0) {
        em_app_request req = {.name = conf->app_name,
                              .driver_host = host,
                              .driver_port = d->port,
                              .max_cores = conf->max_cores,
                              .executor_cores = conf->executor_cores,
                              .executor_memory = conf->executor_memory,
                              .secret = d->secret};
        rc = em_app_register(conf->master_url, &req, &d->app, err);
        if (rc < 0) em_error_prefix(err, "cannot register with master %s", conf->master_url);
    }
    if (rc == 0) {
        em_app_set_lost_listener(d->app, on_executor_lost, d);
        /* Wait for the granted executors (at least one). */
        double deadline = em_now_seconds() + (conf->wait_seconds > 0 ? conf->wait_seconds : 30);
        pthread_mutex_lock(&d->lock);
        for (;;) {
            int n = 0;
            for (remote_exec *ex = d->execs; ex; ex = ex->next) n += ex->alive;
            int want = em_app_executors_granted(d->app);
            if (n > 0 && n >= want) break;
            if (em_now_seconds() > deadline) {
                if (n == 0)
                    rc = em_error_set(err, EM_ETIMEOUT,
                                      "no executor connected within %d s (the master granted %d); "
                                      "are workers running with free cores?",
                                      conf->wait_seconds, want);
                break;
            }
            struct timespec ts;
            timespec_in(&ts, 200);
            pthread_cond_timedwait(&d->cond, &d->lock, &ts);
        }
        pthread_mutex_unlock(&d->lock);
    }
    if (rc < 0) {
        em_cluster_driver_stop(d);
        return rc;
    }
    em_log_info("driver: application %s has %d executor core(s)", em_app_id(d->app),
                em_cluster_driver_cores(d));
    *out = d;
    return 0;
}

void em_cluster_driver_stop(em_cluster_driver *d)
{
    if (!d) return;
    d->stopping = 1;
    pthread_mutex_lock(&d->lock);
    for (remote_exec *ex = d->execs; ex; ex = ex->next) {
        if (!ex->alive) continue;
        em_error err = {0};
        if (em_conn_send(ex->conn, EMBERPB__EXEC_MSG_TYPE__EXEC_MSG_SHUTDOWN, NULL, 0, 1000, &err) <
            0)
            em_log_debug("driver: executor %s: %s", ex->id, err.message);
    }
    pthread_mutex_unlock(&d->lock);
    if (d->accepting) pthread_join(d->acceptor, NULL);
    if (d->app) em_app_unregister(d->app);
    pthread_mutex_lock(&d->lock);
    for (remote_exec *ex = d->execs; ex; ex = ex->next)
        if (ex->alive && ex->conn) shutdown(em_conn_fd(ex->conn), SHUT_RDWR);
    pthread_mutex_unlock(&d->lock);
    while (d->execs) {
        remote_exec *ex = d->execs;
        d->execs = ex->next;
        if (ex->reader_started) pthread_join(ex->reader, NULL);
        em_conn_close(ex->conn);
        em_free(ex);
    }
    while (d->pending) { /* attempts abandoned to a speculative copy */
        pending *p = d->pending;
        d->pending = p->next;
        if (p->status) emberpb__task_status__free_unpacked(p->status, NULL);
        em_free(p);
    }
    if (d->listen_fd >= 0) close(d->listen_fd);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    em_free(d->secret);
    em_free(d);
}

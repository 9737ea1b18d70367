/*
 * master.c — `ember master`: the standalone cluster manager. One libuv loop
 * accepts authenticated connections from workers (which register their cores
 * and memory and heartbeat), drivers (which register applications) and `ember
 * status`, grants applications executors on workers with free cores, and keeps
 * both sides told: workers are asked to launch and kill executor processes,
 * drivers hear which executors they got and which they lost.
 *
 * The master keeps no state on disk. After it restarts, workers and drivers
 * register again by themselves: a worker lists the executors it still runs and
 * a driver the executors it still counts on, and the master matches the two up.
 * An executor a worker reports whose application has not come back yet is kept
 * for ember.worker.timeout seconds, but at least 15 ("orphaned"), and so is one a
 * driver lists whose worker has not come back yet ("recovering"); after that the
 * first kind is killed and the second reported lost.
 */
#include "cluster/daemon_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <civetweb.h>

/* Executors of an application that may fail before the master stops granting it
 * new ones (a broken executor command must not make workers fork forever). */
#define MAX_EXECUTOR_FAILURES 10
/* Finished applications kept for `ember status`. */
#define RETAINED_APPS 64
#define DEFAULT_EXECUTOR_MEMORY ((int64_t)1 << 30)
/* Seconds (at least) that orphaned and recovering executors are kept. */
#define RECOVERY_GRACE 15.0

typedef struct pvec {
    void **items;
    int n;
    int cap;
} pvec;

static void pvec_push(pvec *v, void *p)
{
    if (v->n == v->cap) {
        v->cap = v->cap == 0 ? 8 : v->cap * 2;
        v->items = em_realloc(v->items, sizeof(void *) * (size_t)v->cap);
    }
    v->items[v->n++] = p;
}

static void pvec_remove(pvec *v, void *p)
{
    for (int i = 0; i < v->n; i++) {
        if (v->items[i] == p) {
            memmove(v->items + i, v->items + i + 1, sizeof(void *) * (size_t)(v->n - i - 1));
            v->n--;
            return;
        }
    }
}

typedef struct mworker {
    char *id;
    char *host;
    char *work_dir;
    int cores;
    int64_t memory;
    bool alive;
    double last_heartbeat;
    double dead_since;
    em__lconn *conn; /* NULL while disconnected */
} mworker;

enum { APP_RUNNING, APP_FINISHED };

typedef struct mapp {
    char *id;
    char *name;
    char *driver_host;
    int driver_port;
    int max_cores;
    int executor_cores;
    int64_t executor_memory;
    int next_exec;
    int failures;
    bool failures_logged;
    int state;
    char *end_reason;
    double submitted;
    double ended;
    em__lconn *conn;
} mapp;

enum { EXEC_LAUNCHING, EXEC_RUNNING, EXEC_ORPHANED, EXEC_RECOVERING };

typedef struct mexec {
    char *app_id;
    char *id;
    mapp *app;       /* NULL while orphaned */
    mworker *worker; /* NULL while recovering */
    int cores;
    int64_t memory;
    int state;
    int pid;
    double since;
} mexec;

typedef struct master {
    const em_master_opts *opts;
    uv_loop_t loop;
    uv_tcp_t server;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t tick;
    pvec conns; /* every open connection, to close them on shutdown */
    pvec workers;
    pvec apps;
    pvec execs;
    double started;
    int app_counter;
    char address[128];
    bool stopping;
    /* The JSON page: civetweb's threads ask the loop for a fresh snapshot
     * (web_async) and wait for web_gen to move. */
    struct mg_context *web;
    uv_async_t web_async;
    pthread_mutex_t web_lock;
    pthread_cond_t web_cond;
    uint64_t web_gen;
    char *web_json;
} master;

static double now(void)
{
    return em_now_seconds();
}

/* ---- lookups ----------------------------------------------------------------- */

static mworker *find_worker(master *m, const char *id)
{
    for (int i = 0; i < m->workers.n; i++) {
        mworker *w = m->workers.items[i];
        if (strcmp(w->id, id) == 0) return w;
    }
    return NULL;
}

static mapp *find_app(master *m, const char *id)
{
    for (int i = 0; i < m->apps.n; i++) {
        mapp *a = m->apps.items[i];
        if (strcmp(a->id, id) == 0) return a;
    }
    return NULL;
}

static mexec *find_exec(master *m, const char *app_id, const char *id)
{
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        if (strcmp(x->app_id, app_id) == 0 && strcmp(x->id, id) == 0) return x;
    }
    return NULL;
}

static void worker_usage(master *m, const mworker *w, int *cores, int64_t *memory)
{
    *cores = 0;
    *memory = 0;
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        if (x->worker == w) {
            *cores += x->cores;
            *memory += x->memory;
        }
    }
}

static void app_usage(master *m, const mapp *a, int *cores, int *executors)
{
    *cores = 0;
    *executors = 0;
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        if (x->app == a) {
            *cores += x->cores;
            (*executors)++;
        }
    }
}

static const char *exec_state_name(int s)
{
    switch (s) {
    case EXEC_LAUNCHING:
        return "LAUNCHING";
    case EXEC_RUNNING:
        return "RUNNING";
    case EXEC_ORPHANED:
        return "ORPHANED";
    default:
        return "RECOVERING";
    }
}

/* ---- freeing ------------------------------------------------------------------ */

static void exec_free(mexec *x)
{
    em_free(x->app_id);
    em_free(x->id);
    em_free(x);
}

static void worker_free(mworker *w)
{
    em_free(w->id);
    em_free(w->host);
    em_free(w->work_dir);
    em_free(w);
}

static void app_free(mapp *a)
{
    em_free(a->id);
    em_free(a->name);
    em_free(a->driver_host);
    em_free(a->end_reason);
    em_free(a);
}

/* ---- messages to peers ----------------------------------------------------------- */

static void send_kill(mexec *x, const char *reason)
{
    if (x->worker == NULL || x->worker->conn == NULL) return;
    Emcluster__KillExecutor k = EMCLUSTER__KILL_EXECUTOR__INIT;
    k.app_id = x->app_id;
    k.executor_id = x->id;
    k.reason = (char *)reason;
    em__lconn_send(x->worker->conn, EMCLUSTER__MSG_TYPE__MSG_KILL_EXECUTOR, &k.base);
}

static void send_lost(mapp *a, const char *exec_id, const char *reason)
{
    if (a == NULL || a->conn == NULL) return;
    Emcluster__ExecutorLost l = EMCLUSTER__EXECUTOR_LOST__INIT;
    l.executor_id = (char *)exec_id;
    l.reason = (char *)reason;
    em__lconn_send(a->conn, EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_LOST, &l.base);
}

static void fill_grant(const mexec *x, Emcluster__ExecutorGrant *g)
{
    emcluster__executor_grant__init(g);
    g->executor_id = x->id;
    g->worker_id = x->worker != NULL ? x->worker->id : "";
    g->host = x->worker != NULL ? x->worker->host : "";
    g->cores = x->cores;
    g->memory = x->memory;
}

/* Forget an executor; its application (if any) hears it is lost. */
static void remove_exec(master *m, mexec *x, const char *reason)
{
    em_log_info("executor %s of %s removed: %s", x->id, x->app_id, reason);
    if (x->app != NULL && x->app->state == APP_RUNNING) send_lost(x->app, x->id, reason);
    pvec_remove(&m->execs, x);
    exec_free(x);
}

/* ---- scheduling ----------------------------------------------------------------- */

static bool app_wants_more(master *m, mapp *a)
{
    if (a->state != APP_RUNNING || a->failures >= MAX_EXECUTOR_FAILURES) return false;
    /* While some of its executors wait for their worker to come back, their size is
     * unknown: granting more could oversubscribe the cluster. */
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        if (x->app == a && x->state == EXEC_RECOVERING) return false;
    }
    if (a->max_cores == 0) return true;
    int cores, n;
    app_usage(m, a, &cores, &n);
    return cores < a->max_cores;
}

static bool app_has_exec_on(master *m, mapp *a, mworker *w)
{
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        if (x->app == a && x->worker == w) return true;
    }
    return false;
}

/* Whether worker w can take one more executor of a, and its size. */
static bool fits(master *m, mapp *a, mworker *w, int *cores, int64_t *memory)
{
    if (!w->alive || w->conn == NULL) return false;
    int used_cores;
    int64_t used_mem;
    worker_usage(m, w, &used_cores, &used_mem);
    int free_cores = w->cores - used_cores;
    int64_t free_mem = w->memory - used_mem;
    int granted = 0, n = 0;
    app_usage(m, a, &granted, &n);
    int room = a->max_cores > 0 ? a->max_cores - granted : INT32_MAX;
    int64_t mem =
        a->executor_memory > 0 ? a->executor_memory : EM_MIN(DEFAULT_EXECUTOR_MEMORY, free_mem);
    if (mem <= 0 || mem > free_mem) return false;
    int c;
    if (a->executor_cores > 0) {
        c = a->executor_cores;
        if (c > free_cores || c > room) return false;
    } else {
        /* One executor per worker per application, with all the cores it may take. */
        if (app_has_exec_on(m, a, w)) return false;
        c = EM_MIN(free_cores, room);
        if (c < 1) return false;
    }
    *cores = c;
    *memory = mem;
    return true;
}

static void launch(master *m, mapp *a, mworker *w, int cores, int64_t memory)
{
    mexec *x = em_calloc(1, sizeof(*x));
    char id[32];
    snprintf(id, sizeof(id), "%d", a->next_exec++);
    x->app_id = em_strdup(a->id);
    x->id = em_strdup(id);
    x->app = a;
    x->worker = w;
    x->cores = cores;
    x->memory = memory;
    x->state = EXEC_LAUNCHING;
    x->since = now();
    pvec_push(&m->execs, x);
    char mem[32];
    em__format_bytes(memory, mem, sizeof(mem));
    em_log_info("granted executor %s of %s on worker %s: %d cores, %s", x->id, a->id, w->id, cores,
                mem);
    Emcluster__LaunchExecutor l = EMCLUSTER__LAUNCH_EXECUTOR__INIT;
    l.app_id = a->id;
    l.executor_id = x->id;
    l.cores = cores;
    l.memory = memory;
    l.driver_host = a->driver_host;
    l.driver_port = a->driver_port;
    em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_LAUNCH_EXECUTOR, &l.base);
    if (a->conn != NULL) {
        Emcluster__ExecutorGrant g;
        fill_grant(x, &g);
        em__lconn_send(a->conn, EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_ADDED, &g.base);
    }
}

/* Grant free cores to applications in registration order, spreading each
 * application's executors over the workers one round at a time. */
static void schedule(master *m)
{
    if (m->stopping) return;
    for (int i = 0; i < m->apps.n; i++) {
        mapp *a = m->apps.items[i];
        if (a->state == APP_RUNNING && a->failures >= MAX_EXECUTOR_FAILURES &&
            !a->failures_logged) {
            em_log_warn("application %s: %d executors failed; no more will be granted", a->id,
                        a->failures);
            a->failures_logged = true;
        }
        bool progress = true;
        while (progress && app_wants_more(m, a)) {
            progress = false;
            for (int j = 0; j < m->workers.n && app_wants_more(m, a); j++) {
                mworker *w = m->workers.items[j];
                int cores;
                int64_t memory;
                if (fits(m, a, w, &cores, &memory)) {
                    launch(m, a, w, cores, memory);
                    progress = true;
                }
            }
        }
    }
}

/* ---- workers -------------------------------------------------------------------- */

static void worker_dead(master *m, mworker *w, const char *reason)
{
    if (!w->alive) return;
    w->alive = false;
    w->dead_since = now();
    em_log_warn("worker %s (%s) is dead: %s", w->id, w->host, reason);
    char why[300];
    snprintf(why, sizeof(why), "worker %s lost: %s", w->id, reason);
    for (int i = m->execs.n - 1; i >= 0; i--) {
        mexec *x = m->execs.items[i];
        if (x->worker != w) continue;
        /* Its driver is told the executor is gone; should the worker still be
         * listening, it must not keep running it. */
        send_kill(x, why);
        remove_exec(m, x, why);
    }
    schedule(m);
}

/* Match the executors a (re-)registering worker runs with what the master knows. */
static void reconcile_worker(master *m, mworker *w, Emcluster__RegisterWorker *r)
{
    char why[300];
    /* Known on this worker but no longer running there: gone. */
    for (int i = m->execs.n - 1; i >= 0; i--) {
        mexec *x = m->execs.items[i];
        if (x->worker != w) continue;
        bool listed = false;
        for (size_t k = 0; k < r->n_executors; k++) {
            if (strcmp(r->executors[k]->app_id, x->app_id) == 0 &&
                strcmp(r->executors[k]->executor_id, x->id) == 0) {
                listed = true;
            }
        }
        if (!listed) {
            snprintf(why, sizeof(why), "executor %s is no longer running on worker %s", x->id,
                     w->id);
            remove_exec(m, x, why);
        }
    }
    for (size_t k = 0; k < r->n_executors; k++) {
        Emcluster__RunningExecutor *re = r->executors[k];
        mexec *x = find_exec(m, re->app_id, re->executor_id);
        if (x != NULL && (x->worker == w || x->worker == NULL)) {
            x->worker = w;
            x->pid = re->pid;
            x->cores = re->cores;
            x->memory = re->memory;
            x->state = x->app != NULL ? EXEC_RUNNING : EXEC_ORPHANED;
            continue;
        }
        mapp *a = find_app(m, re->app_id);
        if (x != NULL || a != NULL) {
            /* The application gave this executor up (or it runs twice): stop it. */
            Emcluster__KillExecutor kill = EMCLUSTER__KILL_EXECUTOR__INIT;
            kill.app_id = re->app_id;
            kill.executor_id = re->executor_id;
            kill.reason = "its application no longer counts on it";
            em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_KILL_EXECUTOR, &kill.base);
            continue;
        }
        x = em_calloc(1, sizeof(*x));
        x->app_id = em_strdup(re->app_id);
        x->id = em_strdup(re->executor_id);
        x->worker = w;
        x->cores = re->cores;
        x->memory = re->memory;
        x->pid = re->pid;
        x->state = EXEC_ORPHANED;
        x->since = now();
        pvec_push(&m->execs, x);
        em_log_info("worker %s runs executor %s of %s, unknown here: waiting for its driver", w->id,
                    x->id, x->app_id);
    }
}

static int on_register_worker(master *m, em__lconn *c, const uint8_t *p, size_t n, em_error *err)
{
    Emcluster__RegisterWorker *r;
    EM_TRY(em__unpack(&emcluster__register_worker__descriptor, p, n, (ProtobufCMessage **)&r, err));
    Emcluster__RegisteredWorker reply = EMCLUSTER__REGISTERED_WORKER__INIT;
    reply.heartbeat_interval = m->opts->worker_timeout / 4;
    if (r->worker_id[0] == '\0' || r->cores < 1 || r->memory < 1 || r->host[0] == '\0') {
        reply.accepted = false;
        reply.reason = "a worker needs an id, a host, at least one core and some memory";
        em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_REGISTERED_WORKER, &reply.base);
        emcluster__register_worker__free_unpacked(r, NULL);
        return 0;
    }
    mworker *w = find_worker(m, r->worker_id);
    bool again = w != NULL;
    if (w == NULL) {
        w = em_calloc(1, sizeof(*w));
        w->id = em_strdup(r->worker_id);
        pvec_push(&m->workers, w);
    }
    if (w->conn != NULL && w->conn != c) {
        /* A reconnecting worker replaces a connection the master has not seen die. */
        em__lconn *old = w->conn;
        old->data = NULL;
        w->conn = NULL;
        em__lconn_close(old, NULL);
    }
    if (c->data != NULL && c->data != w) {
        ((mworker *)c->data)->conn = NULL;
    }
    em_free(w->host);
    em_free(w->work_dir);
    w->host = em_strdup(r->host);
    w->work_dir = em_strdup(r->work_dir);
    w->cores = r->cores;
    w->memory = r->memory;
    w->alive = true;
    w->last_heartbeat = now();
    w->conn = c;
    c->data = w;
    reconcile_worker(m, w, r);
    char mem[32];
    em__format_bytes(w->memory, mem, sizeof(mem));
    em_log_info("worker %s %sregistered from %s: %d cores, %s, %zu executors running", w->id,
                again ? "re-" : "", c->peer, w->cores, mem, r->n_executors);
    reply.accepted = true;
    em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_REGISTERED_WORKER, &reply.base);
    emcluster__register_worker__free_unpacked(r, NULL);
    schedule(m);
    return 0;
}

static void ask_reregister(em__lconn *c, const char *reason)
{
    Emcluster__ReregisterWorker rr = EMCLUSTER__REREGISTER_WORKER__INIT;
    rr.reason = (char *)reason;
    em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_REREGISTER_WORKER, &rr.base);
}

static int on_heartbeat(master *m, em__lconn *c, const uint8_t *p, size_t n, em_error *err)
{
    Emcluster__Heartbeat *h;
    EM_TRY(em__unpack(&emcluster__heartbeat__descriptor, p, n, (ProtobufCMessage **)&h, err));
    mworker *w = c->data;
    if (w == NULL || strcmp(w->id, h->worker_id) != 0) {
        ask_reregister(c, "unknown worker");
    } else if (!w->alive) {
        em_log_info("worker %s heartbeats again after it was declared dead", w->id);
        ask_reregister(c, "the worker was declared dead");
    } else {
        w->last_heartbeat = now();
    }
    emcluster__heartbeat__free_unpacked(h, NULL);
    (void)m;
    return 0;
}

static void describe_exit(const Emcluster__ExecutorStateChanged *s, char *out, size_t cap)
{
    if (s->state == EMCLUSTER__EXECUTOR_STATE__EXECUTOR_FAILED) {
        snprintf(out, cap, "executor %s could not be started: %s", s->executor_id, s->message);
    } else if (s->signal != 0) {
        snprintf(out, cap, "executor %s %s by signal %d", s->executor_id,
                 s->state == EMCLUSTER__EXECUTOR_STATE__EXECUTOR_KILLED ? "was stopped"
                                                                        : "was killed",
                 s->signal);
    } else {
        snprintf(out, cap, "executor %s exited with code %d", s->executor_id, s->exit_code);
    }
}

static int on_executor_state(master *m, em__lconn *c, const uint8_t *p, size_t n, em_error *err)
{
    Emcluster__ExecutorStateChanged *s;
    EM_TRY(em__unpack(&emcluster__executor_state_changed__descriptor, p, n, (ProtobufCMessage **)&s,
                      err));
    mworker *w = c->data;
    mexec *x = w != NULL ? find_exec(m, s->app_id, s->executor_id) : NULL;
    if (x != NULL && x->worker == w) {
        if (s->state == EMCLUSTER__EXECUTOR_STATE__EXECUTOR_RUNNING) {
            if (x->state == EXEC_LAUNCHING) x->state = EXEC_RUNNING;
            x->pid = s->pid;
        } else if (s->state != EMCLUSTER__EXECUTOR_STATE__EXECUTOR_LAUNCHING) {
            char why[400];
            describe_exit(s, why, sizeof(why));
            mapp *a = x->app;
            if (a != NULL && s->state != EMCLUSTER__EXECUTOR_STATE__EXECUTOR_KILLED) {
                a->failures++;
            }
            remove_exec(m, x, why);
            schedule(m);
        }
    }
    emcluster__executor_state_changed__free_unpacked(s, NULL);
    return 0;
}

static int on_worker_frame(master *m, em__lconn *c, uint16_t type, const uint8_t *p, size_t n,
                           em_error *err)
{
    if (type == EMCLUSTER__MSG_TYPE__MSG_REGISTER_WORKER)
        return on_register_worker(m, c, p, n, err);
    if (c->data == NULL) {
        if (type == EMCLUSTER__MSG_TYPE__MSG_HEARTBEAT) {
            ask_reregister(c, "unknown worker");
            return 0;
        }
        return em_error_set(err, EM_EIO, "message of type %u before the worker registered",
                            (unsigned)type);
    }
    switch (type) {
    case EMCLUSTER__MSG_TYPE__MSG_HEARTBEAT:
        return on_heartbeat(m, c, p, n, err);
    case EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_STATE_CHANGED:
        return on_executor_state(m, c, p, n, err);
    case EMCLUSTER__MSG_TYPE__MSG_WORKER_SHUTDOWN:
        worker_dead(m, c->data, "it shut down");
        return 0;
    default:
        return em_error_set(err, EM_EIO, "unexpected message of type %u from a worker",
                            (unsigned)type);
    }
}

/* ---- applications ---------------------------------------------------------------- */

/* Stop an application's executors and keep it listed as finished. */
static void finish_app(master *m, mapp *a, const char *reason)
{
    if (a->state != APP_RUNNING) return;
    em_log_info("application %s (%s) finished: %s", a->id, a->name, reason);
    a->state = APP_FINISHED;
    a->ended = now();
    em_free(a->end_reason);
    a->end_reason = em_strdup(reason);
    if (a->conn != NULL) a->conn->data = NULL;
    a->conn = NULL;
    char why[300];
    snprintf(why, sizeof(why), "application %s finished", a->id);
    for (int i = m->execs.n - 1; i >= 0; i--) {
        mexec *x = m->execs.items[i];
        if (x->app != a) continue;
        send_kill(x, why);
        pvec_remove(&m->execs, x);
        exec_free(x);
    }
    /* Keep the newest finished applications only. */
    int finished = 0;
    for (int i = m->apps.n - 1; i >= 0; i--) {
        mapp *o = m->apps.items[i];
        if (o->state != APP_FINISHED) continue;
        if (++finished > RETAINED_APPS) {
            pvec_remove(&m->apps, o);
            app_free(o);
        }
    }
    schedule(m);
}

static bool valid_app_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] <= ' ' || s[i] > '~') return false;
    }
    return true;
}

static void refuse_app(em__lconn *c, const char *reason)
{
    Emcluster__RegisteredApplication r = EMCLUSTER__REGISTERED_APPLICATION__INIT;
    r.accepted = false;
    r.reason = (char *)reason;
    em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_REGISTERED_APPLICATION, &r.base);
    em_log_warn("refused an application from %s: %s", c->peer, reason);
}

/* A re-registering driver's view of its executors, matched with the workers'. */
static void reconcile_app(master *m, mapp *a, bool known_before,
                          const Emcluster__RegisterApplication *r, pvec *lost_ids)
{
    for (size_t k = 0; k < r->n_executor_ids; k++) {
        const char *id = r->executor_ids[k];
        long v = strtol(id, NULL, 10);
        if (v >= a->next_exec && v < INT32_MAX) a->next_exec = (int)v + 1;
        mexec *x = find_exec(m, a->id, id);
        if (x != NULL) {
            x->app = a;
            x->state = x->worker != NULL ? EXEC_RUNNING : EXEC_RECOVERING;
        } else if (known_before) {
            /* This master removed it (its application ended or its worker died). */
            pvec_push(lost_ids, (void *)id);
        } else {
            x = em_calloc(1, sizeof(*x));
            x->app_id = em_strdup(a->id);
            x->id = em_strdup(id);
            x->app = a;
            x->state = EXEC_RECOVERING;
            x->since = now();
            pvec_push(&m->execs, x);
        }
    }
    /* Orphans the driver does not count on are of no use to anyone. */
    for (int i = m->execs.n - 1; i >= 0; i--) {
        mexec *x = m->execs.items[i];
        if (strcmp(x->app_id, a->id) != 0) continue;
        long v = strtol(x->id, NULL, 10);
        if (v >= a->next_exec && v < INT32_MAX) a->next_exec = (int)v + 1;
        if (x->app == NULL) {
            send_kill(x, "its application no longer counts on it");
            pvec_remove(&m->execs, x);
            exec_free(x);
        }
    }
}

static int on_register_app(master *m, em__lconn *c, const uint8_t *p, size_t n, em_error *err)
{
    Emcluster__RegisterApplication *r;
    EM_TRY(em__unpack(&emcluster__register_application__descriptor, p, n, (ProtobufCMessage **)&r,
                      err));
    if (c->data != NULL) {
        refuse_app(c, "this connection already registered an application");
    } else if (r->driver_host[0] == '\0' || r->driver_port < 1 || r->driver_port > 65535) {
        refuse_app(c, "the application needs its driver's host and port");
    } else if (r->max_cores < 0 || r->executor_cores < 0 || r->executor_memory < 0) {
        refuse_app(c, "max_cores, executor_cores and executor_memory must not be negative");
    } else if (r->app_id[0] != '\0' && !valid_app_id(r->app_id)) {
        refuse_app(c, "malformed application id");
    } else {
        mapp *a = r->app_id[0] != '\0' ? find_app(m, r->app_id) : NULL;
        bool known_before = a != NULL;
        if (a == NULL) {
            a = em_calloc(1, sizeof(*a));
            if (r->app_id[0] != '\0') {
                a->id = em_strdup(r->app_id);
            } else {
                char id[64], stamp[32];
                time_t t = time(NULL);
                struct tm tm;
                localtime_r(&t, &tm);
                strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
                snprintf(id, sizeof(id), "app-%s-%04d", stamp, m->app_counter++);
                a->id = em_strdup(id);
            }
            a->submitted = now();
            pvec_push(&m->apps, a);
        } else if (a->conn != NULL) {
            em__lconn *old = a->conn;
            old->data = NULL;
            a->conn = NULL;
            em__lconn_close(old, NULL);
        }
        em_free(a->name);
        em_free(a->driver_host);
        a->name = em_strdup(r->name[0] != '\0' ? r->name : "unnamed");
        a->driver_host = em_strdup(r->driver_host);
        a->driver_port = r->driver_port;
        a->max_cores = r->max_cores;
        a->executor_cores = r->executor_cores;
        a->executor_memory = r->executor_memory;
        a->state = APP_RUNNING;
        a->failures = 0;
        a->failures_logged = false;
        pvec lost = {0};
        if (r->app_id[0] != '\0') reconcile_app(m, a, known_before, r, &lost);
        /* Grants made now travel in the reply, not as separate messages. */
        schedule(m);
        a->conn = c;
        c->data = a;
        Emcluster__RegisteredApplication reply = EMCLUSTER__REGISTERED_APPLICATION__INIT;
        reply.accepted = true;
        reply.app_id = a->id;
        Emcluster__ExecutorGrant *grants = em_calloc((size_t)m->execs.n + 1, sizeof(*grants));
        Emcluster__ExecutorGrant **gp = em_calloc((size_t)m->execs.n + 1, sizeof(*gp));
        for (int i = 0; i < m->execs.n; i++) {
            mexec *x = m->execs.items[i];
            if (x->app != a) continue;
            fill_grant(x, &grants[reply.n_executors]);
            gp[reply.n_executors] = &grants[reply.n_executors];
            reply.n_executors++;
        }
        reply.executors = gp;
        em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_REGISTERED_APPLICATION, &reply.base);
        em_log_info("application %s (%s) %sregistered from %s, driver at %s:%d: %zu executors",
                    a->id, a->name, r->app_id[0] != '\0' ? "re-" : "", c->peer, a->driver_host,
                    a->driver_port, reply.n_executors);
        em_free(grants);
        em_free(gp);
        for (int i = 0; i < lost.n; i++) {
            char why[200];
            snprintf(why, sizeof(why), "executor %s is unknown to the master",
                     (const char *)lost.items[i]);
            send_lost(a, lost.items[i], why);
        }
        em_free(lost.items);
    }
    emcluster__register_application__free_unpacked(r, NULL);
    return 0;
}

static int on_driver_frame(master *m, em__lconn *c, uint16_t type, const uint8_t *p, size_t n,
                           em_error *err)
{
    if (type == EMCLUSTER__MSG_TYPE__MSG_REGISTER_APPLICATION) {
        return on_register_app(m, c, p, n, err);
    }
    if (type == EMCLUSTER__MSG_TYPE__MSG_UNREGISTER_APPLICATION) {
        Emcluster__UnregisterApplication *u;
        EM_TRY(em__unpack(&emcluster__unregister_application__descriptor, p, n,
                          (ProtobufCMessage **)&u, err));
        mapp *a = c->data;
        if (a != NULL && strcmp(a->id, u->app_id) == 0) {
            finish_app(m, a, "unregistered by its driver");
        }
        Emcluster__UnregisteredApplication ack = EMCLUSTER__UNREGISTERED_APPLICATION__INIT;
        ack.app_id = u->app_id;
        em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_UNREGISTERED_APPLICATION, &ack.base);
        emcluster__unregister_application__free_unpacked(u, NULL);
        return 0;
    }
    return em_error_set(err, EM_EIO, "unexpected message of type %u from a driver", (unsigned)type);
}

/* ---- status ------------------------------------------------------------------------ */

/* The whole state as a StatusResponse; the arena owns every part of it. */
static Emcluster__StatusResponse *build_status(master *m, em_arena *ar)
{
    Emcluster__StatusResponse *s = em_arena_calloc(ar, sizeof(*s));
    emcluster__status_response__init(s);
    double t = now();
    s->master = m->address;
    s->uptime = t - m->started;
    s->n_workers = (size_t)m->workers.n;
    s->workers = em_arena_calloc(ar, sizeof(void *) * (size_t)(m->workers.n + 1));
    for (int i = 0; i < m->workers.n; i++) {
        mworker *w = m->workers.items[i];
        Emcluster__WorkerStatus *ws = em_arena_calloc(ar, sizeof(*ws));
        emcluster__worker_status__init(ws);
        ws->id = w->id;
        ws->host = w->host;
        ws->cores = w->cores;
        ws->memory = w->memory;
        worker_usage(m, w, &ws->cores_used, &ws->memory_used);
        ws->state = w->alive ? "ALIVE" : "DEAD";
        ws->seconds_since_heartbeat = t - w->last_heartbeat;
        ws->connected = w->conn != NULL;
        s->workers[i] = ws;
    }
    s->n_apps = (size_t)m->apps.n;
    s->apps = em_arena_calloc(ar, sizeof(void *) * (size_t)(m->apps.n + 1));
    for (int i = 0; i < m->apps.n; i++) {
        mapp *a = m->apps.items[i];
        Emcluster__AppStatus *as = em_arena_calloc(ar, sizeof(*as));
        emcluster__app_status__init(as);
        as->id = a->id;
        as->name = a->name;
        as->driver = em_arena_printf(ar, "%s:%d", a->driver_host, a->driver_port);
        app_usage(m, a, &as->cores_granted, &as->executors);
        as->max_cores = a->max_cores;
        as->executor_cores = a->executor_cores;
        as->executor_memory = a->executor_memory;
        as->state =
            a->state == APP_RUNNING ? (a->conn != NULL ? "RUNNING" : "RECOVERING") : "FINISHED";
        as->duration = (a->state == APP_RUNNING ? t : a->ended) - a->submitted;
        s->apps[i] = as;
    }
    s->n_executors = (size_t)m->execs.n;
    s->executors = em_arena_calloc(ar, sizeof(void *) * (size_t)(m->execs.n + 1));
    for (int i = 0; i < m->execs.n; i++) {
        mexec *x = m->execs.items[i];
        Emcluster__ExecutorStatus *xs = em_arena_calloc(ar, sizeof(*xs));
        emcluster__executor_status__init(xs);
        xs->app_id = x->app_id;
        xs->executor_id = x->id;
        xs->worker_id = x->worker != NULL ? x->worker->id : "";
        xs->host = x->worker != NULL ? x->worker->host : "";
        xs->cores = x->cores;
        xs->memory = x->memory;
        xs->state = (char *)exec_state_name(x->state);
        xs->pid = x->pid;
        s->executors[i] = xs;
    }
    return s;
}

static int on_status_frame(master *m, em__lconn *c, uint16_t type, em_error *err)
{
    if (type != EMCLUSTER__MSG_TYPE__MSG_STATUS_REQUEST) {
        return em_error_set(err, EM_EIO, "unexpected message of type %u from a status client",
                            (unsigned)type);
    }
    em_arena *ar = em_arena_create(16384);
    Emcluster__StatusResponse *s = build_status(m, ar);
    em__lconn_send(c, EMCLUSTER__MSG_TYPE__MSG_STATUS_RESPONSE, &s->base);
    em_arena_destroy(ar);
    return 0;
}

/* ---- connections ----------------------------------------------------------------- */

static void conn_ready(em__lconn *c)
{
    master *m = c->owner;
    if (strcmp(c->role, EM_ROLE_WORKER) != 0 && strcmp(c->role, EM_ROLE_DRIVER) != 0 &&
        strcmp(c->role, EM_ROLE_STATUS) != 0) {
        char why[100];
        snprintf(why, sizeof(why), "role '%s' is not served by the master", c->role);
        em__lconn_close(c, why);
        return;
    }
    em_log_debug("%s connected as %s", c->peer, c->role);
    (void)m;
}

static int conn_frame(em__lconn *c, uint16_t type, const uint8_t *p, size_t n, em_error *err)
{
    master *m = c->owner;
    if (strcmp(c->role, EM_ROLE_WORKER) == 0) return on_worker_frame(m, c, type, p, n, err);
    if (strcmp(c->role, EM_ROLE_DRIVER) == 0) return on_driver_frame(m, c, type, p, n, err);
    return on_status_frame(m, c, type, err);
}

static void conn_closed(em__lconn *c)
{
    master *m = c->owner;
    pvec_remove(&m->conns, c);
    if (m->stopping || c->data == NULL) return;
    if (strcmp(c->role, EM_ROLE_WORKER) == 0) {
        mworker *w = c->data;
        w->conn = NULL;
        /* The worker keeps its executors; it has ember.worker.timeout to come back. */
        em_log_info("worker %s disconnected", w->id);
    } else if (strcmp(c->role, EM_ROLE_DRIVER) == 0) {
        mapp *a = c->data;
        a->conn = NULL;
        finish_app(m, a, "its driver disconnected");
    }
    c->data = NULL;
}

static const em__lconn_ops CONN_OPS = {conn_ready, conn_frame, conn_closed};

static void on_connection(uv_stream_t *server, int status)
{
    master *m = server->data;
    if (status < 0) {
        em_log_warn("accept failed: %s", uv_strerror(status));
        return;
    }
    em__lconn *c = em__lconn_accept(server, m->opts->secret, &CONN_OPS, m);
    if (c != NULL) pvec_push(&m->conns, c);
}

/* ---- timers, signals, the web page -------------------------------------------------- */

static void tick(uv_timer_t *t)
{
    master *m = t->data;
    double tnow = now();
    double timeout = m->opts->worker_timeout;
    for (int i = m->workers.n - 1; i >= 0; i--) {
        mworker *w = m->workers.items[i];
        if (w->alive && tnow - w->last_heartbeat > timeout) {
            char why[100];
            snprintf(why, sizeof(why), "no heartbeat for %.1f s", tnow - w->last_heartbeat);
            worker_dead(m, w, why);
        } else if (!w->alive && w->conn == NULL && tnow - w->dead_since > 15 * timeout) {
            pvec_remove(&m->workers, w);
            worker_free(w);
        }
    }
    /* Orphaned and recovering executors wait for their driver or worker to come
     * back; reconnecting takes a few backoff rounds, so never less than this. */
    double grace = EM_MAX(timeout, RECOVERY_GRACE);
    for (int i = m->execs.n - 1; i >= 0; i--) {
        mexec *x = m->execs.items[i];
        if (tnow - x->since <= grace) continue;
        if (x->state == EXEC_ORPHANED) {
            em_log_info("executor %s of %s: its driver did not come back; stopping it", x->id,
                        x->app_id);
            send_kill(x, "its application did not come back");
            pvec_remove(&m->execs, x);
            exec_free(x);
        } else if (x->state == EXEC_RECOVERING) {
            remove_exec(m, x, "its worker did not come back after the master restarted");
        }
    }
}

/* On the loop: publish a fresh snapshot for the page. */
static void web_refresh(uv_async_t *a)
{
    master *m = a->data;
    em_arena *ar = em_arena_create(16384);
    char *json = em__cluster_status_json(build_status(m, ar));
    em_arena_destroy(ar);
    pthread_mutex_lock(&m->web_lock);
    char *old = m->web_json;
    m->web_json = json;
    m->web_gen++;
    pthread_cond_broadcast(&m->web_cond);
    pthread_mutex_unlock(&m->web_lock);
    em_free(old);
}

/* On a civetweb thread: ask the loop for a snapshot and wait (bounded) for it. */
static int web_json(struct mg_connection *conn, void *cbdata)
{
    master *m = cbdata;
    pthread_mutex_lock(&m->web_lock);
    uint64_t gen = m->web_gen;
    uv_async_send(&m->web_async);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 2;
    while (m->web_gen == gen) {
        if (pthread_cond_timedwait(&m->web_cond, &m->web_lock, &deadline) != 0) break;
    }
    char *copy = em_strdup(m->web_json != NULL ? m->web_json : "{}");
    pthread_mutex_unlock(&m->web_lock);
    size_t n = strlen(copy);
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
              "Connection: close\r\n\r\n",
              n);
    mg_write(conn, copy, n);
    em_free(copy);
    return 200;
}

static void start_web(master *m)
{
    if (m->opts->webui_port < 0) return;
    char ports[160];
    snprintf(ports, sizeof(ports), "%s:%d", m->opts->host, m->opts->webui_port);
    const char *options[] = {"listening_ports", ports, "num_threads", "2", NULL};
    struct mg_callbacks cb;
    memset(&cb, 0, sizeof(cb));
    uv_async_init(&m->loop, &m->web_async, web_refresh);
    m->web_async.data = m;
    m->web = mg_start(&cb, m, options);
    if (m->web == NULL) {
        em_log_warn("cannot start the web UI on %s; continuing without it", ports);
        uv_close((uv_handle_t *)&m->web_async, NULL);
        return;
    }
    mg_set_request_handler(m->web, "/json", web_json, m);
    struct mg_server_port sp[4];
    int np = mg_get_server_ports(m->web, 4, sp);
    em_log_info("web UI (JSON) on http://%s:%d/json", m->opts->host, np > 0 ? sp[0].port : -1);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
    master *m = s->data;
    if (m->stopping) return;
    em_log_info("master stopping (signal %d)", signum);
    m->stopping = true;
    /* Connections close through their own code (which frees them); then the
     * master's own handles, after which the loop has nothing left to run. */
    while (m->conns.n > 0) em__lconn_close(m->conns.items[m->conns.n - 1], NULL);
    uv_close((uv_handle_t *)&m->server, NULL);
    uv_close((uv_handle_t *)&m->sigterm, NULL);
    uv_close((uv_handle_t *)&m->sigint, NULL);
    uv_close((uv_handle_t *)&m->tick, NULL);
    if (m->web != NULL) {
        /* Its threads may be waiting for the loop: they give up after a bound. */
        mg_stop(m->web);
        m->web = NULL;
        uv_close((uv_handle_t *)&m->web_async, NULL);
    }
}

static int write_port_file(const char *path, int port, em_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return em_error_set(err, EM_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        return em_error_set(err, EM_EIO, "cannot write %s: %s", path, strerror(errno));
    }
    return 0;
}

static int start(master *m, em_error *err)
{
    struct sockaddr_storage addr;
    EM_TRY(em__resolve(&m->loop, m->opts->host, m->opts->port, &addr, err));
    uv_tcp_init(&m->loop, &m->server);
    m->server.data = m;
    int rc = uv_tcp_bind(&m->server, (struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&m->server, 128, on_connection);
    if (rc < 0) {
        return em_error_set(err, EM_EIO, "cannot listen on %s:%d: %s", m->opts->host, m->opts->port,
                            uv_strerror(rc));
    }
    struct sockaddr_storage bound;
    int blen = sizeof(bound);
    uv_tcp_getsockname(&m->server, (struct sockaddr *)&bound, &blen);
    int port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                 : ((struct sockaddr_in *)&bound)->sin_port);
    snprintf(m->address, sizeof(m->address), "%s:%d", m->opts->host, port);
    em_log_info("master listening on ember://%s (worker timeout %.1f s%s)", m->address,
                m->opts->worker_timeout,
                m->opts->secret != NULL && m->opts->secret[0] ? ", authentication on" : "");
    if (m->opts->port_file != NULL) EM_TRY(write_port_file(m->opts->port_file, port, err));
    uv_signal_init(&m->loop, &m->sigterm);
    uv_signal_init(&m->loop, &m->sigint);
    m->sigterm.data = m->sigint.data = m;
    uv_signal_start(&m->sigterm, on_signal, SIGTERM);
    uv_signal_start(&m->sigint, on_signal, SIGINT);
    uv_timer_init(&m->loop, &m->tick);
    m->tick.data = m;
    double every = EM_MAX(0.02, EM_MIN(1.0, m->opts->worker_timeout / 8));
    uv_timer_start(&m->tick, tick, 0, (uint64_t)(every * 1000));
    start_web(m);
    return 0;
}

int em_master_run(const em_master_opts *opts, em_error *err)
{
    em_master_opts o = *opts;
    if (o.host == NULL || o.host[0] == '\0') o.host = "127.0.0.1";
    if (o.worker_timeout <= 0) o.worker_timeout = 60;
    if (o.secret != NULL && o.secret[0] == '\0') o.secret = NULL;
    if (o.port < 0 || o.port > 65535) {
        em_error_set(err, EM_EINVAL, "port %d out of range", o.port);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    master *m = em_calloc(1, sizeof(*m));
    m->opts = &o;
    m->started = now();
    pthread_mutex_init(&m->web_lock, NULL);
    pthread_cond_init(&m->web_cond, NULL);
    uv_loop_init(&m->loop);
    int code = 0;
    if (start(m, err) < 0) {
        code = 1;
        m->stopping = true;
        uv_walk(&m->loop, close_walk, NULL);
    }
    uv_run(&m->loop, UV_RUN_DEFAULT);
    if (m->web != NULL) mg_stop(m->web);
    if (uv_loop_close(&m->loop) != 0) em_log_warn("the master's loop still had open handles");
    for (int i = 0; i < m->execs.n; i++) exec_free(m->execs.items[i]);
    for (int i = 0; i < m->workers.n; i++) worker_free(m->workers.items[i]);
    for (int i = 0; i < m->apps.n; i++) app_free(m->apps.items[i]);
    em_free(m->execs.items);
    em_free(m->workers.items);
    em_free(m->apps.items);
    em_free(m->conns.items);
    em_free(m->web_json);
    pthread_mutex_destroy(&m->web_lock);
    pthread_cond_destroy(&m->web_cond);
    em_free(m);
    if (code == 0) em_log_info("master stopped");
    return code;
}

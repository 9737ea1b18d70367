/*
 * app_client.c — the driver's client of the master: registers an application,
 * then a background thread holds the connection, keeps the list of executors
 * the master granted, and hands executor-lost events to the driver's listener.
 *
 * When the connection drops (the master restarted) the thread reconnects with
 * backoff and registers again under the same application id, listing the
 * executors it still counts on; the master keeps those its workers still run.
 * Any executor the new registration does not confirm is reported lost, so the
 * driver's view and the master's agree again after every reconnection.
 */
#include "cluster/daemon_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define POLL_MS 100
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
#define UNREGISTER_TIMEOUT_MS 5000

typedef struct lost_event {
    char *executor_id;
    char *reason;
} lost_event;

struct em_app_client {
    char host[256];
    int port;
    char *name;
    char *driver_host;
    char *secret;
    em_app_request req; /* strings point at the copies above */
    char app_id[80];
    em_conn *conn; /* owned by the thread once it runs */
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;

    pthread_mutex_t lock; /* guards what follows */
    char **execs;         /* executors granted and not lost */
    int nexecs;
    int cap;
    lost_event *pending; /* lost events not yet delivered */
    int npending;
    em_app_executor_lost_fn fn;
    void *ctx;
};

/* ---- the executor list (callers hold the lock) --------------------------------- */

static int exec_index(em_app_client *c, const char *id)
{
    for (int i = 0; i < c->nexecs; i++) {
        if (strcmp(c->execs[i], id) == 0) return i;
    }
    return -1;
}

static void exec_add(em_app_client *c, const char *id)
{
    if (exec_index(c, id) >= 0) return;
    if (c->nexecs == c->cap) {
        c->cap = c->cap == 0 ? 8 : 2 * c->cap;
        c->execs = em_realloc(c->execs, sizeof(char *) * (size_t)c->cap);
    }
    c->execs[c->nexecs++] = em_strdup(id);
}

/* Remove an executor and queue its lost event; nothing when it was not listed. */
static void exec_lost(em_app_client *c, const char *id, const char *reason)
{
    int i = exec_index(c, id);
    if (i < 0) return;
    em_free(c->execs[i]);
    c->execs[i] = c->execs[--c->nexecs];
    c->pending = em_realloc(c->pending, sizeof(lost_event) * (size_t)(c->npending + 1));
    c->pending[c->npending].executor_id = em_strdup(id);
    c->pending[c->npending].reason = em_strdup(reason);
    c->npending++;
    em_log_info("application %s: executor %s lost: %s", c->app_id, id, reason);
}

/* Deliver queued events, outside the lock, once there is a listener. */
static void deliver(em_app_client *c)
{
    pthread_mutex_lock(&c->lock);
    em_app_executor_lost_fn fn = c->fn;
    void *ctx = c->ctx;
    lost_event *ev = NULL;
    int n = 0;
    if (fn != NULL && c->npending > 0) {
        ev = c->pending;
        n = c->npending;
        c->pending = NULL;
        c->npending = 0;
    }
    pthread_mutex_unlock(&c->lock);
    for (int i = 0; i < n; i++) {
        fn(ctx, ev[i].executor_id, ev[i].reason);
        em_free(ev[i].executor_id);
        em_free(ev[i].reason);
    }
    em_free(ev);
}

/* ---- talking to the master ---------------------------------------------------- */

static int send_msg(em_conn *conn, uint16_t type, const ProtobufCMessage *m, em_error *err)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = em_malloc(n > 0 ? n : 1);
    protobuf_c_message_pack(m, buf);
    int rc = em_conn_send(conn, type, buf, n, EM_CLUSTER_REQUEST_TIMEOUT_MS, err);
    em_free(buf);
    return rc;
}

/* One message from the master after registration. */
static int handle_frame(em_app_client *c, uint16_t type, const uint8_t *p, size_t n, em_error *err)
{
    if (type == EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_ADDED) {
        Emcluster__ExecutorGrant *g;
        EM_TRY(
            em__unpack(&emcluster__executor_grant__descriptor, p, n, (ProtobufCMessage **)&g, err));
        pthread_mutex_lock(&c->lock);
        exec_add(c, g->executor_id);
        pthread_mutex_unlock(&c->lock);
        em_log_info("application %s: executor %s granted on %s (%d cores)", c->app_id,
                    g->executor_id, g->worker_id, g->cores);
        emcluster__executor_grant__free_unpacked(g, NULL);
    } else if (type == EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_LOST) {
        Emcluster__ExecutorLost *l;
        EM_TRY(
            em__unpack(&emcluster__executor_lost__descriptor, p, n, (ProtobufCMessage **)&l, err));
        pthread_mutex_lock(&c->lock);
        exec_lost(c, l->executor_id, l->reason);
        pthread_mutex_unlock(&c->lock);
        emcluster__executor_lost__free_unpacked(l, NULL);
    } else if (type != EMCLUSTER__MSG_TYPE__MSG_UNREGISTERED_APPLICATION) {
        return em_error_set(err, EM_EIO, "unexpected message of type %u from the master",
                            (unsigned)type);
    }
    return 0;
}

/* Connect, authenticate and register (again, when app_id is set). */
static int connect_register(em_app_client *c, em_error *err)
{
    em_conn *conn;
    EM_TRY(em_net_connect(c->host, c->port, EM_CLUSTER_REQUEST_TIMEOUT_MS, &conn, err));
    em_conn_set_max_frame(conn, EM_CLUSTER_MAX_FRAME);
    int rc = em_conn_handshake_client(conn, EM_ROLE_DRIVER, c->secret,
                                      EM_CLUSTER_REQUEST_TIMEOUT_MS, err);
    if (rc < 0) {
        em_conn_close(conn);
        return rc;
    }
    bool again = c->app_id[0] != '\0';
    Emcluster__RegisterApplication r = EMCLUSTER__REGISTER_APPLICATION__INIT;
    r.name = c->name;
    r.driver_host = c->driver_host;
    r.driver_port = c->req.driver_port;
    r.max_cores = c->req.max_cores;
    r.executor_cores = c->req.executor_cores;
    r.executor_memory = c->req.executor_memory;
    r.app_id = c->app_id;
    pthread_mutex_lock(&c->lock);
    char **known = em_calloc((size_t)c->nexecs + 1, sizeof(char *));
    int nknown = c->nexecs;
    for (int i = 0; i < nknown; i++) known[i] = em_strdup(c->execs[i]);
    pthread_mutex_unlock(&c->lock);
    r.executor_ids = known;
    r.n_executor_ids = (size_t)nknown;
    rc = send_msg(conn, EMCLUSTER__MSG_TYPE__MSG_REGISTER_APPLICATION, &r.base, err);
    uint16_t type = 0;
    uint8_t *payload = NULL;
    size_t len = 0;
    if (rc == 0) rc = em_conn_recv(conn, EM_CLUSTER_REQUEST_TIMEOUT_MS, &type, &payload, &len, err);
    if (rc == EM_ETIMEOUT) {
        rc = em_error_set(err, EM_ETIMEOUT, "the master at %s:%d did not answer the registration",
                          c->host, c->port);
    }
    if (rc == 0 && type != EMCLUSTER__MSG_TYPE__MSG_REGISTERED_APPLICATION) {
        rc = em_error_set(err, EM_EIO, "unexpected reply of type %u to the registration",
                          (unsigned)type);
    }
    Emcluster__RegisteredApplication *reply = NULL;
    if (rc == 0) {
        rc = em__unpack(&emcluster__registered_application__descriptor, payload, len,
                        (ProtobufCMessage **)&reply, err);
    }
    if (rc == 0 && !reply->accepted) {
        rc = em_error_set(err, EM_EINVAL, "the master refused the application: %s", reply->reason);
    }
    if (rc == 0) {
        /* Written once: em_app_id may read it from other threads afterwards. */
        if (!again) snprintf(c->app_id, sizeof(c->app_id), "%s", reply->app_id);
        pthread_mutex_lock(&c->lock);
        /* Whatever the driver counted on that the master did not keep is lost. */
        for (int i = 0; i < nknown; i++) {
            bool kept = false;
            for (size_t k = 0; k < reply->n_executors; k++) {
                kept = kept || strcmp(reply->executors[k]->executor_id, known[i]) == 0;
            }
            if (!kept) exec_lost(c, known[i], "the master no longer knows this executor");
        }
        for (size_t k = 0; k < reply->n_executors; k++) {
            exec_add(c, reply->executors[k]->executor_id);
        }
        int n = c->nexecs;
        pthread_mutex_unlock(&c->lock);
        em_log_info("application %s %s with the master at %s:%d: %d executors", c->app_id,
                    again ? "registered again" : "registered", c->host, c->port, n);
        c->conn = conn;
    } else {
        em_conn_close(conn);
    }
    if (reply != NULL) emcluster__registered_application__free_unpacked(reply, NULL);
    em_free(payload);
    for (int i = 0; i < nknown; i++) em_free(known[i]);
    em_free(known);
    return rc;
}

/* Sleep up to ms, waking early when asked to stop. */
static void nap(em_app_client *c, int ms)
{
    while (ms > 0 && !atomic_load(&c->stop)) {
        int step = EM_MIN(ms, 50);
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void reconnect(em_app_client *c)
{
    int backoff = BACKOFF_MIN_MS;
    bool logged = false;
    while (!atomic_load(&c->stop)) {
        nap(c, backoff);
        if (atomic_load(&c->stop)) return;
        em_error err;
        if (connect_register(c, &err) == 0) return;
        if (!logged) {
            em_log_warn("application %s: cannot register again yet: %s; retrying", c->app_id,
                        err.message);
            logged = true;
        }
        deliver(c);
        backoff = EM_MIN(backoff * 2, BACKOFF_MAX_MS);
    }
}

static void *client_thread(void *arg)
{
    em_app_client *c = arg;
    while (!atomic_load(&c->stop)) {
        deliver(c);
        if (c->conn == NULL) {
            reconnect(c);
            continue;
        }
        uint16_t type;
        uint8_t *payload = NULL;
        size_t len = 0;
        em_error err;
        int rc = em_conn_recv(c->conn, POLL_MS, &type, &payload, &len, &err);
        if (rc == EM_ETIMEOUT) continue;
        if (rc == 0) rc = handle_frame(c, type, payload, len, &err);
        em_free(payload);
        if (rc < 0) {
            em_log_warn("application %s: lost the connection to the master: %s; reconnecting",
                        c->app_id, err.message);
            em_conn_close(c->conn);
            c->conn = NULL;
        }
    }
    return NULL;
}

/* ---- the API -------------------------------------------------------------------- */

static void client_free(em_app_client *c)
{
    if (c->conn != NULL) em_conn_close(c->conn);
    for (int i = 0; i < c->nexecs; i++) em_free(c->execs[i]);
    for (int i = 0; i < c->npending; i++) {
        em_free(c->pending[i].executor_id);
        em_free(c->pending[i].reason);
    }
    em_free(c->execs);
    em_free(c->pending);
    em_free(c->name);
    em_free(c->driver_host);
    em_free(c->secret);
    pthread_mutex_destroy(&c->lock);
    em_free(c);
}

int em_app_register(const char *master_url, const em_app_request *req, em_app_client **out,
                    em_error *err)
{
    if (req->driver_host == NULL || req->driver_host[0] == '\0' || req->driver_port < 1 ||
        req->driver_port > 65535) {
        return em_error_set(err, EM_EINVAL, "the application needs its driver's host and port");
    }
    if (req->max_cores < 0 || req->executor_cores < 0 || req->executor_memory < 0) {
        return em_error_set(err, EM_EINVAL,
                            "max_cores, executor_cores and executor_memory must not be negative");
    }
    em_app_client *c = em_calloc(1, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->stop, false);
    int rc = em_net_parse_url(master_url, c->host, sizeof(c->host), &c->port, err);
    if (rc < 0) {
        client_free(c);
        return rc;
    }
    c->req = *req;
    c->name = em_strdup(req->name != NULL ? req->name : "");
    c->driver_host = em_strdup(req->driver_host);
    c->secret = req->secret != NULL && req->secret[0] != '\0' ? em_strdup(req->secret) : NULL;
    rc = connect_register(c, err);
    if (rc < 0) {
        client_free(c);
        return rc;
    }
    if (pthread_create(&c->thread, NULL, client_thread, c) != 0) {
        client_free(c);
        return em_error_set(err, EM_EINTERNAL, "cannot start the application client's thread");
    }
    c->thread_started = true;
    *out = c;
    return 0;
}

const char *em_app_id(const em_app_client *c)
{
    return c->app_id;
}

int em_app_executors_granted(em_app_client *c)
{
    pthread_mutex_lock(&c->lock);
    int n = c->nexecs;
    pthread_mutex_unlock(&c->lock);
    return n;
}

void em_app_set_lost_listener(em_app_client *c, em_app_executor_lost_fn fn, void *ctx)
{
    pthread_mutex_lock(&c->lock);
    c->fn = fn;
    c->ctx = ctx;
    pthread_mutex_unlock(&c->lock);
}

void em_app_unregister(em_app_client *c)
{
    if (c == NULL) return;
    atomic_store(&c->stop, true);
    if (c->thread_started) pthread_join(c->thread, NULL);
    if (c->conn != NULL) {
        /* Wait (bounded) for the master's answer: by then it has asked the workers
         * to stop the executors. */
        Emcluster__UnregisterApplication u = EMCLUSTER__UNREGISTER_APPLICATION__INIT;
        u.app_id = c->app_id;
        em_error err;
        int rc = send_msg(c->conn, EMCLUSTER__MSG_TYPE__MSG_UNREGISTER_APPLICATION, &u.base, &err);
        int64_t deadline = em_now_micros() + (int64_t)UNREGISTER_TIMEOUT_MS * 1000;
        while (rc == 0) {
            int64_t left = (deadline - em_now_micros()) / 1000;
            if (left <= 0) break;
            uint16_t type;
            uint8_t *payload = NULL;
            size_t len = 0;
            rc = em_conn_recv(c->conn, (int)left, &type, &payload, &len, &err);
            em_free(payload);
            if (rc == 0 && type == EMCLUSTER__MSG_TYPE__MSG_UNREGISTERED_APPLICATION) break;
        }
        if (rc < 0) {
            em_log_warn("application %s: unregistering: %s", c->app_id, err.message);
        }
    }
    client_free(c);
}

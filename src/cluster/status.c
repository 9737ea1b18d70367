/*
 * status.c — the master's status seen from outside: fetched over a blocking
 * connection (role "status"), printed as tables for people or as JSON for
 * scripts (`ember status --format json`, and the master's /json page).
 */
#include "cluster/daemon_int.h"

#include <string.h>

#include <jansson.h>

int em__cluster_status_fetch(const char *url, const char *secret, int timeout_ms,
                             Emcluster__StatusResponse **out, em_error *err)
{
    char host[256];
    int port;
    EM_TRY(em_net_parse_url(url, host, sizeof(host), &port, err));
    em_conn *c;
    EM_TRY(em_net_connect(host, port, timeout_ms, &c, err));
    em_conn_set_max_frame(c, EM_CLUSTER_MAX_FRAME);
    uint16_t type = 0;
    uint8_t *payload = NULL;
    size_t len = 0;
    int rc = em_conn_handshake_client(c, EM_ROLE_STATUS, secret, timeout_ms, err);
    if (rc == 0) {
        Emcluster__StatusRequest req = EMCLUSTER__STATUS_REQUEST__INIT;
        uint8_t buf[16];
        size_t n = protobuf_c_message_pack(&req.base, buf);
        rc = em_conn_send(c, EMCLUSTER__MSG_TYPE__MSG_STATUS_REQUEST, buf, n, timeout_ms, err);
    }
    if (rc == 0) rc = em_conn_recv(c, timeout_ms, &type, &payload, &len, err);
    if (rc == 0 && type != EMCLUSTER__MSG_TYPE__MSG_STATUS_RESPONSE) {
        rc = em_error_set(err, EM_EIO, "unexpected reply of type %u from the master at %s",
                          (unsigned)type, url);
    }
    if (rc == 0) {
        *out = emcluster__status_response__unpack(NULL, len, payload);
        if (*out == NULL) {
            rc = em_error_set(err, EM_EIO, "malformed status reply from the master at %s", url);
        }
    }
    em_free(payload);
    em_conn_close(c);
    return rc;
}

/* ---- JSON ---------------------------------------------------------------------- */

char *em__cluster_status_json(const Emcluster__StatusResponse *s)
{
    json_t *root = json_object();
    json_object_set_new(root, "master", json_string(s->master));
    json_object_set_new(root, "uptime_seconds", json_real(s->uptime));
    json_t *workers = json_array();
    for (size_t i = 0; i < s->n_workers; i++) {
        const Emcluster__WorkerStatus *w = s->workers[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(w->id));
        json_object_set_new(o, "host", json_string(w->host));
        json_object_set_new(o, "state", json_string(w->state));
        json_object_set_new(o, "cores", json_integer(w->cores));
        json_object_set_new(o, "cores_used", json_integer(w->cores_used));
        json_object_set_new(o, "memory", json_integer(w->memory));
        json_object_set_new(o, "memory_used", json_integer(w->memory_used));
        json_object_set_new(o, "seconds_since_heartbeat", json_real(w->seconds_since_heartbeat));
        json_object_set_new(o, "connected", json_boolean(w->connected));
        json_array_append_new(workers, o);
    }
    json_object_set_new(root, "workers", workers);
    json_t *apps = json_array();
    for (size_t i = 0; i < s->n_apps; i++) {
        const Emcluster__AppStatus *a = s->apps[i];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(a->id));
        json_object_set_new(o, "name", json_string(a->name));
        json_object_set_new(o, "state", json_string(a->state));
        json_object_set_new(o, "driver", json_string(a->driver));
        json_object_set_new(o, "cores", json_integer(a->cores_granted));
        json_object_set_new(o, "max_cores", json_integer(a->max_cores));
        json_object_set_new(o, "executor_cores", json_integer(a->executor_cores));
        json_object_set_new(o, "executor_memory", json_integer(a->executor_memory));
        json_object_set_new(o, "executors", json_integer(a->executors));
        json_object_set_new(o, "duration_seconds", json_real(a->duration));
        json_array_append_new(apps, o);
    }
    json_object_set_new(root, "applications", apps);
    json_t *execs = json_array();
    for (size_t i = 0; i < s->n_executors; i++) {
        const Emcluster__ExecutorStatus *x = s->executors[i];
        json_t *o = json_object();
        json_object_set_new(o, "app_id", json_string(x->app_id));
        json_object_set_new(o, "id", json_string(x->executor_id));
        json_object_set_new(o, "worker_id", json_string(x->worker_id));
        json_object_set_new(o, "host", json_string(x->host));
        json_object_set_new(o, "state", json_string(x->state));
        json_object_set_new(o, "cores", json_integer(x->cores));
        json_object_set_new(o, "memory", json_integer(x->memory));
        json_object_set_new(o, "pid", json_integer(x->pid));
        json_array_append_new(execs, o);
    }
    json_object_set_new(root, "executors", execs);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    /* jansson allocates with malloc; hand back an em_malloc'd copy. */
    char *out = em_strdup(text != NULL ? text : "{}");
    free(text);
    return out;
}

/* ---- tables ------------------------------------------------------------------------ */

#define MAX_COLS 8

typedef struct table {
    int ncols;
    int nrows;
    char **cells; /* nrows x ncols, row 0 = header */
} table;

static void table_row(table *t, const char *const *cols)
{
    t->cells = em_realloc(t->cells, sizeof(char *) * (size_t)(t->nrows + 1) * (size_t)t->ncols);
    for (int i = 0; i < t->ncols; i++) {
        t->cells[t->nrows * t->ncols + i] = em_strdup(cols[i]);
    }
    t->nrows++;
}

static void table_print(FILE *f, table *t)
{
    int width[MAX_COLS] = {0};
    for (int r = 0; r < t->nrows; r++) {
        for (int i = 0; i < t->ncols; i++) {
            int n = (int)strlen(t->cells[r * t->ncols + i]);
            if (n > width[i]) width[i] = n;
        }
    }
    for (int r = 0; r < t->nrows; r++) {
        for (int i = 0; i < t->ncols; i++) {
            const char *cell = t->cells[r * t->ncols + i];
            if (i + 1 < t->ncols) {
                fprintf(f, "%-*s  ", width[i], cell);
            } else {
                fprintf(f, "%s\n", cell);
            }
        }
    }
    for (int i = 0; i < t->nrows * t->ncols; i++) em_free(t->cells[i]);
    em_free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}

void em__cluster_status_print(FILE *f, const Emcluster__StatusResponse *s)
{
    fprintf(f, "master ember://%s, up %.0f s\n\n", s->master, s->uptime);
    int alive = 0;
    for (size_t i = 0; i < s->n_workers; i++) alive += strcmp(s->workers[i]->state, "ALIVE") == 0;
    fprintf(f, "workers: %d alive, %d dead\n", alive, (int)s->n_workers - alive);
    if (s->n_workers > 0) {
        table t = {.ncols = 6};
        static const char *const head[] = {"ID",    "HOST",   "STATE",
                                           "CORES", "MEMORY", "LAST HEARTBEAT"};
        table_row(&t, head);
        for (size_t i = 0; i < s->n_workers; i++) {
            const Emcluster__WorkerStatus *w = s->workers[i];
            char cores[32], mem[64], used[32], total[32], hb[48];
            snprintf(cores, sizeof(cores), "%d/%d", w->cores_used, w->cores);
            em__format_bytes(w->memory_used, used, sizeof(used));
            em__format_bytes(w->memory, total, sizeof(total));
            snprintf(mem, sizeof(mem), "%s/%s", used, total);
            snprintf(hb, sizeof(hb), "%.1f s ago%s", w->seconds_since_heartbeat,
                     w->connected ? "" : " (disconnected)");
            const char *row[] = {w->id, w->host, w->state, cores, mem, hb};
            table_row(&t, row);
        }
        table_print(f, &t);
    }
    fprintf(f, "\napplications: %zu\n", s->n_apps);
    if (s->n_apps > 0) {
        table t = {.ncols = 7};
        static const char *const head[] = {"ID",        "NAME",   "STATE",   "CORES",
                                           "EXECUTORS", "DRIVER", "DURATION"};
        table_row(&t, head);
        for (size_t i = 0; i < s->n_apps; i++) {
            const Emcluster__AppStatus *a = s->apps[i];
            char cores[32], n[16], dur[32];
            if (a->max_cores > 0) {
                snprintf(cores, sizeof(cores), "%d (max %d)", a->cores_granted, a->max_cores);
            } else {
                snprintf(cores, sizeof(cores), "%d", a->cores_granted);
            }
            snprintf(n, sizeof(n), "%d", a->executors);
            snprintf(dur, sizeof(dur), "%.0f s", a->duration);
            const char *row[] = {a->id, a->name, a->state, cores, n, a->driver, dur};
            table_row(&t, row);
        }
        table_print(f, &t);
    }
    fprintf(f, "\nexecutors: %zu\n", s->n_executors);
    if (s->n_executors > 0) {
        table t = {.ncols = 7};
        static const char *const head[] = {"APPLICATION", "ID",     "WORKER", "STATE",
                                           "CORES",       "MEMORY", "PID"};
        table_row(&t, head);
        for (size_t i = 0; i < s->n_executors; i++) {
            const Emcluster__ExecutorStatus *x = s->executors[i];
            char cores[16], mem[32], pid[16];
            snprintf(cores, sizeof(cores), "%d", x->cores);
            em__format_bytes(x->memory, mem, sizeof(mem));
            snprintf(pid, sizeof(pid), "%d", x->pid);
            const char *row[] = {x->app_id, x->executor_id, x->worker_id[0] ? x->worker_id : "-",
                                 x->state,  cores,          mem,
                                 pid};
            table_row(&t, row);
        }
        table_print(f, &t);
    }
}

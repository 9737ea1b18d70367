/*
 * worker.c — `ember worker`: offers a machine's cores and memory to the master
 * and runs executor processes for it. One libuv loop holds the connection to
 * the master (register, heartbeat, launch/kill requests, exit reports) and
 * watches the executor processes.
 *
 * Executors outlive the connection: when the master goes away the worker keeps
 * them running, reconnects with backoff and registers again listing them, so a
 * restarted master learns what runs where. Executors start in their own process
 * group (and session), so that a kill reaches whatever they started and a
 * terminal's Ctrl-C aimed at the worker does not hit them first; the worker
 * stops them itself when it shuts down (SIGTERM, then SIGKILL after a grace).
 */
#include "cluster/daemon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Seconds an executor gets between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 5000
/* Bound on the whole shutdown, should some process not die. */
#define SHUTDOWN_LIMIT_MS 10000
/* Reconnection backoff, seconds. */
#define BACKOFF_MIN 0.1
#define BACKOFF_MAX 2.0

typedef struct worker worker;

typedef struct wexec {
    worker *w;
    char *app_id;
    char *id;
    char *dir;
    int cores;
    int64_t memory;
    int pid;
    bool exited;
    bool kill_requested;
    int open_handles;
    uv_process_t proc;
    uv_timer_t kill_timer;
} wexec;

struct worker {
    em_worker_opts o;
    char id[300];
    char ember_path[PATH_MAX];
    char work_dir[PATH_MAX];
    char master_host[256];
    int master_port;
    char master_addr[300];
    uv_loop_t loop;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t heartbeat;
    uv_timer_t reconnect; /* also the registration deadline */
    uv_timer_t shutdown;
    em__lconn *conn;
    bool registered;
    bool ever_registered;
    bool lost_logged;
    bool paused_logged;
    double backoff;
    double started;
    bool stopping;
    int exit_code;
    wexec **execs;
    int nexecs;
    int cap;
};

static void connect_master(worker *w);
static void stop_worker(worker *w, int code);

/* ---- executors --------------------------------------------------------------- */

static void exec_handle_closed(uv_handle_t *h)
{
    wexec *x = h->data;
    if (--x->open_handles > 0) return;
    em_free(x->app_id);
    em_free(x->id);
    em_free(x->dir);
    em_free(x);
}

static void exec_forget(worker *w, wexec *x)
{
    for (int i = 0; i < w->nexecs; i++) {
        if (w->execs[i] == x) {
            memmove(w->execs + i, w->execs + i + 1,
                    sizeof(*w->execs) * (size_t)(w->nexecs - i - 1));
            w->nexecs--;
            break;
        }
    }
    if (!uv_is_closing((uv_handle_t *)&x->kill_timer)) {
        uv_close((uv_handle_t *)&x->kill_timer, exec_handle_closed);
    }
    if (!uv_is_closing((uv_handle_t *)&x->proc)) {
        uv_close((uv_handle_t *)&x->proc, exec_handle_closed);
    }
}

static wexec *find_exec(worker *w, const char *app_id, const char *id)
{
    for (int i = 0; i < w->nexecs; i++) {
        if (strcmp(w->execs[i]->app_id, app_id) == 0 && strcmp(w->execs[i]->id, id) == 0) {
            return w->execs[i];
        }
    }
    return NULL;
}

static void report_state(worker *w, const char *app_id, const char *id,
                         Emcluster__ExecutorState state, int pid, int exit_code, int sig,
                         const char *message)
{
    if (w->conn == NULL || !w->registered) return;
    Emcluster__ExecutorStateChanged s = EMCLUSTER__EXECUTOR_STATE_CHANGED__INIT;
    s.app_id = (char *)app_id;
    s.executor_id = (char *)id;
    s.state = state;
    s.pid = pid;
    s.exit_code = exit_code;
    s.signal = sig;
    s.message = (char *)(message != NULL ? message : "");
    em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_EXECUTOR_STATE_CHANGED, &s.base);
}

/* Signal the executor's whole process group (it leads one). */
static void signal_exec(wexec *x, int sig)
{
    if (x->exited || x->pid <= 0) return;
    if (kill(-x->pid, sig) < 0) kill(x->pid, sig);
}

static void finish_if_idle(worker *w);

static void on_exec_exit(uv_process_t *p, int64_t status, int term_signal)
{
    wexec *x = p->data;
    worker *w = x->w;
    x->exited = true;
    uv_timer_stop(&x->kill_timer);
    /* Whatever the executor left behind in its group goes with it. */
    if (kill(-x->pid, SIGKILL) < 0 && errno != ESRCH) em_log_debug("kill: %s", strerror(errno));
    Emcluster__ExecutorState st = x->kill_requested ? EMCLUSTER__EXECUTOR_STATE__EXECUTOR_KILLED
                                                    : EMCLUSTER__EXECUTOR_STATE__EXECUTOR_EXITED;
    if (term_signal != 0) {
        em_log_info("executor %s of %s (pid %d) ended by signal %d", x->id, x->app_id, x->pid,
                    term_signal);
    } else {
        em_log_info("executor %s of %s (pid %d) exited with code %d", x->id, x->app_id, x->pid,
                    (int)status);
    }
    report_state(w, x->app_id, x->id, st, x->pid, (int)status, term_signal, NULL);
    exec_forget(w, x);
    finish_if_idle(w);
}

static void kill_timeout(uv_timer_t *t)
{
    wexec *x = t->data;
    em_log_warn("executor %s of %s (pid %d) ignored SIGTERM; sending SIGKILL", x->id, x->app_id,
                x->pid);
    signal_exec(x, SIGKILL);
}

static void kill_exec(wexec *x, const char *reason)
{
    if (x->exited || x->kill_requested) return;
    em_log_info("stopping executor %s of %s (pid %d): %s", x->id, x->app_id, x->pid, reason);
    x->kill_requested = true;
    signal_exec(x, SIGTERM);
    uv_timer_start(&x->kill_timer, kill_timeout, KILL_GRACE_MS, 0);
}

/* Ids become directory names: no separators, no dot names, nothing unprintable. */
static bool safe_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || s[i] <= ' ' || s[i] > '~') return false;
    }
    return true;
}

static int mkdir_p(const char *path, em_error *err)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            return em_error_set(err, EM_EIO, "cannot create %s: %s", buf, strerror(errno));
        }
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
        return em_error_set(err, EM_EIO, "cannot create %s: %s", buf, strerror(errno));
    }
    return 0;
}

/* The executor's environment: ours, with EMBER_AUTH_SECRET set to the secret (or
 * removed when there is none). */
static char **exec_env(worker *w)
{
    int n = 0;
    while (environ[n] != NULL) n++;
    char **env = em_calloc((size_t)n + 2, sizeof(char *));
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(environ[i], "EMBER_AUTH_SECRET=", 18) == 0) continue;
        env[k++] = em_strdup(environ[i]);
    }
    if (w->o.secret != NULL) {
        size_t len = strlen(w->o.secret) + 19;
        env[k] = em_malloc(len);
        snprintf(env[k], len, "EMBER_AUTH_SECRET=%s", w->o.secret);
        k++;
    }
    env[k] = NULL;
    return env;
}

static void free_strv(char **v)
{
    for (int i = 0; v[i] != NULL; i++) em_free(v[i]);
    em_free(v);
}

static int open_log(const char *dir, const char *name, em_error *err)
{
    char path[PATH_MAX + 16];
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return em_error_set(err, EM_EINVAL, "the executor's directory name is too long");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return em_error_set(err, EM_EIO, "cannot create %s: %s", path, strerror(errno));
    return fd;
}

static int spawn_exec(worker *w, wexec *x, const Emcluster__LaunchExecutor *l, em_error *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof(dir), "%s/%s/%s", w->work_dir, l->app_id, l->executor_id) >=
        (int)sizeof(dir)) {
        return em_error_set(err, EM_EINVAL, "the executor's directory name is too long");
    }
    EM_TRY(mkdir_p(dir, err));
    x->dir = em_strdup(dir);
    char driver[300], cores[16], memory[32];
    snprintf(driver, sizeof(driver), "%s:%d", l->driver_host, l->driver_port);
    snprintf(cores, sizeof(cores), "%d", l->cores);
    snprintf(memory, sizeof(memory), "%lld", (long long)l->memory);
    char *args[20];
    int na = 0;
    args[na++] = w->ember_path;
    args[na++] = "executor";
    args[na++] = "--driver";
    args[na++] = driver;
    args[na++] = "--app-id";
    args[na++] = l->app_id;
    args[na++] = "--executor-id";
    args[na++] = l->executor_id;
    args[na++] = "--cores";
    args[na++] = cores;
    args[na++] = "--memory";
    args[na++] = memory;
    args[na++] = "--work-dir";
    args[na++] = dir;
    if (strcmp(w->o.host, "127.0.0.1") != 0) {
        /* Only a worker told to use another address passes it on. */
        args[na++] = "--host";
        args[na++] = (char *)w->o.host;
    }
    args[na] = NULL;
    int out = open_log(dir, "stdout", err);
    if (out < 0) return out;
    int errfd = open_log(dir, "stderr", err);
    if (errfd < 0) {
        close(out);
        return errfd;
    }
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_INHERIT_FD;
    stdio[1].data.fd = out;
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = errfd;
    char **env = exec_env(w);
    uv_process_options_t po;
    memset(&po, 0, sizeof(po));
    po.exit_cb = on_exec_exit;
    po.file = w->ember_path;
    po.args = args;
    po.env = env;
    po.cwd = dir;
    po.flags = UV_PROCESS_DETACHED;
    po.stdio_count = 3;
    po.stdio = stdio;
    int rc = uv_spawn(&w->loop, &x->proc, &po);
    close(out);
    close(errfd);
    free_strv(env);
    if (rc < 0) {
        return em_error_set(err, EM_EIO, "cannot start %s: %s", w->ember_path, uv_strerror(rc));
    }
    x->pid = x->proc.pid;
    return 0;
}

static void launch(worker *w, const Emcluster__LaunchExecutor *l)
{
    if (w->stopping) return;
    if (!safe_name(l->app_id) || !safe_name(l->executor_id)) {
        report_state(w, l->app_id, l->executor_id, EMCLUSTER__EXECUTOR_STATE__EXECUTOR_FAILED, 0, 0,
                     0, "malformed application or executor id");
        return;
    }
    if (find_exec(w, l->app_id, l->executor_id) != NULL) {
        em_log_warn("executor %s of %s is already running here", l->executor_id, l->app_id);
        return;
    }
    wexec *x = em_calloc(1, sizeof(*x));
    x->w = w;
    x->app_id = em_strdup(l->app_id);
    x->id = em_strdup(l->executor_id);
    x->cores = l->cores;
    x->memory = l->memory;
    x->proc.data = x;
    x->kill_timer.data = x;
    uv_timer_init(&w->loop, &x->kill_timer);
    x->open_handles = 1;
    em_error err;
    if (spawn_exec(w, x, l, &err) < 0) {
        em_log_error("executor %s of %s: %s", x->id, x->app_id, err.message);
        report_state(w, x->app_id, x->id, EMCLUSTER__EXECUTOR_STATE__EXECUTOR_FAILED, 0, 0, 0,
                     err.message);
        /* A failed uv_spawn still initialised the handle when it got that far. */
        if (x->proc.type == UV_PROCESS) {
            x->open_handles++;
            uv_close((uv_handle_t *)&x->proc, exec_handle_closed);
        }
        uv_close((uv_handle_t *)&x->kill_timer, exec_handle_closed);
        return;
    }
    x->open_handles++;
    if (w->nexecs == w->cap) {
        w->cap = w->cap == 0 ? 8 : 2 * w->cap;
        w->execs = em_realloc(w->execs, sizeof(*w->execs) * (size_t)w->cap);
    }
    w->execs[w->nexecs++] = x;
    char mem[32];
    em__format_bytes(x->memory, mem, sizeof(mem));
    em_log_info("started executor %s of %s (pid %d, %d cores, %s) in %s", x->id, x->app_id, x->pid,
                x->cores, mem, x->dir);
    report_state(w, x->app_id, x->id, EMCLUSTER__EXECUTOR_STATE__EXECUTOR_RUNNING, x->pid, 0, 0,
                 NULL);
}

/* ---- the master connection ----------------------------------------------------- */

static void send_register(worker *w)
{
    Emcluster__RegisterWorker r = EMCLUSTER__REGISTER_WORKER__INIT;
    r.worker_id = w->id;
    r.host = (char *)w->o.host;
    r.cores = w->o.cores;
    r.memory = w->o.memory;
    r.work_dir = w->work_dir;
    Emcluster__RunningExecutor *re = em_calloc((size_t)w->nexecs + 1, sizeof(*re));
    Emcluster__RunningExecutor **rp = em_calloc((size_t)w->nexecs + 1, sizeof(*rp));
    for (int i = 0; i < w->nexecs; i++) {
        wexec *x = w->execs[i];
        emcluster__running_executor__init(&re[r.n_executors]);
        re[r.n_executors].app_id = x->app_id;
        re[r.n_executors].executor_id = x->id;
        re[r.n_executors].cores = x->cores;
        re[r.n_executors].memory = x->memory;
        re[r.n_executors].pid = x->pid;
        rp[r.n_executors] = &re[r.n_executors];
        r.n_executors++;
    }
    r.executors = rp;
    em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_REGISTER_WORKER, &r.base);
    em_free(re);
    em_free(rp);
}

static void registration_timeout(uv_timer_t *t)
{
    worker *w = t->data;
    if (w->conn != NULL && !w->registered) {
        em__lconn_close(w->conn, "the master did not answer the registration in time");
    }
}

static void conn_ready(em__lconn *c)
{
    worker *w = c->owner;
    send_register(w);
    uv_timer_start(&w->reconnect, registration_timeout, EM_CLUSTER_REQUEST_TIMEOUT_MS, 0);
}

static void send_heartbeat(uv_timer_t *t)
{
    worker *w = t->data;
    if (w->conn == NULL || !w->registered) return;
    if (w->o.test_pause_heartbeat_after > 0 &&
        em_now_seconds() - w->started > w->o.test_pause_heartbeat_after) {
        if (!w->paused_logged) {
            em_log_warn("heartbeats paused (ember.test.worker.pauseHeartbeatAfter)");
            w->paused_logged = true;
        }
        return;
    }
    Emcluster__Heartbeat h = EMCLUSTER__HEARTBEAT__INIT;
    h.worker_id = w->id;
    em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_HEARTBEAT, &h.base);
}

static int on_registered(worker *w, const uint8_t *p, size_t n, em_error *err)
{
    Emcluster__RegisteredWorker *r;
    EM_TRY(
        em__unpack(&emcluster__registered_worker__descriptor, p, n, (ProtobufCMessage **)&r, err));
    if (!r->accepted) {
        em_log_error("the master at %s refused this worker: %s", w->master_addr, r->reason);
        emcluster__registered_worker__free_unpacked(r, NULL);
        stop_worker(w, 1);
        return 0;
    }
    uv_timer_stop(&w->reconnect);
    double every = w->o.heartbeat_interval;
    if (r->heartbeat_interval > 0 && r->heartbeat_interval < every) every = r->heartbeat_interval;
    every = EM_MAX(every, 0.01);
    em_log_info("%s with the master at %s as %s (%d cores, %d executors running)",
                w->ever_registered ? "registered again" : "registered", w->master_addr, w->id,
                w->o.cores, w->nexecs);
    w->registered = true;
    w->ever_registered = true;
    w->lost_logged = false;
    w->backoff = BACKOFF_MIN;
    uint64_t ms = (uint64_t)(every * 1000);
    uv_timer_start(&w->heartbeat, send_heartbeat, ms, ms);
    emcluster__registered_worker__free_unpacked(r, NULL);
    return 0;
}

static int conn_frame(em__lconn *c, uint16_t type, const uint8_t *p, size_t n, em_error *err)
{
    worker *w = c->owner;
    if (type == EMCLUSTER__MSG_TYPE__MSG_REGISTERED_WORKER) return on_registered(w, p, n, err);
    if (!w->registered) {
        return em_error_set(err, EM_EIO, "message of type %u before the registration was answered",
                            (unsigned)type);
    }
    switch (type) {
    case EMCLUSTER__MSG_TYPE__MSG_REREGISTER_WORKER: {
        Emcluster__ReregisterWorker *r;
        EM_TRY(em__unpack(&emcluster__reregister_worker__descriptor, p, n, (ProtobufCMessage **)&r,
                          err));
        em_log_info("the master asks this worker to register again: %s", r->reason);
        emcluster__reregister_worker__free_unpacked(r, NULL);
        w->registered = false;
        uv_timer_stop(&w->heartbeat);
        send_register(w);
        uv_timer_start(&w->reconnect, registration_timeout, EM_CLUSTER_REQUEST_TIMEOUT_MS, 0);
        return 0;
    }
    case EMCLUSTER__MSG_TYPE__MSG_LAUNCH_EXECUTOR: {
        Emcluster__LaunchExecutor *l;
        EM_TRY(em__unpack(&emcluster__launch_executor__descriptor, p, n, (ProtobufCMessage **)&l,
                          err));
        launch(w, l);
        emcluster__launch_executor__free_unpacked(l, NULL);
        return 0;
    }
    case EMCLUSTER__MSG_TYPE__MSG_KILL_EXECUTOR: {
        Emcluster__KillExecutor *k;
        EM_TRY(
            em__unpack(&emcluster__kill_executor__descriptor, p, n, (ProtobufCMessage **)&k, err));
        wexec *x = find_exec(w, k->app_id, k->executor_id);
        if (x != NULL) kill_exec(x, k->reason[0] ? k->reason : "the master asked");
        emcluster__kill_executor__free_unpacked(k, NULL);
        return 0;
    }
    default:
        return em_error_set(err, EM_EIO, "unexpected message of type %u from the master",
                            (unsigned)type);
    }
}

static void reconnect_now(uv_timer_t *t)
{
    connect_master(t->data);
}

static void conn_closed(em__lconn *c)
{
    worker *w = c->owner;
    if (w->conn == c) w->conn = NULL;
    bool was_registered = w->registered;
    w->registered = false;
    uv_timer_stop(&w->heartbeat);
    uv_timer_stop(&w->reconnect);
    if (w->stopping) return;
    if (c->fail_code == EM_EAUTH && !w->ever_registered) {
        em_log_error("cannot register with the master: %s", c->fail_reason);
        stop_worker(w, 1);
        return;
    }
    if (was_registered || !w->lost_logged) {
        if (was_registered) {
            em_log_warn("lost the connection to the master at %s; reconnecting (executors keep "
                        "running)",
                        w->master_addr);
        } else {
            em_log_warn("cannot reach the master at %s%s%s; retrying", w->master_addr,
                        c->fail_reason[0] ? ": " : "", c->fail_reason);
        }
        w->lost_logged = true;
    }
    uv_timer_start(&w->reconnect, reconnect_now, (uint64_t)(w->backoff * 1000), 0);
    w->backoff = EM_MIN(w->backoff * 2, BACKOFF_MAX);
}

static const em__lconn_ops CONN_OPS = {conn_ready, conn_frame, conn_closed};

static void connect_master(worker *w)
{
    if (w->stopping) return;
    struct sockaddr_storage addr;
    em_error err;
    if (em__resolve(&w->loop, w->master_host, w->master_port, &addr, &err) < 0) {
        if (!w->lost_logged) em_log_warn("%s; retrying", err.message);
        w->lost_logged = true;
        uv_timer_start(&w->reconnect, reconnect_now, (uint64_t)(w->backoff * 1000), 0);
        w->backoff = EM_MIN(w->backoff * 2, BACKOFF_MAX);
        return;
    }
    /* On failure conn_closed has already scheduled the next attempt. */
    w->conn = em__lconn_connect(&w->loop, (struct sockaddr *)&addr, w->master_addr, EM_ROLE_WORKER,
                                w->o.secret, &CONN_OPS, w);
}

/* ---- stopping -------------------------------------------------------------------- */

static void finish_stop(worker *w)
{
    uv_timer_stop(&w->shutdown);
    if (w->conn != NULL) {
        if (w->registered) {
            Emcluster__WorkerShutdown s = EMCLUSTER__WORKER_SHUTDOWN__INIT;
            s.worker_id = w->id;
            em__lconn_send(w->conn, EMCLUSTER__MSG_TYPE__MSG_WORKER_SHUTDOWN, &s.base);
        }
        em__lconn_shutdown(w->conn);
        w->conn = NULL;
    }
    uv_close((uv_handle_t *)&w->sigterm, NULL);
    uv_close((uv_handle_t *)&w->sigint, NULL);
    uv_close((uv_handle_t *)&w->heartbeat, NULL);
    uv_close((uv_handle_t *)&w->reconnect, NULL);
    uv_close((uv_handle_t *)&w->shutdown, NULL);
}

static void finish_if_idle(worker *w)
{
    if (w->stopping && w->nexecs == 0 && !uv_is_closing((uv_handle_t *)&w->shutdown)) {
        finish_stop(w);
    }
}

static void shutdown_limit(uv_timer_t *t)
{
    worker *w = t->data;
    em_log_warn("%d executors did not stop in time; leaving them", w->nexecs);
    while (w->nexecs > 0) exec_forget(w, w->execs[w->nexecs - 1]);
    finish_stop(w);
}

static void stop_worker(worker *w, int code)
{
    if (w->stopping) return;
    w->stopping = true;
    w->exit_code = code;
    uv_timer_stop(&w->heartbeat);
    uv_timer_stop(&w->reconnect);
    if (w->nexecs > 0) {
        em_log_info("stopping %d executors", w->nexecs);
        for (int i = 0; i < w->nexecs; i++) kill_exec(w->execs[i], "the worker is stopping");
        uv_timer_start(&w->shutdown, shutdown_limit, SHUTDOWN_LIMIT_MS, 0);
    } else {
        finish_stop(w);
    }
}

static void on_signal(uv_signal_t *s, int signum)
{
    worker *w = s->data;
    em_log_info("worker stopping (signal %d)", signum);
    stop_worker(w, 0);
}

/* ---- running ---------------------------------------------------------------------- */

static int setup(worker *w, const em_worker_opts *opts, em_error *err)
{
    w->o = *opts;
    if (w->o.host == NULL || w->o.host[0] == '\0') w->o.host = "127.0.0.1";
    if (w->o.secret != NULL && w->o.secret[0] == '\0') w->o.secret = NULL;
    if (w->o.heartbeat_interval <= 0) w->o.heartbeat_interval = 1;
    if (w->o.cores < 1) return em_error_set(err, EM_EINVAL, "a worker needs at least one core");
    if (w->o.memory < 1) return em_error_set(err, EM_EINVAL, "a worker needs some memory");
    if (w->o.master_url == NULL) return em_error_set(err, EM_EINVAL, "no master address");
    EM_TRY(em_net_parse_url(w->o.master_url, w->master_host, sizeof(w->master_host),
                            &w->master_port, err));
    snprintf(w->master_addr, sizeof(w->master_addr), "%s:%d", w->master_host, w->master_port);
    const char *wd = w->o.work_dir != NULL && w->o.work_dir[0] ? w->o.work_dir : "work";
    EM_TRY(mkdir_p(wd, err));
    if (realpath(wd, w->work_dir) == NULL) {
        return em_error_set(err, EM_EIO, "cannot resolve %s: %s", wd, strerror(errno));
    }
    if (w->o.ember_path != NULL && w->o.ember_path[0] != '\0') {
        snprintf(w->ember_path, sizeof(w->ember_path), "%s", w->o.ember_path);
    } else {
        ssize_t n = readlink("/proc/self/exe", w->ember_path, sizeof(w->ember_path) - 1);
        if (n < 0) {
            return em_error_set(err, EM_EIO, "cannot find the ember binary: %s", strerror(errno));
        }
        w->ember_path[n] = '\0';
    }
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
    snprintf(w->id, sizeof(w->id), "worker-%s-%s-%d", stamp, w->o.host, (int)getpid());
    return 0;
}

int em_worker_run(const em_worker_opts *opts, em_error *err)
{
    signal(SIGPIPE, SIG_IGN);
    worker *w = em_calloc(1, sizeof(*w));
    if (setup(w, opts, err) < 0) {
        em_free(w);
        return 1;
    }
    w->started = em_now_seconds();
    w->backoff = BACKOFF_MIN;
    uv_loop_init(&w->loop);
    uv_signal_init(&w->loop, &w->sigterm);
    uv_signal_init(&w->loop, &w->sigint);
    uv_timer_init(&w->loop, &w->heartbeat);
    uv_timer_init(&w->loop, &w->reconnect);
    uv_timer_init(&w->loop, &w->shutdown);
    w->sigterm.data = w->sigint.data = w->heartbeat.data = w->reconnect.data = w->shutdown.data = w;
    uv_signal_start(&w->sigterm, on_signal, SIGTERM);
    uv_signal_start(&w->sigint, on_signal, SIGINT);
    char mem[32];
    em__format_bytes(w->o.memory, mem, sizeof(mem));
    em_log_info("worker %s: %d cores, %s, work dir %s, master %s", w->id, w->o.cores, mem,
                w->work_dir, w->master_addr);
    connect_master(w);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&w->loop) != 0) em_log_warn("the worker's loop still had open handles");
    int code = w->exit_code;
    em_free(w->execs);
    em_free(w);
    if (code == 0) em_log_info("worker stopped");
    return code;
}

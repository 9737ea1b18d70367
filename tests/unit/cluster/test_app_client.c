/*
 * test_app_client.c — the application client against a real master and two
 * real workers (the `ember` binary next to this test, started as processes on
 * 127.0.0.1), with a shell script standing in for `ember executor`
 * (`ember worker --ember-path`): it records its arguments, its environment's
 * EMBER_AUTH_SECRET and its pid in its work directory, then waits for SIGTERM.
 *
 * Checked: executors are launched with the documented command line and the
 * secret; a grant honours executor_cores and max_cores; an executor that dies
 * is reported lost to the listener and replaced; unregistering stops the
 * executors; a master restart keeps the application and its executors (the
 * client and the workers register again and the master matches them up); a
 * worker that dies has its executors reported lost; malformed frames after the
 * handshake close only their connection; a wrong secret is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster/cluster.h"
#include "cluster/daemon_int.h"

#define SECRET "test-secret"
#define TIMEOUT_S 2

static char g_tmp[128];
static char g_ember[1024];
static char g_url[64];
static int g_port;
static pid_t g_master = -1;
static pid_t g_workers[2] = {-1, -1};

/* ---- processes --------------------------------------------------------------- */

/* Start `sh -c cmd` (which execs the daemon). Should this test die without its
 * teardown (a failed assertion in a sanitizer build aborts), the daemons get
 * SIGTERM with it, and the workers then stop their executors. */
static pid_t spawn_sh(const char *cmd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(1);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stop a process we started: SIGTERM, then SIGKILL if it lingers. */
static void stop_pid(pid_t *pid, int sig)
{
    if (*pid <= 0) return;
    kill(*pid, sig);
    for (int i = 0; i < 100; i++) {
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = -1;
            return;
        }
        sleep_ms(50);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = -1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) return NULL;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return em_strdup(buf);
}

static void start_master(int port)
{
    char cmd[4096];
    char pf[256];
    snprintf(pf, sizeof(pf), "%s/port", g_tmp);
    unlink(pf);
    snprintf(cmd, sizeof(cmd),
             "EMBER_LOG=info exec %s master --port %d --port-file %s --webui-port -1 --secret %s "
             "--conf ember.worker.timeout=%d >/dev/null 2>>%s/master.log",
             g_ember, port, pf, SECRET, TIMEOUT_S, g_tmp);
    g_master = spawn_sh(cmd);
    char *text = NULL;
    for (int i = 0; i < 200 && text == NULL; i++) {
        text = read_text(pf);
        if (text == NULL) sleep_ms(50);
    }
    assert_non_null(text);
    g_port = atoi(text);
    em_free(text);
    snprintf(g_url, sizeof(g_url), "ember://127.0.0.1:%d", g_port);
}

static void start_worker(int i)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "EMBER_LOG=info exec %s worker --master %s --cores 2 --memory 1g --work-dir %s/w%d "
             "--secret %s --ember-path %s/fake-ember.sh >/dev/null 2>>%s/w%d.log",
             g_ember, g_url, g_tmp, i, SECRET, g_tmp, g_tmp, i);
    g_workers[i] = spawn_sh(cmd);
}

/* ---- waiting on the master's status ----------------------------------------------- */

typedef bool (*status_pred)(const Emcluster__StatusResponse *s, void *arg);

static bool wait_status(double seconds, status_pred pred, void *arg)
{
    double end = em_now_seconds() + seconds;
    do {
        Emcluster__StatusResponse *s = NULL;
        em_error err;
        if (em__cluster_status_fetch(g_url, SECRET, 2000, &s, &err) == 0) {
            bool ok = pred(s, arg);
            emcluster__status_response__free_unpacked(s, NULL);
            if (ok) return true;
        }
        sleep_ms(100);
    } while (em_now_seconds() < end);
    return false;
}

static bool workers_alive(const Emcluster__StatusResponse *s, void *arg)
{
    int n = 0;
    for (size_t i = 0; i < s->n_workers; i++) n += strcmp(s->workers[i]->state, "ALIVE") == 0;
    return n == *(int *)arg;
}

typedef struct app_want {
    const char *app_id;
    const char *state;
    int running; /* executors in state RUNNING */
} app_want;

static bool app_is(const Emcluster__StatusResponse *s, void *arg)
{
    app_want *w = arg;
    bool found = false;
    for (size_t i = 0; i < s->n_apps; i++) {
        if (strcmp(s->apps[i]->id, w->app_id) == 0) {
            found = strcmp(s->apps[i]->state, w->state) == 0;
        }
    }
    int running = 0;
    for (size_t i = 0; i < s->n_executors; i++) {
        running += strcmp(s->executors[i]->app_id, w->app_id) == 0 &&
                   strcmp(s->executors[i]->state, "RUNNING") == 0;
    }
    return found && running == w->running;
}

/* ---- the fake executors' records ---------------------------------------------------- */

/* Paths of the files named `name` the executors of app wrote, sorted. */
static int exec_files(const char *app, const char *name, glob_t *g)
{
    char pattern[PATH_MAX];
    snprintf(pattern, sizeof(pattern), "%s/w*/%s/*/%s", g_tmp, app, name);
    int rc = glob(pattern, 0, NULL, g);
    return rc == 0 ? (int)g->gl_pathc : 0;
}

static bool wait_files(const char *app, const char *name, int n, double seconds)
{
    double end = em_now_seconds() + seconds;
    do {
        glob_t g;
        int got = exec_files(app, name, &g);
        globfree(&g);
        if (got == n) return true;
        sleep_ms(100);
    } while (em_now_seconds() < end);
    return false;
}

static pid_t exec_pid(const char *app, const char *exec_id)
{
    glob_t g;
    pid_t pid = -1;
    char pattern[PATH_MAX];
    snprintf(pattern, sizeof(pattern), "%s/w*/%s/%s/pid", g_tmp, app, exec_id);
    if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc == 1) {
        char *t = read_text(g.gl_pathv[0]);
        if (t != NULL) pid = atoi(t);
        em_free(t);
    }
    globfree(&g);
    return pid;
}

/* Whether pid is still one of our fake executors (and not a reused pid). */
static bool is_fake_executor(int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return false;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\0') buf[i] = ' ';
    }
    buf[n] = '\0';
    return strstr(buf, g_tmp) != NULL && strstr(buf, "fake-ember.sh") != NULL;
}

/* Kill every fake executor still alive (they are our grandchildren). */
static void kill_fake_executors(void)
{
    glob_t g;
    char pattern[PATH_MAX];
    snprintf(pattern, sizeof(pattern), "%s/w*/*/*/pid", g_tmp);
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            char *t = read_text(g.gl_pathv[i]);
            int pid = t != NULL ? atoi(t) : 0;
            em_free(t);
            if (pid > 1 && is_fake_executor(pid)) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
        }
    }
    globfree(&g);
}

/* ---- the lost listener ------------------------------------------------------------- */

typedef struct lost_log {
    pthread_mutex_t lock;
    int n;
    char ids[16][32];
    char reasons[16][256];
} lost_log;

static void on_lost(void *ctx, const char *executor_id, const char *reason)
{
    lost_log *l = ctx;
    pthread_mutex_lock(&l->lock);
    if (l->n < 16) {
        snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", executor_id);
        snprintf(l->reasons[l->n], sizeof(l->reasons[0]), "%s", reason);
        l->n++;
    }
    pthread_mutex_unlock(&l->lock);
}

static int lost_count(lost_log *l)
{
    pthread_mutex_lock(&l->lock);
    int n = l->n;
    pthread_mutex_unlock(&l->lock);
    return n;
}

static bool wait_lost(lost_log *l, int n, double seconds)
{
    double end = em_now_seconds() + seconds;
    while (lost_count(l) < n && em_now_seconds() < end) sleep_ms(50);
    return lost_count(l) >= n;
}

static bool wait_granted(em_app_client *c, int n, double seconds)
{
    double end = em_now_seconds() + seconds;
    while (em_app_executors_granted(c) != n && em_now_seconds() < end) sleep_ms(50);
    return em_app_executors_granted(c) == n;
}

static em_app_request request(int max_cores, int executor_cores)
{
    em_app_request r = {.name = "test-app",
                        .driver_host = "127.0.0.1",
                        .driver_port = 45678,
                        .max_cores = max_cores,
                        .executor_cores = executor_cores,
                        .executor_memory = (int64_t)256 << 20,
                        .secret = SECRET};
    return r;
}

/* ---- setup ---------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    if (snprintf(g_ember, sizeof(g_ember), "%s/ember", self) >= (int)sizeof(g_ember) ||
        access(g_ember, X_OK) != 0) {
        g_ember[0] = '\0';
        return 0; /* every test skips */
    }
    snprintf(g_tmp, sizeof(g_tmp), "/tmp/ember-test-app-client-XXXXXX");
    if (mkdtemp(g_tmp) == NULL) return -1;
    char script[256];
    snprintf(script, sizeof(script), "%s/fake-ember.sh", g_tmp);
    FILE *f = fopen(script, "w");
    if (f == NULL) return -1;
    fputs("#!/bin/sh\n"
          "# A stand-in for `ember executor`: records how it was started, then waits.\n"
          "printf '%s\\n' \"$@\" > args\n"
          "printf '%s\\n' \"${EMBER_AUTH_SECRET:-<none>}\" > secret\n"
          "echo $$ > pid\n"
          "trap 'echo TERM > terminated; exit 0' TERM\n"
          "i=0\n"
          "while [ $i -lt 600 ]; do sleep 0.1 & wait $!; i=$((i + 1)); done\n",
          f);
    fclose(f);
    chmod(script, 0755);
    start_master(0);
    start_worker(0);
    start_worker(1);
    int two = 2;
    if (!wait_status(15, workers_alive, &two)) return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g_ember[0] == '\0') return 0;
    stop_pid(&g_workers[0], SIGTERM);
    stop_pid(&g_workers[1], SIGTERM);
    stop_pid(&g_master, SIGTERM);
    kill_fake_executors();
    /* In sanitizer builds the daemons report leaks and errors into their logs. */
    int rc = 0;
    static const char *const logs[] = {"master", "w0", "w1"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s.log", g_tmp, logs[i]);
        char *text = read_text(path);
        if (text != NULL && strstr(text, "Sanitizer") != NULL) {
            fprintf(stderr, "---- %s\n%s\n", path, text);
            rc = -1;
        }
        em_free(text);
    }
    if (getenv("EMBER_TEST_KEEP") == NULL) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", g_tmp);
        if (system(cmd) != 0) return -1;
    } else {
        fprintf(stderr, "kept %s\n", g_tmp);
    }
    return rc;
}

#define NEED_EMBER()                                                                               \
    do {                                                                                           \
        if (g_ember[0] == '\0') skip();                                                            \
    } while (0)

/* ---- tests ------------------------------------------------------------------------------ */

static void test_launch_and_exit(void **state)
{
    (void)state;
    NEED_EMBER();
    em_app_request req = request(0, 0);
    em_app_client *c = NULL;
    em_error err;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), 0);
    char app[80];
    snprintf(app, sizeof(app), "%s", em_app_id(c));
    assert_true(strncmp(app, "app-", 4) == 0);
    /* One executor per worker, with all its cores. */
    assert_int_equal(em_app_executors_granted(c), 2);
    lost_log lost = {.lock = PTHREAD_MUTEX_INITIALIZER};
    em_app_set_lost_listener(c, on_lost, &lost);
    assert_true(wait_files(app, "pid", 2, 15));
    app_want running = {app, "RUNNING", 2};
    assert_true(wait_status(10, app_is, &running));

    /* The documented command line, the work dir and the secret. */
    glob_t g;
    assert_int_equal(exec_files(app, "args", &g), 2);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *args = read_text(g.gl_pathv[i]);
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", g.gl_pathv[i]);
        *strrchr(dir, '/') = '\0';
        const char *exec_id = strrchr(dir, '/') + 1;
        char want[PATH_MAX * 2];
        snprintf(want, sizeof(want),
                 "executor\n--driver\n127.0.0.1:45678\n--app-id\n%s\n--executor-id\n%s\n"
                 "--cores\n2\n--memory\n268435456\n--work-dir\n%s\n",
                 app, exec_id, dir);
        assert_string_equal(args, want);
        em_free(args);
        char secret_path[PATH_MAX + 8];
        snprintf(secret_path, sizeof(secret_path), "%s/secret", dir);
        char *secret = read_text(secret_path);
        assert_string_equal(secret, SECRET "\n");
        em_free(secret);
    }
    globfree(&g);

    /* An executor that dies is reported lost, and replaced on the freed cores. */
    pid_t victim = exec_pid(app, "0");
    assert_true(victim > 1);
    kill(victim, SIGKILL);
    assert_true(wait_lost(&lost, 1, 15));
    assert_string_equal(lost.ids[0], "0");
    assert_non_null(strstr(lost.reasons[0], "signal 9"));
    assert_true(wait_granted(c, 2, 15));
    assert_true(wait_files(app, "pid", 3, 15));
    assert_true(exec_pid(app, "2") > 1);

    /* Unregistering stops the executors (SIGTERM: the script notes it). */
    em_app_unregister(c);
    assert_true(wait_files(app, "terminated", 2, 15));
    app_want finished = {app, "FINISHED", 0};
    assert_true(wait_status(10, app_is, &finished));
    assert_int_equal(lost_count(&lost), 1);
}

static bool cores_used(const Emcluster__StatusResponse *s, void *arg)
{
    int used = 0;
    for (size_t i = 0; i < s->n_workers; i++) used += s->workers[i]->cores_used;
    return used == *(int *)arg;
}

static void test_cores_limits(void **state)
{
    (void)state;
    NEED_EMBER();
    /* One core per executor, three cores at most: three executors over two workers. */
    em_app_request req = request(3, 1);
    em_app_client *c = NULL;
    em_error err;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), 0);
    assert_int_equal(em_app_executors_granted(c), 3);
    char app[80];
    snprintf(app, sizeof(app), "%s", em_app_id(c));
    assert_true(wait_files(app, "pid", 3, 15));
    int three = 3;
    assert_true(wait_status(10, cores_used, &three));
    glob_t g;
    assert_int_equal(exec_files(app, "args", &g), 3);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *args = read_text(g.gl_pathv[i]);
        assert_non_null(strstr(args, "--cores\n1\n"));
        em_free(args);
    }
    globfree(&g);
    /* A second application gets what is left: one core. */
    em_app_request req2 = request(0, 0);
    em_app_client *c2 = NULL;
    assert_int_equal(em_app_register(g_url, &req2, &c2, &err), 0);
    assert_int_equal(em_app_executors_granted(c2), 1);
    em_app_unregister(c2);
    em_app_unregister(c);
    assert_true(wait_files(app, "terminated", 3, 15));
    int zero = 0;
    assert_true(wait_status(10, cores_used, &zero));
}

static void test_master_restart(void **state)
{
    (void)state;
    NEED_EMBER();
    em_app_request req = request(0, 0);
    em_app_client *c = NULL;
    em_error err;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), 0);
    lost_log lost = {.lock = PTHREAD_MUTEX_INITIALIZER};
    em_app_set_lost_listener(c, on_lost, &lost);
    char app[80];
    snprintf(app, sizeof(app), "%s", em_app_id(c));
    assert_true(wait_files(app, "pid", 2, 15));
    app_want running = {app, "RUNNING", 2};
    assert_true(wait_status(10, app_is, &running));
    pid_t p0 = exec_pid(app, "0"), p1 = exec_pid(app, "1");

    /* The master dies without a word and comes back on the same port. */
    stop_pid(&g_master, SIGKILL);
    sleep_ms(500);
    start_master(g_port);
    /* Workers and the driver register again; the master matches them up. */
    assert_true(wait_status(20, app_is, &running));
    assert_int_equal(em_app_executors_granted(c), 2);
    assert_int_equal(lost_count(&lost), 0);
    assert_int_equal(exec_pid(app, "0"), p0);
    assert_int_equal(exec_pid(app, "1"), p1);
    assert_int_equal(kill(p0, 0), 0);
    assert_int_equal(kill(p1, 0), 0);
    em_app_unregister(c);
    assert_true(wait_files(app, "terminated", 2, 15));
}

static void test_protocol_errors(void **state)
{
    (void)state;
    NEED_EMBER();
    char host[64];
    int port;
    em_error err;
    assert_int_equal(em_net_parse_url(g_url, host, sizeof(host), &port, &err), 0);
    /* A registration that is not a protobuf message. */
    em_conn *c;
    assert_int_equal(em_net_connect(host, port, 2000, &c, &err), 0);
    assert_int_equal(em_conn_handshake_client(c, EM_ROLE_DRIVER, SECRET, 2000, &err), 0);
    uint8_t junk[64];
    memset(junk, 0xff, sizeof(junk));
    assert_int_equal(em_conn_send(c, EMCLUSTER__MSG_TYPE__MSG_REGISTER_APPLICATION, junk,
                                  sizeof(junk), 2000, &err),
                     0);
    uint16_t type;
    uint8_t *payload = NULL;
    size_t len;
    assert_int_equal(em_conn_recv(c, 5000, &type, &payload, &len, &err), EM_EIO);
    em_conn_close(c);
    /* An authenticated peer announcing a frame over the control plane's limit. */
    assert_int_equal(em_net_connect(host, port, 2000, &c, &err), 0);
    assert_int_equal(em_conn_handshake_client(c, EM_ROLE_WORKER, SECRET, 2000, &err), 0);
    uint8_t huge[6] = {0x7f, 0xff, 0xff, 0xff, 0, 16};
    assert_int_equal(send(em_conn_fd(c), huge, sizeof(huge), MSG_NOSIGNAL), 6);
    assert_int_equal(em_conn_recv(c, 5000, &type, &payload, &len, &err), EM_EIO);
    em_conn_close(c);
    /* A role the master does not serve. */
    assert_int_equal(em_net_connect(host, port, 2000, &c, &err), 0);
    assert_int_equal(em_conn_handshake_client(c, EM_ROLE_FETCH, SECRET, 2000, &err), 0);
    assert_int_equal(em_conn_recv(c, 5000, &type, &payload, &len, &err), EM_EIO);
    em_conn_close(c);
    /* The master and its workers did not notice. */
    int two = 2;
    assert_true(wait_status(5, workers_alive, &two));
}

static void test_refused(void **state)
{
    (void)state;
    NEED_EMBER();
    em_app_request req = request(0, 0);
    req.secret = "wrong";
    em_app_client *c = NULL;
    em_error err;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), EM_EAUTH);
    assert_non_null(strstr(err.message, "authentication failed"));
    req = request(0, 0);
    req.driver_port = 0;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), EM_EINVAL);
    req = request(0, 0);
    assert_int_equal(em_app_register("ember://127.0.0.1", &req, &c, &err), EM_EINVAL);
}

static void test_worker_lost(void **state)
{
    (void)state;
    NEED_EMBER();
    em_app_request req = request(0, 0);
    em_app_client *c = NULL;
    em_error err;
    assert_int_equal(em_app_register(g_url, &req, &c, &err), 0);
    lost_log lost = {.lock = PTHREAD_MUTEX_INITIALIZER};
    em_app_set_lost_listener(c, on_lost, &lost);
    char app[80];
    snprintf(app, sizeof(app), "%s", em_app_id(c));
    assert_true(wait_files(app, "pid", 2, 15));
    /* A worker vanishes (SIGKILL: no goodbye); the master notices by the timeout. */
    double t0 = em_now_seconds();
    stop_pid(&g_workers[1], SIGKILL);
    assert_true(wait_lost(&lost, 1, 15));
    /* Not at the disconnect: after the timeout, counted from the last heartbeat
     * (sent every timeout/4). */
    assert_true(em_now_seconds() - t0 >= TIMEOUT_S * 0.7);
    assert_non_null(strstr(lost.reasons[0], "no heartbeat"));
    assert_int_equal(em_app_executors_granted(c), 1);
    em_app_unregister(c);
    kill_fake_executors();
}

int main(void)
{
    em_log_set_level(EM_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_launch_and_exit), cmocka_unit_test(test_cores_limits),
        cmocka_unit_test(test_master_restart),  cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_refused),         cmocka_unit_test(test_worker_lost),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

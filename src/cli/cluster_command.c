/*
 * cluster_command.c — `ember master`, `ember worker` and `ember status`: the
 * command-line fronts of the standalone cluster's daemons (src/cluster) and of
 * the master's status listing.
 *
 * The shared secret comes from --secret, else --conf ember.authenticate.secret,
 * else the EMBER_AUTH_SECRET environment variable (which keeps it out of `ps`).
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/daemon_int.h"

/* The daemons say what they do at info level unless EMBER_LOG says otherwise. */
static void daemon_log_level(void)
{
    if (getenv("EMBER_LOG") == NULL) em_log_set_level(EM_LOG_INFO);
}

static const char *env_secret(void)
{
    const char *s = getenv("EMBER_AUTH_SECRET");
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static int parse_port(const char *option, const char *text, bool allow_minus_one, int *out)
{
    if (allow_minus_one && strcmp(text, "-1") == 0) {
        *out = -1;
        return 0;
    }
    int64_t v;
    if (em_cli_parse_count(option, text, &v) < 0) return -1;
    if (v > 65535) {
        fprintf(stderr, "ember: %s must be at most 65535, got %s\n", option, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_seconds(const char *what, const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v > 0) || v > 1e7) {
        fprintf(stderr, "ember: %s expects a positive number of seconds, got '%s'\n", what, text);
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- ember master ------------------------------------------------------------ */

static void master_usage(FILE *f)
{
    fputs("usage: ember master [options]\n"
          "\n"
          "Runs the standalone cluster manager: workers register with it, applications\n"
          "(`ember submit --master ember://HOST:PORT`) get executors on the workers.\n"
          "Stops on SIGTERM or SIGINT.\n"
          "\n"
          "options:\n"
          "  --host H          address to listen on (default 127.0.0.1)\n"
          "  --port P          port to listen on (default 7077; 0 = any free port)\n"
          "  --webui-port P    port of the status page GET /json (default 8080; -1 = none)\n"
          "  --secret S        the shared secret every peer must prove it knows\n"
          "  --conf K=V        ember.authenticate.secret=S, ember.worker.timeout=SECONDS (60)\n"
          "  --port-file F     write the port to F once listening (for scripts and tests)\n",
          f);
}

int em_cli_master_main(int argc, char **argv)
{
    em_master_opts o = {
        .host = "127.0.0.1", .port = 7077, .webui_port = 8080, .worker_timeout = 60};
    const char *secret = NULL, *conf_secret = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            master_usage(stdout);
            return EM_CLI_EXIT_OK;
        } else if (em_cli_opt_value(argc, argv, &i, "--host", &v)) {
            if (v == NULL) goto usage;
            o.host = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--port", &v)) {
            if (v == NULL || parse_port("--port", v, false, &o.port) < 0) goto usage;
        } else if (em_cli_opt_value(argc, argv, &i, "--webui-port", &v)) {
            if (v == NULL || parse_port("--webui-port", v, true, &o.webui_port) < 0) goto usage;
        } else if (em_cli_opt_value(argc, argv, &i, "--secret", &v)) {
            if (v == NULL) goto usage;
            secret = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--port-file", &v)) {
            if (v == NULL) goto usage;
            o.port_file = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--conf", &v)) {
            const char *key, *val;
            if (v == NULL || em_cli_split_conf((char *)v, &key, &val) < 0) goto usage;
            if (strcmp(key, "ember.authenticate.secret") == 0) {
                conf_secret = val;
            } else if (strcmp(key, "ember.worker.timeout") == 0) {
                if (parse_seconds(key, val, &o.worker_timeout) < 0) goto usage;
            } else {
                fprintf(stderr, "ember: unknown configuration for master: '%s'\n", key);
                goto usage;
            }
        } else {
            fprintf(stderr, "ember: unknown option for master: '%s'\n", argv[i]);
            goto usage;
        }
    }
    o.secret = secret != NULL ? secret : conf_secret != NULL ? conf_secret : env_secret();
    daemon_log_level();
    em_error err;
    em_error_clear(&err);
    int code = em_master_run(&o, &err);
    if (code != 0) fprintf(stderr, "ember master: %s\n", err.message);
    return code;
usage:
    master_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

/* ---- ember worker ------------------------------------------------------------ */

static void worker_usage(FILE *f)
{
    fputs("usage: ember worker --master ember://HOST:PORT [options]\n"
          "\n"
          "Offers this machine's cores and memory to a master and runs the executor\n"
          "processes it asks for. Stops (and stops its executors) on SIGTERM or SIGINT.\n"
          "\n"
          "options:\n"
          "  --master URL      the master (ember://host:port); may also be given bare\n"
          "  --cores N         cores to offer (default: every CPU)\n"
          "  --memory M        memory to offer, e.g. 512m or 4g (default: RAM minus 1g)\n"
          "  --work-dir D      executors' directories go under D/APP/EXECUTOR (default ./work)\n"
          "  --host H          address executors bind to and advertise (default 127.0.0.1)\n"
          "  --secret S        the cluster's shared secret\n"
          "  --ember-path P    binary to start executors with (default: this one)\n"
          "  --conf K=V        ember.authenticate.secret=S,\n"
          "                    ember.worker.heartbeatInterval=SECONDS (1)\n",
          f);
}

static int64_t default_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    int64_t total = pages > 0 && page > 0 ? (int64_t)pages * page : (int64_t)2 << 30;
    return EM_MAX(total - ((int64_t)1 << 30), (int64_t)512 << 20);
}

int em_cli_worker_main(int argc, char **argv)
{
    em_worker_opts o = {
        .host = "127.0.0.1", .cores = em_cpu_count(), .work_dir = "work", .heartbeat_interval = 1};
    o.memory = default_memory();
    const char *secret = NULL, *conf_secret = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int64_t n = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            worker_usage(stdout);
            return EM_CLI_EXIT_OK;
        } else if (em_cli_opt_value(argc, argv, &i, "--master", &v)) {
            if (v == NULL) goto usage;
            o.master_url = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--cores", &v)) {
            if (v == NULL || em_cli_parse_count("--cores", v, &n) < 0) goto usage;
            if (n < 1 || n > 65536) {
                fputs("ember: --cores must be between 1 and 65536\n", stderr);
                goto usage;
            }
            o.cores = (int)n;
        } else if (em_cli_opt_value(argc, argv, &i, "--memory", &v)) {
            if (v == NULL) goto usage;
            o.memory = em_parse_size(v);
            if (o.memory < 1) {
                fprintf(stderr, "ember: --memory expects a size such as 512m or 4g, got '%s'\n", v);
                goto usage;
            }
        } else if (em_cli_opt_value(argc, argv, &i, "--work-dir", &v)) {
            if (v == NULL) goto usage;
            o.work_dir = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--host", &v)) {
            if (v == NULL) goto usage;
            o.host = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--secret", &v)) {
            if (v == NULL) goto usage;
            secret = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--ember-path", &v)) {
            if (v == NULL) goto usage;
            o.ember_path = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--conf", &v)) {
            const char *key, *val;
            if (v == NULL || em_cli_split_conf((char *)v, &key, &val) < 0) goto usage;
            if (strcmp(key, "ember.authenticate.secret") == 0) {
                conf_secret = val;
            } else if (strcmp(key, "ember.worker.heartbeatInterval") == 0) {
                if (parse_seconds(key, val, &o.heartbeat_interval) < 0) goto usage;
            } else if (strcmp(key, "ember.test.worker.pauseHeartbeatAfter") == 0) {
                if (parse_seconds(key, val, &o.test_pause_heartbeat_after) < 0) goto usage;
            } else {
                fprintf(stderr, "ember: unknown configuration for worker: '%s'\n", key);
                goto usage;
            }
        } else if (argv[i][0] != '-' && o.master_url == NULL) {
            o.master_url = argv[i];
        } else {
            fprintf(stderr, "ember: unknown option for worker: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (o.master_url == NULL) {
        fputs("ember: worker needs --master ember://HOST:PORT\n", stderr);
        goto usage;
    }
    o.secret = secret != NULL ? secret : conf_secret != NULL ? conf_secret : env_secret();
    daemon_log_level();
    em_error err;
    em_error_clear(&err);
    int code = em_worker_run(&o, &err);
    if (code != 0 && err.message[0] != '\0') fprintf(stderr, "ember worker: %s\n", err.message);
    return code;
usage:
    worker_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

/* ---- ember status ------------------------------------------------------------ */

static void status_usage(FILE *f)
{
    fputs("usage: ember status --master ember://HOST:PORT [options]\n"
          "\n"
          "Prints the master's workers (cores used/total, memory, state, last heartbeat),\n"
          "applications and executors.\n"
          "\n"
          "options:\n"
          "  --master URL        the master (ember://host:port)\n"
          "  --secret S          the cluster's shared secret\n"
          "  --format F          table (default) or json\n"
          "  --conf K=V          ember.authenticate.secret=S\n",
          f);
}

int em_cli_status_main(int argc, char **argv)
{
    const char *url = NULL, *secret = NULL, *conf_secret = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            status_usage(stdout);
            return EM_CLI_EXIT_OK;
        } else if (em_cli_opt_value(argc, argv, &i, "--master", &v)) {
            if (v == NULL) goto usage;
            url = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--secret", &v)) {
            if (v == NULL) goto usage;
            secret = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL) goto usage;
            if (strcmp(v, "json") == 0) {
                json = true;
            } else if (strcmp(v, "table") == 0) {
                json = false;
            } else {
                fprintf(stderr, "ember: --format must be table or json, got '%s'\n", v);
                goto usage;
            }
        } else if (em_cli_opt_value(argc, argv, &i, "--conf", &v)) {
            const char *key, *val;
            if (v == NULL || em_cli_split_conf((char *)v, &key, &val) < 0) goto usage;
            if (strcmp(key, "ember.authenticate.secret") != 0) {
                fprintf(stderr, "ember: unknown configuration for status: '%s'\n", key);
                goto usage;
            }
            conf_secret = val;
        } else {
            fprintf(stderr, "ember: unknown option for status: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (url == NULL) {
        fputs("ember: status needs --master ember://HOST:PORT\n", stderr);
        goto usage;
    }
    secret = secret != NULL ? secret : conf_secret != NULL ? conf_secret : env_secret();
    Emcluster__StatusResponse *s = NULL;
    em_error err;
    if (em__cluster_status_fetch(url, secret, EM_CLUSTER_REQUEST_TIMEOUT_MS, &s, &err) < 0) {
        fprintf(stderr, "ember status: %s\n", err.message);
        return EM_CLI_EXIT_FAIL;
    }
    if (json) {
        char *text = em__cluster_status_json(s);
        printf("%s\n", text);
        em_free(text);
    } else {
        em__cluster_status_print(stdout, s);
    }
    emcluster__status_response__free_unpacked(s, NULL);
    return EM_CLI_EXIT_OK;
usage:
    status_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

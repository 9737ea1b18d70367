/*
 * cluster.h — the standalone cluster: master, workers, executors, and the
 * driver's two clients (of the master, for executors; of the executors, for tasks).
 *
 * Who talks to whom (every connection starts with the wire.h handshake):
 *   worker   -> master  register {cores, memory, host}, heartbeats, executor exits
 *   driver   -> master  register an application; the master grants executors on
 *                       workers, which start them as processes:
 *                         <ember> executor --driver HOST:PORT --app-id APP
 *                           --executor-id ID --cores N --memory BYTES --work-dir DIR
 *                       with EMBER_AUTH_SECRET in the environment when a secret is set
 *   executor -> driver  register, then receive tasks and report their ends
 *   executor -> executor (and driver -> executor) shuffle block fetches
 * The master and workers run libuv loops; the driver and executors use threads
 * and the blocking calls of wire.h.
 */
#ifndef EM_CLUSTER_H
#define EM_CLUSTER_H

#include "common/common.h"

/* ---- daemons (master.c, worker.c) -------------------------------------- */

typedef struct em_master_opts {
    const char *host;     /* bind address (default 127.0.0.1) */
    int port;             /* default 7077; 0 = any (the chosen port is logged and
                             written to port_file when set) */
    int webui_port;       /* default 8080; -1 = no UI */
    const char *secret;   /* ember.authenticate.secret or NULL */
    double worker_timeout; /* seconds without a heartbeat before a worker is dead (default 60) */
    const char *port_file; /* tests: write "PORT\n" here once listening */
} em_master_opts;

typedef struct em_worker_opts {
    const char *master_url; /* ember://host:port */
    const char *host;       /* address executors bind to and advertise (default 127.0.0.1) */
    int cores;
    int64_t memory;         /* bytes offered to executors */
    const char *work_dir;   /* executors' local dirs go under it */
    const char *secret;
    double heartbeat_interval; /* seconds (default 1; tests may set it lower) */
    const char *ember_path; /* binary to start executors with (default /proc/self/exe) */
    double test_pause_heartbeat_after; /* tests: stop heartbeating after this many seconds
                                          (ember.test.worker.pauseHeartbeatAfter; 0 = never) */
} em_worker_opts;

/* Run until SIGTERM/SIGINT; return the process exit code. */
int em_master_run(const em_master_opts *opts, em_error *err);
int em_worker_run(const em_worker_opts *opts, em_error *err);

/* ---- the driver's client of the master (app_client.c) ------------------ */

typedef struct em_app_request {
    const char *name;        /* shown by `ember status` */
    const char *driver_host; /* where executors connect back to */
    int driver_port;
    int max_cores;           /* over all executors; 0 = every free core */
    int executor_cores;      /* per executor; 0 = all of a worker's free cores */
    int64_t executor_memory; /* per executor, bytes */
    const char *secret;
} em_app_request;

typedef struct em_app_client em_app_client;

/* Register with the master at master_url; returns once the master has accepted
 * the application and asked workers to launch its executors. The client keeps
 * its connection (a background thread answers the master and reconnects when
 * the master restarts). */
int em_app_register(const char *master_url, const em_app_request *req, em_app_client **out,
                    em_error *err) EM_MUST_CHECK;
const char *em_app_id(const em_app_client *c);
/* Executors granted so far (the driver waits for this many to connect). */
int em_app_executors_granted(em_app_client *c);
/* Called from the client's thread when the master declares one of the
 * application's executors lost (its worker died or stopped heartbeating, or
 * the process exited); the driver then treats the executor as gone. */
typedef void (*em_app_executor_lost_fn)(void *ctx, const char *executor_id, const char *reason);
void em_app_set_lost_listener(em_app_client *c, em_app_executor_lost_fn fn, void *ctx);
/* Tell the master the application is over (it has the workers stop its
 * executors) and free the client. */
void em_app_unregister(em_app_client *c);

/* ---- executor process (executor.c) -------------------------------------- */

typedef struct em_executor_opts {
    const char *driver_url; /* host:port */
    const char *app_id;
    const char *executor_id;
    const char *host; /* address to serve shuffle blocks on (default 127.0.0.1) */
    int cores;
    int64_t memory;
    const char *work_dir;
    const char *secret; /* from EMBER_AUTH_SECRET */
} em_executor_opts;

int em_executor_run(const em_executor_opts *opts, em_error *err);

/* ---- the driver's side (driver.c) ----------------------------------------- */

typedef struct em_cluster_conf {
    const char *master_url;
    const char *app_name;
    const char *driver_host; /* where executors connect back to */
    const char *secret;
    int executor_cores;      /* 0: a worker's free cores */
    int max_cores;           /* 0: all */
    int64_t executor_memory;
    int wait_seconds;        /* for the first executors */
} em_cluster_conf;

struct em_exec_env;
struct em_task_backend;
typedef struct em_cluster_driver em_cluster_driver;

/* Register the application with the master, listen for its executors and
 * wait until the granted ones have connected. `env` is the session's: the
 * backend reads its shuffle store (the map-output tracker) during each job. */
int em_cluster_driver_start(const em_cluster_conf *conf, struct em_exec_env *env,
                            em_cluster_driver **out, em_error *err) EM_MUST_CHECK;
/* Cores of the executors connected now. */
int em_cluster_driver_cores(em_cluster_driver *d);
struct em_task_backend *em_cluster_driver_backend(em_cluster_driver *d);
/* Stop the executors, unregister, free. Safe on NULL. */
void em_cluster_driver_stop(em_cluster_driver *d);

#endif

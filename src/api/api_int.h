/* api_int.h — the structs behind include/ember.h's opaque handles. */
#ifndef EM_API_INT_H
#define EM_API_INT_H

#include "common/common.h"
#include "sched/sched.h"
#include "sql/catalog/catalog.h"
#include "vector/vector.h"

/* Room for every key of the table in session.c (checked there). */
#define EM__NCONF 64

struct em_cluster_driver;

struct em_session {
    char *master;
    int nthreads;
    bool cluster;                     /* master is ember://host:port */
    struct em_cluster_driver *driver; /* started by the first query on a cluster */
    int task_cores;                   /* cores per executor (task memory = memory / this) */
    char *conf[EM__NCONF]; /* values, parallel to the table in session.c */
    em_catalog *catalog;
    em_exec_env env;
};

struct em_result {
    const char *statement;
    em_schema *schema; /* NULL for statements without rows */
    em_batch_list batches;
    int64_t *starts; /* first row of each batch, plus the total */
    int64_t nrows;
    double seconds;
    em_arena *strings; /* text handed out by em_result_string */
};

/* Optimize, plan and cut a bound plan into stages. */
struct em_bind_ctx;
/* The bind context owns what planning creates (pruned scan descriptions). */
int em__plan_lop(em_session *s, struct em_bind_ctx *bc, em_lop *bound, em_lop **logical_out,
                 bool single, em_stage_dag *dag, em_error *err) EM_MUST_CHECK;
/* COPY (query) TO 'path' (options): *rows receives the number of rows written. */
struct em_bind_ctx;
struct em_ast;
int em__run_copy(em_session *s, struct em_bind_ctx *bind, const struct em_ast *ast, int64_t *rows,
                 em_error *err) EM_MUST_CHECK;
/* Cluster mode: connect to the master and wait for executors, once. */
int em__session_ensure_cluster(em_session *s, em_error *err) EM_MUST_CHECK;
/* Run a stage DAG on the session's executors. */
int em__run_dag(em_session *s, const em_stage_dag *dag, em_batch_list *rows, em_job_stats *stats,
                em_error *err) EM_MUST_CHECK;

#endif

/*
 * ember.h — the public C API of ember, a unified analytics engine.
 *
 *   em_session *s;
 *   em_error err;
 *   if (em_session_create("local[4]", &s, &err) < 0) { puts(err.message); ... }
 *   em_result *r;
 *   if (em_sql(s, "SELECT count(*) FROM 'data.csv'", &r, &err) < 0) { ... }
 *   printf("%s\n", em_result_string(r, 0, 0));
 *   em_result_destroy(r);
 *   em_session_destroy(s);
 *
 * Every fallible function returns 0 or a negative EM_E* code and fills the
 * caller's em_error. Results can be handed to any Arrow consumer through the
 * Arrow C Data Interface (em_result_export_arrow).
 */
#ifndef EMBER_H
#define EMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_VERSION "0.1.0"

/* Error codes: always negative. */
enum {
    EM_OK = 0,
    EM_EINVAL = -1,       /* bad argument or configuration */
    EM_ENOMEM = -2,       /* out of memory */
    EM_EIO = -3,          /* I/O error (errno in the message) */
    EM_ENOENT = -4,       /* file, table or column not found */
    EM_ESYNTAX = -5,      /* SQL syntax error */
    EM_EBIND = -6,        /* name resolution / semantic error */
    EM_ETYPE = -7,        /* type mismatch or invalid cast */
    EM_EFORMAT = -8,      /* malformed input data (CSV, JSON, ...) */
    EM_EUNSUPPORTED = -9, /* valid SQL that ember does not support yet */
    EM_EOVERFLOW = -10,   /* numeric overflow */
    EM_EDIVZERO = -11,    /* division by zero */
    EM_EINTERNAL = -12,   /* a bug in ember */
    EM_ECANCELED = -13,   /* the job was cancelled */
    EM_EEXISTS = -14,     /* object already exists */
    EM_ETIMEOUT = -15,    /* a peer did not answer in time */
    EM_EAUTH = -16,       /* a peer failed authentication or spoke another protocol */
    EM_EFETCH = -17,      /* a shuffle block could not be fetched (its map output is lost) */
};

/* An error value, owned by the caller. `message` is complete and printable;
 * the other fields locate the error for tools that want to point at it. */
typedef struct em_error {
    int code;           /* EM_E* or 0 */
    char message[1024]; /* human-readable, includes file:line where relevant */
    int sql_pos;        /* 1-based byte offset into the SQL text, 0 = none */
    char sqlstate[6];   /* SQLSTATE-like class, e.g. "42601" syntax, "42703" column */
} em_error;

typedef struct em_session em_session;
typedef struct em_result em_result;

/* master: "local", "local[N]", "local[*]" (NULL means local[*]) or
 * "ember://host:port", a standalone cluster's master. On a cluster the driver
 * registers with the master and waits for its executors when the first query
 * runs, so that configuration set after creation (the secret, executor cores
 * and memory) applies. */
int em_session_create(const char *master, em_session **out, em_error *err);
void em_session_destroy(em_session *s);
/* Spark-style configuration, e.g. ("ember.sql.shuffle.partitions", "8"). */
int em_session_set_conf(em_session *s, const char *key, const char *value, em_error *err);
/* Returns the value (owned by the session) or NULL when unset. */
const char *em_session_get_conf(em_session *s, const char *key);

/* Run every statement in `sql`; *out receives the result of the last one
 * (statements without rows give an empty result). */
int em_sql(em_session *s, const char *sql, em_result **out, em_error *err);

/* Run every statement in `sql` one after another, calling fn with each result
 * (fn does not own it). A non-zero return from fn stops the script and is returned.
 * On an error, err->sql_pos is relative to the whole `sql` text. */
typedef int (*em_result_fn)(void *ctx, const char *stmt_sql, int stmt_len, em_result *r);
int em_sql_each(em_session *s, const char *sql, em_result_fn fn, void *ctx, em_error *err);

void em_result_destroy(em_result *r);
/* What kind of statement produced the result: "SELECT", "EXPLAIN", "CREATE TABLE",
 * "CREATE VIEW", "INSERT", "DROP", "SET", "COPY". Only SELECT, EXPLAIN and INSERT
 * (a single "count" column) have columns. EXPLAIN has one VARCHAR column "plan",
 * a line of the plan per row. */
const char *em_result_statement(const em_result *r);
/* Wall time the statement took, in seconds. */
double em_result_seconds(const em_result *r);
int em_result_column_count(const em_result *r);
const char *em_result_column_name(const em_result *r, int col);
const char *em_result_column_type(const em_result *r, int col); /* e.g. "BIGINT" */
int64_t em_result_row_count(const em_result *r);
bool em_result_is_null(const em_result *r, int64_t row, int col);
/* Value as text (NULL for SQL NULL); the pointer lives as long as the result. */
const char *em_result_string(em_result *r, int64_t row, int col);
int64_t em_result_int64(const em_result *r, int64_t row, int col);
double em_result_double(const em_result *r, int64_t row, int col);

/* ---- Arrow C Data Interface (https://arrow.apache.org/docs/format/CDataInterface.html) */
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE
#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4
struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
#endif
#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE
struct ArrowArrayStream {
    int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
    int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
    const char *(*get_last_error)(struct ArrowArrayStream *);
    void (*release)(struct ArrowArrayStream *);
    void *private_data;
};
#endif

/* Export the result as an Arrow stream of record batches (struct arrays). The
 * stream keeps its own reference to the data: the result may be destroyed first. */
int em_result_export_arrow(em_result *r, struct ArrowArrayStream *out, em_error *err);

#ifdef __cplusplus
}
#endif
#endif

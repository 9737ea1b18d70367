/*
 * common.h — the base layer every other module uses: error values, arenas,
 * a growable string buffer, logging, hashing and the thread pool.
 *
 * Conventions (see docs/ARCHITECTURE.md):
 *   - fallible functions return int: 0 on success or a negative EM_E* code,
 *     and fill an em_error the caller owns;
 *   - EM_TRY(expr) propagates a negative code;
 *   - create/destroy pair for heap objects, init/release for caller-owned structs.
 */
#ifndef EM_COMMON_H
#define EM_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember.h"

#define EM_MUST_CHECK __attribute__((warn_unused_result))
#define EM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define EM_UNUSED(x) ((void)(x))
#define EM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define EM_MAX(a, b) ((a) > (b) ? (a) : (b))
#define EM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define EM_LIKELY(x) __builtin_expect(!!(x), 1)
#define EM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Propagate a negative return code to the caller. */
#define EM_TRY(expr)                                                                               \
    do {                                                                                           \
        int em__rc = (expr);                                                                       \
        if (EM_UNLIKELY(em__rc < 0)) return em__rc;                                                \
    } while (0)

/* ---- errors ------------------------------------------------------------ */

/* Set code and message; returns code so that `return em_error_set(...)` reads well. */
int em_error_set(em_error *err, int code, const char *fmt, ...) EM_PRINTF(3, 4);
int em_error_setv(em_error *err, int code, const char *fmt, va_list ap);
/* Same, and records a 1-based byte position in the SQL text (0 = none). */
int em_error_set_pos(em_error *err, int code, int sql_pos, const char *fmt, ...) EM_PRINTF(4, 5);
/* Prefix the existing message with "context: ". */
void em_error_prefix(em_error *err, const char *fmt, ...) EM_PRINTF(2, 3);
void em_error_clear(em_error *err);
/* Out of memory is reported through this so that callers stay one line. */
int em_error_oom(em_error *err);
const char *em_error_code_name(int code);

/* Allocation that never returns NULL: aborts on exhaustion (a programmer-visible
 * condition; the memory pool of later issues makes spilling the normal path). */
void *em_malloc(size_t n);
void *em_calloc(size_t count, size_t n);
void *em_realloc(void *p, size_t n);
char *em_strdup(const char *s);
char *em_strndup(const char *s, size_t n);
void em_free(void *p);

/* ---- arena ------------------------------------------------------------- */

/* A bump allocator whose lifetime matches a query, a stage, a task or a batch.
 * Individual allocations are never freed; reset() keeps the first chunk. */
typedef struct em_arena em_arena;
em_arena *em_arena_create(size_t chunk_size);
void em_arena_destroy(em_arena *a);
void *em_arena_alloc(em_arena *a, size_t n);          /* 16-byte aligned */
void *em_arena_calloc(em_arena *a, size_t n);
char *em_arena_strdup(em_arena *a, const char *s);
char *em_arena_strndup(em_arena *a, const char *s, size_t n);
char *em_arena_printf(em_arena *a, const char *fmt, ...) EM_PRINTF(2, 3);
void em_arena_reset(em_arena *a);
size_t em_arena_bytes(const em_arena *a); /* bytes handed out since create/reset */

/* ---- string buffer ----------------------------------------------------- */

typedef struct em_strbuf {
    char *data; /* always NUL-terminated when cap > 0 */
    size_t len;
    size_t cap;
} em_strbuf;
void em_strbuf_init(em_strbuf *sb);
void em_strbuf_release(em_strbuf *sb);
void em_strbuf_clear(em_strbuf *sb);
void em_strbuf_append(em_strbuf *sb, const char *s, size_t n);
void em_strbuf_puts(em_strbuf *sb, const char *s);
void em_strbuf_putc(em_strbuf *sb, char c);
void em_strbuf_printf(em_strbuf *sb, const char *fmt, ...) EM_PRINTF(2, 3);
void em_strbuf_vprintf(em_strbuf *sb, const char *fmt, va_list ap);
void em_strbuf_reserve(em_strbuf *sb, size_t extra);
/* Hand the buffer to the caller (free with em_free); the strbuf is reset. */
char *em_strbuf_detach(em_strbuf *sb);

/* ---- logging ----------------------------------------------------------- */

typedef enum em_log_level {
    EM_LOG_DEBUG = 0,
    EM_LOG_INFO = 1,
    EM_LOG_WARN = 2,
    EM_LOG_ERROR = 3,
    EM_LOG_OFF = 4,
} em_log_level;
void em_log_set_level(em_log_level level);
em_log_level em_log_get_level(void);
void em_log(em_log_level level, const char *fmt, ...) EM_PRINTF(2, 3);
#define em_log_debug(...) em_log(EM_LOG_DEBUG, __VA_ARGS__)
#define em_log_info(...) em_log(EM_LOG_INFO, __VA_ARGS__)
#define em_log_warn(...) em_log(EM_LOG_WARN, __VA_ARGS__)
#define em_log_error(...) em_log(EM_LOG_ERROR, __VA_ARGS__)

/* ---- hashing (xxh3) ---------------------------------------------------- */

uint64_t em_hash_bytes(const void *p, size_t n, uint64_t seed);
uint64_t em_hash_u64(uint64_t v, uint64_t seed);
/* Combine two hashes (order matters). */
static inline uint64_t em_hash_combine(uint64_t a, uint64_t b)
{
    return (a ^ (b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2))) * 0xff51afd7ed558ccdULL;
}

/* ---- time -------------------------------------------------------------- */

double em_now_seconds(void); /* monotonic */
int64_t em_now_micros(void);

/* ---- thread pool ------------------------------------------------------- */

/* A fixed set of worker threads draining a FIFO queue. Jobs are plain function
 * pointers; completion is observed through an em_waitgroup. */
typedef struct em_threadpool em_threadpool;
typedef void (*em_job_fn)(void *arg);

em_threadpool *em_threadpool_create(int nthreads);
void em_threadpool_destroy(em_threadpool *tp); /* drains the queue, joins threads */
int em_threadpool_size(const em_threadpool *tp);
void em_threadpool_submit(em_threadpool *tp, em_job_fn fn, void *arg);

typedef struct em_waitgroup em_waitgroup;
em_waitgroup *em_waitgroup_create(void);
void em_waitgroup_destroy(em_waitgroup *wg);
void em_waitgroup_add(em_waitgroup *wg, int n);
void em_waitgroup_done(em_waitgroup *wg);
void em_waitgroup_wait(em_waitgroup *wg);

/* Number of online CPUs (at least 1). */
int em_cpu_count(void);

/* ---- small utilities --------------------------------------------------- */

/* Levenshtein distance, case-insensitive; used for "did you mean" hints. */
int em_edit_distance(const char *a, const char *b);
bool em_str_ieq(const char *a, const char *b);
/* Parse a size such as "512m", "2g", "1024" into bytes; -1 when malformed. */
int64_t em_parse_size(const char *s);

#endif

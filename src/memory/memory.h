/*
 * memory.h — the executor's memory pool, and spill files.
 *
 * One pool per executor (ember.executor.memory). Operators that hold state —
 * hash aggregation, a join's build side, sort, window buffers — reserve bytes
 * from it before they grow, through a reservation they own. A reservation is
 * refused when the pool is full or when the task already holds its fair share
 * (the pool divided by the tasks running, as in Spark's unified memory
 * manager); the operator then spills what it holds to disk, releases, and goes
 * on. An input larger than memory is slower, never an out-of-memory.
 *
 * Spill files live in ember.local.dir, are written as a sequence of compressed,
 * checksummed batches (the same block format a shuffle will put on disk), and
 * are deleted when closed. Every spill file of a pool is registered with it,
 * so that a failed query removes its files too (em_memory_pool_cleanup).
 */
#ifndef EM_MEMORY_H
#define EM_MEMORY_H

#include "common/common.h"
#include "vector/vector.h"

typedef struct em_memory_pool em_memory_pool;

/* limit: bytes the pool hands out; dir: where spill files go. */
em_memory_pool *em_memory_pool_create(int64_t limit, const char *dir);
void em_memory_pool_destroy(em_memory_pool *p);
int64_t em_memory_pool_limit(const em_memory_pool *p);
int64_t em_memory_pool_used(em_memory_pool *p);
int64_t em_memory_pool_peak(em_memory_pool *p);
/* Bytes and files spilled since creation (for EXPLAIN ANALYZE and tests). */
int64_t em_memory_pool_spilled_bytes(em_memory_pool *p);
int64_t em_memory_pool_spill_files(em_memory_pool *p);
/* Remove every spill file still open (after a failed or cancelled query). */
void em_memory_pool_cleanup(em_memory_pool *p);

/* A task registers while it runs; fair shares are computed over running tasks. */
void em_memory_task_begin(em_memory_pool *p);
void em_memory_task_end(em_memory_pool *p);

/* What one operator holds. Caller-owned; init/release. */
typedef struct em_memory_reservation {
    em_memory_pool *pool; /* NULL: unlimited (no pool configured) */
    int64_t bytes;
    int64_t peak;    /* the most it held at once */
    bool shared;     /* not bound by a task's fair share */
    int64_t spilled; /* bytes this operator wrote to spill files */
} em_memory_reservation;

void em_memory_reservation_init(em_memory_reservation *r, em_memory_pool *p);
/* A reservation that is not one task's (data kept between stages, such as
 * shuffle output): only the pool's limit applies, not a task's fair share. */
void em_memory_reservation_init_shared(em_memory_reservation *r, em_memory_pool *p);
/* Give everything back. */
void em_memory_reservation_release(em_memory_reservation *r);
/* Try to grow by `bytes`; false when refused (then spill and try again). */
bool em_memory_try_reserve(em_memory_reservation *r, int64_t bytes);
/* Grow unconditionally (for the minimum an operator needs to make progress,
 * e.g. one batch after spilling everything else). */
void em_memory_force_reserve(em_memory_reservation *r, int64_t bytes);
void em_memory_shrink(em_memory_reservation *r, int64_t bytes);

/* ---- batch blocks (spill files now, the shuffle service later) ------------- */

/* Serialize a batch into a self-describing block: a header (magic, version,
 * column types, row count, raw and compressed sizes, xxh3 checksum) followed by
 * the lz4-compressed buffers. */
void em_batch_encode(const em_batch *b, em_strbuf *out);
/* Decode one block; EM_EFORMAT on a bad magic, size or checksum. *used receives
 * the bytes consumed. */
int em_batch_decode(const uint8_t *buf, size_t len, em_batch **out, size_t *used,
                    em_error *err) EM_MUST_CHECK;

/* ---- spill files ------------------------------------------------------------ */

typedef struct em_spill_file em_spill_file;

int em_spill_create(em_memory_pool *p, em_spill_file **out, em_error *err) EM_MUST_CHECK;
int em_spill_write(em_spill_file *f, const em_batch *b, em_error *err) EM_MUST_CHECK;
int64_t em_spill_rows(const em_spill_file *f);
int64_t em_spill_bytes(const em_spill_file *f);
/* Read the batches back in order (after writing is done). *out = NULL at the end. */
int em_spill_rewind(em_spill_file *f, em_error *err) EM_MUST_CHECK;
int em_spill_read(em_spill_file *f, em_batch **out, em_error *err) EM_MUST_CHECK;
/* Close and delete the file. Safe on NULL. */
void em_spill_close(em_spill_file *f);
/* Random access, for files written once and then read by several threads (a
 * map task's shuffle output): finish writing, then read the block that starts
 * at `offset` (an earlier em_spill_bytes value); *next receives the offset of
 * the block after it. pread-based: safe to call concurrently. */
int em_spill_seal(em_spill_file *f, em_error *err) EM_MUST_CHECK;
int em_spill_read_at(em_spill_file *f, int64_t offset, em_batch **out, int64_t *next,
                     em_error *err) EM_MUST_CHECK;
/* The same block, still encoded (as em_batch_encode wrote it), appended to out:
 * what a shuffle service sends without decoding. */
int em_spill_read_raw_at(em_spill_file *f, int64_t offset, em_strbuf *out, int64_t *next,
                         em_error *err) EM_MUST_CHECK;

#endif

/*
 * shuffle.h — moving rows between stages.
 *
 * A map task partitions its output rows by a hash of key columns (or sends
 * everything to partition 0) and commits one block per reduce partition when it
 * finishes; a reduce task reads block (m, r) for every map m. In local mode the
 * blocks stay in memory as batches, held by the shuffle store until the job ends.
 * A map task's commit replaces whatever an earlier attempt of the same map
 * partition committed, so a retried task never duplicates rows.
 */
#ifndef EM_SHUFFLE_H
#define EM_SHUFFLE_H

#include "exec/exec.h"

typedef struct em_shuffle_store em_shuffle_store;

/* Map outputs stay in memory while `pool` has room for them (NULL: always). */
em_shuffle_store *em_shuffle_store_create(int nshuffles, em_memory_pool *pool);
void em_shuffle_store_destroy(em_shuffle_store *s);
/* Declare a shuffle's shape before any map task writes to it. */
void em_shuffle_register(em_shuffle_store *s, int shuffle_id, int nmaps, int nreduce);
/* Drop a shuffle's blocks once every consumer is done. */
void em_shuffle_release(em_shuffle_store *s, int shuffle_id);
/* Bytes and rows held by one shuffle (for EXPLAIN ANALYZE and adaptive execution). */
int64_t em_shuffle_bytes(em_shuffle_store *s, int shuffle_id);
int64_t em_shuffle_rows(em_shuffle_store *s, int shuffle_id);

/* A sink that partitions rows by hash(keys) mod nreduce (nkeys == 0: all rows
 * to partition 0) and commits its blocks for map partition `map` at finish. */
em_op *em_shuffle_writer_create(em_task_ctx *ctx, em_shuffle_store *s, int shuffle_id, int map,
                                int nkeys, const int *keys);

/* The rows of reduce partition `reduce`: every map's block in map order, or,
 * with nmerge > 0, a k-way merge of the maps' blocks, each sorted on keys. */
em_source *em_shuffle_reader_create(em_shuffle_store *s, int shuffle_id, int reduce, int nmerge,
                                    const em_sort_key *keys);
/* The rows of reduce partitions [first, end) — a coalesced partition — in order. */
em_source *em_shuffle_reader_range(em_shuffle_store *s, int shuffle_id, int first, int end);
/* Bytes held for one reduce partition, over all maps (adaptive execution). */
int64_t em_shuffle_partition_bytes(em_shuffle_store *s, int shuffle_id, int reduce);

/* Adaptive execution's skew splitting: the rows of reduce partition `reduce`
 * written by maps [map_first, map_end) only, in map order. */
em_source *em_shuffle_reader_maps(em_shuffle_store *s, int shuffle_id, int reduce, int map_first,
                                  int map_end);
/* Every reduce partition of every map: a shuffle read whole (a broadcast build
 * side, also one that was hash-partitioned before adaptive execution chose to
 * broadcast it). */
em_source *em_shuffle_reader_all(em_shuffle_store *s, int shuffle_id);
/* Map outputs a shuffle was registered with, and the bytes one map wrote for
 * one reduce partition. */
int em_shuffle_nmaps(em_shuffle_store *s, int shuffle_id);
int64_t em_shuffle_block_bytes(em_shuffle_store *s, int shuffle_id, int map, int reduce);

/* ---- cluster mode: map outputs that live in other processes ---------------
 * The driver's store is the map-output tracker: for every map task that ran on
 * an executor it records where the output lives and its bytes per reduce
 * partition (which adaptive execution reads). An executor's store records the
 * locations its tasks were given, and its readers fetch those blocks through
 * the store's fetch function. */
typedef struct em_shuffle_location {
    char executor[64];
    char host[64];
    int port;
} em_shuffle_location;

/* Fetch the blocks of reduce partitions [first, end) of one map output held at
 * `loc`, appending the decoded batches to `out`. EM_EFETCH when the output is
 * gone (after the fetcher's own retries). */
typedef int (*em_shuffle_fetch_fn)(void *ctx, const em_shuffle_location *loc, int shuffle_id,
                                   int map, int first, int end, em_batch_list *out, em_error *err);
void em_shuffle_store_set_fetch(em_shuffle_store *s, em_shuffle_fetch_fn fn, void *ctx);
bool em_shuffle_registered(em_shuffle_store *s, int shuffle_id);
/* Reduce partitions a shuffle was registered with (0 when it is not). */
int em_shuffle_nreduce(em_shuffle_store *s, int shuffle_id);
/* Record that map `map` of a shuffle lives at loc; sizes (nreduce entries) may be NULL. */
void em_shuffle_set_remote(em_shuffle_store *s, int shuffle_id, int map,
                           const em_shuffle_location *loc, const int64_t *sizes, int64_t rows);
/* Where map `map` lives: false when it is held here or nowhere. */
bool em_shuffle_remote_location(em_shuffle_store *s, int shuffle_id, int map,
                                em_shuffle_location *out);
/* An executor's reader may skip a map the driver knows wrote nothing for the
 * partitions read here (never overrides a recorded location). On an executor
 * (a store with a fetch function), reading a map that is neither committed
 * here, nor recorded elsewhere, nor known empty is an EM_EFETCH error. */
void em_shuffle_set_empty(em_shuffle_store *s, int shuffle_id, int map);
/* A map's output exists (committed here or recorded elsewhere). */
bool em_shuffle_map_ready(em_shuffle_store *s, int shuffle_id, int map);
/* Forget every output held by one executor; returns how many were dropped. */
int em_shuffle_lose_executor(em_shuffle_store *s, const char *executor);
/* Bytes per reduce partition of a map committed here (nreduce entries). */
void em_shuffle_map_sizes(em_shuffle_store *s, int shuffle_id, int map, int64_t *sizes,
                          int64_t *rows);
/* Serve a fetch: append the encoded blocks of reduce partitions [first, end) of
 * a map committed here to `out`, one em_batch_encode block after another;
 * *nblocks counts them. EM_ENOENT when this store does not hold the map. */
int em_shuffle_read_encoded(em_shuffle_store *s, int shuffle_id, int map, int first, int end,
                            em_strbuf *out, int64_t *nblocks, em_error *err) EM_MUST_CHECK;

/* Hash of row i over key columns, as the writer partitions (exposed for tests). */
void em_shuffle_hash_rows(const em_batch *b, int nkeys, const int *keys, uint64_t *out);

#endif

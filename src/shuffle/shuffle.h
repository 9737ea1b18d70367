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

/* Hash of row i over key columns, as the writer partitions (exposed for tests). */
void em_shuffle_hash_rows(const em_batch *b, int nkeys, const int *keys, uint64_t *out);

#endif

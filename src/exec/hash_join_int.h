/*
 * hash_join_int.h — the hash join's state, shared by op_hash_join.c (the
 * in-memory table, probing and output) and hash_join_spill.c (reading the
 * build side under a memory reservation, grace partitions on disk, nested
 * partition joins and the chunked fallback). Internal to exec/.
 */
#ifndef EM_EXEC_HASH_JOIN_INT_H
#define EM_EXEC_HASH_JOIN_INT_H

#include "exec/exec.h"
#include "exec/key_hash.h"

/* End of a chain / no match; never a row id (the id space stays below it). */
#define EM__HJ_NONE UINT32_MAX
/* Grace partitions per level: four hash bits. */
#define EM__HJ_PARTS 16
/* Levels of repartitioning before a partition is joined in chunks. Each level
 * takes four more hash bits, from the top down (level 0: bits 60..63), so they
 * stay clear of the low bits that place a key in the table and of the shuffle
 * partitioner, which takes the remainder of a different hash. */
#define EM__HJ_MAX_LEVEL 4

typedef struct em__hj_slot {
    uint64_t key;   /* single fixed-width key: its bits (em__key_bits) */
    uint32_t tag;   /* upper 31 bits of the hash, and TAG_MULTI */
    uint32_t head1; /* row id of the first build row with the key, + 1; 0 = empty */
} em__hj_slot;

/* Key hashes of the batches of a list, one array per batch (NULL without keys). */
typedef struct em__hj_hashes {
    uint64_t **items;
    int64_t count, cap;
} em__hj_hashes;

typedef enum em__hj_mode {
    EM__HJ_MEMORY,  /* the whole build side is in memory */
    EM__HJ_GRACE,   /* build rows partitioned by key hash; some partitions on disk */
    EM__HJ_CHUNKED, /* the build side in chunks that fit; the probe side replayed per chunk */
} em__hj_mode;

/* One grace partition: its build rows in memory, or its files on disk. */
typedef struct em__hj_part {
    em_batch_list build; /* resident pieces */
    em__hj_hashes hashes;
    int64_t bytes;  /* reserved for the pieces */
    int64_t data;   /* em__hj_batch_bytes of the pieces */
    int64_t nvalid; /* rows with non-NULL keys */
    bool spilled;
    em_spill_file *bfile; /* build rows, once spilled */
    em_spill_file *pfile; /* probe rows routed here while it was on disk */
    /* Rows are copied into batches of up to EM_BATCH_ROWS before they are
     * kept or written, so that neither memory nor files fill with slivers. */
    em_batch *open;   /* build rows being gathered */
    uint64_t *open_h; /* their key hashes */
    int64_t open_valid;
    em_batch *popen; /* probe rows being gathered for pfile */
} em__hj_part;

typedef struct em__hash_join {
    em_op base;
    /* the spec, copied (spec's arrays point at the copies below) */
    em_join_spec spec;
    em_join_kind kind;
    bool build_right;
    int nkeys;
    int *left_keys, *right_keys;
    int *probe_keys, *build_keys;
    em__vclass *kcls;
    const em_expr *residual;
    int left_ncols, right_ncols;
    em_type *types; /* [left..., right...] */
    /* derived */
    int probe_ncols, build_ncols;
    int probe_first, build_first; /* first output column of each side */
    const em_type *probe_types, *build_types;
    int out_ncols;
    /* SEMI, ANTI, ANTI_NULL_AWARE building the right side: output probe rows only */
    bool semi_like;
    /* SEMI or ANTI building the left side: probe (right) rows only mark the
     * build rows they match, and finish emits the marked (SEMI) or unmarked
     * (ANTI) build rows. build_outer is set too: it is the same machinery,
     * with the matched flag read the other way round for SEMI. */
    bool build_semi;
    bool probe_outer; /* unmatched probe rows are emitted */
    bool build_outer; /* build rows are marked when matched and emitted at finish by their mark */
    bool build_keep;  /* unmatched build rows are output (build_outer, except build_semi SEMI) */
    bool inline_key;  /* single fixed-width key, kept in the slot */
    bool *resid_cols; /* columns of [left..., right...] the residual reads */
    /* A configuration error found at creation, reported by push/finish. */
    int init_rc;
    em_error init_err;
    em_source *build_src;
    bool built;
    bool done;   /* downstream needs no more rows */
    bool futile; /* no further probe row can produce output */
    /* The resident build side. A build row's id is (batch << shift) | row, so
     * that a pair names its row without another lookup; its dense number (0 ..
     * nbuild - 1, in arrival order) is boff[batch] + row. */
    em_batch_list build;
    em__hj_hashes bh; /* key hashes of build's batches (dropped after the table is built) */
    int64_t nbuild;
    int shift;
    uint32_t rmask;
    uint32_t *boff; /* dense number of each batch's first row */
    uint32_t *next; /* by dense number: the next row id with the same key, or NONE */
    em__hj_slot *slots;
    int64_t nslots;
    int64_t ngroups;
    uint32_t null_head; /* chain of build rows with a NULL key */
    int64_t nnull;
    uint8_t *bmatched; /* build_outer: by dense number */
    bool big_build;    /* build columns exceed the caches: prefetch in gathers */
    /* per build column and batch (index c * nbatches + b), for gathers */
    const void **bdata;
    const uint8_t **bvalid;
    const char **bchars;
    bool *bnulls; /* a build column has a validity bitmap in some batch */
    /* per-probe-batch scratch of EM_BATCH_ROWS entries */
    uint64_t *hashes;
    uint64_t *kbits;
    uint8_t *keyok;    /* every key of the row is non-NULL */
    uint8_t *pmatched; /* the row has a match (residual kinds, deferred output) */
    uint32_t *heads;   /* first candidate build row per probe row, or NONE */
    uint8_t *multi;    /* the candidates go on after heads[i] (follow `next`) */
    uint32_t *heads2;
    int32_t *pp;   /* pairs: probe row */
    uint32_t *pe;  /* pairs: build row id, NONE = unmatched probe row */
    bool has_none; /* pe holds NONE */
    int32_t *sel;

    /* ---- memory (hash_join_spill.c) ---- */
    em_memory_reservation mem;
    em__hj_mode mode;
    int level;   /* nesting depth of partition joins; picks the hash bits */
    bool nested; /* a partition join of another join: finish does not finish `next` */
    /* The whole build side as read by this join (resident or not): NOT IN's
     * NULL rules and the futility test need these, not the resident part's. */
    int64_t all_rows, all_null;
    em__hll sketch; /* distinct non-NULL key hashes, to size tables */
    uint64_t first_hash;
    bool one_hash;     /* every non-NULL key so far had the same hash */
    int64_t res_valid; /* resident build rows with non-NULL keys */
    uint8_t *rok;      /* scratch: a build row's keys are all non-NULL */
    int64_t rok_cap;
    em__hj_part *parts; /* GRACE */
    uint8_t *pids;      /* scratch: probe rows' partitions */
    int32_t *rsel;      /* scratch: probe rows routed one way */
    /* CHUNKED: the build rows after the first chunk, and every probe row. With
     * `defer`, probe-side results (semi, anti, unmatched outer rows) are not
     * emitted per batch but ORed into pflags (a bit per row of pall, from
     * pbase), and emitted from pall at the end. */
    em_spill_file *brest, *pall;
    uint8_t *pflags;
    int64_t pflags_bytes;
    int64_t pbase;
    bool defer;
    /* for EXPLAIN ANALYZE: over this join and its partition joins */
    int64_t spilled;
    int64_t peak;
} em__hash_join;

/* ---- op_hash_join.c ---------------------------------------------------------- */

/* A build or probe batch fits the spec (width, key classes). */
int em__hj_check_batch(const em__hash_join *j, const em_batch *b, bool probe, em_error *err);
/* Hash the keys of the first n rows of b (probe or build side) into h. */
void em__hj_hash_keys(const em__hash_join *j, const em_batch *b, bool probe, int64_t n,
                      uint64_t *h);
/* Index the resident build batches (j->build, hashes in j->bh): ids, gather
 * tables, matched flags and the hash table, sized for `distinct` keys. */
int em__hj_index(em__hash_join *j, int64_t distinct, em_error *err) EM_MUST_CHECK;
/* Bytes the index of n rows (nvalid with keys, in nb batches) will hold
 * besides the batches themselves, including what building it needs for a while. */
int64_t em__hj_index_bytes(const em__hash_join *j, int64_t n, int64_t nvalid, int64_t nb,
                           int64_t distinct);
/* The bytes of b's buffers that holding it keeps alive (vectors shared with
 * another owner are that owner's). */
int64_t em__hj_batch_bytes(const em_batch *b);
/* Bytes the resident build side holds now (batches and index). */
int64_t em__hj_held_bytes(const em__hash_join *j);
/* Drop the resident build side and its index. */
void em__hj_reset(em__hash_join *j);
/* Probe one batch of at most EM_BATCH_ROWS rows against the resident table. */
int em__hj_probe_batch(em__hash_join *j, const em_batch *b, em_error *err) EM_MUST_CHECK;
/* Emit the resident build rows no probe row matched (build_outer). */
int em__hj_emit_unmatched_build(em__hash_join *j, em_error *err) EM_MUST_CHECK;
/* Emit the probe rows of b whose deferred result says so (CHUNKED, at the end). */
int em__hj_emit_deferred(em__hash_join *j, const em_batch *b, em_error *err) EM_MUST_CHECK;
/* A join with the same spec, one level deeper, that emits into j's `next`. */
em__hash_join *em__hj_nested(em__hash_join *j, em_source *build);
bool em__hj_cancelled(const em__hash_join *j);

/* ---- hash_join_spill.c ------------------------------------------------------- */

/* Read the whole build side under the reservation and index what stays resident. */
int em__hj_build(em__hash_join *j, em_error *err) EM_MUST_CHECK;
/* Probe one batch (at most EM_BATCH_ROWS rows) in GRACE or CHUNKED mode. */
int em__hj_probe_spilled(em__hash_join *j, const em_batch *b, em_error *err) EM_MUST_CHECK;
/* At finish, after the resident part: join what went to disk. */
int em__hj_finish_spilled(em__hash_join *j, em_error *err) EM_MUST_CHECK;
/* Close every spill file and release the reservation. */
void em__hj_release(em__hash_join *j);

void em__hj_hashes_push(em__hj_hashes *l, uint64_t *h);
void em__hj_hashes_clear(em__hj_hashes *l);

#endif

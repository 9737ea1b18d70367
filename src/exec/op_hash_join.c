/*
 * op_hash_join.c — joins: a build side held in memory, a probe side streamed
 * through, vectorized (the contract is in exec.h, "joins").
 *
 * Build. On the first push() (or at finish() when no probe row arrives) the
 * operator drains its build source (hash_join_spill.c: under a memory
 * reservation, spilling what does not fit) and keeps the batches exactly as
 * received. A build row is named by a 32-bit id, (batch << shift) | row, which
 * a gather decodes without any lookup. An open-addressing table holds one
 * 16-byte slot per distinct key: the id of the key's first row, the upper bits
 * of the hash as a tag plus a bit saying whether more rows share the key, and,
 * for a single fixed-width key, the key itself, so that a probe decides in the
 * slot without touching the build batches. Further rows with the same key are
 * chained, in arrival order, through `next` (4 bytes per build row, indexed
 * by the row's dense number), which a unique key never reads: a foreign-key
 * probe costs one slot and then the gathered values. Rows with a NULL key are
 * never in the table (they cannot match); they form a chain of their own,
 * which the null-aware anti join needs. The table doubles at 50% load
 * (rehashing from the build hashes, which are computed as the batches are read
 * and kept until the build is done) and starts at the size a HyperLogLog
 * sketch of the build hashes asks for, so it follows the number of distinct
 * keys, not of rows.
 *
 * Probe, per batch: hash the key columns (key_hash.c, the hashing of
 * aggregation), look every row up (slots prefetched a few rows ahead), then
 * walk the chains and produce (probe row, build
 * row) pairs into arrays of at most EM_BATCH_ROWS. A full chunk is processed
 * before more pairs are made — residual evaluated over a candidate batch of the
 * columns it reads, matches marked, output gathered and pushed — so one probe
 * row with a million matches still yields bounded batches. Output columns of
 * the probe side are gathered by row index (or passed through when every row
 * matched exactly once, the common foreign-key join); build columns are
 * gathered from the build batches through per-batch column pointers.
 *
 * Unmatched rows of a preserved probe side are interleaved with the pairs
 * when there is no residual (a row without a chain is unmatched) and emitted
 * after the batch's pairs otherwise; unmatched build rows are emitted at
 * finish() from a per-row matched flag. Without keys every build row is a
 * candidate for every probe row: the candidates are simply all rows in order,
 * so a cross join runs through the same chunked pair machinery. When the
 * build side is processed in chunks (hash_join_spill.c), probe-side results
 * that depend on every build row — SEMI, ANTI, unmatched outer rows — are
 * deferred: ORed into a bit per probe row and emitted after the last chunk.
 *
 * SEMI and ANTI joins may also build their left side (DuckDB's "right semi"
 * and "right anti"), when it is the smaller one and both sides are hash
 * partitioned on the keys: each probe row (of the right side) marks the build
 * rows it matches, in the matched flags of an outer join, and finish emits
 * the marked rows (SEMI) or the unmarked ones (ANTI, which also gets the rows
 * with a NULL key: they match nothing). Without a residual a key's whole chain
 * is marked at once, and a marked head means a marked chain, so each build
 * row is marked once however many probe rows share its key; with a residual,
 * pairs whose build row is already marked are dropped before it is evaluated.
 * The grace and chunked paths need nothing more: a build row belongs to one
 * partition or chunk, which sees every probe row that can match it, exactly
 * as for unmatched rows of an outer join. NOT IN (null-aware) always builds
 * the right side: its NULL rules need the whole right side in every task.
 */
#include <assert.h>
#include <string.h>

#include "exec/hash_join_int.h"

#define NONE EM__HJ_NONE
/* How many rows ahead table slots and chain heads are prefetched. */
#define PREFETCH_D 16
/* How many rows ahead gathers prefetch build values: a gather step is a few
 * cycles, a miss hundreds. */
#define GATHER_D 64

/* Slot tag bit 0: the key has more than one build row (follow `next`). */
#define TAG_MULTI 1u

typedef em__hash_join hash_join_op;
typedef em__hj_slot join_slot;

/* Where pair generation stopped: row i, and inside its candidates at e when mid. */
typedef struct pair_cursor {
    int64_t i;
    uint32_t e;
    bool mid;
} pair_cursor;

bool em__hj_cancelled(const hash_join_op *j)
{
    return j->base.ctx != NULL && j->base.ctx->cancel != NULL && *j->base.ctx->cancel;
}

static bool cancelled(const hash_join_op *j)
{
    return em__hj_cancelled(j);
}

static int cancel_error(em_error *err)
{
    return em_error_set(err, EM_ECANCELED, "the job was cancelled");
}

/* ---- the build side --------------------------------------------------------- */

static inline uint32_t row_batch(const hash_join_op *j, uint32_t id)
{
    return id >> j->shift;
}

static inline uint32_t row_index(const hash_join_op *j, uint32_t id)
{
    return id & j->rmask;
}

static inline uint32_t row_dense(const hash_join_op *j, uint32_t id)
{
    return j->boff[id >> j->shift] + (id & j->rmask);
}

static inline const em_vector *build_col(const hash_join_op *j, uint32_t b, int col)
{
    return j->build.items[b]->cols[col];
}

/* The id after `id` in arrival order, or NONE after the last row. */
static inline uint32_t row_after(const hash_join_op *j, uint32_t id)
{
    uint32_t b = row_batch(j, id), r = row_index(j, id) + 1;
    if (r < (uint32_t)j->build.items[b]->nrows) return id + 1;
    return (int64_t)b + 1 < j->build.count ? (b + 1) << j->shift : NONE;
}

/* Keys of build rows x and y (ids; both without NULLs) are equal. */
static bool build_rows_equal(const hash_join_op *j, uint32_t x, uint32_t y)
{
    uint32_t bx = row_batch(j, x), rx = row_index(j, x);
    uint32_t by = row_batch(j, y), ry = row_index(j, y);
    for (int k = 0; k < j->nkeys; k++) {
        int c = j->build_keys[k];
        if (!em__value_eq(build_col(j, bx, c), rx, build_col(j, by, c), ry, j->kcls[k]))
            return false;
    }
    return true;
}

/* The key hash of build row `id` (kept per batch until the table is built). */
static inline uint64_t row_hash(const hash_join_op *j, uint32_t id)
{
    return j->bh.items[row_batch(j, id)][row_index(j, id)];
}

static void table_grow(hash_join_op *j)
{
    int64_t nslots = j->nslots * 2;
    join_slot *slots = em_calloc((size_t)nslots, sizeof(join_slot));
    uint64_t mask = (uint64_t)nslots - 1;
    for (int64_t s = 0; s < j->nslots; s++) {
        const join_slot *old = &j->slots[s];
        if (old->head1 == 0) continue;
        uint64_t pos = row_hash(j, old->head1 - 1) & mask;
        while (slots[pos].head1 != 0) pos = (pos + 1) & mask;
        slots[pos] = *old;
    }
    em_free(j->slots);
    j->slots = slots;
    j->nslots = nslots;
}

/* Insert build row `id` (dense number g, key without NULLs, hash h) at the
 * front of its key's chain. */
static inline void table_insert(hash_join_op *j, uint32_t id, uint32_t g, uint64_t h, uint64_t kb)
{
    uint64_t mask = (uint64_t)j->nslots - 1;
    uint64_t pos = h & mask;
    uint32_t tag = (uint32_t)(h >> 32) & ~TAG_MULTI;
    for (;;) {
        join_slot *sl = &j->slots[pos];
        if (sl->head1 == 0) {
            sl->key = kb;
            sl->tag = tag;
            sl->head1 = id + 1;
            j->next[g] = NONE;
            if (++j->ngroups * 2 > j->nslots) table_grow(j);
            return;
        }
        if ((sl->tag & ~TAG_MULTI) == tag &&
            (j->inline_key ? sl->key == kb : build_rows_equal(j, id, sl->head1 - 1))) {
            j->next[g] = sl->head1 - 1;
            sl->head1 = id + 1;
            sl->tag |= TAG_MULTI;
            return;
        }
        pos = (pos + 1) & mask;
    }
}

/* Slots for nvalid keyed rows with about `distinct` distinct keys: sized for
 * the distinct keys (it still grows if the estimate was short), since growing
 * from small would move every slot a few times, and sizing by rows wastes
 * memory on duplicates. */
static int64_t table_slots(int64_t nvalid, int64_t distinct)
{
    int64_t want = 2 * EM_MIN(nvalid, distinct + distinct / 16 + 16);
    int64_t nslots = 16;
    while (nslots < want) nslots *= 2;
    return nslots;
}

static void build_table(hash_join_op *j, int64_t distinct)
{
    int64_t n = j->nbuild;
    int64_t nb = j->build.count;
    /* Note which rows have a NULL key (by dense number). */
    uint8_t *bok = em_malloc((size_t)(n > 0 ? n : 1));
    int64_t nvalid = 0;
    for (int64_t b = 0; b < nb; b++) {
        const em_batch *bt = j->build.items[b];
        uint32_t g0 = j->boff[b];
        memset(bok + g0, 1, (size_t)bt->nrows);
        for (int k = 0; k < j->nkeys; k++) {
            const em_vector *v = bt->cols[j->build_keys[k]];
            if (v->validity != NULL)
                for (int64_t r = 0; r < bt->nrows; r++) bok[g0 + r] &= em_vector_is_valid(v, r);
        }
    }
    for (int64_t g = 0; g < n; g++) nvalid += bok[g];
    j->nslots = table_slots(nvalid, distinct);
    j->slots = em_calloc((size_t)j->nslots, sizeof(join_slot));
    j->null_head = NONE;

    /* Rows go in last to first, each at the front of its chain, so that
     * chains list rows in arrival order. */
    for (int64_t b = nb - 1; b >= 0; b--) {
        const em_batch *bt = j->build.items[b];
        const em_vector *kv = bt->cols[j->build_keys[0]];
        const uint64_t *bh = j->bh.items[b];
        for (int64_t r = bt->nrows - 1; r >= 0; r--) {
            uint32_t g = j->boff[b] + (uint32_t)r;
            uint32_t id = ((uint32_t)b << j->shift) | (uint32_t)r;
            if (r >= PREFETCH_D)
                __builtin_prefetch(&j->slots[bh[r - PREFETCH_D] & (uint64_t)(j->nslots - 1)]);
            if (!bok[g]) {
                j->next[g] = j->null_head;
                j->null_head = id;
                j->nnull++;
                continue;
            }
            uint64_t kb = j->inline_key ? em__key_bits(kv, r, j->kcls[0]) : 0;
            table_insert(j, id, g, bh[r], kb);
        }
    }
    em_free(bok);
}

int em__hj_check_batch(const hash_join_op *j, const em_batch *b, bool probe, em_error *err)
{
    int ncols = probe ? j->probe_ncols : j->build_ncols;
    const int *keys = probe ? j->probe_keys : j->build_keys;
    const char *side = probe ? "probe" : "build";
    if (b->ncols != ncols)
        return em_error_set(err, EM_EINTERNAL, "hash join: %s batch with %d columns, expected %d",
                            side, b->ncols, ncols);
    for (int k = 0; k < j->nkeys; k++) {
        const em_vector *v = b->cols[keys[k]];
        if (v == NULL || em__vclass_of(v->type) != j->kcls[k])
            return em_error_set(err, EM_EINTERNAL,
                                "hash join: %s key %d has a type other than the plan's", side, k);
    }
    return 0;
}

void em__hj_hash_keys(const hash_join_op *j, const em_batch *b, bool probe, int64_t n, uint64_t *h)
{
    const int *keys = probe ? j->probe_keys : j->build_keys;
    for (int k = 0; k < j->nkeys; k++) em__hash_column(b->cols[keys[k]], j->kcls[k], n, h, k == 0);
}

int64_t em__hj_batch_bytes(const em_batch *b)
{
    int64_t total = 0;
    for (int i = 0; i < b->ncols; i++) {
        const em_vector *v = b->cols[i];
        /* A vector someone else holds too (an in-memory shuffle block, which
         * the shuffle store has reserved until the stage ends; a table's
         * column) costs nothing more for being held here. */
        if (v == NULL || __atomic_load_n(&v->refcount, __ATOMIC_RELAXED) > 1) continue;
        int64_t slots = v->capacity + (v->type.id == EM_TYPE_VARCHAR ? 1 : 0);
        total += slots * (int64_t)em_type_width(v->type) + v->chars_cap;
        if (v->validity != NULL) total += (v->capacity + 7) / 8;
    }
    return total;
}

/* What one resident batch costs besides its buffers: the batch and vector
 * headers, its entries in the gather tables and in boff. */
static int64_t batch_overhead(const hash_join_op *j)
{
    return (int64_t)sizeof(em_batch) + 8 +
           (int64_t)j->build_ncols * (int64_t)(sizeof(em_vector) + 8 + 3 * sizeof(void *));
}

int64_t em__hj_index_bytes(const hash_join_op *j, int64_t n, int64_t nvalid, int64_t nb,
                           int64_t distinct)
{
    /* per row: its hash (8), next (4), the NULL-key flag while building (1),
     * the matched flag (1 when build_outer) */
    int64_t b = n * (13 + (j->build_outer ? 1 : 0)) + nb * batch_overhead(j);
    if (j->nkeys > 0 && nvalid > 0) b += table_slots(nvalid, distinct) * (int64_t)sizeof(join_slot);
    return b;
}

int64_t em__hj_held_bytes(const hash_join_op *j)
{
    int64_t b = j->nslots * (int64_t)sizeof(join_slot) +
                j->nbuild * (4 + (j->build_outer ? 1 : 0)) + j->build.count * batch_overhead(j);
    for (int64_t i = 0; i < j->build.count; i++) b += em__hj_batch_bytes(j->build.items[i]);
    return b;
}

void em__hj_reset(hash_join_op *j)
{
    em_batch_list_release(&j->build);
    em_batch_list_init(&j->build);
    em__hj_hashes_clear(&j->bh);
    em_free(j->boff);
    em_free(j->next);
    em_free(j->slots);
    em_free(j->bmatched);
    em_free(j->bdata);
    em_free(j->bvalid);
    em_free(j->bchars);
    em_free(j->bnulls);
    j->boff = j->next = NULL;
    j->slots = NULL;
    j->bmatched = NULL;
    j->bdata = NULL;
    j->bvalid = NULL;
    j->bchars = NULL;
    j->bnulls = NULL;
    j->nbuild = j->nslots = j->ngroups = j->nnull = 0;
    j->shift = 0;
    j->rmask = 0;
    j->null_head = NONE;
}

int em__hj_index(hash_join_op *j, int64_t distinct, em_error *err)
{
    int64_t n = j->nbuild = j->build.rows;
    int64_t nb = j->build.count;
    int64_t maxrows = 1;
    for (int64_t b = 0; b < nb; b++) maxrows = EM_MAX(maxrows, j->build.items[b]->nrows);
    /* Row ids must stay below NONE. */
    j->shift = 0;
    while (((int64_t)1 << j->shift) < maxrows) j->shift++;
    if (nb > 0 && (((nb - 1) << j->shift) | (maxrows - 1)) >= (int64_t)NONE)
        return em_error_set(err, EM_EUNSUPPORTED,
                            "hash join: the build side is too large (%lld rows in %lld batches)",
                            (long long)n, (long long)nb);
    j->rmask = (uint32_t)(((int64_t)1 << j->shift) - 1);
    j->boff = em_malloc((size_t)(nb + 1) * sizeof(uint32_t));
    for (int64_t b = 0, g = 0; b <= nb; b++) {
        j->boff[b] = (uint32_t)g;
        if (b < nb) g += j->build.items[b]->nrows;
    }
    j->next = em_malloc((size_t)(n > 0 ? n : 1) * sizeof(uint32_t));
    size_t ncells = (size_t)(j->build_ncols > 0 ? j->build_ncols : 1) * (size_t)(nb > 0 ? nb : 1);
    j->bdata = em_calloc(ncells, sizeof(void *));
    j->bvalid = em_calloc(ncells, sizeof(uint8_t *));
    j->bchars = em_calloc(ncells, sizeof(char *));
    j->bnulls = em_calloc((size_t)(j->build_ncols > 0 ? j->build_ncols : 1), sizeof(bool));
    for (int c = 0; c < j->build_ncols; c++)
        for (int64_t b = 0; b < nb; b++) {
            const em_vector *v = build_col(j, (uint32_t)b, c);
            size_t cell = (size_t)c * (size_t)nb + (size_t)b;
            j->bdata[cell] = v->data;
            j->bvalid[cell] = v->validity;
            j->bchars[cell] = v->chars;
            if (v->validity != NULL) j->bnulls[c] = true;
        }
    if (j->build_outer) j->bmatched = em_calloc((size_t)(n > 0 ? n : 1), 1);
    /* Random reads from columns beyond a few MB miss the caches. */
    j->big_build = n > (1 << 18);
    j->null_head = NONE;
    if (j->nkeys > 0 && n > 0) build_table(j, distinct);
    /* The hashes were needed to build the table (and to grow it) only. */
    em__hj_hashes_clear(&j->bh);
    return 0;
}

/* ---- gathering output columns ----------------------------------------------- */

static em_vector *null_vector(em_type t, int64_t m)
{
    em_value v = em_value_null(t);
    return em_vector_from_value(&v, m);
}

/* Build column c for the pairs [0, m). */
static em_vector *gather_build(const hash_join_op *j, int c, int64_t m)
{
    em_type t = j->build_types[c];
    int64_t nb = j->build.count;
    if (t.id == EM_TYPE_NULL || nb == 0) return null_vector(t, m);
    const uint32_t *pe = j->pe;
    const int sh = j->shift;
    const uint32_t rm = j->rmask;
    const void *const *data = &j->bdata[(size_t)c * (size_t)nb];
    bool none = j->has_none;
    em_vector *v = em_vector_create(t, m);

#define GATHER_FIXED(T)                                                                            \
    do {                                                                                           \
        T *d = (T *)v->data;                                                                       \
        if (j->big_build) {                                                                        \
            for (int64_t k = 0; k < m; k++) {                                                      \
                uint32_t id = pe[k];                                                               \
                if (k + GATHER_D < m && pe[k + GATHER_D] != NONE) {                                \
                    uint32_t ahead = pe[k + GATHER_D];                                             \
                    __builtin_prefetch((const T *)data[ahead >> sh] + (ahead & rm));               \
                }                                                                                  \
                d[k] = (none && id == NONE) ? (T)0 : ((const T *)data[id >> sh])[id & rm];         \
            }                                                                                      \
        } else {                                                                                   \
            for (int64_t k = 0; k < m; k++) {                                                      \
                uint32_t id = pe[k];                                                               \
                d[k] = (none && id == NONE) ? (T)0 : ((const T *)data[id >> sh])[id & rm];         \
            }                                                                                      \
        }                                                                                          \
    } while (0)

    switch (em_type_width(t)) {
    case 1:
        GATHER_FIXED(uint8_t);
        break;
    case 4:
        if (t.id == EM_TYPE_VARCHAR) {
            const char *const *chars = &j->bchars[(size_t)c * (size_t)nb];
            int64_t total = 0;
            for (int64_t k = 0; k < m; k++) {
                if (pe[k] == NONE) continue;
                const int32_t *so = data[pe[k] >> sh];
                uint32_t r = pe[k] & rm;
                total += so[r + 1] - so[r];
            }
            em_vector_reserve_chars(v, total);
            int32_t *off = EM_VEC_OFFSETS(v);
            int64_t pos = 0;
            off[0] = 0;
            for (int64_t k = 0; k < m; k++) {
                if (pe[k] != NONE) {
                    uint32_t b = pe[k] >> sh, r = pe[k] & rm;
                    const int32_t *so = data[b];
                    int32_t start = so[r], len = so[r + 1] - start;
                    if (len > 0) memcpy(v->chars + pos, chars[b] + start, (size_t)len);
                    pos += len;
                }
                off[k + 1] = (int32_t)pos;
            }
            v->chars_len = pos;
        } else {
            GATHER_FIXED(int32_t);
        }
        break;
    case 8:
        GATHER_FIXED(int64_t);
        break;
    default: {
        /* Wider values (INTERVAL) move as bytes. */
        size_t w = em_type_width(t);
        char *d = v->data;
        for (int64_t k = 0; k < m; k++) {
            if (pe[k] == NONE)
                memset(d + (size_t)k * w, 0, w);
            else
                memcpy(d + (size_t)k * w,
                       (const char *)data[pe[k] >> sh] + (size_t)(pe[k] & rm) * w, w);
        }
        break;
    }
    }
#undef GATHER_FIXED
    v->length = m;
    if (none || j->bnulls[c]) {
        const uint8_t *const *valid = &j->bvalid[(size_t)c * (size_t)nb];
        for (int64_t k = 0; k < m; k++) {
            uint32_t id = pe[k];
            if (id == NONE) {
                em_vector_set_null(v, k);
                continue;
            }
            const uint8_t *bits = valid[id >> sh];
            uint32_t r = id & rm;
            if (bits != NULL && !((bits[r >> 3] >> (r & 7)) & 1)) em_vector_set_null(v, k);
        }
    }
    return v;
}

/* The pairs' probe rows are exactly 0, 1, ..., nrows - 1. */
static bool pairs_identity(const hash_join_op *j, const em_batch *probe, int64_t m)
{
    if (probe == NULL || m != probe->nrows) return false;
    for (int64_t k = 0; k < m; k++)
        if (j->pp[k] != k) return false;
    return true;
}

/* Output column c ([left..., right...]) for the pairs [0, m); a NULL probe
 * batch gives NULL probe columns (unmatched build rows). */
static em_vector *pair_column(const hash_join_op *j, const em_batch *probe, int c, int64_t m,
                              bool identity)
{
    int pc = c - j->probe_first;
    if (pc >= 0 && pc < j->probe_ncols) {
        if (probe == NULL) return null_vector(j->probe_types[pc], m);
        if (identity) return em_vector_ref(probe->cols[pc]);
        return em_vector_gather(probe->cols[pc], j->pp, m);
    }
    return gather_build(j, c - j->build_first, m);
}

/* Push the resolved pairs [0, m) downstream as one batch. */
static int emit_pairs(hash_join_op *j, const em_batch *probe, int64_t m, em_error *err)
{
    if (m == 0) return 0;
    bool identity = pairs_identity(j, probe, m);
    em_batch *out = em_batch_create(j->out_ncols);
    out->nrows = m;
    for (int c = 0; c < j->out_ncols; c++) out->cols[c] = pair_column(j, probe, c, m, identity);
    int rc = em_op_emit(&j->base, out, err);
    if (rc == EM_OP_DONE) j->done = true;
    return rc;
}

/* Push the probe rows sel[0, nsel) (probe columns only: SEMI/ANTI). */
static int emit_probe_rows(hash_join_op *j, const em_batch *probe, int64_t nsel, em_error *err)
{
    if (nsel == 0) return 0;
    em_batch *out =
        nsel == probe->nrows ? em_batch_ref_copy(probe) : em_batch_gather(probe, j->sel, nsel);
    int rc = em_op_emit(&j->base, out, err);
    if (rc == EM_OP_DONE) j->done = true;
    return rc;
}

/* ---- probing ------------------------------------------------------------------ */

/* Fill j->heads (first candidate build row per probe row), j->multi and j->keyok. */
static void lookup(hash_join_op *j, const em_batch *b, int64_t n)
{
    uint32_t *heads = j->heads;
    uint8_t *keyok = j->keyok, *multi = j->multi;
    memset(keyok, 1, (size_t)n);
    if (j->nkeys == 0) {
        /* Every build row is a candidate: fill_pairs runs through all of them. */
        uint32_t h = j->nbuild > 0 ? 0 : NONE;
        for (int64_t i = 0; i < n; i++) heads[i] = h;
        return;
    }
    bool all_ok = true;
    for (int k = 0; k < j->nkeys; k++) {
        const em_vector *v = b->cols[j->probe_keys[k]];
        if (v->validity == NULL) continue;
        all_ok = false;
        for (int64_t i = 0; i < n; i++) keyok[i] &= em_vector_is_valid(v, i);
    }
    if (j->ngroups == 0) {
        for (int64_t i = 0; i < n; i++) heads[i] = NONE;
        return;
    }
    uint64_t *hashes = j->hashes;
    for (int k = 0; k < j->nkeys; k++)
        em__hash_column(b->cols[j->probe_keys[k]], j->kcls[k], n, hashes, k == 0);

    const join_slot *slots = j->slots;
    uint64_t mask = (uint64_t)j->nslots - 1;
    if (j->inline_key) {
        const em_vector *kv = b->cols[j->probe_keys[0]];
        uint64_t *kb = j->kbits;
        switch (j->kcls[0]) {
        case EM__VC_I64:
            memcpy(kb, kv->data, (size_t)n * sizeof(int64_t));
            break;
        case EM__VC_I32:
            for (int64_t i = 0; i < n; i++) kb[i] = (uint64_t)(int64_t)EM_VEC_I32(kv)[i];
            break;
        default:
            for (int64_t i = 0; i < n; i++) kb[i] = em__key_bits(kv, i, j->kcls[0]);
            break;
        }
        /* The key in the slot decides: one cache line per probe. */
        for (int64_t i = 0; i < n; i++) {
            if (i + PREFETCH_D < n) __builtin_prefetch(&slots[hashes[i + PREFETCH_D] & mask]);
            uint32_t head = NONE;
            uint8_t more = 0;
            if (all_ok || keyok[i]) {
                uint64_t key = kb[i];
                for (uint64_t pos = hashes[i] & mask;; pos = (pos + 1) & mask) {
                    join_slot sl = slots[pos];
                    if (sl.head1 == 0) break;
                    if (sl.key == key) {
                        head = sl.head1 - 1;
                        more = sl.tag & TAG_MULTI;
                        /* The chain walk reads the next row soon after. */
                        if (more) __builtin_prefetch(&j->next[row_dense(j, head)]);
                        break;
                    }
                }
            }
            heads[i] = head;
            multi[i] = more;
        }
        return;
    }
    /* General keys: the tag filters, the build row's keys decide. The first
     * key of the row a slot names is prefetched when the slot has arrived. */
    const em_vector *kv[16];
    const em_vector **pk = j->nkeys <= 16 ? kv : em_malloc(sizeof(em_vector *) * (size_t)j->nkeys);
    for (int k = 0; k < j->nkeys; k++) pk[k] = b->cols[j->probe_keys[k]];
    int64_t nb = j->build.count;
    const void *const *kdata = &j->bdata[(size_t)j->build_keys[0] * (size_t)nb];
    size_t kw = em_type_width(j->build_types[j->build_keys[0]]);
    for (int64_t i = 0; i < n; i++) {
        if (i + 2 * PREFETCH_D < n) __builtin_prefetch(&slots[hashes[i + 2 * PREFETCH_D] & mask]);
        if (i + PREFETCH_D < n && kw > 0) {
            uint32_t h1 = slots[hashes[i + PREFETCH_D] & mask].head1;
            if (h1 != 0)
                __builtin_prefetch((const char *)kdata[row_batch(j, h1 - 1)] +
                                   (size_t)row_index(j, h1 - 1) * kw);
        }
        uint32_t head = NONE;
        uint8_t more = 0;
        if (all_ok || keyok[i]) {
            uint32_t tag = (uint32_t)(hashes[i] >> 32) & ~TAG_MULTI;
            for (uint64_t pos = hashes[i] & mask;; pos = (pos + 1) & mask) {
                join_slot sl = slots[pos];
                if (sl.head1 == 0) break;
                if ((sl.tag & ~TAG_MULTI) != tag) continue;
                uint32_t bb = row_batch(j, sl.head1 - 1), rr = row_index(j, sl.head1 - 1);
                bool eq = true;
                for (int k = 0; k < j->nkeys && eq; k++)
                    eq = em__value_eq(pk[k], i, build_col(j, bb, j->build_keys[k]), rr, j->kcls[k]);
                if (eq) {
                    head = sl.head1 - 1;
                    more = sl.tag & TAG_MULTI;
                    break;
                }
            }
        }
        heads[i] = head;
        multi[i] = more;
    }
    if (pk != kv) em_free(pk);
}

/* Produce up to EM_BATCH_ROWS pairs from the cursor on. Candidates of row i
 * start at heads[i]; they go on through `next` when multi[i] is set (or
 * always when multi is NULL), or, with `range`, through every later build
 * row. `outer`: a row without candidates gives a pair with NONE.
 * `skip_matched`: rows already marked matched are skipped (SEMI/ANTI). */
static int64_t fill_pairs(hash_join_op *j, pair_cursor *c, int64_t n, const uint32_t *heads,
                          const uint8_t *multi, bool range, bool outer, bool skip_matched)
{
    const int64_t cap = EM_BATCH_ROWS;
    const uint32_t *next = j->next;
    int32_t *pp = j->pp;
    uint32_t *pe = j->pe;
    int64_t m = 0, i = c->i;
    uint32_t e = c->e;
    bool mid = c->mid, none = false;
    while (i < n && m < cap) {
        if (skip_matched && j->pmatched[i]) {
            mid = false;
            i++;
            continue;
        }
        if (!mid) {
            e = heads[i];
            if (e == NONE) {
                if (outer) {
                    pp[m] = (int32_t)i;
                    pe[m++] = NONE;
                    none = true;
                }
                i++;
                continue;
            }
            pp[m] = (int32_t)i;
            pe[m++] = e;
            if (range)
                e = row_after(j, e);
            else
                e = multi == NULL || multi[i] ? next[row_dense(j, e)] : NONE;
        }
        if (range) {
            while (e != NONE && m < cap) {
                pp[m] = (int32_t)i;
                pe[m++] = e;
                e = row_after(j, e);
            }
        } else {
            while (e != NONE && m < cap) {
                pp[m] = (int32_t)i;
                pe[m++] = e;
                e = next[row_dense(j, e)];
            }
        }
        mid = e != NONE;
        if (mid) break;
        i++;
    }
    c->i = i;
    c->e = e;
    c->mid = mid;
    j->has_none = none;
    return m;
}

/* Keep the pairs that pass the residual. */
static int apply_residual(hash_join_op *j, const em_batch *probe, int64_t *m, em_error *err)
{
    int64_t n = *m;
    em_batch *cand = em_batch_create(j->left_ncols + j->right_ncols);
    cand->nrows = n;
    for (int c = 0; c < cand->ncols; c++)
        if (j->resid_cols[c]) cand->cols[c] = pair_column(j, probe, c, n, false);
    int64_t nsel = 0;
    int rc = em_expr_select(j->residual, cand, j->sel, &nsel, err);
    em_batch_destroy(cand);
    if (rc < 0) return rc;
    /* sel is increasing, so compacting in place is safe. */
    for (int64_t k = 0; k < nsel; k++) {
        int32_t s = j->sel[k];
        j->pp[k] = j->pp[s];
        j->pe[k] = j->pe[s];
    }
    *m = nsel;
    return 0;
}

/* Residual, marks and output for the pairs [0, m). */
static int process_pairs(hash_join_op *j, const em_batch *probe, int64_t m, em_error *err)
{
    if (m == 0) return 0;
    if (j->build_semi) {
        /* A build row already marked needs no residual evaluated again. */
        int64_t k = 0;
        for (int64_t s = 0; s < m; s++) {
            if (j->bmatched[row_dense(j, j->pe[s])]) continue;
            j->pp[k] = j->pp[s];
            j->pe[k++] = j->pe[s];
        }
        m = k;
        if (m == 0) return 0;
    }
    if (j->residual != NULL) {
        EM_TRY(apply_residual(j, probe, &m, err));
        for (int64_t k = 0; k < m; k++) j->pmatched[j->pp[k]] = 1;
    }
    if (j->build_outer)
        for (int64_t k = 0; k < m; k++)
            if (j->pe[k] != NONE) j->bmatched[row_dense(j, j->pe[k])] = 1;
    if (j->semi_like || j->build_semi) return 0;
    return emit_pairs(j, probe, m, err);
}

/* Run every pair of the probe batch from the given candidate heads. */
static int run_pairs(hash_join_op *j, const em_batch *probe, const uint32_t *heads,
                     const uint8_t *multi, bool range, bool outer, em_error *err)
{
    int64_t n = probe->nrows;
    pair_cursor cur = {0, NONE, false};
    bool skip = j->semi_like;
    while (cur.i < n) {
        int64_t m = fill_pairs(j, &cur, n, heads, multi, range, outer, skip);
        int rc = process_pairs(j, probe, m, err);
        if (rc != 0) return rc;
        if (cancelled(j)) return cancel_error(err);
    }
    return 0;
}

/* Deferred results: bit pbase + i of pflags is probe row i's. */
static inline void flag_set(hash_join_op *j, int64_t i)
{
    int64_t r = j->pbase + i;
    j->pflags[r >> 3] |= (uint8_t)(1u << (r & 7));
}

static inline bool flag_get(const hash_join_op *j, int64_t i)
{
    int64_t r = j->pbase + i;
    return (j->pflags[r >> 3] >> (r & 7)) & 1;
}

/* Whether probe row i has a match, for the kinds without a residual. */
static inline bool matched_plain(const hash_join_op *j, int64_t i)
{
    if (j->heads[i] != NONE) return true;
    if (j->kind != EM_JOIN_KIND_ANTI_NULL_AWARE) return false;
    /* NOT IN: a NULL on either side makes the comparison unknown, unless the
     * build side is empty. The whole build side counts, not just what is
     * resident. */
    return j->keyok[i] ? j->all_null > 0 : j->all_rows > 0;
}

static int probe_semi(hash_join_op *j, const em_batch *b, em_error *err)
{
    int64_t n = b->nrows;
    bool want = j->kind == EM_JOIN_KIND_SEMI;
    if (j->residual != NULL) {
        /* Rows an earlier chunk already matched need no more pairs. */
        if (j->defer)
            for (int64_t i = 0; i < n; i++) j->pmatched[i] = flag_get(j, i);
        else
            memset(j->pmatched, 0, (size_t)n);
        bool range = j->nkeys == 0;
        EM_TRY(run_pairs(j, b, j->heads, j->multi, range, false, err));
        if (j->done) return EM_OP_DONE;
        if (j->kind == EM_JOIN_KIND_ANTI_NULL_AWARE && j->nbuild > 0) {
            /* NOT IN with a residual: a row is also excluded by a build row
             * with a NULL key, and a row with a NULL key by any build row,
             * that passes the residual. */
            for (int64_t i = 0; i < n; i++) j->heads2[i] = j->keyok[i] ? j->null_head : NONE;
            EM_TRY(run_pairs(j, b, j->heads2, NULL, false, false, err));
            for (int64_t i = 0; i < n; i++) j->heads2[i] = j->keyok[i] ? NONE : 0;
            EM_TRY(run_pairs(j, b, j->heads2, NULL, true, false, err));
        }
    }
    if (j->defer) {
        for (int64_t i = 0; i < n; i++)
            if (j->residual != NULL ? j->pmatched[i] != 0 : matched_plain(j, i)) flag_set(j, i);
        return 0;
    }
    int64_t nsel = 0;
    for (int64_t i = 0; i < n; i++) {
        bool m = j->residual != NULL ? j->pmatched[i] != 0 : matched_plain(j, i);
        if (m == want) j->sel[nsel++] = (int32_t)i;
    }
    return emit_probe_rows(j, b, nsel, err);
}

/* build_semi without a residual: mark every build row with a probe row's
 * key. Marking goes by whole chains, so a marked head means a marked chain. */
static void mark_build(hash_join_op *j, int64_t n)
{
    uint8_t *matched = j->bmatched;
    if (j->nkeys == 0) {
        if (n > 0 && j->nbuild > 0) memset(matched, 1, (size_t)j->nbuild);
        return;
    }
    const uint32_t *heads = j->heads, *next = j->next;
    for (int64_t i = 0; i < n; i++) {
        uint32_t e = heads[i];
        if (e == NONE) continue;
        uint32_t g = row_dense(j, e);
        if (matched[g]) continue;
        matched[g] = 1;
        if (!j->multi[i]) continue;
        for (e = next[g]; e != NONE; e = next[g]) {
            g = row_dense(j, e);
            matched[g] = 1;
        }
    }
}

static int probe_pairs(hash_join_op *j, const em_batch *b, em_error *err)
{
    if (j->build_semi && j->residual == NULL) {
        mark_build(j, b->nrows);
        return 0;
    }
    int64_t n = b->nrows;
    bool late_outer = j->probe_outer && j->residual != NULL;
    bool interleave = j->probe_outer && !late_outer && !j->defer;
    if (j->residual != NULL) memset(j->pmatched, 0, (size_t)n);
    EM_TRY(run_pairs(j, b, j->heads, j->multi, j->nkeys == 0, interleave, err));
    if (j->done) return EM_OP_DONE;
    if (j->defer) {
        /* Unmatched rows come after the last chunk. */
        if (j->probe_outer)
            for (int64_t i = 0; i < n; i++)
                if (j->residual != NULL ? j->pmatched[i] != 0 : j->heads[i] != NONE) flag_set(j, i);
        return 0;
    }
    if (!late_outer) return 0;
    /* Rows whose candidates all failed the residual, with NULL build columns. */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (j->pmatched[i]) continue;
        j->pp[m] = (int32_t)i;
        j->pe[m++] = NONE;
    }
    j->has_none = true;
    return emit_pairs(j, b, m, err);
}

int em__hj_probe_batch(hash_join_op *j, const em_batch *b, em_error *err)
{
    lookup(j, b, b->nrows);
    return j->semi_like ? probe_semi(j, b, err) : probe_pairs(j, b, err);
}

int em__hj_emit_deferred(hash_join_op *j, const em_batch *b, em_error *err)
{
    int64_t n = b->nrows, m = 0;
    if (j->semi_like) {
        bool want = j->kind == EM_JOIN_KIND_SEMI;
        for (int64_t i = 0; i < n; i++)
            if (flag_get(j, i) == want) j->sel[m++] = (int32_t)i;
        return emit_probe_rows(j, b, m, err);
    }
    if (!j->probe_outer) return 0;
    for (int64_t i = 0; i < n; i++) {
        if (flag_get(j, i)) continue;
        j->pp[m] = (int32_t)i;
        j->pe[m++] = NONE;
    }
    j->has_none = true;
    return emit_pairs(j, b, m, err);
}

int em__hj_emit_unmatched_build(hash_join_op *j, em_error *err)
{
    if (!j->build_outer || j->done) return 0;
    /* Build rows no probe row matched, with NULL probe columns; for a SEMI
     * join that builds the left side, the rows that were matched. */
    uint8_t skip = j->build_keep ? 1 : 0;
    j->has_none = false;
    int64_t m = 0;
    for (int64_t b = 0; b < j->build.count && !j->done; b++) {
        int64_t rows = j->build.items[b]->nrows;
        const uint8_t *matched = j->bmatched + j->boff[b];
        for (int64_t r = 0; r < rows; r++) {
            if (matched[r] == skip) continue;
            j->pe[m++] = ((uint32_t)b << j->shift) | (uint32_t)r;
            if (m == EM_BATCH_ROWS) {
                if (cancelled(j)) return cancel_error(err);
                EM_TRY(emit_pairs(j, NULL, m, err));
                m = 0;
                if (j->done) break;
            }
        }
    }
    if (m > 0 && !j->done) EM_TRY(emit_pairs(j, NULL, m, err));
    return 0;
}

/* Whether no probe row can produce output any more (the source may stop). */
static bool probe_futile(const hash_join_op *j)
{
    if (j->probe_outer || (j->kind == EM_JOIN_KIND_ANTI && !j->build_semi)) return false;
    if (j->kind == EM_JOIN_KIND_ANTI_NULL_AWARE) return j->residual == NULL && j->all_null > 0;
    /* INNER, SEMI, a SEMI or ANTI join that builds the left side, or an outer
     * join preserving only the build side: nothing can match (the build rows
     * to emit come at finish either way). */
    return j->nkeys > 0 ? j->all_rows == j->all_null : j->all_rows == 0;
}

/* ---- operator --------------------------------------------------------------- */

static int report_init_error(hash_join_op *j, em_error *err)
{
    if (err != NULL) *err = j->init_err;
    return j->init_rc;
}

static int probe_slice(hash_join_op *j, const em_batch *b, em_error *err)
{
    return j->mode == EM__HJ_MEMORY ? em__hj_probe_batch(j, b, err)
                                    : em__hj_probe_spilled(j, b, err);
}

static int hash_join_push(em_op *op, em_batch *b, em_error *err)
{
    hash_join_op *j = (hash_join_op *)op;
    int rc = 0;
    if (j->init_rc < 0) {
        em_batch_destroy(b);
        return report_init_error(j, err);
    }
    if (!j->built && (rc = em__hj_build(j, err)) < 0) goto out;
    if (!j->futile && probe_futile(j)) j->futile = true;
    if (j->done || j->futile) {
        rc = EM_OP_DONE;
        goto out;
    }
    if (b->nrows == 0) goto out;
    if ((rc = em__hj_check_batch(j, b, true, err)) < 0) goto out;
    if (b->nrows <= EM_BATCH_ROWS) {
        rc = probe_slice(j, b, err);
    } else {
        /* Scratch is sized for EM_BATCH_ROWS: probe larger batches in slices. */
        for (int64_t off = 0; off < b->nrows && rc == 0; off += EM_BATCH_ROWS) {
            em_batch *s = em_batch_slice(b, off, EM_MIN((int64_t)EM_BATCH_ROWS, b->nrows - off));
            rc = probe_slice(j, s, err);
            em_batch_destroy(s);
        }
    }
out:
    em_batch_destroy(b);
    return rc;
}

static int hash_join_finish(em_op *op, em_error *err)
{
    hash_join_op *j = (hash_join_op *)op;
    if (j->init_rc < 0) return report_init_error(j, err);
    if (!j->built) EM_TRY(em__hj_build(j, err));
    EM_TRY(em__hj_emit_unmatched_build(j, err));
    if (j->mode != EM__HJ_MEMORY && !j->done) EM_TRY(em__hj_finish_spilled(j, err));
    op->stats.mem_peak = EM_MAX(j->peak, j->mem.peak);
    op->stats.spilled = j->spilled;
    /* Nothing is needed any more: give the memory back before downstream
     * operators finish (a sort after the join may want it). */
    em__hj_reset(j);
    em__hj_release(j);
    return j->nested ? 0 : em_op_finish_next(op, err);
}

static void hash_join_destroy(em_op *op)
{
    hash_join_op *j = (hash_join_op *)op;
    if (j->build_src != NULL) j->build_src->destroy(j->build_src);
    em__hj_reset(j);
    em__hj_release(j);
    em__hll_release(&j->sketch);
    em_free(j->left_keys);
    em_free(j->right_keys);
    em_free(j->probe_keys);
    em_free(j->build_keys);
    em_free(j->kcls);
    em_free(j->types);
    em_free(j->resid_cols);
    em_free(j->hashes);
    em_free(j->kbits);
    em_free(j->keyok);
    em_free(j->pmatched);
    em_free(j->heads);
    em_free(j->multi);
    em_free(j->heads2);
    em_free(j->pp);
    em_free(j->pe);
    em_free(j->sel);
    em_free(j->rok);
    em_free(j->pids);
    em_free(j->rsel);
    em_free(j);
}

static const em_op_vtable hash_join_vt = {"HashJoin", hash_join_push, hash_join_finish,
                                          hash_join_destroy};

typedef struct resid_visit {
    bool *cols;
    int ncols;
    bool bad;
} resid_visit;

static void note_resid_col(void *ctx, int column)
{
    resid_visit *r = ctx;
    if (column < 0 || column >= r->ncols)
        r->bad = true;
    else
        r->cols[column] = true;
}

static int init_fail(hash_join_op *j, const char *msg)
{
    j->init_rc = em_error_set(&j->init_err, EM_EINTERNAL, "hash join: %s", msg);
    return j->init_rc;
}

/* Copy and check the spec; a bad one becomes the operator's init error. */
static void init_spec(hash_join_op *j, const em_join_spec *s)
{
    j->kind = s->kind;
    j->build_right = s->build_right;
    j->nkeys = s->nkeys;
    j->residual = s->residual;
    j->left_ncols = s->left_ncols;
    j->right_ncols = s->right_ncols;
    int nk = s->nkeys > 0 ? s->nkeys : 1;
    j->left_keys = em_calloc((size_t)nk, sizeof(int));
    j->right_keys = em_calloc((size_t)nk, sizeof(int));
    j->probe_keys = em_calloc((size_t)nk, sizeof(int));
    j->build_keys = em_calloc((size_t)nk, sizeof(int));
    j->kcls = em_calloc((size_t)nk, sizeof(em__vclass));
    int ntypes = s->left_ncols + s->right_ncols;
    j->types = em_calloc((size_t)(ntypes > 0 ? ntypes : 1), sizeof(em_type));
    j->resid_cols = em_calloc((size_t)(ntypes > 0 ? ntypes : 1), sizeof(bool));
    bool semi = s->kind == EM_JOIN_KIND_SEMI || s->kind == EM_JOIN_KIND_ANTI ||
                s->kind == EM_JOIN_KIND_ANTI_NULL_AWARE;
    j->semi_like = semi && s->build_right;
    j->build_semi = semi && !s->build_right;
    bool left_outer = s->kind == EM_JOIN_KIND_LEFT || s->kind == EM_JOIN_KIND_FULL;
    bool right_outer = s->kind == EM_JOIN_KIND_RIGHT || s->kind == EM_JOIN_KIND_FULL;
    j->probe_outer = s->build_right ? left_outer : right_outer;
    j->build_outer = s->build_right ? right_outer : (left_outer || j->build_semi);
    j->build_keep = j->build_outer && !(j->build_semi && s->kind == EM_JOIN_KIND_SEMI);

    if ((unsigned)s->kind > EM_JOIN_KIND_ANTI_NULL_AWARE) {
        init_fail(j, "unknown join kind");
        return;
    }
    if (s->nkeys < 0 || s->left_ncols < 0 || s->right_ncols < 0 ||
        (s->nkeys > 0 && (s->left_keys == NULL || s->right_keys == NULL)) ||
        (s->left_ncols > 0 && s->left_types == NULL) ||
        (s->right_ncols > 0 && s->right_types == NULL)) {
        init_fail(j, "incomplete join spec");
        return;
    }
    if (s->kind == EM_JOIN_KIND_ANTI_NULL_AWARE && !s->build_right) {
        init_fail(j, "a null-aware anti join builds the right side");
        return;
    }
    if (s->kind == EM_JOIN_KIND_ANTI_NULL_AWARE && s->nkeys != 1) {
        init_fail(j, "a null-aware anti join has exactly one key");
        return;
    }
    if (s->left_ncols > 0) memcpy(j->types, s->left_types, sizeof(em_type) * (size_t)s->left_ncols);
    if (s->right_ncols > 0)
        memcpy(j->types + s->left_ncols, s->right_types, sizeof(em_type) * (size_t)s->right_ncols);
    if (s->nkeys > 0) {
        memcpy(j->left_keys, s->left_keys, sizeof(int) * (size_t)s->nkeys);
        memcpy(j->right_keys, s->right_keys, sizeof(int) * (size_t)s->nkeys);
    }
    /* The copy a partition join is created from. */
    j->spec = *s;
    j->spec.left_keys = j->left_keys;
    j->spec.right_keys = j->right_keys;
    j->spec.left_types = j->types;
    j->spec.right_types = j->types + s->left_ncols;
    const em_type *ltypes = j->types, *rtypes = j->types + s->left_ncols;
    for (int k = 0; k < s->nkeys; k++) {
        int lk = s->left_keys[k], rk = s->right_keys[k];
        if (lk < 0 || lk >= s->left_ncols || rk < 0 || rk >= s->right_ncols) {
            init_fail(j, "join key column out of range");
            return;
        }
        /* The planner casts both keys to a common type. */
        assert(em_type_equal(ltypes[lk], rtypes[rk]));
        if (em__vclass_of(ltypes[lk]) != em__vclass_of(rtypes[rk])) {
            init_fail(j, "join keys of different types");
            return;
        }
        if (em__vclass_of(ltypes[lk]) == EM__VC_NULL && ltypes[lk].id != EM_TYPE_NULL) {
            /* Hashing and equality have no class for it yet. */
            char name[64];
            j->init_rc = em_error_set(&j->init_err, EM_EUNSUPPORTED,
                                      "join keys of type %s are not supported",
                                      em_type_name(ltypes[lk], name, sizeof(name)));
            return;
        }
        j->probe_keys[k] = s->build_right ? lk : rk;
        j->build_keys[k] = s->build_right ? rk : lk;
        j->kcls[k] = em__vclass_of(ltypes[lk]);
    }
    if (s->residual != NULL) {
        resid_visit rv = {j->resid_cols, ntypes, false};
        em_expr_visit_columns(s->residual, note_resid_col, &rv);
        if (rv.bad) {
            init_fail(j, "residual column out of range");
            return;
        }
    }
    j->probe_ncols = s->build_right ? s->left_ncols : s->right_ncols;
    j->build_ncols = s->build_right ? s->right_ncols : s->left_ncols;
    j->probe_first = s->build_right ? 0 : s->left_ncols;
    j->build_first = s->build_right ? s->left_ncols : 0;
    j->probe_types = s->build_right ? ltypes : rtypes;
    j->build_types = s->build_right ? rtypes : ltypes;
    j->out_ncols = semi ? s->left_ncols : ntypes;
    /* Keys whose equality is equality of em__key_bits (not strings, nor
     * intervals, which are equal by span). */
    j->inline_key = s->nkeys == 1 && (j->kcls[0] == EM__VC_BOOL || j->kcls[0] == EM__VC_I32 ||
                                      j->kcls[0] == EM__VC_I64 || j->kcls[0] == EM__VC_F64);
}

em_op *em_op_hash_join_create(em_task_ctx *ctx, const em_join_spec *spec, em_source *build)
{
    hash_join_op *j = em_calloc(1, sizeof(*j));
    j->base.vt = &hash_join_vt;
    j->base.ctx = ctx;
    j->build_src = build;
    em_batch_list_init(&j->build);
    j->null_head = NONE;
    j->one_hash = true;
    em_memory_reservation_init(&j->mem, ctx != NULL ? ctx->memory : NULL);
    init_spec(j, spec);
    if (j->init_rc == 0 && build == NULL) init_fail(j, "no build source");
    size_t n = EM_BATCH_ROWS;
    j->hashes = em_malloc(n * sizeof(uint64_t));
    j->kbits = em_malloc(n * sizeof(uint64_t));
    j->keyok = em_malloc(n);
    j->pmatched = em_malloc(n);
    j->heads = em_malloc(n * sizeof(uint32_t));
    j->heads2 = em_malloc(n * sizeof(uint32_t));
    j->pp = em_malloc(n * sizeof(int32_t));
    j->pe = em_malloc(n * sizeof(uint32_t));
    j->multi = em_malloc(n);
    j->sel = em_malloc(n * sizeof(int32_t));
    j->pids = em_malloc(n);
    j->rsel = em_malloc(n * sizeof(int32_t));
    return &j->base;
}

em__hash_join *em__hj_nested(hash_join_op *j, em_source *build)
{
    hash_join_op *sub = (hash_join_op *)em_op_hash_join_create(j->base.ctx, &j->spec, build);
    sub->level = j->level + 1;
    sub->nested = true;
    sub->base.next = j->base.next;
    sub->base.node = j->base.node;
    return sub;
}

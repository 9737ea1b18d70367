/*
 * op_hash_agg.c — GROUP BY: vectorized hash aggregation.
 *
 * Per input batch: evaluate the key expressions, hash every row at once
 * (column by column, combining per-key hashes), then map each row to a group
 * id by probing an open-addressing table, and finally let every aggregate fold
 * the batch in with a tight loop over the group-id array (agg_state.c).
 *
 * The table is an array of 16-byte slots (tag = upper 32 bits of the row
 * hash, group id + 1 with 0 = empty, and a copy of the key when there is a
 * single fixed-width key), linearly probed and doubled at 50% load. Group keys
 * live column-wise in em_vectors (one row per group, appended when the group
 * is first seen); the output simply hands those vectors on. Equality compares
 * the input row with the stored row key by key, after the tag has rejected
 * almost every non-matching slot. For the common single BIGINT/INTEGER/DOUBLE
 * key the key copy in the slot decides alone, so a probe touches one cache
 * line instead of two (slot, then stored key): tag bit 0 says the copy is
 * valid, i.e. the group's key is not NULL. NULL keys hash to a constant and
 * compare equal to each other, forming one group as SQL wants. The full hash
 * of each group is kept to rebuild the table when it grows.
 *
 * Groups are emitted in the order they were first seen, which makes output
 * deterministic for a given input order.
 */
#include <string.h>

#include "exec/key_hash.h"

/* Probing is bound by cache misses on the table slot and then (general path)
 * on the stored key of the group it names. Both are prefetched ahead: the
 * slot of row i + 2D, and for row i + D (whose slot has arrived by then) the
 * first key of the group in that slot, which is almost always the match. The
 * inline-key path has no second miss and prefetches slots D rows ahead. */
#define PREFETCH_D 16

typedef struct ht_slot {
    uint64_t key; /* single fixed-width key: its bits (when tag bit 0 is set) */
    uint32_t tag;
    uint32_t gid1; /* group id + 1; 0 = empty */
} ht_slot;

typedef struct hash_agg_op {
    em_op base;
    em_agg_mode mode;
    int nkeys;
    em_expr **keys;
    int naggs;
    em_agg_call *aggs;
    em__agg_state **states;
    int *state_col; /* FINAL: first input column of each aggregate's states */
    int nout_states;
    /* A configuration error found at creation, reported by push/finish. */
    int init_rc;
    em_error init_err;
    /* groups */
    em_vector **gkeys; /* NULL until the first batch fixes the key types */
    em__vclass *kcls;
    uint64_t *ghash;
    int64_t ngroups;
    int64_t gcap;
    ht_slot *slots;
    int64_t nslots;
    /* per-batch scratch */
    em_vector **kv;
    uint64_t *hashes;
    uint64_t *kbits; /* single fixed-width key: its bits per row */
    uint32_t *gids;
    int64_t scratch_cap;
    /* Memory: the table is reserved from the pool as it grows. When refused, a
     * PARTIAL or MERGE aggregation emits what it has and starts over (the final
     * phase merges anyway); COMPLETE/FINAL write their groups' states,
     * partitioned by key hash, to spill files, and finish aggregates each
     * partition on its own. `level` picks other hash bits in those nested aggregations. */
    em_memory_reservation mem;
    em_spill_file *parts[16];
    bool spilled;
    int level;
} hash_agg_op;

#define SPILL_PARTS 16
#define SPILL_MAX_LEVEL 8

/* FINAL and MERGE read partial states; PARTIAL and MERGE write them, so they
 * may also emit early and start over when memory runs short. */
static inline bool states_in(const hash_agg_op *a)
{
    return a->mode == EM_AGG_MODE_FINAL || a->mode == EM_AGG_MODE_MERGE;
}

static inline bool states_out(const hash_agg_op *a)
{
    return a->mode == EM_AGG_MODE_PARTIAL || a->mode == EM_AGG_MODE_MERGE;
}

/* ---- groups and the table ----------------------------------------------- */

static inline bool inline_key(const hash_agg_op *a)
{
    return a->nkeys == 1 && a->kcls[0] != EM__VC_STR && a->kcls[0] != EM__VC_IV &&
           a->kcls[0] != EM__VC_NULL;
}

static inline void slot_fill(const hash_agg_op *a, ht_slot *sl, uint64_t h, int64_t g)
{
    sl->tag = (uint32_t)(h >> 32) & ~1u;
    sl->key = 0;
    sl->gid1 = (uint32_t)(g + 1);
    if (inline_key(a) && em_vector_is_valid(a->gkeys[0], g)) {
        sl->tag |= 1;
        sl->key = em__key_bits(a->gkeys[0], g, a->kcls[0]);
    }
}

static void table_rebuild(hash_agg_op *a, int64_t nslots)
{
    em_free(a->slots);
    a->nslots = nslots;
    a->slots = em_calloc((size_t)nslots, sizeof(ht_slot));
    uint64_t mask = (uint64_t)nslots - 1;
    for (int64_t g = 0; g < a->ngroups; g++) {
        uint64_t pos = a->ghash[g] & mask;
        while (a->slots[pos].gid1 != 0) pos = (pos + 1) & mask;
        slot_fill(a, &a->slots[pos], a->ghash[g], g);
    }
}

/* Make row i of the current key vectors a new group. */
static uint32_t new_group(hash_agg_op *a, int64_t i, uint64_t h)
{
    if (a->ngroups == a->gcap) {
        a->gcap = a->gcap ? a->gcap * 2 : 1024;
        a->ghash = em_realloc(a->ghash, (size_t)a->gcap * sizeof(uint64_t));
    }
    int64_t g = a->ngroups++;
    a->ghash[g] = h;
    for (int k = 0; k < a->nkeys; k++) {
        if (a->kcls[k] == EM__VC_NULL)
            em_vector_append_null(a->gkeys[k]);
        else
            em_vector_append_from(a->gkeys[k], a->kv[k], i);
    }
    return (uint32_t)g;
}

static bool keys_equal(const hash_agg_op *a, int64_t i, int64_t g)
{
    for (int k = 0; k < a->nkeys; k++) {
        const em_vector *in = a->kv[k], *gv = a->gkeys[k];
        bool vi = em_vector_is_valid(in, i), vg = em_vector_is_valid(gv, g);
        if (vi != vg) return false;
        if (vi && !em__value_eq(in, i, gv, g, a->kcls[k])) return false;
    }
    return true;
}

static inline void prefetch_ahead(const hash_agg_op *a, int64_t i, int64_t n, const void *kdata,
                                  size_t kwidth)
{
    uint64_t mask = (uint64_t)a->nslots - 1;
    if (i + 2 * PREFETCH_D < n) __builtin_prefetch(&a->slots[a->hashes[i + 2 * PREFETCH_D] & mask]);
    if (i + PREFETCH_D < n && kwidth > 0) {
        uint32_t g1 = a->slots[a->hashes[i + PREFETCH_D] & mask].gid1;
        if (g1 != 0) __builtin_prefetch((const char *)kdata + (size_t)(g1 - 1) * kwidth);
    }
}

/* Map every row to its group id, creating groups as needed. */
static void assign_groups(hash_agg_op *a, int64_t n)
{
    const uint64_t *hashes = a->hashes;
    uint32_t *gids = a->gids;
    /* Fixed-width keys are prefetched from their data, strings from their offsets. */
    size_t kwidth = a->kcls[0] == EM__VC_NULL ? 0 : em_type_width(a->gkeys[0]->type);
    if (inline_key(a) && a->kv[0]->validity == NULL) {
        /* A single fixed-width key without NULLs (the common GROUP BY id):
         * the slot holds the key itself, so a probe touches one cache line. */
        uint64_t *kb = a->kbits;
        const em_vector *kv = a->kv[0];
        switch (a->kcls[0]) {
        case EM__VC_I64:
            memcpy(kb, kv->data, (size_t)n * sizeof(int64_t));
            break;
        case EM__VC_I32:
            for (int64_t i = 0; i < n; i++) kb[i] = (uint64_t)(int64_t)EM_VEC_I32(kv)[i];
            break;
        case EM__VC_F64:
            for (int64_t i = 0; i < n; i++) kb[i] = em__f64_bits(EM_VEC_F64(kv)[i]);
            break;
        default:
            for (int64_t i = 0; i < n; i++) kb[i] = em__key_bits(kv, i, a->kcls[0]);
            break;
        }
        for (int64_t i = 0; i < n; i++) {
            if (i + PREFETCH_D < n)
                __builtin_prefetch(&a->slots[hashes[i + PREFETCH_D] & (uint64_t)(a->nslots - 1)]);
            uint64_t h = hashes[i];
            uint32_t tag = (uint32_t)(h >> 32) | 1;
            uint64_t mask = (uint64_t)a->nslots - 1;
            uint64_t pos = h & mask;
            uint64_t key = kb[i];
            uint32_t gid;
            for (;;) {
                ht_slot sl = a->slots[pos];
                if (sl.gid1 == 0) {
                    gid = new_group(a, i, h);
                    slot_fill(a, &a->slots[pos], h, gid);
                    if (a->ngroups * 2 > a->nslots) table_rebuild(a, a->nslots * 2);
                    break;
                }
                if (sl.tag == tag && sl.key == key) {
                    gid = sl.gid1 - 1;
                    break;
                }
                pos = (pos + 1) & mask;
            }
            gids[i] = gid;
        }
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        prefetch_ahead(a, i, n, a->gkeys[0]->data, kwidth);
        uint64_t h = hashes[i];
        uint32_t tag = (uint32_t)(h >> 32);
        uint64_t mask = (uint64_t)a->nslots - 1;
        uint64_t pos = h & mask;
        uint32_t gid;
        for (;;) {
            ht_slot sl = a->slots[pos];
            if (sl.gid1 == 0) {
                gid = new_group(a, i, h);
                slot_fill(a, &a->slots[pos], h, gid);
                if (a->ngroups * 2 > a->nslots) table_rebuild(a, a->nslots * 2);
                break;
            }
            if ((sl.tag | 1) == (tag | 1) && keys_equal(a, i, sl.gid1 - 1)) {
                gid = sl.gid1 - 1;
                break;
            }
            pos = (pos + 1) & mask;
        }
        gids[i] = gid;
    }
}

/* ---- operator ----------------------------------------------------------- */

static int report_init_error(hash_agg_op *a, em_error *err)
{
    if (err != NULL) *err = a->init_err;
    return a->init_rc;
}

static void ensure_scratch(hash_agg_op *a, int64_t n)
{
    if (n <= a->scratch_cap) return;
    em_free(a->hashes);
    em_free(a->kbits);
    em_free(a->gids);
    a->scratch_cap = n;
    a->hashes = em_malloc((size_t)n * sizeof(uint64_t));
    a->kbits = em_malloc((size_t)n * sizeof(uint64_t));
    /* Zeroed: without keys every row belongs to group 0 and gids is never written. */
    a->gids = em_calloc((size_t)n, sizeof(uint32_t));
}

static void release_keys(hash_agg_op *a)
{
    for (int k = 0; k < a->nkeys; k++) {
        if (a->kv[k] != NULL) em_vector_unref(a->kv[k]);
        a->kv[k] = NULL;
    }
}


/* ---- memory and spilling ----------------------------------------------------- */

/* Roughly what the table holds: keys, hashes, slots and the states. */
static int64_t table_bytes(const hash_agg_op *a)
{
    int64_t b = a->nslots * (int64_t)sizeof(ht_slot) + a->gcap * 8;
    for (int k = 0; a->gkeys && k < a->nkeys; k++) {
        const em_vector *v = a->gkeys[k];
        b += v->capacity * (int64_t)(em_type_width(v->type) + 1) + v->chars_cap;
    }
    for (int i = 0; i < a->naggs; i++)
        if (a->states[i]) b += em__agg_state_bytes(a->states[i]);
    return b;
}

typedef int (*emit_fn)(void *ctx, em_batch *b, em_error *err);

/* Hand every group to fn, as final values or (partial) as states. */
static int emit_groups(hash_agg_op *a, bool partial, emit_fn fn, void *ctx, em_error *err)
{
    int ncols = a->nkeys + (partial ? a->nout_states : a->naggs);
    for (int i = 0; i < a->naggs; i++) em__agg_state_reserve(a->states[i], a->ngroups);
    for (int64_t first = 0; first < a->ngroups; first += EM_BATCH_ROWS) {
        int64_t cnt = EM_MIN((int64_t)EM_BATCH_ROWS, a->ngroups - first);
        em_batch *out = em_batch_create(ncols);
        out->nrows = cnt;
        for (int k = 0; k < a->nkeys; k++) {
            em_vector *v = cnt == a->ngroups ? em_vector_ref(a->gkeys[k])
                                             : em_vector_slice(a->gkeys[k], first, cnt);
            em_batch_set_col(out, k, v);
        }
        int col = a->nkeys, rc = 0;
        for (int i = 0; i < a->naggs && rc == 0; i++) {
            em_vector *vs[EM_AGG_MAX_STATES] = {NULL};
            rc = em__agg_state_emit(a->states[i], partial, first, cnt, vs, err);
            if (rc < 0) break;
            int nv = partial ? em__agg_state_nstates(a->states[i]) : 1;
            for (int j = 0; j < nv; j++) em_batch_set_col(out, col++, vs[j]);
        }
        if (rc < 0) {
            em_batch_destroy(out);
            return rc;
        }
        EM_TRY(fn(ctx, out, err));
    }
    return 0;
}

static int emit_downstream(void *ctx, em_batch *b, em_error *err)
{
    return em_op_emit((em_op *)ctx, b, err);
}

/* Partition a batch of group states by key hash into the spill files. */
typedef struct spill_ctx {
    hash_agg_op *a;
    int64_t first; /* group id of the batch's first row */
} spill_ctx;

static int spill_batch(void *ctx, em_batch *b, em_error *err)
{
    spill_ctx *sc = ctx;
    hash_agg_op *a = sc->a;
    int32_t *sel = em_malloc(sizeof(int32_t) * (size_t)(b->nrows + 1));
    int shift = 60 - 4 * a->level;
    int rc = 0;
    for (int p = 0; p < SPILL_PARTS && rc == 0; p++) {
        int64_t n = 0;
        for (int64_t r = 0; r < b->nrows; r++)
            if ((int)((a->ghash[sc->first + r] >> shift) & (SPILL_PARTS - 1)) == p)
                sel[n++] = (int32_t)r;
        if (n == 0) continue;
        if (!a->parts[p]) rc = em_spill_create(a->mem.pool, &a->parts[p], err);
        if (rc < 0) break;
        em_batch *g = em_batch_gather(b, sel, n);
        rc = em_spill_write(a->parts[p], g, err);
        em_batch_destroy(g);
    }
    sc->first += b->nrows;
    em_free(sel);
    em_batch_destroy(b);
    return rc;
}

/* Start over with an empty table (the states are rebuilt). */
static int reset_table(hash_agg_op *a, em_error *err)
{
    for (int i = 0; i < a->naggs; i++) {
        em__agg_state_destroy(a->states[i]);
        a->states[i] = em__agg_state_create(&a->aggs[i], a->mode, err);
        if (!a->states[i]) return err->code < 0 ? err->code : EM_EINTERNAL;
    }
    for (int k = 0; a->gkeys && k < a->nkeys; k++) {
        em_type t = a->gkeys[k]->type;
        em_vector_unref(a->gkeys[k]);
        a->gkeys[k] = em_vector_create(t, 1024);
    }
    a->ngroups = 0;
    table_rebuild(a, 1024);
    em_memory_reservation_release(&a->mem);
    return 0;
}

static bool can_spill(const hash_agg_op *a)
{
    if (a->nkeys == 0 || a->level >= SPILL_MAX_LEVEL) return false;
    for (int i = 0; i < a->naggs; i++)
        if (a->aggs[i].distinct || em_agg_is_holistic(a->aggs[i].kind)) return false;
    return true;
}

/* Called when the table grew: reserve, or make room. */
static int account(hash_agg_op *a, em_error *err)
{
    int64_t now = table_bytes(a);
    if (now <= a->mem.bytes || em_memory_try_reserve(&a->mem, now - a->mem.bytes)) return 0;
    if (states_out(a) && a->nkeys > 0) {
        EM_TRY(emit_groups(a, true, emit_downstream, &a->base, err));
        return reset_table(a, err);
    }
    if (can_spill(a)) {
        spill_ctx sc = {a, 0};
        EM_TRY(emit_groups(a, true, spill_batch, &sc, err));
        a->spilled = true;
        return reset_table(a, err);
    }
    em_memory_force_reserve(&a->mem, now - a->mem.bytes);
    return 0;
}

/* A nested aggregation's output goes straight to our downstream operator. */
typedef struct forward_op {
    em_op base;
    em_op *owner;
} forward_op;

static int forward_push(em_op *op, em_batch *b, em_error *err)
{
    return em_op_emit(((forward_op *)op)->owner, b, err);
}
static int forward_finish(em_op *op, em_error *err)
{
    EM_UNUSED(op);
    EM_UNUSED(err);
    return 0;
}
static void forward_destroy(em_op *op)
{
    em_free(op);
}
static const em_op_vtable forward_vt = {"Forward", forward_push, forward_finish, forward_destroy};

/* finish() after spilling: every partition merged on its own. */
static int finish_spilled(hash_agg_op *a, em_error *err)
{
    if (a->ngroups > 0) {
        spill_ctx sc = {a, 0};
        EM_TRY(emit_groups(a, true, spill_batch, &sc, err));
    }
    EM_TRY(reset_table(a, err));
    int rc = 0;
    for (int p = 0; p < SPILL_PARTS && rc == 0; p++) {
        if (!a->parts[p]) continue;
        em_op *sub = em_op_hash_agg_create(a->base.ctx, EM_AGG_MODE_FINAL, a->nkeys, NULL, a->naggs,
                                           a->aggs);
        ((hash_agg_op *)sub)->level = a->level + 1;
        forward_op *fw = em_calloc(1, sizeof(forward_op));
        fw->base.vt = &forward_vt;
        fw->base.node = -1;
        fw->owner = &a->base;
        sub->next = &fw->base;
        rc = em_spill_rewind(a->parts[p], err);
        while (rc == 0) {
            em_batch *b;
            rc = em_spill_read(a->parts[p], &b, err);
            if (rc < 0 || !b) break;
            rc = sub->vt->push(sub, b, err);
        }
        if (rc == 0) rc = sub->vt->finish(sub, err);
        sub->vt->destroy(sub);
        forward_destroy(&fw->base);
        a->mem.spilled += em_spill_bytes(a->parts[p]);
        em_spill_close(a->parts[p]);
        a->parts[p] = NULL;
    }
    return rc;
}

static int hash_agg_push(em_op *op, em_batch *b, em_error *err)
{
    hash_agg_op *a = (hash_agg_op *)op;
    if (a->init_rc < 0) {
        em_batch_destroy(b);
        return report_init_error(a, err);
    }
    int64_t n = b->nrows;
    if (n == 0) {
        em_batch_destroy(b);
        return 0;
    }
    if (states_in(a) && b->ncols < a->nkeys + a->nout_states) {
        em_batch_destroy(b);
        return em_error_set(err, EM_EINTERNAL, "final aggregation got %d columns, expected %d",
                            b->ncols, a->nkeys + a->nout_states);
    }
    ensure_scratch(a, n);
    int rc = 0;
    if (a->nkeys > 0) {
        for (int k = 0; k < a->nkeys && rc == 0; k++) {
            if (states_in(a))
                a->kv[k] = em_vector_ref(b->cols[k]);
            else
                rc = em_expr_eval(a->keys[k], b, &a->kv[k], err);
        }
        if (rc < 0) goto out;
        if (a->gkeys == NULL) {
            a->gkeys = em_calloc((size_t)a->nkeys, sizeof(em_vector *));
            for (int k = 0; k < a->nkeys; k++) {
                a->kcls[k] = em__vclass_of(a->kv[k]->type);
                a->gkeys[k] = em_vector_create(a->kv[k]->type, 1024);
            }
        }
        for (int k = 0; k < a->nkeys; k++)
            em__hash_column(a->kv[k], a->kcls[k], n, a->hashes, k == 0);
        assign_groups(a, n);
        release_keys(a);
    }
    for (int i = 0; i < a->naggs; i++) em__agg_state_reserve(a->states[i], a->ngroups);
    for (int i = 0; i < a->naggs && rc == 0; i++) {
        if (states_in(a))
            rc = em__agg_state_merge(a->states[i], b, a->state_col[i], a->gids, err);
        else
            rc = em__agg_state_update(a->states[i], b, a->gids, err);
    }
out:
    release_keys(a);
    em_batch_destroy(b);
    if (rc == 0 && a->nkeys > 0) rc = account(a, err);
    return rc < 0 ? rc : 0;
}

static int hash_agg_finish(em_op *op, em_error *err)
{
    hash_agg_op *a = (hash_agg_op *)op;
    if (a->init_rc < 0) return report_init_error(a, err);
    int64_t peak = a->mem.peak;
    if (a->spilled)
        EM_TRY(finish_spilled(a, err));
    else
        EM_TRY(emit_groups(a, states_out(a), emit_downstream, op, err));
    op->stats.mem_peak = EM_MAX(peak, a->mem.peak);
    op->stats.spilled = a->mem.spilled;
    return em_op_finish_next(op, err);
}

static void hash_agg_destroy(em_op *op)
{
    hash_agg_op *a = (hash_agg_op *)op;
    for (int p = 0; p < SPILL_PARTS; p++) em_spill_close(a->parts[p]);
    em_memory_reservation_release(&a->mem);
    for (int i = 0; i < a->naggs; i++) em__agg_state_destroy(a->states[i]);
    em_free(a->states);
    em_free(a->state_col);
    if (a->gkeys != NULL) {
        for (int k = 0; k < a->nkeys; k++) em_vector_unref(a->gkeys[k]);
        em_free(a->gkeys);
    }
    release_keys(a);
    em_free(a->kv);
    em_free(a->kcls);
    em_free(a->keys);
    em_free(a->aggs);
    em_free(a->ghash);
    em_free(a->slots);
    em_free(a->hashes);
    em_free(a->kbits);
    em_free(a->gids);
    em_free(a);
}

static const em_op_vtable hash_agg_vt = {"HashAggregate", hash_agg_push, hash_agg_finish,
                                         hash_agg_destroy};

em_op *em_op_hash_agg_create(em_task_ctx *ctx, em_agg_mode mode, int nkeys, em_expr *const *keys,
                             int naggs, const em_agg_call *aggs)
{
    hash_agg_op *a = em_calloc(1, sizeof(*a));
    a->base.vt = &hash_agg_vt;
    a->base.ctx = ctx;
    a->mode = mode;
    a->nkeys = nkeys;
    a->keys = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_expr *));
    for (int k = 0; k < nkeys; k++) a->keys[k] = keys != NULL ? keys[k] : NULL;
    a->kv = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_vector *));
    a->kcls = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em__vclass));
    a->naggs = naggs;
    /* The calls are copied so the states can keep pointers into our array. */
    a->aggs = em_calloc((size_t)(naggs > 0 ? naggs : 1), sizeof(em_agg_call));
    if (naggs > 0) memcpy(a->aggs, aggs, (size_t)naggs * sizeof(em_agg_call));
    a->states = em_calloc((size_t)(naggs > 0 ? naggs : 1), sizeof(em__agg_state *));
    a->state_col = em_calloc((size_t)(naggs > 0 ? naggs : 1), sizeof(int));
    int col = nkeys;
    for (int i = 0; i < naggs; i++) {
        a->states[i] = em__agg_state_create(&a->aggs[i], mode, &a->init_err);
        if (a->states[i] == NULL) {
            a->init_rc = a->init_err.code < 0 ? a->init_err.code : EM_EINTERNAL;
            break;
        }
        a->state_col[i] = col;
        col += em__agg_state_nstates(a->states[i]);
    }
    a->nout_states = col - nkeys;
    em_memory_reservation_init(&a->mem, ctx ? ctx->memory : NULL);
    if (nkeys == 0) {
        /* One global group, present even when no row arrives. */
        a->ngroups = 1;
    } else {
        table_rebuild(a, 1024);
    }
    return &a->base;
}

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
 * Keys that are strings, BOOLEANs or INTEGERs (TPC-H Q1's l_returnflag and
 * l_linestatus) usually fit one 64-bit word together (pack_keys), which then
 * stands for the row's keys the way a lone fixed-width key's bits do: rows are
 * hashed from the word and the slot's copy of it decides equality alone, with
 * no string hashing and no comparison against the stored keys. The word has,
 * per key in order, a tag byte (0 for NULL; else 1 + the string's length, 1 + the
 * BOOLEAN, or 1 before an INTEGER's four bytes) and the value's bytes, and is
 * zero-padded; the tags say where each key ends, so distinct keys give distinct
 * words. The first batch with a row that does not fit switches the operator to
 * the general path for good (every group rehashed the general way), or, for a
 * lone VARCHAR key, to the string path: each string's length and first 15
 * bytes as two words, the first (length and 7 bytes) in the slot and both
 * kept per group, hashed from the words without a byte loop; only strings
 * longer than 15 bytes compare the rest with the stored key ("string keys"
 * below). Spilling partitions groups by the general hash in every mode, so a
 * key always lands in the same spill partition.
 *
 * A subexpression that several aggregates' arguments share (Q1's
 * l_extendedprice * (1 - l_discount), summed alone and times (1 + l_tax)) is
 * computed once per batch: the first batch finds them (plan_cse), and from
 * then on each is evaluated into an extra column that the rewritten arguments
 * read. Only subexpressions that the arguments evaluate on every row anyway
 * are shared (none under CASE, COALESCE, AND or OR, none of an aggregate with
 * a FILTER), and none that calls a volatile function such as random().
 *
 * With few groups (at most one per 16 rows of the batch), the batch's rows are
 * also sorted by group id (a counting sort that keeps row order), so that
 * SUM, AVG and COUNT fold each group's rows in a register (agg_state.c).
 *
 * Groups are emitted in the order they were first seen, which makes output
 * deterministic for a given input order.
 */
#include <stdlib.h>
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

/* String keys (see "string keys" below): the bytes of a string that its
 * first word and both words hold, and the first word of a NULL. */
#define STR_IN_SLOT 7
#define STR_INLINE 15
#define STR_NULL_W0 0xffu

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
    uint64_t *ghash;   /* the hash the table places group g by (packed: the word's) */
    bool packed;       /* keys packed into words (see the top of the file) */
    uint64_t *gpacked; /* packed: each group's word */
    int64_t ngroups;
    int64_t gcap;
    ht_slot *slots;
    int64_t nslots;
    /* A lone VARCHAR key once packing failed ("string keys" below). */
    bool strkey;
    uint64_t *gw; /* strkey: each group's two words */
    /* per-batch scratch */
    em_vector **kv;
    const int32_t *ksel; /* packed keys of a filtered batch: the rows of kv */
    uint64_t *hashes;
    uint64_t *kbits; /* single fixed-width key: its bits per row; packed: the words */
    uint32_t *gids;
    uint32_t *row_gids; /* a filtered batch: group ids by row (kept rows only) */
    int64_t scratch_cap;
    bool sel_ok;      /* takes filtered batches as they are (takes_selection) */
    em_vector **vals; /* a filtered batch: each aggregate's argument */
    /* shared subexpressions of the arguments (PARTIAL/COMPLETE) */
    bool cse_planned;
    int cse_base; /* input columns; shared value j is column cse_base + j */
    int ncse;
    em_expr **cse;
    em_arena *cse_arena; /* the rewritten arguments */
    /* few groups: the batch's rows by group (em__agg_runs) */
    bool want_runs; /* some aggregate folds by runs */
    int64_t *run_start;
    int64_t run_cap;
    int32_t *run_order;
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
    if (a->strkey) {
        /* Every bit of the tag, and the string's first word. */
        sl->tag = (uint32_t)(h >> 32);
        sl->key = a->gw[2 * g];
    } else if (a->packed) {
        sl->tag |= 1;
        sl->key = a->gpacked[g];
    } else if (inline_key(a) && em_vector_is_valid(a->gkeys[0], g)) {
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

/* Make row i of the batch (row ksel[i] of the key vectors, or i) a new group. */
static uint32_t new_group(hash_agg_op *a, int64_t i, uint64_t h)
{
    if (a->ngroups == a->gcap) {
        a->gcap = a->gcap ? a->gcap * 2 : 1024;
        a->ghash = em_realloc(a->ghash, (size_t)a->gcap * sizeof(uint64_t));
        if (a->packed) a->gpacked = em_realloc(a->gpacked, (size_t)a->gcap * sizeof(uint64_t));
        if (a->strkey) a->gw = em_realloc(a->gw, (size_t)a->gcap * 2 * sizeof(uint64_t));
    }
    int64_t g = a->ngroups++;
    a->ghash[g] = h;
    if (a->packed) a->gpacked[g] = a->kbits[i];
    if (a->strkey) {
        a->gw[2 * g] = a->kbits[2 * i];
        a->gw[2 * g + 1] = a->kbits[2 * i + 1];
    }
    int64_t row = a->ksel != NULL ? a->ksel[i] : i;
    for (int k = 0; k < a->nkeys; k++) {
        if (a->kcls[k] == EM__VC_NULL)
            em_vector_append_null(a->gkeys[k]);
        else
            em_vector_append_from(a->gkeys[k], a->kv[k], row);
    }
    return (uint32_t)g;
}

/* Row i opens a group in the empty slot `pos`; the table doubles when it is
 * half full. */
static inline uint32_t insert_group(hash_agg_op *a, uint64_t pos, int64_t i, uint64_t h)
{
    uint32_t gid = new_group(a, i, h);
    slot_fill(a, &a->slots[pos], h, gid);
    if (a->ngroups * 2 > a->nslots) table_rebuild(a, a->nslots * 2);
    return gid;
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

/* ---- string keys ------------------------------------------------------------- */

/* A lone VARCHAR key whose strings do not all pack into a word (some longer
 * than 7 bytes) is described by two words: w0 = a length byte | the first 7
 * bytes << 8, and w1 = bytes 7..14, both zero-padded. The length byte is the
 * length up to 254 (254 for any longer string); a NULL key's w0 is 255
 * (STR_NULL_W0), so it differs from ''. The table hashes rows from the words
 * (str_hash), a slot holds the upper half of that hash and w0, and every
 * group keeps both words (gw), so that a probe needs no pointer chase into
 * the stored keys: strings of at most 7 bytes are decided in the slot, those
 * of at most 15 by one more word, and only longer ones compare their lengths
 * and tails with the stored key, after the hash and the first 15 bytes
 * agreed. A slot of 16 bytes (not 32 with both words) keeps the table small:
 * at a million groups the bigger table cost more in page faults than the
 * second word's cache miss on strings of 8 to 15 bytes. */

/* The first n (<= 8) bytes at p as the low bytes of a word, first byte
 * lowest; one unaligned load when 8 bytes may be read at p. */
static inline uint64_t load_bytes(const unsigned char *p, int32_t n, bool room)
{
    uint64_t x = 0;
    if (n <= 0) return 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (room) {
        memcpy(&x, p, sizeof(x));
        return n >= 8 ? x : x & (((uint64_t)1 << (8 * n)) - 1);
    }
#else
    (void)room;
#endif
    for (int32_t j = 0; j < n; j++) x |= (uint64_t)p[j] << (8 * j);
    return x;
}

/* A bijective 64-bit finalizer (MurmurHash3's fmix64). */
static inline uint64_t fmix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* The table's hash of a string from its words, and for one longer than 12
 * bytes the hash of the rest: branch-free for short strings, unlike a
 * general byte hash, which dispatches on the length. Keys that differ in one
 * word only never collide (each step is a bijection of it). The general hash
 * (key_hash.h) is still what spilling partitions by. */
static inline uint64_t str_hash(uint64_t w0, uint64_t w1)
{
    return fmix64(fmix64(w0 ^ EM__HASH_SEED) * 0x9e3779b97f4a7c15ULL + w1);
}

static const uint64_t byte_mask[9] = {0,
                                      0xffULL,
                                      0xffffULL,
                                      0xffffffULL,
                                      0xffffffffULL,
                                      0xffffffffffULL,
                                      0xffffffffffffULL,
                                      0xffffffffffffffULL,
                                      UINT64_MAX};

/* w[2j], w[2j + 1] = the words of row first + j of v and h[j] its hash, for
 * n rows. */
static void str_words(const em_vector *v, int64_t first, int64_t n, uint64_t *w, uint64_t *h)
{
    const int32_t *off = EM_VEC_OFFSETS(v);
    /* Without a buffer every string is empty: nothing is read from "". */
    const unsigned char *chars = (const unsigned char *)(v->chars != NULL ? v->chars : "");
    int64_t room_end = v->chars != NULL ? v->chars_cap - 8 : -1;
    bool all_valid = v->validity == NULL;
    for (int64_t j = 0; j < n; j++) {
        int64_t i = first + j;
        if (!all_valid && !em_vector_is_valid(v, i)) {
            w[2 * j] = STR_NULL_W0;
            w[2 * j + 1] = 0;
            h[j] = str_hash(STR_NULL_W0, 0);
            continue;
        }
        int32_t b = off[i], len = off[i + 1] - b;
        uint64_t lb = len < 254 ? (uint64_t)len : 254;
        uint32_t n0 = len < STR_IN_SLOT ? (uint32_t)len : STR_IN_SLOT;
        uint32_t n1 = len <= STR_IN_SLOT ? 0 : len < STR_INLINE ? (uint32_t)len - STR_IN_SLOT : 8;
        uint64_t w0, w1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (EM_LIKELY(b + STR_IN_SLOT <= room_end)) {
            /* Two unaligned loads, masked to the string's bytes. */
            uint64_t x0, x1;
            memcpy(&x0, chars + b, sizeof(x0));
            memcpy(&x1, chars + b + STR_IN_SLOT, sizeof(x1));
            w0 = lb | (x0 & byte_mask[n0]) << 8;
            w1 = x1 & byte_mask[n1];
        } else
#endif
        {
            w0 = lb | load_bytes(chars + b, (int32_t)n0, b <= room_end) << 8;
            w1 = n1 > 0
                     ? load_bytes(chars + b + STR_IN_SLOT, (int32_t)n1, b + STR_IN_SLOT <= room_end)
                     : 0;
        }
        w[2 * j] = w0;
        w[2 * j + 1] = w1;
        uint64_t x = str_hash(w0, w1);
        if (len > STR_INLINE)
            x = em_hash_combine(x, em_hash_bytes(chars + b + STR_INLINE, (size_t)(len - STR_INLINE),
                                                 EM__HASH_SEED));
        h[j] = x;
    }
}

/* Whether row i of the batch's key and group g, both longer than
 * STR_INLINE bytes, whose hashes and first STR_INLINE bytes agree, have the
 * same length and bytes after those. */
static bool str_tail_eq(const hash_agg_op *a, int64_t i, int64_t g)
{
    int32_t li, lg;
    const char *p = em_vector_str(a->kv[0], i, &li);
    const char *q = em_vector_str(a->gkeys[0], g, &lg);
    return li == lg && memcmp(p + STR_INLINE, q + STR_INLINE, (size_t)(li - STR_INLINE)) == 0;
}

/* assign_groups for string keys: kbits holds the rows' words and hashes
 * their str_hash (group_rows). A slot holds the upper half of the hash and
 * the first word (length byte and first 7 bytes), which decide alone for
 * strings of at most 7 bytes; a longer string also compares the group's
 * second word and, beyond 15 bytes, its length and tail. */
static void assign_str(hash_agg_op *a, int64_t n)
{
    const uint64_t *hashes = a->hashes, *w = a->kbits;
    uint32_t *gids = a->gids;
    for (int64_t i = 0; i < n; i++) {
        uint64_t mask = (uint64_t)a->nslots - 1;
        /* The slot of row i + 2D, and for row i + D (whose slot has arrived)
         * the second word of the group in its slot, when it will be read. */
        if (i + 2 * PREFETCH_D < n)
            __builtin_prefetch(&a->slots[hashes[i + 2 * PREFETCH_D] & mask]);
        if (i + PREFETCH_D < n && (uint8_t)w[2 * (i + PREFETCH_D)] > STR_IN_SLOT) {
            uint32_t g1 = a->slots[hashes[i + PREFETCH_D] & mask].gid1;
            if (g1 != 0) __builtin_prefetch(&a->gw[2 * (g1 - 1) + 1]);
        }
        uint64_t h = hashes[i], w0 = w[2 * i], w1 = w[2 * i + 1];
        uint32_t tag = (uint32_t)(h >> 32), lb = (uint8_t)w0;
        uint64_t pos = h & mask;
        uint32_t gid;
        for (;;) {
            ht_slot sl = a->slots[pos];
            if (sl.gid1 == 0) {
                gid = insert_group(a, pos, i, h);
                break;
            }
            if (sl.tag == tag && sl.key == w0 &&
                (lb <= STR_IN_SLOT ||
                 (a->gw[2 * (sl.gid1 - 1) + 1] == w1 &&
                  (lb <= STR_INLINE || lb == STR_NULL_W0 || str_tail_eq(a, i, sl.gid1 - 1))))) {
                gid = sl.gid1 - 1;
                break;
            }
            pos = (pos + 1) & mask;
        }
        gids[i] = gid;
    }
}

/* Tests only (key_hash.h): every key hash is ANDed with this. */
uint64_t em__hash_agg_test_mask = UINT64_MAX;

static inline void weaken_hashes(uint64_t *h, int64_t n)
{
    uint64_t m = em__hash_agg_test_mask;
    if (EM_UNLIKELY(m != UINT64_MAX))
        for (int64_t i = 0; i < n; i++) h[i] &= m;
}

/* ---- packed keys ------------------------------------------------------------- */

/* Whether the key types can pack into a word (a lone fixed-width key needs
 * no packing): strings, BOOLEANs, INTEGERs and DATEs, and the NULL type,
 * whose smallest values fit together. */
static bool packable(const hash_agg_op *a)
{
    if (inline_key(a)) return false;
    int bits = 0;
    for (int k = 0; k < a->nkeys; k++) {
        switch (a->kcls[k]) {
        case EM__VC_STR:
        case EM__VC_BOOL:
        case EM__VC_NULL:
            bits += 8;
            break;
        case EM__VC_I32:
            bits += 40;
            break;
        default:
            return false;
        }
    }
    return bits <= 64;
}

static inline bool row_valid(const uint8_t *validity, int64_t i)
{
    return validity == NULL || ((validity[i >> 3] >> (i & 7)) & 1);
}

/* The first len (<= 7) bytes at p as the low bytes of a word, first byte
 * lowest; one unaligned load when the buffer has 8 bytes there. */
static inline uint64_t short_bytes(const unsigned char *p, int32_t len, bool room)
{
    uint64_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (room) {
        memcpy(&x, p, sizeof(x));
        return x & (((uint64_t)1 << (8 * len)) - 1);
    }
#else
    (void)room;
#endif
    for (int32_t j = 0; j < len; j++) x |= (uint64_t)p[j] << (8 * j);
    return x;
}

/* Pack the keys of rows sel[0..n) of the key vectors (rows 0..n when sel is
 * NULL) into kbits[0..n) (the layout is described at the top of the file);
 * false when some row's keys do not fit. */
static bool pack_keys(hash_agg_op *a, const int32_t *sel, int64_t n)
{
    /* packable() admits at most 8 keys: each takes at least a byte. */
    struct {
        em__vclass cls;
        const uint8_t *valid;
        const int32_t *off;
        const unsigned char *chars;
        int64_t room_end; /* strings starting before this have 8 bytes of buffer */
        const void *data;
    } col[8];
    int nk = a->nkeys;
    for (int k = 0; k < nk; k++) {
        const em_vector *v = a->kv[k];
        col[k].cls = a->kcls[k];
        col[k].valid = a->kcls[k] == EM__VC_NULL ? NULL : v->validity;
        col[k].data = v->data;
        col[k].off = a->kcls[k] == EM__VC_STR ? EM_VEC_OFFSETS(v) : NULL;
        /* Without a buffer every string is empty: nothing is read from "". */
        col[k].chars = (const unsigned char *)(v->chars != NULL ? v->chars : "");
        col[k].room_end = v->chars != NULL ? v->chars_cap - 8 : -1;
    }
    uint64_t *w = a->kbits;
    bool plain = true; /* only strings, no NULLs: the loop below, unbranched */
    for (int k = 0; k < nk; k++) plain &= col[k].cls == EM__VC_STR && col[k].valid == NULL;
    if (plain) {
        for (int64_t j = 0; j < n; j++) {
            int64_t i = sel != NULL ? sel[j] : j;
            uint64_t word = 0;
            unsigned at = 0;
            for (int k = 0; k < nk; k++) {
                int32_t b = col[k].off[i], len = col[k].off[i + 1] - b;
                if (len > 7) return false;
                unsigned width = 8 * (unsigned)(len + 1);
                if (at + width > 64) return false;
                uint64_t field = (uint64_t)(len + 1) |
                                 short_bytes(col[k].chars + b, len, b <= col[k].room_end) << 8;
                word |= field << at;
                at += width;
            }
            w[j] = word;
        }
        return true;
    }
    for (int64_t j = 0; j < n; j++) {
        int64_t i = sel != NULL ? sel[j] : j;
        uint64_t word = 0;
        unsigned at = 0; /* bits used so far */
        for (int k = 0; k < nk; k++) {
            uint64_t field = 0;
            unsigned width = 8;
            if (col[k].cls != EM__VC_NULL && row_valid(col[k].valid, i)) {
                switch (col[k].cls) {
                case EM__VC_STR: {
                    int32_t b = col[k].off[i], len = col[k].off[i + 1] - b;
                    if (len > 7) return false;
                    field = (uint64_t)(len + 1) |
                            short_bytes(col[k].chars + b, len, b <= col[k].room_end) << 8;
                    width = 8 * (unsigned)(len + 1);
                    break;
                }
                case EM__VC_BOOL:
                    field = 1u + (((const uint8_t *)col[k].data)[i] != 0);
                    break;
                default: /* EM__VC_I32 */
                    field = 1 | (uint64_t)(uint32_t)((const int32_t *)col[k].data)[i] << 8;
                    width = 40;
                    break;
                }
            }
            if (at + width > 64) return false;
            word |= field << at;
            at += width;
        }
        w[j] = word;
    }
    return true;
}

/* Leave packed mode for good: every group is rehashed the general way and
 * the table rebuilt without words. */
static void leave_packed(hash_agg_op *a)
{
    a->packed = false;
    if (a->nkeys == 1 && a->kcls[0] == EM__VC_STR) {
        a->strkey = true;
        a->gw = em_malloc((size_t)EM_MAX(a->gcap, 1) * 2 * sizeof(uint64_t));
        for (int64_t first = 0; first < a->ngroups; first += EM_BATCH_ROWS)
            str_words(a->gkeys[0], first, EM_MIN((int64_t)EM_BATCH_ROWS, a->ngroups - first),
                      a->gw + 2 * first, a->ghash + first);
    } else {
        for (int k = 0; k < a->nkeys; k++)
            em__hash_column(a->gkeys[k], a->kcls[k], a->ngroups, a->ghash, k == 0);
    }
    weaken_hashes(a->ghash, a->ngroups);
    table_rebuild(a, a->nslots);
}

/* ---- probing ----------------------------------------------------------------- */

/* Map every row to its group id, creating groups as needed. */
static void assign_groups(hash_agg_op *a, int64_t n)
{
    if (a->strkey) {
        assign_str(a, n);
        return;
    }
    const uint64_t *hashes = a->hashes;
    uint32_t *gids = a->gids;
    /* Fixed-width keys are prefetched from their data, strings from their offsets. */
    size_t kwidth = a->kcls[0] == EM__VC_NULL ? 0 : em_type_width(a->gkeys[0]->type);
    bool words = a->packed;
    if (!words && inline_key(a) && a->kv[0]->validity == NULL) {
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
        words = true;
    }
    if (words) {
        /* The word in kbits (a lone key's bits, or the packed keys) decides
         * equality alone. */
        const uint64_t *kb = a->kbits;
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
                    gid = insert_group(a, pos, i, h);
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
                gid = insert_group(a, pos, i, h);
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
    em_free(a->row_gids);
    em_free(a->run_order);
    a->scratch_cap = n;
    a->row_gids = em_malloc((size_t)n * sizeof(uint32_t));
    a->hashes = em_malloc((size_t)n * sizeof(uint64_t));
    a->kbits = em_malloc((size_t)n * 2 * sizeof(uint64_t)); /* strings: two words a row */
    a->run_order = em_malloc((size_t)n * sizeof(int32_t));
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
    int64_t b = a->nslots * (int64_t)sizeof(ht_slot) +
                a->gcap * (8 + (a->gpacked ? 8 : 0) + (a->gw ? 16 : 0));
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
    /* Partitions follow the general hash of the keys (the batch's first
     * columns), which the packed and string modes (and a test's weakened
     * hashes) do not keep. */
    const uint64_t *gh = a->ghash + sc->first;
    uint64_t *general = NULL;
    if (a->packed || a->strkey || em__hash_agg_test_mask != UINT64_MAX) {
        general = em_malloc(sizeof(uint64_t) * (size_t)(b->nrows + 1));
        for (int k = 0; k < a->nkeys; k++)
            em__hash_column(b->cols[k], a->kcls[k], b->nrows, general, k == 0);
        gh = general;
    }
    for (int p = 0; p < SPILL_PARTS && rc == 0; p++) {
        int64_t n = 0;
        for (int64_t r = 0; r < b->nrows; r++)
            if ((int)((gh[r] >> shift) & (SPILL_PARTS - 1)) == p) sel[n++] = (int32_t)r;
        if (n == 0) continue;
        if (!a->parts[p]) rc = em_spill_create(a->mem.pool, &a->parts[p], err);
        if (rc < 0) break;
        em_batch *g = em_batch_gather(b, sel, n);
        rc = em_spill_write(a->parts[p], g, err);
        em_batch_destroy(g);
    }
    sc->first += b->nrows;
    em_free(general);
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

/* ---- shared subexpressions ------------------------------------------------------- */

typedef struct cse_node {
    em_expr *e;
    int size;     /* nodes in the subtree */
    bool covered; /* inside a chosen occurrence */
} cse_node;

typedef struct cse_list {
    cse_node *items;
    int n, cap;
} cse_list;

static bool lazy_kind(em_expr_kind k)
{
    return k == EM_EXPR_CASE || k == EM_EXPR_COALESCE || k == EM_EXPR_AND || k == EM_EXPR_OR;
}

/* Nodes in e's subtree; -1 when it calls a volatile function. */
static int tree_size(const em_expr *e, bool *has_column)
{
    if (e->kind == EM_EXPR_COLUMN) *has_column = true;
    if (e->kind == EM_EXPR_CALL && e->func != NULL && e->func->volatile_) return -1;
    int n = 1;
    for (int i = 0; i < e->nargs; i++) {
        int m = tree_size(e->args[i], has_column);
        if (m < 0) return -1;
        n += m;
    }
    return n;
}

/* The subtrees of e that are evaluated on every row and worth sharing: not
 * a bare column or constant, reading some column, calling nothing volatile. */
static void cse_collect(em_expr *e, cse_list *l)
{
    if (e->kind == EM_EXPR_COLUMN || e->kind == EM_EXPR_CONST) return;
    bool has_column = false;
    int size = tree_size(e, &has_column);
    if (size > 0 && has_column) {
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 16;
            l->items = em_realloc(l->items, (size_t)l->cap * sizeof(cse_node));
        }
        l->items[l->n++] = (cse_node){e, size, false};
    }
    if (lazy_kind(e->kind)) return;
    for (int i = 0; i < e->nargs; i++) cse_collect(e->args[i], l);
}

static bool within(const em_expr *root, const em_expr *e)
{
    if (root == e) return true;
    for (int i = 0; i < root->nargs; i++)
        if (within(root->args[i], e)) return true;
    return false;
}

static int cmp_cse_size(const void *x, const void *y)
{
    const cse_node *a = x, *b = y;
    return (a->size < b->size) - (a->size > b->size);
}

/* Replace, in the (copied) tree at *slot, every occurrence of a shared
 * subexpression by a read of its column, where cse_collect would have found it. */
static void cse_rewrite(hash_agg_op *a, em_expr **slot)
{
    em_expr *e = *slot;
    for (int j = 0; j < a->ncse; j++) {
        if (em_expr_equal(e, a->cse[j])) {
            *slot = em_expr_column(a->cse_arena, a->cse_base + j, e->type);
            return;
        }
    }
    if (lazy_kind(e->kind)) return;
    for (int i = 0; i < e->nargs; i++) cse_rewrite(a, &e->args[i]);
}

/* Find the subexpressions that several arguments evaluate (largest first;
 * one inside a chosen occurrence is computed by it) and rewrite the
 * arguments to read them from columns after the input's ncols. */
static void plan_cse(hash_agg_op *a, int ncols)
{
    a->cse_planned = true;
    cse_list l = {0};
    for (int i = 0; i < a->naggs; i++) {
        const em_agg_call *c = &a->aggs[i];
        if (c->filter != NULL) continue;
        if (c->arg != NULL && c->kind != EM_AGG_COUNT_STAR) cse_collect(c->arg, &l);
        if (c->arg2 != NULL) cse_collect(c->arg2, &l);
    }
    if (l.n > 1) qsort(l.items, (size_t)l.n, sizeof(cse_node), cmp_cse_size);
    for (int x = 0; x < l.n; x++) {
        if (l.items[x].covered) continue;
        int count = 0;
        for (int y = x; y < l.n; y++)
            if (!l.items[y].covered && em_expr_equal(l.items[x].e, l.items[y].e)) count++;
        if (count < 2) continue;
        a->cse = em_realloc(a->cse, sizeof(em_expr *) * (size_t)(a->ncse + 1));
        a->cse[a->ncse++] = l.items[x].e;
        /* Every occurrence and what lies inside it is taken care of. */
        for (int y = x; y < l.n; y++) {
            if (l.items[y].covered || !em_expr_equal(l.items[x].e, l.items[y].e)) continue;
            const em_expr *occ = l.items[y].e;
            for (int z = 0; z < l.n; z++)
                if (within(occ, l.items[z].e)) l.items[z].covered = true;
        }
    }
    em_free(l.items);
    if (a->ncse == 0) return;
    a->cse_base = ncols;
    a->cse_arena = em_arena_create(4096);
    /* The shared expressions themselves stay the plan's (never mutated). */
    for (int i = 0; i < a->naggs; i++) {
        em_agg_call *c = &a->aggs[i];
        if (c->filter != NULL) continue;
        if (c->arg != NULL && c->kind != EM_AGG_COUNT_STAR) {
            c->arg = em_expr_copy(a->cse_arena, c->arg);
            cse_rewrite(a, &c->arg);
        }
        if (c->arg2 != NULL) {
            c->arg2 = em_expr_copy(a->cse_arena, c->arg2);
            cse_rewrite(a, &c->arg2);
        }
    }
}

/* The batch the aggregates read: b itself, or b with the shared values
 * appended (a new batch referencing b's columns). */
static int cse_batch(hash_agg_op *a, em_batch *b, em_batch **out, em_error *err)
{
    *out = b;
    if (a->ncse == 0) return 0;
    if (b->ncols != a->cse_base)
        return em_error_set(err, EM_EINTERNAL, "aggregation input has %d columns, expected %d",
                            b->ncols, a->cse_base);
    em_batch *x = em_batch_create(a->cse_base + a->ncse);
    x->nrows = b->nrows;
    for (int c = 0; c < b->ncols; c++) em_batch_set_col(x, c, em_vector_ref(b->cols[c]));
    for (int j = 0; j < a->ncse; j++) {
        em_vector *v = NULL;
        int rc = em_expr_eval(a->cse[j], b, &v, err);
        if (rc < 0) {
            em_batch_destroy(x);
            return rc;
        }
        em_batch_set_col(x, a->cse_base + j, v);
    }
    *out = x;
    return 0;
}

/* ---- few groups ------------------------------------------------------------------ */

/* The batch's rows grouped by group id when the groups are few (see the top
 * of the file), else NULL. */
static const em__agg_runs *group_runs(hash_agg_op *a, int64_t n, em__agg_runs *r)
{
    int64_t ng = a->ngroups;
    if (!a->want_runs || states_in(a) || ng * 16 > n) return NULL;
    if (ng + 1 > a->run_cap) {
        em_free(a->run_start);
        a->run_cap = EM_MAX(ng + 1, 64);
        a->run_start = em_malloc((size_t)a->run_cap * sizeof(int64_t));
    }
    int64_t *start = a->run_start;
    r->ngroups = ng;
    r->start = start;
    r->order = NULL;
    if (ng == 1) {
        /* Every row is in group 0, in place. */
        start[0] = 0;
        start[1] = n;
        return r;
    }
    const uint32_t *gids = a->gids;
    int32_t *order = a->run_order;
    r->order = order;
    /* start[g + 1] counts group g, then start[g] becomes where it begins;
     * placing a row advances its group's start, which then holds the next
     * group's, so one shift restores the starts. */
    memset(start, 0, (size_t)(ng + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) start[gids[i] + 1]++;
    for (int64_t g = 0; g < ng; g++) start[g + 1] += start[g];
    for (int64_t i = 0; i < n; i++) order[start[gids[i]]++] = (int32_t)i;
    memmove(start + 1, start, (size_t)ng * sizeof(int64_t));
    start[0] = 0;
    return r;
}

/* Group ids for rows sel[0..m) of b (rows 0..m when sel is NULL) into
 * gids[0..m): the keys evaluated (or read, FINAL) and, with a selection,
 * gathered; groups created as needed. */
static int group_rows(hash_agg_op *a, em_batch *b, const int32_t *sel, int64_t m, em_error *err)
{
    int rc = 0;
    for (int k = 0; k < a->nkeys && rc == 0; k++) {
        if (states_in(a))
            a->kv[k] = em_vector_ref(b->cols[k]);
        else
            rc = em_expr_eval(a->keys[k], b, &a->kv[k], err);
    }
    if (rc < 0) {
        release_keys(a);
        return rc;
    }
    if (a->gkeys == NULL) {
        a->gkeys = em_calloc((size_t)a->nkeys, sizeof(em_vector *));
        for (int k = 0; k < a->nkeys; k++) {
            a->kcls[k] = em__vclass_of(a->kv[k]->type);
            a->gkeys[k] = em_vector_create(a->kv[k]->type, 1024);
        }
        a->packed = packable(a);
    }
    /* Packed keys are read at the kept rows; other paths need them in a row. */
    if (a->packed && !pack_keys(a, sel, m)) leave_packed(a);
    if (a->packed) {
        a->ksel = sel;
        em__hash_words(a->kbits, m, a->hashes);
        weaken_hashes(a->hashes, m);
    } else {
        for (int k = 0; k < a->nkeys && sel != NULL; k++) {
            em_vector *g = em_vector_gather(a->kv[k], sel, m);
            em_vector_unref(a->kv[k]);
            a->kv[k] = g;
        }
        if (a->strkey)
            str_words(a->kv[0], 0, m, a->kbits, a->hashes);
        else
            for (int k = 0; k < a->nkeys; k++)
                em__hash_column(a->kv[k], a->kcls[k], m, a->hashes, k == 0);
        weaken_hashes(a->hashes, m);
    }
    assign_groups(a, m);
    a->ksel = NULL;
    release_keys(a);
    return 0;
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
        rc = group_rows(a, b, NULL, n, err);
        if (rc < 0) goto out;
    }
    for (int i = 0; i < a->naggs; i++) em__agg_state_reserve(a->states[i], a->ngroups);
    em__agg_runs runs_buf;
    const em__agg_runs *runs = group_runs(a, n, &runs_buf);
    em_batch *in = b;
    if (!states_in(a)) {
        if (!a->cse_planned) plan_cse(a, b->ncols);
        rc = cse_batch(a, b, &in, err);
    }
    for (int i = 0; i < a->naggs && rc == 0; i++) {
        if (states_in(a))
            rc = em__agg_state_merge(a->states[i], b, a->state_col[i], a->gids, err);
        else
            rc = em__agg_state_update(a->states[i], in, a->gids, runs, err);
    }
    if (in != b) em_batch_destroy(in);
out:
    release_keys(a);
    em_batch_destroy(b);
    if (rc == 0 && a->nkeys > 0) rc = account(a, err);
    return rc < 0 ? rc : 0;
}

/* Whether the kept rows of a filtered batch can be aggregated where they are
 * (hash_agg_push_sel): raw input, keys that are columns, aggregates that take
 * evaluated values, and no volatile function in their arguments, which are
 * evaluated on the dropped rows too. */
static bool takes_selection(const hash_agg_op *a)
{
    if (a->init_rc < 0 || states_in(a)) return false;
    for (int k = 0; k < a->nkeys; k++)
        if (a->keys[k] == NULL || a->keys[k]->kind != EM_EXPR_COLUMN) return false;
    for (int i = 0; i < a->naggs; i++) {
        const em_agg_call *c = &a->aggs[i];
        bool has_column = false;
        if (!em__agg_state_takes_values(a->states[i])) return false;
        if (c->arg != NULL && tree_size(c->arg, &has_column) < 0) return false;
    }
    return true;
}

/* A filtered batch: every argument is evaluated over all its rows first (an
 * error there may come from a dropped row, so the kept rows are then gathered
 * and pushed as usual, which reports only their own errors); then the kept
 * rows' keys are gathered and grouped and the values folded in at the kept
 * rows, with no copy of the argument columns. */
static int hash_agg_push_sel(em_op *op, em_batch *b, const int32_t *sel, int64_t nsel,
                             em_error *err)
{
    hash_agg_op *a = (hash_agg_op *)op;
    if (!a->sel_ok || nsel == 0) goto gather;
    int64_t n = b->nrows;
    if (!a->cse_planned) plan_cse(a, b->ncols);
    em_batch *in = b;
    int rc = cse_batch(a, b, &in, err);
    em_vector **vals = a->vals;
    for (int i = 0; i < a->naggs; i++) {
        const em_agg_call *c = &a->aggs[i];
        vals[i] = NULL;
        if (rc == 0 && c->arg != NULL && c->kind != EM_AGG_COUNT_STAR)
            rc = em_expr_eval(c->arg, in, &vals[i], err);
    }
    if (rc == 0) {
        ensure_scratch(a, n);
        if (a->nkeys > 0) rc = group_rows(a, b, sel, nsel, err);
    }
    if (rc < 0) {
        for (int i = 0; i < a->naggs; i++)
            if (vals[i] != NULL) em_vector_unref(vals[i]);
        if (in != b) em_batch_destroy(in);
        em_error_clear(err);
        goto gather;
    }
    /* Group ids by row: the kept rows' ids scattered to their rows. */
    uint32_t *rows_gid = a->gids;
    if (a->nkeys > 0) {
        rows_gid = a->row_gids;
        for (int64_t j = 0; j < nsel; j++) rows_gid[sel[j]] = a->gids[j];
    }
    for (int i = 0; i < a->naggs; i++) em__agg_state_reserve(a->states[i], a->ngroups);
    em__agg_runs runs_buf;
    const em__agg_runs *runs = group_runs(a, nsel, &runs_buf);
    if (runs != NULL && runs->order == NULL) {
        runs_buf.order = sel;
    } else if (runs != NULL) {
        for (int64_t j = 0; j < nsel; j++) a->run_order[j] = sel[a->run_order[j]];
    }
    for (int i = 0; i < a->naggs && rc == 0; i++)
        rc = em__agg_state_feed(a->states[i], vals[i], sel, nsel, rows_gid, runs, err);
    for (int i = 0; i < a->naggs; i++)
        if (vals[i] != NULL) em_vector_unref(vals[i]);
    if (in != b) em_batch_destroy(in);
    em_batch_destroy(b);
    if (rc == 0 && a->nkeys > 0) rc = account(a, err);
    return rc < 0 ? rc : 0;
gather:;
    em_batch *g = em_batch_gather(b, sel, nsel);
    em_batch_destroy(b);
    return hash_agg_push(op, g, err);
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
    em_free(a->gpacked);
    em_free(a->slots);
    em_free(a->gw);
    em_free(a->hashes);
    em_free(a->kbits);
    em_free(a->gids);
    em_free(a->row_gids);
    em_free(a->vals);
    em_free(a->run_start);
    em_free(a->run_order);
    em_free(a->cse);
    em_arena_destroy(a->cse_arena);
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
        em_agg_kind k = aggs[i].kind;
        if (k == EM_AGG_COUNT_STAR || k == EM_AGG_COUNT || k == EM_AGG_SUM || k == EM_AGG_AVG)
            a->want_runs = true;
    }
    a->nout_states = col - nkeys;
    a->vals = em_calloc((size_t)(naggs > 0 ? naggs : 1), sizeof(em_vector *));
    a->sel_ok = takes_selection(a);
    a->base.push_sel = hash_agg_push_sel;
    em_memory_reservation_init(&a->mem, ctx ? ctx->memory : NULL);
    if (nkeys == 0) {
        /* One global group, present even when no row arrives. */
        a->ngroups = 1;
    } else {
        table_rebuild(a, 1024);
    }
    return &a->base;
}

/*
 * source_merge.c — k-way merge of sorted runs (the reduce side of a global
 * ORDER BY: every map task sorted its partition, this source interleaves them;
 * also the runs a spilling sort or window wrote).
 *
 * A loser tree over the runs picks the next row: the current rows are
 * ordered by their keys and then by run index, so rows that compare equal
 * come out in run order and the merge is stable; an exhausted run loses to
 * every other. Each output row costs log2(runs) comparisons (a heap's sift
 * costs up to twice that).
 *
 * Comparisons: when the first key has a fixed width (integers, dates,
 * decimals, timestamps, doubles, booleans), each batch's first-key values are
 * normalized once on arrival into unsigned integers plus a NULL rank, the
 * encoding the sort uses, so most comparisons are two integer compares; only
 * ties on the first key go on to the remaining keys.
 *
 * Two specialised trees hold the players' values in their nodes instead of
 * run numbers, and replay a match without a branch: with one fixed-width key,
 * (rank, key, run) packed into one 128-bit integer; with a lone integer
 * column that is the key, the bare normalized key (rows with equal keys are
 * identical, so their order does not matter) and the output decoded from it.
 *
 * Output rows are otherwise recorded as (batch, row) references and each
 * column is gathered in one go; batches a cursor has finished stay alive
 * until the output batch that references them is built.
 */
#include <math.h>
#include <string.h>

#include "exec/sort_int.h"

typedef struct stream_cursor {
    em_source *src;
    em_batch *batch; /* current batch (owned) or NULL when exhausted */
    int64_t row;
    int slot; /* index of `batch` in the output's batch table, -1 when not there yet */
    /* The current row's first key (fast keys): rank 0 NULL placed first,
     * 1 value, 2 NULL placed last, 3 run exhausted; then the normalized value. */
    int head_rank;
    uint64_t head;
    /* The first key of `batch`, normalized (fast keys only). */
    uint64_t *norm;
    uint8_t *rank; /* per row: 0 NULL placed first, 1 value, 2 NULL placed last */
    bool has_rank; /* false: every row is a value (rank 1) */
    int64_t cap;
} stream_cursor;

typedef struct stream_merge {
    em_source base;
    int nruns;
    stream_cursor *cur;
    int *tree; /* [0] the winner, [1, size) the loser of each match */
    /* One fast key and nothing else: the tree holds the players' packed
     * (rank, key, run) values instead, compared as one 128-bit integer
     * without branches; ptree[0] is the winner's. */
    unsigned __int128 *ptree;
    /* The key is the only column and an integer: equal rows are identical,
     * so order among them is unobservable and the tree compares the bare
     * normalized keys (UINT64_MAX marks an exhausted run); the output is
     * decoded from the keys. Used until a NULL or a key equal to UINT64_MAX
     * shows up; the packed tree, rebuilt from the cursors, takes over then. */
    int key_only;   /* -1 not decided, 0 no, 1 yes */
    bool key_clash; /* a batch held a NULL or a UINT64_MAX key */
    uint64_t *vtree;
    int *itree;
    uint64_t kbuf[EM_BATCH_ROWS];
    em_type slots_type; /* the key column's type (key-only output) */
    int size;           /* leaves: nruns rounded up to a power of two */
    int nkeys;
    em_sort_key *keys;
    int fast; /* the first key is normalized per batch (-1: not known before a batch) */
    bool started;
    /* The output being built: the batches it references (slots) and those of
     * them no cursor holds any more (owned here until the gather). */
    em_batch **slots;
    int nslots, slots_cap;
    em_batch **retired;
    int nretired, retired_cap;
    em__row_src src[EM_BATCH_ROWS];
} stream_merge;

static bool fast_key_type(em_type_id t)
{
    switch (t) {
    case EM_TYPE_BOOLEAN:
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
    case EM_TYPE_DOUBLE:
        return true;
    default:
        return false;
    }
}

/* Order-preserving unsigned images of the first key's values; they compare
 * as em_sort_compare_rows compares the values (NaN above everything, -0
 * equal to 0), inverted for DESC. */
static void normalize(stream_merge *m, stream_cursor *c)
{
    const em_sort_key *k = &m->keys[0];
    const em_vector *v = c->batch->cols[k->column];
    int64_t n = c->batch->nrows;
    if (n > c->cap) {
        em_free(c->norm);
        em_free(c->rank);
        c->cap = EM_MAX(n, EM_BATCH_ROWS);
        c->norm = em_malloc((size_t)c->cap * sizeof(uint64_t));
        c->rank = em_malloc((size_t)c->cap);
    }
    uint64_t flip = k->desc ? ~0ULL : 0;
    uint64_t *out = c->norm;
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++) out[i] = (uint64_t)(EM_VEC_BOOL(v)[i] != 0) ^ flip;
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        for (int64_t i = 0; i < n; i++)
            out[i] = ((uint64_t)(uint32_t)EM_VEC_I32(v)[i] ^ (1ULL << 31)) ^ flip;
        break;
    case EM_TYPE_DOUBLE:
        for (int64_t i = 0; i < n; i++) {
            double d = EM_VEC_F64(v)[i];
            uint64_t bits;
            if (isnan(d)) {
                bits = 0x7ff8000000000000ULL;
            } else {
                if (d == 0) d = 0.0;
                memcpy(&bits, &d, sizeof(bits));
            }
            bits = (bits & (1ULL << 63)) ? ~bits : bits | (1ULL << 63);
            out[i] = bits ^ flip;
        }
        break;
    default: /* BIGINT, DECIMAL, TIMESTAMP */
        for (int64_t i = 0; i < n; i++) out[i] = ((uint64_t)EM_VEC_I64(v)[i] ^ (1ULL << 63)) ^ flip;
        break;
    }
    c->has_rank = v->validity != NULL;
    if (c->has_rank) {
        uint8_t null_rank = k->nulls_first ? 0 : 2;
        for (int64_t i = 0; i < n; i++) {
            bool valid = em_vector_is_valid(v, i);
            c->rank[i] = valid ? 1 : null_rank;
            if (!valid) out[i] = 0;
        }
    }
    if (m->key_only == 1 && !m->key_clash) {
        bool clash = c->has_rank;
        for (int64_t i = 0; i < n; i++) clash |= out[i] == UINT64_MAX;
        m->key_clash = clash;
    }
}

/* Load the cursor's current first key into head_rank/head. */
static inline void set_head(const stream_merge *m, stream_cursor *c)
{
    if (c->batch == NULL) {
        c->head_rank = 3;
        c->head = 0;
    } else if (m->fast == 1) {
        c->head_rank = c->has_rank ? c->rank[c->row] : 1;
        c->head = c->norm[c->row];
    }
}

/* Whether run a's current row goes before run b's. Runs from nruns up to
 * the tree's size are padding and always exhausted. */
static inline bool run_less(const stream_merge *m, int a, int b)
{
    const stream_cursor *ca = &m->cur[a], *cb = &m->cur[b];
    int r;
    if (m->fast == 1) {
        if (ca->head_rank != cb->head_rank) return ca->head_rank < cb->head_rank;
        if (ca->head != cb->head) return ca->head < cb->head;
        if (ca->head_rank == 3) return a < b;
        r = m->nkeys > 1 ? em_sort_compare_rows(ca->batch, ca->row, cb->batch, cb->row,
                                                m->nkeys - 1, m->keys + 1)
                         : 0;
    } else {
        if (ca->batch == NULL || cb->batch == NULL)
            return ca->batch != NULL || (cb->batch == NULL && a < b);
        r = em_sort_compare_rows(ca->batch, ca->row, cb->batch, cb->row, m->nkeys, m->keys);
    }
    return r < 0 || (r == 0 && a < b);
}

/* Play the matches below node j; returns the winner, records the losers. */
static int tree_build(stream_merge *m, int j)
{
    if (j >= m->size) return j - m->size;
    int a = tree_build(m, 2 * j), b = tree_build(m, 2 * j + 1);
    if (run_less(m, b, a)) {
        m->tree[j] = a;
        return b;
    }
    m->tree[j] = b;
    return a;
}

/* Run w's current row changed: replay its matches up to the root. */
static void tree_replay(stream_merge *m, int w)
{
    for (int j = (w + m->size) / 2; j >= 1; j /= 2) {
        int other = m->tree[j];
        if (run_less(m, other, w)) {
            m->tree[j] = w;
            w = other;
        }
    }
    m->tree[0] = w;
}

/* The current batch is finished: keep it for the output when rows of it are
 * waiting there, else drop it. */
static void retire(stream_merge *m, stream_cursor *c)
{
    if (c->batch == NULL) return;
    if (c->slot >= 0) {
        if (m->nretired == m->retired_cap) {
            m->retired_cap = m->retired_cap ? 2 * m->retired_cap : 8;
            m->retired = em_realloc(m->retired, sizeof(em_batch *) * (size_t)m->retired_cap);
        }
        m->retired[m->nretired++] = c->batch;
    } else {
        em_batch_destroy(c->batch);
    }
    c->batch = NULL;
    c->slot = -1;
}

/* Advance to a row, pulling batches as needed; false at the end of the stream. */
static int stream_settle(stream_merge *m, stream_cursor *c, bool *alive, em_error *err)
{
    while (c->batch == NULL || c->row >= c->batch->nrows) {
        retire(m, c);
        c->row = 0;
        EM_TRY(c->src->next(c->src, &c->batch, err));
        if (c->batch == NULL) {
            *alive = false;
            return 0;
        }
    }
    if (m->fast < 0) {
        const em_batch *b = c->batch;
        m->fast = m->nkeys > 0 && fast_key_type(b->cols[m->keys[0].column]->type.id);
        em_type_id t = m->nkeys > 0 ? b->cols[m->keys[0].column]->type.id : EM_TYPE_NULL;
        m->key_only = m->nkeys == 1 && b->ncols == 1 && m->keys[0].column == 0 &&
                      (t == EM_TYPE_INTEGER || t == EM_TYPE_DATE || t == EM_TYPE_BIGINT ||
                       t == EM_TYPE_DECIMAL || t == EM_TYPE_TIMESTAMP);
    }
    if (m->fast == 1) normalize(m, c);
    *alive = true;
    return 0;
}

static int slot_of(stream_merge *m, stream_cursor *c)
{
    if (c->slot < 0) {
        if (m->nslots == m->slots_cap) {
            m->slots_cap = m->slots_cap ? 2 * m->slots_cap : 8;
            m->slots = em_realloc(m->slots, sizeof(em_batch *) * (size_t)m->slots_cap);
        }
        c->slot = m->nslots;
        m->slots[m->nslots++] = c->batch;
    }
    return c->slot;
}

/* Build the output from the recorded rows and forget the references. */
static em_batch *gather_output(stream_merge *m, int64_t n)
{
    em_batch *b = em_batch_create(m->slots[0]->ncols);
    b->nrows = n;
    for (int col = 0; col < b->ncols; col++)
        em_batch_set_col(b, col, em__sort_gather(m->slots, col, m->src, n));
    for (int i = 0; i < m->nretired; i++) em_batch_destroy(m->retired[i]);
    m->nretired = 0;
    m->nslots = 0;
    for (int r = 0; r < m->nruns; r++) m->cur[r].slot = -1;
    return b;
}

/* (rank, key, run) as one integer that orders like run_less. */
static inline unsigned __int128 packed(const stream_cursor *c, int run)
{
    return ((unsigned __int128)(uint64_t)c->head_rank << 96) | ((unsigned __int128)c->head << 32) |
           (uint32_t)run;
}

static unsigned __int128 ptree_build(stream_merge *m, int j)
{
    if (j >= m->size) return packed(&m->cur[j - m->size], j - m->size);
    unsigned __int128 a = ptree_build(m, 2 * j), b = ptree_build(m, 2 * j + 1);
    m->ptree[j] = a < b ? b : a;
    return a < b ? a : b;
}

/* stream_next for one fast key: the same loop on packed values. */
static int packed_next(stream_merge *m, int64_t *nout, em_error *err)
{
    unsigned __int128 *t = m->ptree;
    unsigned __int128 win = t[0];
    int64_t n = 0;
    int rc = 0;
    while (n < EM_BATCH_ROWS && (uint32_t)(win >> 96) != 3) {
        int w = (int)(uint32_t)win;
        stream_cursor *c = &m->cur[w];
        m->src[n].batch = (uint32_t)slot_of(m, c);
        m->src[n].row = (uint32_t)c->row;
        n++;
        if (++c->row >= c->batch->nrows) {
            bool alive;
            rc = stream_settle(m, c, &alive, err);
            if (rc < 0) break;
        }
        set_head(m, c);
        unsigned __int128 v = packed(c, w);
        for (int j = (w + m->size) / 2; j >= 1; j /= 2) {
            unsigned __int128 o = t[j];
            /* Branch-free: the smaller goes on, the larger stays. */
            unsigned __int128 mask = -(unsigned __int128)(o < v);
            unsigned __int128 x = (o ^ v) & mask;
            t[j] = o ^ x;
            v = v ^ x;
        }
        win = v;
    }
    t[0] = win;
    *nout = n;
    return rc;
}

static uint64_t vtree_build(stream_merge *m, int j, int *win)
{
    if (j >= m->size) {
        *win = j - m->size;
        const stream_cursor *c = &m->cur[*win];
        return c->batch != NULL ? c->norm[c->row] : UINT64_MAX;
    }
    int wa, wb;
    uint64_t a = vtree_build(m, 2 * j, &wa), b = vtree_build(m, 2 * j + 1, &wb);
    if (b < a) {
        m->vtree[j] = a;
        m->itree[j] = wa;
        *win = wb;
        return b;
    }
    m->vtree[j] = b;
    m->itree[j] = wb;
    *win = wa;
    return a;
}

/* stream_next for a lone integer key column: up to EM_BATCH_ROWS keys into
 * kbuf; stops early when a key clash makes the packed tree take over. */
static int key_only_next(stream_merge *m, int64_t *nout, em_error *err)
{
    uint64_t *vt = m->vtree;
    int *it = m->itree;
    uint64_t v = vt[0];
    int w = it[0];
    int64_t n = 0;
    int rc = 0;
    while (n < EM_BATCH_ROWS) {
        stream_cursor *c = &m->cur[w];
        if (c->batch == NULL) break; /* the least is an exhausted run: all are */
        m->kbuf[n++] = v;
        if (++c->row >= c->batch->nrows) {
            bool alive;
            rc = stream_settle(m, c, &alive, err);
            if (rc < 0) break;
            if (m->key_clash) break; /* the cursors hold the state: rebuild */
        }
        v = c->batch != NULL ? c->norm[c->row] : UINT64_MAX;
        for (int j = (w + m->size) / 2; j >= 1; j /= 2) {
            uint64_t o = vt[j];
            int oi = it[j];
            /* Branch-free (masks, not conditionals the compiler may turn
             * into a branch that random keys mispredict half the time): the
             * smaller goes on, the larger stays. */
            uint64_t mask = (uint64_t)0 - (uint64_t)(o < v);
            uint64_t dx = (o ^ v) & mask;
            int di = (oi ^ w) & (int)mask;
            vt[j] = o ^ dx;
            v ^= dx;
            it[j] = oi ^ di;
            w ^= di;
        }
    }
    vt[0] = v;
    it[0] = w;
    *nout = n;
    return rc;
}

/* A vector of the n keys in kbuf, decoded. */
static em_batch *key_only_output(stream_merge *m, int64_t n)
{
    em_type t = m->slots_type;
    em_vector *v = em_vector_create(t, n);
    uint64_t flip = m->keys[0].desc ? ~0ULL : 0;
    if (em_type_width(t) == 4) {
        int32_t *out = EM_VEC_I32(v);
        for (int64_t i = 0; i < n; i++)
            out[i] = (int32_t)((uint32_t)(m->kbuf[i] ^ flip) ^ (1U << 31));
    } else {
        int64_t *out = EM_VEC_I64(v);
        for (int64_t i = 0; i < n; i++) out[i] = (int64_t)((m->kbuf[i] ^ flip) ^ (1ULL << 63));
    }
    v->length = n;
    em_batch *b = em_batch_create(1);
    b->nrows = n;
    em_batch_set_col(b, 0, v);
    return b;
}

static int stream_next(em_source *source, em_batch **out, em_error *err)
{
    stream_merge *m = (stream_merge *)source;
    *out = NULL;
    if (!m->started) {
        m->started = true;
        for (int r = 0; r < m->nruns; r++) {
            bool alive;
            EM_TRY(stream_settle(m, &m->cur[r], &alive, err));
        }
        for (int r = 0; r < m->size; r++) set_head(m, &m->cur[r]);
        if (m->key_only == 1 && !m->key_clash) {
            for (int r = 0; r < m->nruns; r++)
                if (m->cur[r].batch != NULL) m->slots_type = m->cur[r].batch->cols[0]->type;
            m->vtree = em_malloc(sizeof(uint64_t) * (size_t)m->size);
            m->itree = em_malloc(sizeof(int) * (size_t)m->size);
            int w;
            m->vtree[0] = vtree_build(m, 1, &w);
            m->itree[0] = w;
        } else if (m->fast == 1 && m->nkeys == 1) {
            m->ptree = em_malloc(sizeof(unsigned __int128) * (size_t)m->size);
            m->ptree[0] = ptree_build(m, 1);
        } else {
            m->tree[0] = tree_build(m, 1);
        }
    }
    int64_t n = 0;
    int rc = 0;
    if (m->vtree != NULL) {
        rc = key_only_next(m, &n, err);
        if (m->key_clash && rc == 0) {
            /* Hand over to the packed tree, built from the cursors as they
             * stand (every row before them has been taken). */
            em_free(m->vtree);
            em_free(m->itree);
            m->vtree = NULL;
            m->itree = NULL;
            for (int r = 0; r < m->size; r++) set_head(m, &m->cur[r]);
            m->ptree = em_malloc(sizeof(unsigned __int128) * (size_t)m->size);
            m->ptree[0] = ptree_build(m, 1);
        }
        if (rc < 0) return rc;
        if (n > 0) {
            *out = key_only_output(m, n);
            return 0;
        }
        if (m->ptree == NULL) return 0; /* all runs exhausted */
    }
    if (m->ptree != NULL) rc = packed_next(m, &n, err);
    while (m->ptree == NULL && n < EM_BATCH_ROWS) {
        int w = m->tree[0];
        stream_cursor *c = &m->cur[w];
        if (c->batch == NULL) break; /* the best run is exhausted: all are */
        m->src[n].batch = (uint32_t)slot_of(m, c);
        m->src[n].row = (uint32_t)c->row;
        n++;
        if (++c->row >= c->batch->nrows) {
            bool alive;
            rc = stream_settle(m, c, &alive, err);
            if (rc < 0) break;
        }
        set_head(m, c);
        tree_replay(m, w);
    }
    if (rc < 0 || n == 0) {
        for (int i = 0; i < m->nretired; i++) em_batch_destroy(m->retired[i]);
        m->nretired = 0;
        m->nslots = 0;
        for (int r = 0; r < m->nruns; r++) m->cur[r].slot = -1;
        return rc;
    }
    *out = gather_output(m, n);
    return 0;
}

static void stream_destroy(em_source *source)
{
    stream_merge *m = (stream_merge *)source;
    for (int r = 0; r < m->size; r++) {
        if (m->cur[r].batch) em_batch_destroy(m->cur[r].batch);
        if (m->cur[r].src) m->cur[r].src->destroy(m->cur[r].src);
        em_free(m->cur[r].norm);
        em_free(m->cur[r].rank);
    }
    for (int i = 0; i < m->nretired; i++) em_batch_destroy(m->retired[i]);
    em_free(m->retired);
    em_free(m->slots);
    em_free(m->cur);
    em_free(m->tree);
    em_free(m->ptree);
    em_free(m->vtree);
    em_free(m->itree);
    em_free(m->keys);
    em_free(m);
}

em_source *em_source_merge_streams(int nruns, em_source **runs, int nkeys, const em_sort_key *keys)
{
    stream_merge *m = em_calloc(1, sizeof(*m));
    m->base.next = stream_next;
    m->base.destroy = stream_destroy;
    m->nruns = nruns;
    m->size = 1;
    while (m->size < nruns) m->size *= 2;
    m->cur = em_calloc((size_t)m->size, sizeof(stream_cursor));
    m->tree = em_calloc((size_t)m->size, sizeof(int));
    m->nkeys = nkeys;
    m->keys = em_calloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof(em_sort_key));
    for (int k = 0; k < nkeys; k++) m->keys[k] = keys[k];
    m->fast = -1;
    for (int r = 0; r < m->size; r++) {
        m->cur[r].src = r < nruns ? runs[r] : NULL;
        m->cur[r].slot = -1;
    }
    return &m->base;
}

/* ---- merging batch lists ------------------------------------------------------ */

em_source *em_source_merge_create(int nruns, const em_batch_list *const *runs, int nkeys,
                                  const em_sort_key *keys)
{
    /* Missing runs contribute nothing; the others keep their relative order,
     * which is all stability needs. */
    em_source **srcs = em_malloc(sizeof(em_source *) * (size_t)(nruns > 0 ? nruns : 1));
    int n = 0;
    for (int r = 0; r < nruns; r++)
        if (runs[r] != NULL) srcs[n++] = em_source_list_create(runs[r], 0, -1);
    em_source *m = em_source_merge_streams(n, srcs, nkeys, keys);
    em_free(srcs);
    return m;
}

/* ---- a spill file as a source ------------------------------------------------ */

typedef struct spill_source {
    em_source base;
    em_spill_file *f;
    bool rewound;
} spill_source;

static int spill_next(em_source *src, em_batch **out, em_error *err)
{
    spill_source *s = (spill_source *)src;
    if (!s->rewound) {
        EM_TRY(em_spill_rewind(s->f, err));
        s->rewound = true;
    }
    return em_spill_read(s->f, out, err);
}

static void spill_destroy(em_source *src)
{
    em_free(src);
}

em_source *em_source_spill_create(em_spill_file *f)
{
    spill_source *s = em_calloc(1, sizeof(*s));
    s->base.next = spill_next;
    s->base.destroy = spill_destroy;
    s->f = f;
    return &s->base;
}

/*
 * hash_join_spill.c — the hash join under a memory budget: the build side is
 * read under a reservation from the executor's pool, and what the pool
 * refuses goes to spill files (memory.h: lz4-compressed, checksummed blocks).
 *
 * Every build batch is hashed on its keys as it arrives (the hashes are kept:
 * the table is built from them) and reserved — its buffers (those it alone
 * holds: an in-memory shuffle block is the shuffle store's), its share of the
 * index, and a guess of two table slots per row until the table is sized from
 * a HyperLogLog sketch of the keys. While the pool grants everything the join
 * is an in-memory join (EM__HJ_MEMORY), exactly as before.
 *
 * When a reservation is refused, the join becomes a hybrid grace hash join
 * (EM__HJ_GRACE): build rows are split into 16 partitions by four bits of
 * their key hash (level 0: the top four bits; each nested level takes the
 * next four, so the bits never repeat and stay clear of the low bits that
 * place a key in the table, and of the shuffle's partitioner, which takes the
 * remainder of another hash). Rows are copied into a batch per partition (up
 * to EM_BATCH_ROWS rows or 64 KiB), which is then kept or written whole, so
 * that neither memory nor files fill with slivers of batches. A partition
 * stays in memory until the pool refuses again; then the largest resident
 * partition is written to its spill file and every later build row of it
 * follows. Build rows with a NULL key never match: they are dropped unless the
 * build side is preserved (their count is kept: NOT IN's rules need it). At
 * the end of the build the
 * resident partitions form one in-memory table (more are spilled if the
 * table's real size does not fit). Probe rows of a resident partition, and
 * probe rows with a NULL key, are joined at once; those of a spilled
 * partition are written to the partition's probe file. At finish each spilled
 * partition is joined by a nested join of the same spec, one level deeper,
 * fed the partition's build file as its build side and its probe file as its
 * input, and emitting straight into this join's downstream operator: it has
 * its own reservation, so a partition that still does not fit is partitioned
 * again with the next hash bits, and outer and anti joins keep their matched
 * flags per partition for free (each nested join has its own).
 *
 * Where partitioning cannot help — no keys (a cross join), NOT IN with a
 * residual (a NULL key must be compared with every row), a partition at the
 * deepest level, or a build side whose keys all share one hash — the join
 * goes by chunks (EM__HJ_CHUNKED), a block nested loop that always finishes:
 * what is resident is the first chunk, later build rows go to one file, and
 * every probe row is joined with the first chunk and written to a probe file.
 * At finish the build file is read back a chunk at a time (as much as the
 * pool grants, at least one batch), and the probe file is replayed against
 * each chunk. Pairs are emitted as they are found and unmatched build rows
 * after each chunk (a build row belongs to one chunk); probe-side results
 * (SEMI, ANTI, unmatched rows of a preserved probe side) are ORed into one
 * bit per probe row and emitted in a last pass over the probe file.
 *
 * Spill files are closed (deleted) as soon as their partition or pass is
 * done, and by destroy otherwise; the pool removes any that a failed query
 * leaves. The bytes written are the operator's `spilled` statistic.
 */
#include <string.h>

#include "exec/hash_join_int.h"

typedef em__hash_join hash_join_op;

/* Table bytes a build row is assumed to need until the table is sized from
 * the sketch: two 16-byte slots (a table is at most half full, and build keys
 * are often unique). */
#define SLOT_GUESS 32

static int cancel_error(em_error *err)
{
    return em_error_set(err, EM_ECANCELED, "the job was cancelled");
}

void em__hj_hashes_push(em__hj_hashes *l, uint64_t *h)
{
    if (l->count == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = em_realloc(l->items, sizeof(uint64_t *) * (size_t)l->cap);
    }
    l->items[l->count++] = h;
}

void em__hj_hashes_clear(em__hj_hashes *l)
{
    for (int64_t i = 0; i < l->count; i++) em_free(l->items[i]);
    em_free(l->items);
    l->items = NULL;
    l->count = l->cap = 0;
}

/* A key hash remixed for the sketch: a nested join's rows share the hash
 * bits that chose their partition, which would leave most of the sketch's
 * registers (chosen by the top bits) empty. */
static inline uint64_t sketch_hash(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

/* ---- accounting ------------------------------------------------------------- */

/* What holding build batch b costs until its table is built. */
static int64_t piece_cost(const hash_join_op *j, const em_batch *b)
{
    return em__hj_batch_bytes(b) + em__hj_index_bytes(j, b->nrows, 0, 1, 0) +
           (j->nkeys > 0 ? b->nrows * SLOT_GUESS : 0);
}

/* Distinct keys among nvalid resident rows: the sketch's estimate for the
 * whole build side, scaled (hash partitions split the keys evenly). */
static int64_t distinct_of(const hash_join_op *j, int64_t nvalid)
{
    int64_t all_valid = j->all_rows - j->all_null;
    if (nvalid <= 0 || all_valid <= 0) return 0;
    int64_t d = em__hll_estimate(&j->sketch);
    if (nvalid >= all_valid) return d;
    return (int64_t)((double)d * (double)nvalid / (double)all_valid) + 1;
}

/* Make the reservation match what the resident build side really holds. */
static void settle(hash_join_op *j)
{
    int64_t held = em__hj_held_bytes(j);
    if (held < j->mem.bytes)
        em_memory_shrink(&j->mem, j->mem.bytes - held);
    else
        em_memory_force_reserve(&j->mem, held - j->mem.bytes);
}

static int spill_write(hash_join_op *j, em_spill_file **f, const em_batch *b, em_error *err)
{
    if (*f == NULL) EM_TRY(em_spill_create(j->mem.pool, f, err));
    return em_spill_write(*f, b, err);
}

/* Close a file this join is done with, counting what was written to it. */
static void spill_done(hash_join_op *j, em_spill_file **f)
{
    if (*f == NULL) return;
    j->spilled += em_spill_bytes(*f);
    em_spill_close(*f);
    *f = NULL;
}

/* ---- reading the build side ---------------------------------------------------- */

/* Which rows of b have no NULL key (into j->rok); returns how many. */
static int64_t keys_valid(hash_join_op *j, const em_batch *b)
{
    int64_t n = b->nrows;
    if (n > j->rok_cap) {
        em_free(j->rok);
        j->rok_cap = EM_MAX(n, (int64_t)EM_BATCH_ROWS);
        j->rok = em_malloc((size_t)j->rok_cap);
    }
    memset(j->rok, 1, (size_t)n);
    for (int k = 0; k < j->nkeys; k++) {
        const em_vector *v = b->cols[j->build_keys[k]];
        if (v->validity != NULL)
            for (int64_t r = 0; r < n; r++) j->rok[r] &= em_vector_is_valid(v, r);
    }
    int64_t valid = 0;
    for (int64_t r = 0; r < n; r++) valid += j->rok[r];
    return valid;
}

/* The key hashes of a build batch (NULL without keys); *nvalid receives its
 * rows without NULL keys, and j->rok says which. */
static uint64_t *hash_rows(hash_join_op *j, const em_batch *b, int64_t *nvalid)
{
    if (j->nkeys == 0) {
        *nvalid = b->nrows;
        return NULL;
    }
    uint64_t *h = em_malloc(sizeof(uint64_t) * (size_t)b->nrows);
    em__hj_hash_keys(j, b, false, b->nrows, h);
    *nvalid = keys_valid(j, b);
    return h;
}

/* Count a newly read batch into the whole build side's totals and sketch. */
static void note_rows(hash_join_op *j, const em_batch *b, const uint64_t *h, int64_t nvalid)
{
    int64_t n = b->nrows;
    int64_t seen = j->all_rows - j->all_null; /* keyed rows before this batch */
    j->all_rows += n;
    j->all_null += n - nvalid;
    if (h == NULL) return;
    for (int64_t r = 0; r < n; r++) {
        if (!j->rok[r]) continue;
        em__hll_add(&j->sketch, sketch_hash(h[r]));
        if (seen++ == 0)
            j->first_hash = h[r];
        else if (h[r] != j->first_hash)
            j->one_hash = false;
    }
}

/* Whether splitting the build side by key hash can make it fit. */
static bool can_partition(const hash_join_op *j)
{
    if (j->nkeys == 0 || j->level >= EM__HJ_MAX_LEVEL) return false;
    /* NOT IN with a residual compares a NULL key with every row. */
    if (j->kind == EM_JOIN_KIND_ANTI_NULL_AWARE && j->residual != NULL) return false;
    /* Rows that all have one hash land in one partition, at every level. */
    if (j->one_hash && (j->all_rows > j->all_null || j->build_outer)) return false;
    return true;
}

static inline int part_of(const hash_join_op *j, uint64_t h)
{
    return (int)((h >> (60 - 4 * j->level)) & (EM__HJ_PARTS - 1));
}

/* Write partition p's resident rows to its file; its later rows follow them. */
static int spill_part(hash_join_op *j, int p, em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    pt->spilled = true;
    /* The file exists even when empty: a spilled partition is joined at finish. */
    if (pt->bfile == NULL) EM_TRY(em_spill_create(j->mem.pool, &pt->bfile, err));
    int rc = 0;
    for (int64_t i = 0; i < pt->build.count && rc == 0; i++)
        rc = em_spill_write(pt->bfile, pt->build.items[i], err);
    em_batch_list_release(&pt->build);
    em_batch_list_init(&pt->build);
    em__hj_hashes_clear(&pt->hashes);
    em_memory_shrink(&j->mem, pt->bytes);
    pt->bytes = pt->data = pt->nvalid = 0;
    return rc;
}

/* The resident partition holding the most memory, or -1. */
static int largest_resident(const hash_join_op *j)
{
    int best = -1;
    for (int p = 0; p < EM__HJ_PARTS; p++)
        if (!j->parts[p].spilled && (best < 0 || j->parts[p].bytes > j->parts[best].bytes))
            best = p;
    return best;
}

/* Add a full batch of one partition's build rows to it: in memory while the
 * pool grants it, else on disk. Takes ownership of piece and h. */
static int add_piece(hash_join_op *j, int p, em_batch *piece, uint64_t *h, int64_t nvalid,
                     em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    int rc = 0;
    if (!pt->spilled) {
        int64_t cost = piece_cost(j, piece);
        while (rc == 0 && !pt->spilled && !em_memory_try_reserve(&j->mem, cost))
            rc = spill_part(j, largest_resident(j), err);
        if (rc == 0 && !pt->spilled) {
            em_batch_list_push(&pt->build, piece);
            em__hj_hashes_push(&pt->hashes, h);
            pt->bytes += cost;
            pt->data += em__hj_batch_bytes(piece);
            pt->nvalid += nvalid;
            return 0;
        }
    }
    em_free(h);
    if (rc == 0) rc = spill_write(j, &pt->bfile, piece, err);
    em_batch_destroy(piece);
    return rc;
}

/* An open batch is handed on at EM_BATCH_ROWS rows or this many bytes: large
 * enough that a spill block amortizes its compressor's setup, small enough
 * that sixteen of them stay a few hundred KB. */
#define OPEN_BYTES (64 * 1024)

static int64_t open_bytes(const em_batch *b)
{
    int64_t t = 0;
    for (int c = 0; c < b->ncols; c++)
        t += b->cols[c]->length * (int64_t)em_type_width(b->cols[c]->type) + b->cols[c]->chars_len;
    return t;
}

/* A batch to gather rows like those of `like` in, sized for what it will
 * likely hold before it is handed on (at least `rows`). */
static em_batch *open_batch(const em_batch *like, int64_t rows)
{
    em_batch *b = em_batch_create(like->ncols);
    int64_t width = 1;
    for (int c = 0; c < like->ncols; c++) {
        const em_vector *v = like->cols[c];
        width += (int64_t)em_type_width(v->type);
        if (v->type.id == EM_TYPE_VARCHAR && v->length > 0) width += v->chars_len / v->length;
    }
    int64_t cap = EM_MIN(EM_MAX(rows, OPEN_BYTES / width), (int64_t)EM_BATCH_ROWS);
    for (int c = 0; c < like->ncols; c++)
        em_batch_set_col(b, c, em_vector_create(like->cols[c]->type, cap));
    b->nrows = 0;
    return b;
}

/* The open build batch of partition p is full: keep or write it. */
static int seal_build(hash_join_op *j, int p, em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    em_batch *b = pt->open;
    if (b == NULL) return 0;
    uint64_t *h = pt->open_h;
    int64_t nvalid = pt->open_valid;
    pt->open = NULL;
    pt->open_h = NULL;
    pt->open_valid = 0;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        em_free(h);
        return 0;
    }
    h = em_realloc(h, sizeof(uint64_t) * (size_t)b->nrows);
    return add_piece(j, p, b, h, nvalid, err);
}

/* Copy build rows sel[0, n) of b (hashes h, key validity in j->rok) into
 * partition p. */
static int file_build_rows(hash_join_op *j, int p, const em_batch *b, const uint64_t *h,
                           const int32_t *sel, int64_t n, em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    while (n > 0) {
        if (pt->open == NULL) {
            pt->open = open_batch(b, n);
            pt->open_h = em_malloc(sizeof(uint64_t) * EM_BATCH_ROWS);
        }
        em_batch *o = pt->open;
        int64_t take = EM_MIN(n, (int64_t)EM_BATCH_ROWS - o->nrows);
        for (int c = 0; c < b->ncols; c++) em_vector_append_rows(o->cols[c], b->cols[c], sel, take);
        for (int64_t k = 0; k < take; k++) {
            pt->open_h[o->nrows + k] = h[sel[k]];
            pt->open_valid += j->rok[sel[k]];
        }
        o->nrows += take;
        sel += take;
        n -= take;
        if (o->nrows >= EM_BATCH_ROWS || open_bytes(o) >= OPEN_BYTES) EM_TRY(seal_build(j, p, err));
    }
    return 0;
}

/* Split a build batch by partition. Takes ownership of b and h. */
static int add_to_parts(hash_join_op *j, em_batch *b, uint64_t *h, em_error *err)
{
    int64_t n = b->nrows;
    keys_valid(j, b);
    int64_t count[EM__HJ_PARTS] = {0}, start[EM__HJ_PARTS + 1];
    uint8_t *pid = em_malloc((size_t)n);
    for (int64_t r = 0; r < n; r++) {
        /* A NULL key never matches: the row matters only when it is output. */
        pid[r] = j->rok[r] || j->build_keep ? (uint8_t)part_of(j, h[r]) : EM__HJ_PARTS;
        if (pid[r] < EM__HJ_PARTS) count[pid[r]]++;
    }
    start[0] = 0;
    for (int p = 0; p < EM__HJ_PARTS; p++) start[p + 1] = start[p] + count[p];
    int32_t *sel = em_malloc(sizeof(int32_t) * (size_t)(n + 1));
    int64_t fill[EM__HJ_PARTS];
    memcpy(fill, start, sizeof(fill));
    for (int64_t r = 0; r < n; r++)
        if (pid[r] < EM__HJ_PARTS) sel[fill[pid[r]]++] = (int32_t)r;
    int rc = 0;
    for (int p = 0; p < EM__HJ_PARTS && rc == 0; p++)
        if (count[p] > 0) rc = file_build_rows(j, p, b, h, sel + start[p], count[p], err);
    em_free(sel);
    em_free(pid);
    em_free(h);
    em_batch_destroy(b);
    return rc;
}

/* Write partition p's open probe batch to its probe file. */
static int seal_probe(hash_join_op *j, int p, em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    em_batch *b = pt->popen;
    if (b == NULL) return 0;
    pt->popen = NULL;
    int rc = b->nrows > 0 ? spill_write(j, &pt->pfile, b, err) : 0;
    em_batch_destroy(b);
    return rc;
}

static int file_probe_rows(hash_join_op *j, int p, const em_batch *b, const int32_t *sel, int64_t n,
                           em_error *err)
{
    em__hj_part *pt = &j->parts[p];
    while (n > 0) {
        if (pt->popen == NULL) pt->popen = open_batch(b, n);
        em_batch *o = pt->popen;
        int64_t take = EM_MIN(n, (int64_t)EM_BATCH_ROWS - o->nrows);
        for (int c = 0; c < b->ncols; c++) em_vector_append_rows(o->cols[c], b->cols[c], sel, take);
        o->nrows += take;
        sel += take;
        n -= take;
        if (o->nrows >= EM_BATCH_ROWS || open_bytes(o) >= OPEN_BYTES) EM_TRY(seal_probe(j, p, err));
    }
    return 0;
}

/* From MEMORY to GRACE: file what is resident by partition (reserving it
 * again piece by piece, which spills partitions as needed). */
static int enter_grace(hash_join_op *j, em_error *err)
{
    j->mode = EM__HJ_GRACE;
    j->parts = em_calloc(EM__HJ_PARTS, sizeof(em__hj_part));
    for (int p = 0; p < EM__HJ_PARTS; p++) em_batch_list_init(&j->parts[p].build);
    em_batch_list old = j->build;
    em__hj_hashes oldh = j->bh;
    em_batch_list_init(&j->build);
    memset(&j->bh, 0, sizeof(j->bh));
    em_memory_shrink(&j->mem, j->mem.bytes);
    j->res_valid = 0;
    int rc = 0;
    for (int64_t i = 0; i < old.count; i++) {
        if (rc == 0)
            rc = add_to_parts(j, old.items[i], oldh.items[i], err);
        else {
            em_batch_destroy(old.items[i]);
            em_free(oldh.items[i]);
        }
    }
    em_free(old.items);
    em_free(oldh.items);
    return rc;
}

/* Add one build batch as the mode says. Takes ownership of b and h. */
static int add_build(hash_join_op *j, em_batch *b, uint64_t *h, int64_t nvalid, em_error *err)
{
    if (j->mode == EM__HJ_GRACE) return add_to_parts(j, b, h, err);
    if (j->mode == EM__HJ_MEMORY) {
        int64_t cost = piece_cost(j, b);
        if (em_memory_try_reserve(&j->mem, cost)) {
            em_batch_list_push(&j->build, b);
            em__hj_hashes_push(&j->bh, h);
            j->res_valid += nvalid;
            return 0;
        }
        if (can_partition(j)) {
            int rc = enter_grace(j, err);
            if (rc < 0) {
                em_batch_destroy(b);
                em_free(h);
                return rc;
            }
            return add_to_parts(j, b, h, err);
        }
        j->mode = EM__HJ_CHUNKED;
        if (j->build.count == 0) {
            /* A chunk holds at least one batch, or nothing would progress. */
            em_memory_force_reserve(&j->mem, cost);
            em_batch_list_push(&j->build, b);
            em__hj_hashes_push(&j->bh, h);
            j->res_valid += nvalid;
            return 0;
        }
    }
    /* CHUNKED: later chunks are read back at finish. */
    em_free(h);
    int rc = spill_write(j, &j->brest, b, err);
    em_batch_destroy(b);
    return rc;
}

static int64_t list_bytes(const em_batch_list *l)
{
    int64_t b = 0;
    for (int64_t i = 0; i < l->count; i++) b += em__hj_batch_bytes(l->items[i]);
    return b;
}

/* Index what is resident in j->build. The table's real size is known now:
 * if the pool will not grant it, partition (when allowed) or hold it anyway
 * (a chunk must progress). */
static int index_resident(hash_join_op *j, bool may_partition, em_error *err);

/* GRACE: spill partitions until the resident ones and their table fit, then
 * index them as one table. */
static int index_grace(hash_join_op *j, em_error *err)
{
    int64_t distinct = 0;
    for (;;) {
        int64_t rows = 0, nvalid = 0, nb = 0, data = 0;
        for (int p = 0; p < EM__HJ_PARTS; p++) {
            const em__hj_part *pt = &j->parts[p];
            if (pt->spilled) continue;
            rows += pt->build.rows;
            nvalid += pt->nvalid;
            nb += pt->build.count;
            data += pt->data;
        }
        distinct = distinct_of(j, nvalid);
        int64_t need = data + em__hj_index_bytes(j, rows, nvalid, nb, distinct);
        if (need <= j->mem.bytes || em_memory_try_reserve(&j->mem, need - j->mem.bytes)) break;
        int q = -1;
        for (int p = 0; p < EM__HJ_PARTS; p++)
            if (!j->parts[p].spilled && j->parts[p].build.rows > 0 &&
                (q < 0 || j->parts[p].bytes > j->parts[q].bytes))
                q = p;
        if (q < 0) break;
        EM_TRY(spill_part(j, q, err));
    }
    bool any_spilled = false;
    j->res_valid = 0;
    for (int p = 0; p < EM__HJ_PARTS; p++) {
        em__hj_part *pt = &j->parts[p];
        if (pt->spilled) {
            any_spilled = true;
            continue;
        }
        for (int64_t i = 0; i < pt->hashes.count; i++)
            em__hj_hashes_push(&j->bh, pt->hashes.items[i]);
        em_free(pt->hashes.items);
        memset(&pt->hashes, 0, sizeof(pt->hashes));
        em_batch_list_move(&j->build, &pt->build);
        j->res_valid += pt->nvalid;
        pt->bytes = pt->data = pt->nvalid = 0;
    }
    if (!any_spilled) {
        /* Everything fit after all: an in-memory join. */
        em_free(j->parts);
        j->parts = NULL;
        j->mode = EM__HJ_MEMORY;
    }
    EM_TRY(em__hj_index(j, distinct, err));
    settle(j);
    return 0;
}

static int index_resident(hash_join_op *j, bool may_partition, em_error *err)
{
    int64_t distinct = distinct_of(j, j->res_valid);
    int64_t need = list_bytes(&j->build) +
                   em__hj_index_bytes(j, j->build.rows, j->res_valid, j->build.count, distinct);
    if (need > j->mem.bytes && !em_memory_try_reserve(&j->mem, need - j->mem.bytes)) {
        if (may_partition && can_partition(j)) {
            EM_TRY(enter_grace(j, err));
            for (int p = 0; p < EM__HJ_PARTS; p++) EM_TRY(seal_build(j, p, err));
            return index_grace(j, err);
        }
        em_memory_force_reserve(&j->mem, need - j->mem.bytes);
    }
    EM_TRY(em__hj_index(j, distinct, err));
    settle(j);
    return 0;
}

int em__hj_build(hash_join_op *j, em_error *err)
{
    j->built = true;
    for (;;) {
        if (em__hj_cancelled(j)) return cancel_error(err);
        em_batch *b = NULL;
        EM_TRY(j->build_src->next(j->build_src, &b, err));
        if (b == NULL) break;
        int rc = b->nrows > 0 ? em__hj_check_batch(j, b, false, err) : 0;
        if (rc < 0 || b->nrows == 0) {
            em_batch_destroy(b);
            if (rc < 0) return rc;
            continue;
        }
        int64_t nvalid;
        uint64_t *h = hash_rows(j, b, &nvalid);
        note_rows(j, b, h, nvalid);
        EM_TRY(add_build(j, b, h, nvalid, err));
    }
    if (j->mode == EM__HJ_GRACE) {
        for (int p = 0; p < EM__HJ_PARTS; p++) EM_TRY(seal_build(j, p, err));
        return index_grace(j, err);
    }
    if (j->mode == EM__HJ_CHUNKED && j->brest == NULL) j->mode = EM__HJ_MEMORY;
    return index_resident(j, j->mode == EM__HJ_MEMORY, err);
}

/* ---- probing ------------------------------------------------------------------ */

/* Probe-side results wait for the last chunk. */
static bool deferred(const hash_join_op *j)
{
    return j->semi_like || j->probe_outer;
}

static int probe_chunked(hash_join_op *j, const em_batch *b, em_error *err)
{
    int64_t n = b->nrows;
    EM_TRY(spill_write(j, &j->pall, b, err));
    j->defer = deferred(j);
    if (j->defer) {
        int64_t need = (j->pbase + n + 7) / 8;
        if (need > j->pflags_bytes) {
            int64_t cap = EM_MAX(need, 2 * j->pflags_bytes);
            j->pflags = em_realloc(j->pflags, (size_t)cap);
            memset(j->pflags + j->pflags_bytes, 0, (size_t)(cap - j->pflags_bytes));
            j->pflags_bytes = cap;
        }
    }
    int rc = em__hj_probe_batch(j, b, err);
    j->pbase += n;
    return rc;
}

int em__hj_probe_spilled(hash_join_op *j, const em_batch *b, em_error *err)
{
    if (j->mode == EM__HJ_CHUNKED) return probe_chunked(j, b, err);
    int64_t n = b->nrows;
    uint64_t *h = j->hashes;
    em__hj_hash_keys(j, b, true, n, h);
    /* Rows with a NULL key cannot match: they stay here, where NOT IN's
     * rules and the unmatched-row output see them. */
    memset(j->keyok, 1, (size_t)n);
    for (int k = 0; k < j->nkeys; k++) {
        const em_vector *v = b->cols[j->probe_keys[k]];
        if (v->validity != NULL)
            for (int64_t i = 0; i < n; i++) j->keyok[i] &= em_vector_is_valid(v, i);
    }
    int64_t count[EM__HJ_PARTS + 1] = {0};
    for (int64_t i = 0; i < n; i++) {
        int p = j->keyok[i] ? part_of(j, h[i]) : EM__HJ_PARTS;
        if (p < EM__HJ_PARTS && !j->parts[p].spilled) p = EM__HJ_PARTS;
        j->pids[i] = (uint8_t)p;
        count[p]++;
    }
    int32_t *sel = j->rsel;
    for (int p = 0; p < EM__HJ_PARTS; p++) {
        if (count[p] == 0) continue;
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (j->pids[i] == p) sel[m++] = (int32_t)i;
        EM_TRY(file_probe_rows(j, p, b, sel, m, err));
    }
    int64_t m = count[EM__HJ_PARTS];
    if (m == 0) return 0;
    if (m == n) return em__hj_probe_batch(j, b, err);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (j->pids[i] == EM__HJ_PARTS) sel[k++] = (int32_t)i;
    em_batch *g = em_batch_gather(b, sel, m);
    int rc = em__hj_probe_batch(j, g, err);
    em_batch_destroy(g);
    return rc;
}

/* ---- after the probe side: what went to disk ----------------------------------- */

/* Join one spilled partition with a nested join, one level deeper. */
static int join_part(hash_join_op *j, em__hj_part *pt, em_error *err)
{
    em_source *src = em_source_spill_create(pt->bfile);
    hash_join_op *sub = em__hj_nested(j, src);
    em_op *op = &sub->base;
    int rc = 0;
    if (pt->pfile != NULL && !j->futile) {
        rc = em_spill_rewind(pt->pfile, err);
        while (rc == 0) {
            if (em__hj_cancelled(j)) {
                rc = cancel_error(err);
                break;
            }
            em_batch *b = NULL;
            rc = em_spill_read(pt->pfile, &b, err);
            if (rc < 0 || b == NULL) break;
            rc = op->vt->push(op, b, err);
            if (rc == EM_OP_DONE) { /* downstream is done, or nothing here can match */
                rc = 0;
                break;
            }
        }
    }
    if (rc == 0) rc = op->vt->finish(op, err);
    if (sub->done) j->done = true;
    /* The nested join's rows and (exclusive) time are this operator's. */
    j->base.stats.rows_out += op->stats.rows_out;
    j->base.stats.nanos += op->stats.nanos;
    j->peak = EM_MAX(j->peak, EM_MAX(op->stats.mem_peak, sub->mem.peak));
    j->spilled += sub->spilled;
    op->vt->destroy(op);
    return rc;
}

static int finish_grace(hash_join_op *j, em_error *err)
{
    int rc = 0;
    for (int p = 0; p < EM__HJ_PARTS && rc == 0; p++) rc = seal_probe(j, p, err);
    for (int p = 0; p < EM__HJ_PARTS && rc == 0; p++) {
        em__hj_part *pt = &j->parts[p];
        if (!pt->spilled) continue;
        /* Without probe rows a partition has output only when unmatched
         * build rows are kept. */
        if (!j->done && (pt->pfile != NULL || j->build_keep)) rc = join_part(j, pt, err);
        spill_done(j, &pt->bfile);
        spill_done(j, &pt->pfile);
    }
    return rc;
}

/* Read the next chunk of build rows from brest into j->build: as many as the
 * pool grants, at least one batch. *pending carries the batch that did not
 * fit into the next chunk. */
static int load_chunk(hash_join_op *j, em_batch **pending, em_error *err)
{
    j->res_valid = 0;
    for (;;) {
        em_batch *b = *pending;
        *pending = NULL;
        if (b == NULL) {
            EM_TRY(em_spill_read(j->brest, &b, err));
            if (b == NULL) return 0;
        }
        int64_t cost = piece_cost(j, b);
        if (j->build.count == 0) {
            em_memory_force_reserve(&j->mem, cost);
        } else if (!em_memory_try_reserve(&j->mem, cost)) {
            *pending = b;
            return 0;
        }
        int64_t nvalid;
        uint64_t *h = hash_rows(j, b, &nvalid);
        em_batch_list_push(&j->build, b);
        em__hj_hashes_push(&j->bh, h);
        j->res_valid += nvalid;
    }
}

/* Join every probe row again with the resident chunk. */
static int replay(hash_join_op *j, em_error *err)
{
    EM_TRY(em_spill_rewind(j->pall, err));
    j->pbase = 0;
    for (;;) {
        if (em__hj_cancelled(j)) return cancel_error(err);
        em_batch *b = NULL;
        EM_TRY(em_spill_read(j->pall, &b, err));
        if (b == NULL) return 0;
        int rc = em__hj_probe_batch(j, b, err);
        j->pbase += b->nrows;
        em_batch_destroy(b);
        if (rc != 0) return rc < 0 ? rc : 0;
    }
}

/* The probe-side results every chunk contributed to. */
static int emit_deferred(hash_join_op *j, em_error *err)
{
    EM_TRY(em_spill_rewind(j->pall, err));
    j->pbase = 0;
    while (!j->done) {
        if (em__hj_cancelled(j)) return cancel_error(err);
        em_batch *b = NULL;
        EM_TRY(em_spill_read(j->pall, &b, err));
        if (b == NULL) break;
        int rc = em__hj_emit_deferred(j, b, err);
        j->pbase += b->nrows;
        em_batch_destroy(b);
        EM_TRY(rc);
    }
    return 0;
}

static int finish_chunked(hash_join_op *j, em_error *err)
{
    bool probed = j->pall != NULL && !j->futile;
    int rc = 0;
    if (probed || j->build_keep) {
        rc = em_spill_rewind(j->brest, err);
        em_batch *pending = NULL;
        while (rc == 0 && !j->done) {
            rc = load_chunk(j, &pending, err);
            if (rc < 0 || j->build.count == 0) break;
            rc = index_resident(j, false, err);
            if (rc == 0 && probed) rc = replay(j, err);
            if (rc == 0) rc = em__hj_emit_unmatched_build(j, err);
            em__hj_reset(j);
            em_memory_shrink(&j->mem, j->mem.bytes);
        }
        if (pending != NULL) em_batch_destroy(pending);
    }
    if (rc == 0 && probed && deferred(j) && !j->done) rc = emit_deferred(j, err);
    spill_done(j, &j->brest);
    spill_done(j, &j->pall);
    return rc;
}

int em__hj_finish_spilled(hash_join_op *j, em_error *err)
{
    /* The resident part is done (its unmatched build rows were emitted). */
    em__hj_reset(j);
    em_memory_shrink(&j->mem, j->mem.bytes);
    return j->mode == EM__HJ_GRACE ? finish_grace(j, err) : finish_chunked(j, err);
}

void em__hj_release(hash_join_op *j)
{
    if (j->parts != NULL) {
        for (int p = 0; p < EM__HJ_PARTS; p++) {
            em__hj_part *pt = &j->parts[p];
            em_batch_list_release(&pt->build);
            em__hj_hashes_clear(&pt->hashes);
            em_spill_close(pt->bfile);
            em_spill_close(pt->pfile);
            if (pt->open != NULL) em_batch_destroy(pt->open);
            if (pt->popen != NULL) em_batch_destroy(pt->popen);
            em_free(pt->open_h);
        }
        em_free(j->parts);
        j->parts = NULL;
    }
    em_spill_close(j->brest);
    em_spill_close(j->pall);
    j->brest = j->pall = NULL;
    em_free(j->pflags);
    j->pflags = NULL;
    j->pflags_bytes = 0;
    em_memory_reservation_release(&j->mem);
}

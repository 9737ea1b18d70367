/*
 * shuffle.c — the local shuffle: store, writer and reader.
 *
 * Writer: for each input batch, hash the key columns of every row, then copy
 * each row straight into the builder batch of its reduce partition (a gather
 * per partition, no intermediate batches). Full builders (EM_BATCH_ROWS rows)
 * join the partition's block list; at finish the map task's output is
 * committed to the store, replacing an earlier attempt's output.
 *
 * Where a map's output lives: in memory while the executor's pool has room for
 * it, otherwise in one file holding every reduce partition back to back
 * (compressed, checksummed blocks) plus an index of where each partition
 * starts — the layout a shuffle service serves from disk.
 */
#include "shuffle/shuffle.h"

#include <pthread.h>
#include <string.h>

/* One map task's committed output when it went to disk. */
typedef struct map_file {
    em_spill_file *file;
    int64_t *index; /* nreduce + 1 offsets: partition r is [index[r], index[r + 1]) */
    int64_t rows;
} map_file;

/* A map output held by another process (cluster mode). */
typedef struct remote_map {
    bool empty; /* cluster: the driver said it holds nothing a reader here needs */
    bool set;
    em_shuffle_location loc;
    int64_t *sizes; /* nreduce entries, or NULL when unknown */
    int64_t rows;
} remote_map;

typedef struct shuffle {
    int nmaps, nreduce;
    em_batch_list *blocks; /* [map * nreduce + reduce], for maps kept in memory */
    map_file *files;       /* [map]: file.file != NULL when that map is on disk */
    int64_t *mem_bytes;    /* [map]: bytes reserved for its in-memory blocks */
    bool *committed;       /* [map]: a task committed this map's output here */
    remote_map *remote;    /* [map]: where it lives when another process holds it */
    bool registered;
} shuffle;

struct em_shuffle_store {
    pthread_mutex_t lock;
    int n;
    shuffle *shuffles;
    em_memory_pool *pool;
    em_memory_reservation mem; /* what the in-memory blocks hold */
    em_shuffle_fetch_fn fetch;
    void *fetch_ctx;
};

em_shuffle_store *em_shuffle_store_create(int nshuffles, em_memory_pool *pool)
{
    em_shuffle_store *s = em_calloc(1, sizeof(em_shuffle_store));
    pthread_mutex_init(&s->lock, NULL);
    s->n = nshuffles;
    s->shuffles = em_calloc((size_t)(nshuffles ? nshuffles : 1), sizeof(shuffle));
    s->pool = pool;
    em_memory_reservation_init_shared(&s->mem, pool);
    return s;
}

/* Drop one map's committed output (under the store lock). */
static void drop_map(em_shuffle_store *s, shuffle *sh, int m)
{
    for (int r = 0; r < sh->nreduce; r++) {
        em_batch_list_release(&sh->blocks[m * sh->nreduce + r]);
        em_batch_list_init(&sh->blocks[m * sh->nreduce + r]);
    }
    em_memory_shrink(&s->mem, sh->mem_bytes[m]);
    sh->mem_bytes[m] = 0;
    map_file *f = &sh->files[m];
    em_spill_close(f->file);
    em_free(f->index);
    memset(f, 0, sizeof *f);
    sh->committed[m] = false;
    em_free(sh->remote[m].sizes);
    memset(&sh->remote[m], 0, sizeof sh->remote[m]);
}

void em_shuffle_release(em_shuffle_store *s, int id)
{
    shuffle *sh = &s->shuffles[id];
    if (!sh->blocks) return;
    for (int m = 0; m < sh->nmaps; m++) drop_map(s, sh, m);
    em_free(sh->blocks);
    em_free(sh->files);
    em_free(sh->mem_bytes);
    em_free(sh->committed);
    em_free(sh->remote);
    sh->blocks = NULL;
}

void em_shuffle_store_destroy(em_shuffle_store *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) em_shuffle_release(s, i);
    em_memory_reservation_release(&s->mem);
    em_free(s->shuffles);
    pthread_mutex_destroy(&s->lock);
    em_free(s);
}

void em_shuffle_register(em_shuffle_store *s, int id, int nmaps, int nreduce)
{
    shuffle *sh = &s->shuffles[id];
    sh->nmaps = nmaps;
    sh->nreduce = nreduce;
    sh->blocks = em_calloc((size_t)EM_MAX(nmaps * nreduce, 1), sizeof(em_batch_list));
    for (int i = 0; i < nmaps * nreduce; i++) em_batch_list_init(&sh->blocks[i]);
    sh->files = em_calloc((size_t)EM_MAX(nmaps, 1), sizeof(map_file));
    sh->mem_bytes = em_calloc((size_t)EM_MAX(nmaps, 1), sizeof(int64_t));
    sh->committed = em_calloc((size_t)EM_MAX(nmaps, 1), sizeof(bool));
    sh->remote = em_calloc((size_t)EM_MAX(nmaps, 1), sizeof(remote_map));
    sh->registered = true;
}

/* Bytes map m wrote for reduce partition r, wherever it lives (under the
 * store lock: an executor's loss frees recorded sizes from another thread). */
static int64_t block_bytes_locked(const shuffle *sh, int m, int r)
{
    const map_file *f = &sh->files[m];
    if (f->file) return f->index[r + 1] - f->index[r];
    if (sh->remote[m].set) return sh->remote[m].sizes ? sh->remote[m].sizes[r] : 0;
    const em_batch_list *l = &sh->blocks[m * sh->nreduce + r];
    int64_t total = 0;
    for (int64_t j = 0; j < l->count; j++) total += em_batch_bytes(l->items[j]);
    return total;
}

int64_t em_shuffle_bytes(em_shuffle_store *s, int id)
{
    shuffle *sh = &s->shuffles[id];
    int64_t total = 0;
    pthread_mutex_lock(&s->lock);
    for (int m = 0; sh->blocks && m < sh->nmaps; m++)
        for (int r = 0; r < sh->nreduce; r++) total += block_bytes_locked(sh, m, r);
    pthread_mutex_unlock(&s->lock);
    return total;
}

int64_t em_shuffle_rows(em_shuffle_store *s, int id)
{
    shuffle *sh = &s->shuffles[id];
    int64_t total = 0;
    pthread_mutex_lock(&s->lock);
    for (int m = 0; sh->blocks && m < sh->nmaps; m++) {
        total += sh->files[m].rows + sh->remote[m].rows;
        for (int r = 0; r < sh->nreduce; r++) total += sh->blocks[m * sh->nreduce + r].rows;
    }
    pthread_mutex_unlock(&s->lock);
    return total;
}

/* ---- hashing ------------------------------------------------------------- */

#define NULL_HASH 0x5bd1e9955bd1e995ULL

void em_shuffle_hash_rows(const em_batch *b, int nkeys, const int *keys, uint64_t *out)
{
    int64_t n = b->nrows;
    for (int64_t i = 0; i < n; i++) out[i] = 0x12345678;
    for (int k = 0; k < nkeys; k++) {
        const em_vector *v = b->cols[keys[k]];
        switch (v->type.id) {
        case EM_TYPE_BOOLEAN: {
            const uint8_t *d = EM_VEC_BOOL(v);
            for (int64_t i = 0; i < n; i++) out[i] = em_hash_combine(out[i], em_hash_u64(d[i], k));
            break;
        }
        case EM_TYPE_INTEGER:
        case EM_TYPE_DATE: {
            const int32_t *d = EM_VEC_I32(v);
            for (int64_t i = 0; i < n; i++)
                out[i] = em_hash_combine(out[i], em_hash_u64((uint64_t)(int64_t)d[i], k));
            break;
        }
        case EM_TYPE_BIGINT:
        case EM_TYPE_DECIMAL:
        case EM_TYPE_TIMESTAMP: {
            const int64_t *d = EM_VEC_I64(v);
            for (int64_t i = 0; i < n; i++)
                out[i] = em_hash_combine(out[i], em_hash_u64((uint64_t)d[i], k));
            break;
        }
        case EM_TYPE_DOUBLE: {
            const double *d = EM_VEC_F64(v);
            for (int64_t i = 0; i < n; i++) {
                double x = d[i] == 0.0 ? 0.0 : d[i]; /* -0.0 and 0.0 are one group */
                uint64_t bits;
                memcpy(&bits, &x, sizeof bits);
                out[i] = em_hash_combine(out[i], em_hash_u64(bits, k));
            }
            break;
        }
        case EM_TYPE_VARCHAR: {
            for (int64_t i = 0; i < n; i++) {
                int32_t len;
                const char *p = em_vector_str(v, i, &len);
                out[i] = em_hash_combine(out[i], em_hash_bytes(p, (size_t)len, k));
            }
            break;
        }
        case EM_TYPE_INTERVAL: {
            /* By span, so that '1 month' and '30 days' (one group) meet. */
            const em_interval *d = EM_VEC_IV(v);
            for (int64_t i = 0; i < n; i++)
                out[i] = em_hash_combine(out[i], em_interval_hash(d[i], (uint64_t)k));
            break;
        }
        default:
            break;
        }
        if (v->validity)
            for (int64_t i = 0; i < n; i++)
                if (!em_vector_is_valid(v, i)) out[i] = em_hash_combine(out[i] ^ k, NULL_HASH);
    }
}

/* ---- writer -------------------------------------------------------------- */

typedef struct writer {
    em_op op;
    em_shuffle_store *store;
    int id, map, nreduce, nkeys;
    int *keys;
    em_batch **builders;     /* per reduce partition, or NULL */
    em_batch_list *lists;    /* per reduce partition */
    uint64_t *hashes;
    int32_t *pids;
    int32_t *sel;
    int64_t *counts;
    int64_t cap;
} writer;

static void flush_builder(writer *w, int r)
{
    em_batch *b = w->builders[r];
    if (!b) return;
    w->builders[r] = NULL;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return;
    }
    em_batch_list_push(&w->lists[r], b);
}

static int writer_push(em_op *op, em_batch *b, em_error *err)
{
    writer *w = (writer *)op;
    int64_t n = b->nrows;
    if (n == 0) {
        em_batch_destroy(b);
        return 0;
    }
    if (n > w->cap) {
        w->cap = n;
        w->hashes = em_realloc(w->hashes, sizeof(uint64_t) * (size_t)n);
        w->pids = em_realloc(w->pids, sizeof(int32_t) * (size_t)n);
        w->sel = em_realloc(w->sel, sizeof(int32_t) * (size_t)n);
    }
    int R = w->nreduce;
    if (R == 1 || w->nkeys == 0) {
        for (int64_t i = 0; i < n; i++) w->pids[i] = 0;
    } else {
        em_shuffle_hash_rows(b, w->nkeys, w->keys, w->hashes);
        for (int64_t i = 0; i < n; i++) w->pids[i] = (int32_t)(w->hashes[i] % (uint64_t)R);
    }
    /* Counting sort of row indexes by partition. */
    memset(w->counts, 0, sizeof(int64_t) * (size_t)(R + 1));
    for (int64_t i = 0; i < n; i++) w->counts[w->pids[i] + 1]++;
    for (int r = 0; r < R; r++) w->counts[r + 1] += w->counts[r];
    int64_t *pos = w->counts; /* becomes the end of each partition's range */
    for (int64_t i = 0; i < n; i++) w->sel[pos[w->pids[i]]++] = (int32_t)i;
    int64_t start = 0;
    for (int r = 0; r < R; r++) {
        int64_t end = pos[r], cnt = end - start;
        const int32_t *sel = w->sel + start;
        start = end;
        while (cnt > 0) {
            if (!w->builders[r]) {
                w->builders[r] = em_batch_create(b->ncols);
                /* Builders start small: with many reduce partitions most stay small. One
                 * that has filled a batch already will likely fill this one too: it starts
                 * at full size rather than growing there by six reallocations (copies). */
                int64_t cap0 = w->lists[r].count > 0 ? EM_BATCH_ROWS : EM_MIN(cnt, 64);
                for (int c = 0; c < b->ncols; c++)
                    em_batch_set_col(w->builders[r], c,
                                     em_vector_create(b->cols[c]->type, cap0));
            }
            em_batch *bd = w->builders[r];
            int64_t room = EM_BATCH_ROWS - bd->nrows;
            int64_t take = cnt < room ? cnt : room;
            for (int c = 0; c < b->ncols; c++) em_vector_append_rows(bd->cols[c], b->cols[c], sel, take);
            bd->nrows += take;
            sel += take;
            cnt -= take;
            if (bd->nrows >= EM_BATCH_ROWS) flush_builder(w, r);
        }
    }
    op->stats.rows_out += n;
    em_batch_destroy(b);
    EM_UNUSED(err);
    return 0;
}

/* Write this map's partitions to one file with an index. */
static int write_file(writer *w, map_file *out, em_error *err)
{
    EM_TRY(em_spill_create(w->store->pool, &out->file, err));
    out->index = em_malloc(sizeof(int64_t) * (size_t)(w->nreduce + 1));
    for (int r = 0; r < w->nreduce; r++) {
        out->index[r] = em_spill_bytes(out->file);
        for (int64_t i = 0; i < w->lists[r].count; i++) {
            EM_TRY(em_spill_write(out->file, w->lists[r].items[i], err));
            out->rows += w->lists[r].items[i]->nrows;
        }
    }
    out->index[w->nreduce] = em_spill_bytes(out->file);
    return em_spill_seal(out->file, err);
}

static int writer_finish(em_op *op, em_error *err)
{
    writer *w = (writer *)op;
    for (int r = 0; r < w->nreduce; r++) flush_builder(w, r);
    int64_t bytes = 0;
    for (int r = 0; r < w->nreduce; r++)
        for (int64_t i = 0; i < w->lists[r].count; i++) bytes += em_batch_bytes(w->lists[r].items[i]);
    em_shuffle_store *s = w->store;
    shuffle *sh = &s->shuffles[w->id];
    map_file file = {0};
    bool in_memory = em_memory_try_reserve(&s->mem, bytes);
    if (!in_memory) {
        int rc = write_file(w, &file, err);
        if (rc < 0) {
            em_spill_close(file.file);
            em_free(file.index);
            return rc;
        }
        op->stats.spilled += em_spill_bytes(file.file);
    }
    pthread_mutex_lock(&s->lock);
    drop_map(s, sh, w->map); /* an earlier attempt's output */
    if (in_memory) {
        sh->mem_bytes[w->map] = bytes;
        for (int r = 0; r < w->nreduce; r++)
            em_batch_list_move(&sh->blocks[w->map * w->nreduce + r], &w->lists[r]);
    } else {
        sh->files[w->map] = file;
    }
    sh->committed[w->map] = true;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void writer_destroy(em_op *op)
{
    writer *w = (writer *)op;
    for (int r = 0; r < w->nreduce; r++) {
        if (w->builders[r]) em_batch_destroy(w->builders[r]);
        em_batch_list_release(&w->lists[r]);
    }
    em_free(w->builders);
    em_free(w->lists);
    em_free(w->keys);
    em_free(w->hashes);
    em_free(w->pids);
    em_free(w->sel);
    em_free(w->counts);
    em_free(w);
}

static const em_op_vtable writer_vt = {"ShuffleWrite", writer_push, writer_finish, writer_destroy};

em_op *em_shuffle_writer_create(em_task_ctx *ctx, em_shuffle_store *s, int shuffle_id, int map,
                                int nkeys, const int *keys)
{
    writer *w = em_calloc(1, sizeof(writer));
    w->op.vt = &writer_vt;
    w->op.ctx = ctx;
    w->store = s;
    w->id = shuffle_id;
    w->map = map;
    w->nreduce = s->shuffles[shuffle_id].nreduce;
    w->nkeys = nkeys;
    w->keys = em_malloc(sizeof(int) * (size_t)(nkeys ? nkeys : 1));
    if (nkeys) memcpy(w->keys, keys, sizeof(int) * (size_t)nkeys);
    w->builders = em_calloc((size_t)w->nreduce, sizeof(em_batch *));
    w->lists = em_calloc((size_t)w->nreduce, sizeof(em_batch_list));
    for (int r = 0; r < w->nreduce; r++) em_batch_list_init(&w->lists[r]);
    w->counts = em_calloc((size_t)w->nreduce + 1, sizeof(int64_t));
    return &w->op;
}

/* ---- reader -------------------------------------------------------------- */

typedef struct reader {
    em_source src;
    shuffle *sh;
    int reduce, end; /* reduce partitions [reduce, end) */
    int map, map_end; /* maps [map, map_end) */
    int map_first;
    int64_t idx;      /* next batch in an in-memory list */
    int64_t off;      /* next block in a map file, or -1 before the partition starts */
    em_shuffle_store *store;
    int source;            /* where the current map's output is read from (map_source) */
    em_shuffle_location loc; /* SOURCE_REMOTE: where */
    em_batch_list fetched; /* a remote map's blocks of the current partition */
    bool have_fetched;
} reader;

enum { SOURCE_UNKNOWN = -1, SOURCE_LOCAL, SOURCE_REMOTE, SOURCE_EMPTY, SOURCE_MISSING };

/* Where map `m`'s output is read from, decided once per (map, partition) under
 * one lock: committed here, held by another executor, known to hold nothing
 * for this reader, or — on an executor, where a store has a fetch function —
 * lost. Without a fetch function (local mode) every map is read here. */
static int map_source(em_shuffle_store *s, const shuffle *sh, int m, em_shuffle_location *loc)
{
    pthread_mutex_lock(&s->lock);
    int source = SOURCE_LOCAL;
    if (!sh->committed[m] && s->fetch) {
        if (sh->remote[m].set) {
            *loc = sh->remote[m].loc;
            source = SOURCE_REMOTE;
        } else {
            source = sh->remote[m].empty ? SOURCE_EMPTY : SOURCE_MISSING;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return source;
}

static void reader_destroy(em_source *src);

static int reader_next(em_source *src, em_batch **out, em_error *err)
{
    reader *r = (reader *)src;
    *out = NULL;
    while (r->reduce < r->end) {
        while (r->map < r->map_end) {
            const map_file *f = &r->sh->files[r->map];
            int id = (int)(r->sh - r->store->shuffles);
            if (r->source == SOURCE_UNKNOWN) r->source = map_source(r->store, r->sh, r->map, &r->loc);
            if (r->source == SOURCE_MISSING)
                /* On an executor, a map output nobody said where to find is lost:
                 * reading it as empty would silently drop its rows. */
                return em_error_set(err, EM_EFETCH,
                                    "shuffle %d map %d is not available (its executor was lost)",
                                    id, r->map);
            if (r->source == SOURCE_EMPTY) {
                /* nothing to read */
            } else if (r->source == SOURCE_REMOTE) {
                if (!r->have_fetched) {
                    em_shuffle_store *st = r->store;
                    EM_TRY(st->fetch(st->fetch_ctx, &r->loc, id, r->map, r->reduce, r->reduce + 1,
                                     &r->fetched, err));
                    r->have_fetched = true;
                    r->idx = 0;
                }
                if (r->idx < r->fetched.count) {
                    *out = r->fetched.items[r->idx];
                    r->fetched.items[r->idx++] = NULL;
                    return 0;
                }
                em_batch_list_release(&r->fetched);
                em_batch_list_init(&r->fetched);
                r->have_fetched = false;
            } else if (f->file) {
                if (r->off < 0) r->off = f->index[r->reduce];
                if (r->off < f->index[r->reduce + 1]) return em_spill_read_at(f->file, r->off, out, &r->off, err);
            } else {
                em_batch_list *l = &r->sh->blocks[r->map * r->sh->nreduce + r->reduce];
                if (r->idx < l->count) {
                    *out = em_batch_ref_copy(l->items[r->idx++]);
                    return 0;
                }
            }
            r->map++;
            r->idx = 0;
            r->off = -1;
            r->source = SOURCE_UNKNOWN;
        }
        r->reduce++;
        r->map = r->map_first;
    }
    return 0;
}

static void reader_destroy(em_source *src)
{
    reader *r = (reader *)src;
    em_batch_list_release(&r->fetched);
    em_free(src);
}

int64_t em_shuffle_partition_bytes(em_shuffle_store *s, int id, int reduce)
{
    shuffle *sh = &s->shuffles[id];
    int64_t total = 0;
    pthread_mutex_lock(&s->lock);
    for (int m = 0; sh->blocks && m < sh->nmaps; m++) total += block_bytes_locked(sh, m, reduce);
    pthread_mutex_unlock(&s->lock);
    return total;
}

static em_source *reader_maps(em_shuffle_store *s, int shuffle_id, int first, int end, int m0,
                              int m1)
{
    reader *r = em_calloc(1, sizeof(reader));
    r->src.next = reader_next;
    r->src.destroy = reader_destroy;
    r->sh = &s->shuffles[shuffle_id];
    r->store = s;
    r->source = SOURCE_UNKNOWN;
    em_batch_list_init(&r->fetched);
    r->reduce = first;
    r->end = end;
    r->map = r->map_first = m0;
    r->map_end = m1;
    r->off = -1;
    return &r->src;
}

em_source *em_shuffle_reader_range(em_shuffle_store *s, int shuffle_id, int first, int end)
{
    return reader_maps(s, shuffle_id, first, end, 0, s->shuffles[shuffle_id].nmaps);
}

em_source *em_shuffle_reader_create(em_shuffle_store *s, int shuffle_id, int reduce, int nmerge,
                                    const em_sort_key *keys)
{
    shuffle *sh = &s->shuffles[shuffle_id];
    if (nmerge > 0) {
        /* Every map's run is sorted: merge them, wherever each one lives. */
        em_source **runs = em_malloc(sizeof(em_source *) * (size_t)EM_MAX(sh->nmaps, 1));
        for (int m = 0; m < sh->nmaps; m++)
            runs[m] = reader_maps(s, shuffle_id, reduce, reduce + 1, m, m + 1);
        em_source *src = em_source_merge_streams(sh->nmaps, runs, nmerge, keys);
        em_free(runs);
        return src;
    }
    return em_shuffle_reader_range(s, shuffle_id, reduce, reduce + 1);
}

/* ---- adaptive execution: map subranges and sizes ------------------------------ */

em_source *em_shuffle_reader_maps(em_shuffle_store *s, int shuffle_id, int reduce, int map_first,
                                  int map_end)
{
    int nmaps = s->shuffles[shuffle_id].nmaps;
    map_first = EM_MAX(0, EM_MIN(map_first, nmaps));
    map_end = EM_MAX(map_first, EM_MIN(map_end, nmaps));
    return reader_maps(s, shuffle_id, reduce, reduce + 1, map_first, map_end);
}

em_source *em_shuffle_reader_all(em_shuffle_store *s, int shuffle_id)
{
    return em_shuffle_reader_range(s, shuffle_id, 0, s->shuffles[shuffle_id].nreduce);
}

int em_shuffle_nmaps(em_shuffle_store *s, int shuffle_id)
{
    return s->shuffles[shuffle_id].nmaps;
}

int64_t em_shuffle_block_bytes(em_shuffle_store *s, int shuffle_id, int map, int reduce)
{
    shuffle *sh = &s->shuffles[shuffle_id];
    pthread_mutex_lock(&s->lock);
    int64_t bytes = 0;
    if (sh->blocks && map >= 0 && map < sh->nmaps && reduce >= 0 && reduce < sh->nreduce)
        bytes = block_bytes_locked(sh, map, reduce);
    pthread_mutex_unlock(&s->lock);
    return bytes;
}

/* ---- cluster mode: the map-output tracker and the serving side ------------- */

void em_shuffle_store_set_fetch(em_shuffle_store *s, em_shuffle_fetch_fn fn, void *ctx)
{
    s->fetch = fn;
    s->fetch_ctx = ctx;
}

bool em_shuffle_registered(em_shuffle_store *s, int id)
{
    return id >= 0 && id < s->n && s->shuffles[id].blocks != NULL;
}

int em_shuffle_nreduce(em_shuffle_store *s, int id)
{
    return em_shuffle_registered(s, id) ? s->shuffles[id].nreduce : 0;
}

void em_shuffle_set_remote(em_shuffle_store *s, int id, int map, const em_shuffle_location *loc,
                           const int64_t *sizes, int64_t rows)
{
    shuffle *sh = &s->shuffles[id];
    pthread_mutex_lock(&s->lock);
    if (sh->blocks && map >= 0 && map < sh->nmaps) {
        remote_map *rm = &sh->remote[map];
        em_free(rm->sizes);
        rm->sizes = NULL;
        if (sizes) {
            rm->sizes = em_malloc(sizeof(int64_t) * (size_t)EM_MAX(sh->nreduce, 1));
            memcpy(rm->sizes, sizes, sizeof(int64_t) * (size_t)sh->nreduce);
        }
        rm->loc = *loc;
        rm->rows = rows;
        rm->set = true;
        rm->empty = false;
    }
    pthread_mutex_unlock(&s->lock);
}

bool em_shuffle_remote_location(em_shuffle_store *s, int id, int map, em_shuffle_location *out)
{
    shuffle *sh = &s->shuffles[id];
    bool found = false;
    pthread_mutex_lock(&s->lock);
    /* A map committed here is read here, wherever else a copy was recorded. */
    if (sh->blocks && map >= 0 && map < sh->nmaps && sh->remote[map].set && !sh->committed[map]) {
        *out = sh->remote[map].loc;
        found = true;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

void em_shuffle_set_empty(em_shuffle_store *s, int id, int map)
{
    shuffle *sh = &s->shuffles[id];
    pthread_mutex_lock(&s->lock);
    /* A location (another task's) wins over "empty": it is never wrong to fetch. */
    if (sh->blocks && map >= 0 && map < sh->nmaps && !sh->remote[map].set)
        sh->remote[map].empty = true;
    pthread_mutex_unlock(&s->lock);
}

bool em_shuffle_map_ready(em_shuffle_store *s, int id, int map)
{
    shuffle *sh = &s->shuffles[id];
    pthread_mutex_lock(&s->lock);
    bool ready = sh->blocks && map >= 0 && map < sh->nmaps &&
                 (sh->committed[map] || sh->remote[map].set);
    pthread_mutex_unlock(&s->lock);
    return ready;
}

int em_shuffle_lose_executor(em_shuffle_store *s, const char *executor)
{
    int lost = 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->n; i++) {
        shuffle *sh = &s->shuffles[i];
        for (int m = 0; sh->blocks && m < sh->nmaps; m++) {
            remote_map *rm = &sh->remote[m];
            if (!rm->set || strcmp(rm->loc.executor, executor) != 0) continue;
            em_free(rm->sizes);
            memset(rm, 0, sizeof *rm);
            lost++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return lost;
}

void em_shuffle_map_sizes(em_shuffle_store *s, int id, int map, int64_t *sizes, int64_t *rows)
{
    shuffle *sh = &s->shuffles[id];
    *rows = 0;
    pthread_mutex_lock(&s->lock);
    for (int r = 0; r < sh->nreduce; r++) {
        sizes[r] = block_bytes_locked(sh, map, r);
        *rows += sh->blocks[map * sh->nreduce + r].rows;
    }
    *rows += sh->files[map].rows;
    pthread_mutex_unlock(&s->lock);
}

int em_shuffle_read_encoded(em_shuffle_store *s, int id, int map, int first, int end,
                            em_strbuf *out, int64_t *nblocks, em_error *err)
{
    *nblocks = 0;
    if (id < 0 || id >= s->n)
        return em_error_set(err, EM_ENOENT, "no shuffle %d here", id);
    shuffle *sh = &s->shuffles[id];
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    if (!sh->blocks || map < 0 || map >= sh->nmaps || !sh->committed[map] || first < 0 ||
        end > sh->nreduce || first > end) {
        pthread_mutex_unlock(&s->lock);
        return em_error_set(err, EM_ENOENT, "shuffle %d map %d partitions [%d, %d) are not held here",
                            id, map, first, end);
    }
    /* The lock keeps a retried attempt from replacing the output mid-read. */
    const map_file *f = &sh->files[map];
    for (int r = first; r < end && rc == 0; r++) {
        if (f->file) {
            for (int64_t off = f->index[r]; off < f->index[r + 1] && rc == 0; (*nblocks)++)
                rc = em_spill_read_raw_at(f->file, off, out, &off, err);
        } else {
            const em_batch_list *l = &sh->blocks[map * sh->nreduce + r];
            for (int64_t j = 0; j < l->count; j++, (*nblocks)++) em_batch_encode(l->items[j], out);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

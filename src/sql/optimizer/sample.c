/*
 * sample.c — reading a small sample of a scan for the optimizer's estimates.
 *
 * Join ordering needs row counts, filter selectivities and distinct counts,
 * and a file carries none of them (a CSV file not even its row count). A
 * sample answers all three well enough: SAMPLE_CHUNKS runs of consecutive rows
 * taken at evenly spaced places, about SAMPLE_BYTES in all.
 *   - CSV: each chunk is a byte range of CHUNK_BYTES starting after a newline,
 *     read by the format's own reader as if it were a split; the rows read per
 *     byte give the file's row count. (A newline inside a quoted field can put
 *     a chunk out of step; such a chunk usually fails to parse and is left out,
 *     and otherwise only skews an estimate.)
 *   - An in-memory table: slices of evenly spaced batches; its row count is known.
 *   - Other formats (JSON, Parquet): the first rows of evenly spaced splits
 *     (few splits give few, long chunks: less independent, still informative); the
 *     row count from the format's metadata where it has some (Parquet footers),
 *     else the binder's guess.
 * An input of at most SAMPLE_BYTES (or SAMPLE_ROWS rows) is read whole. Chunks
 * are kept apart because the distinct-count estimator (cardinality.c) needs to
 * know which values were seen in which chunk.
 *
 * Samples of files are remembered (process-wide, a few dozen MiB at most): a query
 * often scans one table twice (a correlated subquery, a self-join, a view used
 * twice), and reading a Parquet sample means decompressing whole pages. The key
 * names everything the rows read depend on: the format, its options, the schema,
 * the splits, the columns and each file's identity (device, inode, size,
 * modification time), so a rewritten file is sampled afresh. A sample only steers
 * estimates; a stale one could cost a worse plan, never a wrong answer.
 */
#include "sql/optimizer/stats.h"

#include <pthread.h>
#include <string.h>
#include <sys/stat.h>

#include "os/os.h"
#include "sql/catalog/catalog.h"

#define SAMPLE_CHUNKS 32
#define CHUNK_BYTES (32 * 1024)
#define SAMPLE_BYTES ((int64_t)SAMPLE_CHUNKS * CHUNK_BYTES)
#define SAMPLE_ROWS (16 * 1024)
#define CHUNK_ROWS 512

typedef struct sampler {
    em__sample *s;
    int cap;
} sampler;

static void add_batch(sampler *sp, em_batch *b, int chunk)
{
    em__sample *s = sp->s;
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return;
    }
    if (s->nbatches == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 16;
        s->batches = em_realloc(s->batches, sizeof(em_batch *) * (size_t)sp->cap);
        s->chunk = em_realloc(s->chunk, sizeof(int) * (size_t)sp->cap);
    }
    s->batches[s->nbatches] = b;
    s->chunk[s->nbatches] = chunk;
    s->nbatches++;
}

/* Drop the batches of `chunk` added since index `from` (a chunk that failed). */
static void drop_since(em__sample *s, int from)
{
    for (int i = from; i < s->nbatches; i++) em_batch_destroy(s->batches[i]);
    s->nbatches = from;
}

/* Read split `split` of d whole, at most max_rows rows (-1: all) into chunk
 * `chunk`; returns the rows read, or -1 when the split could not be read. */
static int64_t read_split(sampler *sp, const em_format *f, const em_scan_desc *d, int split,
                          const int *src_cols, int ncols, int64_t max_rows, int chunk)
{
    em_error err = {0};
    void *r = NULL;
    int from = sp->s->nbatches;
    if (f->open(d, split, src_cols, ncols, &r, &err) < 0) {
        em_error_clear(&err);
        return -1;
    }
    int64_t rows = 0;
    for (;;) {
        em_batch *b = NULL;
        if (f->next(r, &b, &err) < 0) {
            em_error_clear(&err);
            f->close(r);
            drop_since(sp->s, from);
            return -1;
        }
        if (b == NULL) break;
        if (max_rows >= 0 && rows + b->nrows > max_rows) {
            em_batch *cut = em_batch_slice(b, 0, max_rows - rows);
            em_batch_destroy(b);
            b = cut;
        }
        rows += b->nrows;
        add_batch(sp, b, chunk);
        if (max_rows >= 0 && rows >= max_rows) break;
    }
    f->close(r);
    return rows;
}

/* A small input: every split, every row. */
static void read_whole(sampler *sp, const em_format *f, const em_scan_desc *d, const int *src_cols,
                       int ncols)
{
    em__sample *s = sp->s;
    int64_t rows = 0;
    for (int i = 0; i < d->nsplits; i++) {
        int64_t n = read_split(sp, f, d, i, src_cols, ncols, -1, i);
        if (n < 0) return; /* what was read is a sample, but not the whole */
        rows += n;
    }
    s->rows = (double)rows;
    s->rows_known = s->complete = true;
    s->nchunks = d->nsplits;
}

/* The first record start at or after pos in [lo, hi): just after a newline. */
static int64_t after_newline(const em_mmap *m, int64_t pos, int64_t lo, int64_t hi)
{
    if (pos <= lo) return lo;
    for (int64_t i = pos - 1; i < hi; i++)
        if (m->data[i] == '\n') return i + 1;
    return hi;
}

/* CSV: chunks of CHUNK_BYTES at evenly spaced byte offsets of the splits. */
static void sample_csv(sampler *sp, const em_format *f, const em_scan_desc *d, const int *src_cols,
                       int ncols)
{
    em__sample *s = sp->s;
    int64_t total = 0;
    for (int i = 0; i < d->nsplits; i++) total += d->splits[i].end - d->splits[i].start;
    if (total <= SAMPLE_BYTES) {
        read_whole(sp, f, d, src_cols, ncols);
        return;
    }
    /* One description whose splits are the chunks, aligned to record starts. */
    em_scan_desc *c = em_scan_desc_copy(d);
    em_free(c->splits);
    c->splits = em_calloc(SAMPLE_CHUNKS, sizeof(em_split));
    c->nsplits = 0;
    em_mmap m = {0};
    int mapped = -1;
    int64_t bytes_read = 0, rows_read = 0;
    for (int k = 0; k < SAMPLE_CHUNKS; k++) {
        /* The k-th evenly spaced offset into the concatenated splits. */
        int64_t want = total / SAMPLE_CHUNKS * k, acc = 0;
        int i = 0;
        while (i < d->nsplits - 1 && acc + (d->splits[i].end - d->splits[i].start) <= want) {
            acc += d->splits[i].end - d->splits[i].start;
            i++;
        }
        const em_split *sp_i = &d->splits[i];
        if (mapped != sp_i->file) {
            em_os_munmap(&m);
            em_error err = {0};
            if (em_os_mmap(d->files[sp_i->file], &m, &err) < 0) {
                em_error_clear(&err);
                mapped = -1;
                continue;
            }
            mapped = sp_i->file;
        }
        int64_t hi = EM_MIN(sp_i->end, m.size);
        int64_t start = after_newline(&m, sp_i->start + (want - acc), sp_i->start, hi);
        int64_t end = after_newline(&m, start + CHUNK_BYTES, start, hi);
        if (end <= start) continue;
        c->splits[c->nsplits++] = (em_split){sp_i->file, start, end};
        int64_t n = read_split(sp, f, c, c->nsplits - 1, src_cols, ncols, -1, k);
        if (n <= 0) continue;
        bytes_read += end - start;
        rows_read += n;
    }
    em_os_munmap(&m);
    em_scan_desc_destroy(c);
    s->nchunks = SAMPLE_CHUNKS;
    if (rows_read > 0) {
        s->rows = (double)total * (double)rows_read / (double)bytes_read;
        s->rows_known = true;
    }
}

/* Other formats: the first CHUNK_ROWS rows of evenly spaced splits. */
static void sample_splits(sampler *sp, const em_format *f, const em_scan_desc *d,
                          const int *src_cols, int ncols)
{
    int64_t total = 0;
    for (int i = 0; i < d->nsplits; i++) total += d->splits[i].end - d->splits[i].start;
    if (total <= SAMPLE_BYTES) {
        read_whole(sp, f, d, src_cols, ncols);
        return;
    }
    int n = EM_MIN(d->nsplits, SAMPLE_CHUNKS);
    int64_t per = EM_MAX(CHUNK_ROWS, SAMPLE_ROWS / n);
    for (int k = 0; k < n; k++) {
        int split = (int)((int64_t)d->nsplits * k / n);
        read_split(sp, f, d, split, src_cols, ncols, per, k);
    }
    sp->s->nchunks = n;
    int64_t rows = 0;
    em_error err = {0};
    if (f->row_count && f->row_count(d, &rows, &err) == 0) {
        sp->s->rows = (double)rows;
        sp->s->rows_known = true;
    }
    em_error_clear(&err);
}

static void sample_table(sampler *sp, const em_lop *scan, const int *src_cols, int ncols)
{
    const em_table *t = scan->u.scan.table;
    em__sample *s = sp->s;
    s->rows = (double)t->data.rows;
    s->rows_known = true;
    int64_t nb = t->data.count;
    bool whole = t->data.rows <= SAMPLE_ROWS;
    int n = whole ? (int)nb : (int)EM_MIN(nb, SAMPLE_CHUNKS);
    for (int k = 0; k < n; k++) {
        const em_batch *b = t->data.items[whole ? k : nb * k / n];
        int64_t rows = whole ? b->nrows : EM_MIN(b->nrows, CHUNK_ROWS);
        em_batch *o = em_batch_create(ncols);
        for (int i = 0; i < ncols; i++)
            o->cols[i] = rows == b->nrows ? em_vector_ref(b->cols[src_cols[i]])
                                          : em_vector_slice(b->cols[src_cols[i]], 0, rows);
        o->nrows = rows;
        add_batch(sp, o, k);
    }
    s->complete = whole;
    s->nchunks = n;
}

/* ---- the cache of file samples ---------------------------------------------- */

#define CACHE_ENTRIES 16
#define CACHE_BYTES ((int64_t)32 << 20)

typedef struct cache_entry {
    char *key; /* NULL: a free slot */
    size_t key_len;
    em__sample *s; /* s->cols unused; batches share their vectors with copies */
    int64_t bytes;
    uint64_t used; /* for least-recently-used eviction */
} cache_entry;

static pthread_mutex_t g_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static cache_entry g_cache[CACHE_ENTRIES];
static int64_t g_cache_bytes;
static uint64_t g_cache_clock;

/* The key of a file scan's sample of source columns src[0..ncols): false when a file
 * cannot be stat'ed (then nothing is cached). */
static bool cache_key(const em_scan_desc *d, const int *src, int ncols, em_strbuf *k)
{
    em_strbuf_printf(k, "%s|%d|", d->format, d->noptions);
    for (int i = 0; i < d->noptions; i++) {
        em_strbuf_puts(k, d->options[i].key);
        em_strbuf_putc(k, '\0');
        em_strbuf_puts(k, d->options[i].value);
        em_strbuf_putc(k, '\0');
    }
    em_strbuf_printf(k, "|%d|", d->schema->nfields);
    for (int i = 0; i < d->schema->nfields; i++) {
        const em_field *fd = &d->schema->fields[i];
        em_strbuf_puts(k, fd->name);
        em_strbuf_printf(k, "\x01%d.%d.%d.%d|", fd->type.id, fd->type.precision, fd->type.scale,
                         fd->nullable);
    }
    em_strbuf_printf(k, "%d|", ncols);
    for (int i = 0; i < ncols; i++) em_strbuf_printf(k, "%d,", src[i]);
    em_strbuf_printf(k, "|%d|", d->nsplits);
    for (int i = 0; i < d->nsplits; i++)
        em_strbuf_printf(k, "%d:%lld-%lld,", d->splits[i].file, (long long)d->splits[i].start,
                         (long long)d->splits[i].end);
    em_strbuf_printf(k, "|%d|", d->nfiles);
    for (int i = 0; i < d->nfiles; i++) {
        struct stat st;
        if (stat(d->files[i], &st) != 0) return false;
        em_strbuf_puts(k, d->files[i]);
        em_strbuf_printf(k, "\x01%llu.%llu.%lld.%lld.%ld|", (unsigned long long)st.st_dev,
                         (unsigned long long)st.st_ino, (long long)st.st_size,
                         (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    }
    return true;
}

/* A sample sharing s's vectors; its columns are cols[0..ncols). */
static em__sample *sample_share(const em__sample *s, const int *cols, int ncols)
{
    em__sample *c = em_calloc(1, sizeof *c);
    c->rows = s->rows;
    c->rows_known = s->rows_known;
    c->complete = s->complete;
    c->nchunks = s->nchunks;
    c->ncols = ncols;
    c->cols = em_malloc(sizeof(int) * (size_t)(ncols > 0 ? ncols : 1));
    if (ncols > 0) memcpy(c->cols, cols, sizeof(int) * (size_t)ncols);
    c->nbatches = s->nbatches;
    int nb = s->nbatches > 0 ? s->nbatches : 1;
    c->batches = em_malloc(sizeof(em_batch *) * (size_t)nb);
    c->chunk = em_malloc(sizeof(int) * (size_t)nb);
    for (int b = 0; b < s->nbatches; b++) {
        const em_batch *from = s->batches[b];
        em_batch *o = em_batch_create(from->ncols);
        for (int i = 0; i < from->ncols; i++) o->cols[i] = em_vector_ref(from->cols[i]);
        o->nrows = from->nrows;
        c->batches[b] = o;
        c->chunk[b] = s->chunk[b];
    }
    return c;
}

static em__sample *cache_get(const em_strbuf *k, const int *cols, int ncols)
{
    em__sample *out = NULL;
    pthread_mutex_lock(&g_cache_lock);
    for (int i = 0; i < CACHE_ENTRIES && out == NULL; i++) {
        cache_entry *e = &g_cache[i];
        if (e->key && e->key_len == k->len && memcmp(e->key, k->data, k->len) == 0) {
            e->used = ++g_cache_clock;
            out = sample_share(e->s, cols, ncols);
        }
    }
    pthread_mutex_unlock(&g_cache_lock);
    return out;
}

static void entry_clear(cache_entry *e)
{
    em_free(e->key);
    em__sample_destroy(e->s);
    g_cache_bytes -= e->bytes;
    memset(e, 0, sizeof *e);
}

static void cache_put(const em_strbuf *k, const em__sample *s)
{
    int64_t bytes = (int64_t)k->len;
    for (int b = 0; b < s->nbatches; b++) bytes += em_batch_bytes(s->batches[b]);
    if (bytes > CACHE_BYTES / 4) return;
    em__sample *keep = sample_share(s, s->cols, s->ncols);
    pthread_mutex_lock(&g_cache_lock);
    /* Evict the least recently used entries until the new one fits. */
    for (;;) {
        int free_slot = -1, lru = -1;
        for (int i = 0; i < CACHE_ENTRIES; i++) {
            cache_entry *e = &g_cache[i];
            if (!e->key) {
                if (free_slot < 0) free_slot = i;
            } else if (lru < 0 || e->used < g_cache[lru].used) {
                lru = i;
            }
        }
        if (free_slot >= 0 && g_cache_bytes + bytes <= CACHE_BYTES) {
            cache_entry *e = &g_cache[free_slot];
            e->key = em_malloc(k->len + 1);
            memcpy(e->key, k->data, k->len);
            e->key_len = k->len;
            e->s = keep;
            e->bytes = bytes;
            e->used = ++g_cache_clock;
            g_cache_bytes += bytes;
            keep = NULL;
            break;
        }
        if (lru < 0) break;
        entry_clear(&g_cache[lru]);
    }
    pthread_mutex_unlock(&g_cache_lock);
    em__sample_destroy(keep);
}

void em__sample_cache_clear(void)
{
    pthread_mutex_lock(&g_cache_lock);
    for (int i = 0; i < CACHE_ENTRIES; i++)
        if (g_cache[i].key) entry_clear(&g_cache[i]);
    pthread_mutex_unlock(&g_cache_lock);
}

em__sample *em__sample_scan(const em_lop *scan, const int *cols, int ncols)
{
    int *src = em_malloc(sizeof(int) * (size_t)(ncols > 0 ? ncols : 1));
    for (int i = 0; i < ncols; i++) src[i] = scan->u.scan.cols[cols[i]];
    const em_scan_desc *d = scan->kind == EM_LOP_SCAN_TABLE ? NULL : scan->u.scan.desc;
    const em_format *f = d ? em_format_lookup(d->format) : NULL;
    bool file = f && d->schema && d->nsplits > 0;
    em_strbuf key;
    em_strbuf_init(&key);
    bool cacheable = file && cache_key(d, src, ncols, &key);
    em__sample *s = cacheable ? cache_get(&key, cols, ncols) : NULL;
    if (s != NULL) {
        em_strbuf_release(&key);
        em_free(src);
        return s;
    }
    s = em_calloc(1, sizeof *s);
    sampler sp = {s, 0};
    s->ncols = ncols;
    s->cols = em_malloc(sizeof(int) * (size_t)(ncols > 0 ? ncols : 1));
    for (int i = 0; i < ncols; i++) s->cols[i] = cols[i];
    if (scan->kind == EM_LOP_SCAN_TABLE) {
        sample_table(&sp, scan, src, ncols);
    } else if (file) {
        if (strcmp(d->format, "csv") == 0)
            sample_csv(&sp, f, d, src, ncols);
        else
            sample_splits(&sp, f, d, src, ncols);
    }
    em_free(src);
    if (s->nbatches == 0 && !s->complete) {
        em_strbuf_release(&key);
        em__sample_destroy(s);
        return NULL;
    }
    if (cacheable) cache_put(&key, s);
    em_strbuf_release(&key);
    return s;
}

void em__sample_destroy(em__sample *s)
{
    if (!s) return;
    for (int i = 0; i < s->nbatches; i++) em_batch_destroy(s->batches[i]);
    em_free(s->batches);
    em_free(s->chunk);
    em_free(s->cols);
    em_free(s);
}

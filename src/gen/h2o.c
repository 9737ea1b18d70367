/*
 * h2o.c — the db-benchmark's groupby and join data sets (see h2o.h).
 *
 * The published R generators draw whole columns with sample(); here every
 * row is computed from its index so that chunks of rows can be produced in
 * parallel. A column drawn with replacement takes a value from the row's
 * random stream. A column that must hold every key of a pool at least once
 * (R's sample_all: the pool followed by extra draws, shuffled) is the pool
 * laid out over positions 0..S-1 — position j < n holds pool key j, later
 * positions a hashed draw — read through a random permutation of [0, S):
 * row i takes position perm(i). Key spaces (split_xlr) are a random
 * permutation of 1..1.1n cut into the shared, left-only and right-only keys.
 */
#include "gen/h2o.h"

#include <stdio.h>
#include <string.h>

#include "gen/gen_int.h"

#define CHUNK_ROWS 65536
#define MAX_ROW_BYTES 256

/* Stream numbers: which table or column a random stream belongs to. */
enum { S_GROUPBY = 1, S_X = 2, S_SMALL = 3, S_MEDIUM = 4, S_BIG = 5 };

/* ---- groupby ----------------------------------------------------------- */

static inline char *put_lit(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

typedef struct groupby_ctx {
    uint64_t seed;
    int64_t rows, k, nk; /* N, K, N/K */
} groupby_ctx;

static size_t groupby_chunk(const void *arg, int64_t index, char *buf)
{
    const groupby_ctx *ctx = arg;
    em__gen_rng r;
    em__gen_rng_seed(&r, ctx->seed, ((uint64_t)S_GROUPBY << 40) | (uint64_t)index);
    int64_t first = index * CHUNK_ROWS, n = EM_MIN(CHUNK_ROWS, ctx->rows - first);
    uint64_t k = (uint64_t)ctx->k, nk = (uint64_t)ctx->nk;
    char *p = buf;
    for (int64_t i = 0; i < n; i++) {
        p = put_lit(p, "id", 2);
        p = em__gen_put_u64_padded(p, em__gen_rng_below(&r, k) + 1, 3);
        p = put_lit(p, ",id", 3);
        p = em__gen_put_u64_padded(p, em__gen_rng_below(&r, k) + 1, 3);
        p = put_lit(p, ",id", 3);
        p = em__gen_put_u64_padded(p, em__gen_rng_below(&r, nk) + 1, 10);
        *p++ = ',';
        p = em__gen_put_u64(p, em__gen_rng_below(&r, k) + 1);
        *p++ = ',';
        p = em__gen_put_u64(p, em__gen_rng_below(&r, k) + 1);
        *p++ = ',';
        p = em__gen_put_u64(p, em__gen_rng_below(&r, nk) + 1);
        *p++ = ',';
        p = em__gen_put_u64(p, em__gen_rng_below(&r, 5) + 1);
        *p++ = ',';
        p = em__gen_put_u64(p, em__gen_rng_below(&r, 15) + 1);
        *p++ = ',';
        p = em__gen_put_micros(p, em__gen_rng_below(&r, 100000000));
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

static int check_common(const em_gen_h2o_opts *o, em_error *err)
{
    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        return em_error_set(err, EM_EINVAL, "no output directory");
    }
    if (o->threads < 0) return em_error_set(err, EM_EINVAL, "--threads must be positive");
    return 0;
}

static int resolve_threads(int threads)
{
    return EM_MIN(threads > 0 ? threads : em_cpu_count(), 64);
}

int em_gen_h2o_groupby(const em_gen_h2o_opts *o, em_gen_h2o_stats *stats, em_error *err)
{
    EM_TRY(check_common(o, err));
    if (o->rows < 1) return em_error_set(err, EM_EINVAL, "--rows must be at least 1");
    if (o->groups < 1) return em_error_set(err, EM_EINVAL, "--groups must be at least 1");
    EM_TRY(em__gen_mkdir_p(o->out_dir, err));
    /* R's sample(N/K) needs at least one level. */
    groupby_ctx ctx = {o->seed, o->rows, o->groups, EM_MAX(o->rows / o->groups, 1)};
    char n_text[40], k_text[40], name[128];
    em__gen_pretty_count(n_text, o->rows);
    em__gen_pretty_count(k_text, o->groups);
    snprintf(name, sizeof(name), "G1_%s_%s_0_0.csv", n_text, k_text);
    em__gen_file_spec spec = {
        .dir = o->out_dir,
        .name = name,
        .header = "id1,id2,id3,id4,id5,id6,v1,v2,v3\n",
        .nchunks = (o->rows + CHUNK_ROWS - 1) / CHUNK_ROWS,
        .max_chunk_bytes = (size_t)CHUNK_ROWS * MAX_ROW_BYTES,
        .fn = groupby_chunk,
        .ctx = &ctx,
        .threads = resolve_threads(o->threads),
    };
    int64_t bytes = 0;
    EM_TRY(em__gen_write_file(&spec, &bytes, err));
    if (stats != NULL) *stats = (em_gen_h2o_stats){.files = 1, .rows = o->rows, .bytes = bytes};
    return 0;
}

/* ---- join -------------------------------------------------------------- */

/* One of the three key spaces of split_xlr(n): a permutation of 1..n+nr,
 * whose first nx keys are on both sides, the next nl = n - nx only on the
 * left and the last nr = nl only on the right. */
typedef struct keyspace {
    int64_t n, nx, nl;
    em__gen_perm perm;
} keyspace;

static void keyspace_init(keyspace *ks, int64_t n, uint64_t seed, uint64_t which)
{
    ks->n = n;
    /* 90% shared, as in the published generator; a space of one key keeps
     * it on both sides so that the small join is never empty. */
    ks->nx = EM_MAX(n * 9 / 10, 1);
    ks->nl = n - ks->nx;
    em__gen_perm_init(&ks->perm, (uint64_t)(n + ks->nl), seed, which);
}

/* Key j (< n) of the left pool (shared then left-only keys) or of the right
 * pool (shared then right-only keys). */
static int64_t pool_key(const keyspace *ks, bool right, int64_t j)
{
    int64_t pos = right && j >= ks->nx ? j + ks->nl : j;
    return (int64_t)em__gen_perm_at(&ks->perm, (uint64_t)pos) + 1;
}

/* A column of `size` rows holding every key of a pool at least once. */
typedef struct column {
    const keyspace *ks;
    bool right;
    int64_t size;
    em__gen_perm order;
    uint64_t salt;
} column;

static void column_init(column *c, const keyspace *ks, bool right, int64_t size, uint64_t seed,
                        uint64_t which)
{
    c->ks = ks;
    c->right = right;
    c->size = size;
    c->salt = em__gen_mix3(seed, which, 0xc01);
    em__gen_perm_init(&c->order, (uint64_t)size, seed, which);
}

static int64_t column_at(const column *c, int64_t row)
{
    int64_t pos = (int64_t)em__gen_perm_at(&c->order, (uint64_t)row);
    int64_t n = c->ks->n;
    int64_t j = pos < n ? pos : (int64_t)(em__gen_mix3(c->salt, (uint64_t)pos, 0) % (uint64_t)n);
    return pool_key(c->ks, c->right, j);
}

enum { T_X, T_SMALL, T_MEDIUM, T_BIG, NTABLES };

static const char *const table_names[NTABLES] = {"x", "small", "medium", "big"};
static const char *const table_headers[NTABLES] = {"id1,id2,id3,id4,id5,id6,v1\n", "id1,id4,v2\n",
                                                   "id1,id2,id4,id5,v2\n",
                                                   "id1,id2,id3,id4,id5,id6,v2\n"};
static const int table_streams[NTABLES] = {S_X, S_SMALL, S_MEDIUM, S_BIG};

typedef struct join_table {
    uint64_t seed;
    int table;
    int64_t rows;
    int ncols;      /* key columns: 1 (small), 2 (medium) or 3 */
    column cols[3]; /* id1, id2, id3 as far as the table has them */
} join_table;

static char *put_id_text(char *p, int64_t key)
{
    memcpy(p, "id", 2);
    return em__gen_put_u64(p + 2, (uint64_t)key);
}

static size_t join_chunk(const void *arg, int64_t index, char *buf)
{
    const join_table *t = arg;
    em__gen_rng r;
    em__gen_rng_seed(&r, t->seed, ((uint64_t)table_streams[t->table] << 40) | (uint64_t)index);
    int64_t first = index * CHUNK_ROWS, n = EM_MIN(CHUNK_ROWS, t->rows - first);
    char *p = buf;
    for (int64_t i = 0; i < n; i++) {
        int64_t keys[3];
        for (int c = 0; c < t->ncols; c++) keys[c] = column_at(&t->cols[c], first + i);
        for (int c = 0; c < t->ncols; c++) {
            p = em__gen_put_u64(p, (uint64_t)keys[c]);
            *p++ = ',';
        }
        for (int c = 0; c < t->ncols; c++) {
            p = put_id_text(p, keys[c]);
            *p++ = ',';
        }
        p = em__gen_put_micros(p, em__gen_rng_below(&r, 100000000));
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

/* Whether `name` is in the comma-separated list (NULL: everything). */
static bool listed(const char *list, const char *name)
{
    if (list == NULL) return true;
    size_t len = strlen(name);
    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, n) == 0) return true;
        p += n;
        if (*p == ',') p++;
    }
    return false;
}

static int check_tables(const char *list, em_error *err)
{
    if (list == NULL) return 0;
    for (const char *p = list; *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        bool known = false;
        for (int t = 0; t < NTABLES; t++) {
            known |= strlen(table_names[t]) == n && strncmp(p, table_names[t], n) == 0;
        }
        if (!known) {
            return em_error_set(err, EM_EINVAL,
                                "unknown join table '%.*s' (known: x, small, medium, big)", (int)n,
                                p);
        }
        p += n;
        if (*p == ',') p++;
    }
    return 0;
}

int em_gen_h2o_join(const em_gen_h2o_opts *o, em_gen_h2o_stats *stats, em_error *err)
{
    EM_TRY(check_common(o, err));
    if (o->rows < 10000) {
        return em_error_set(err, EM_EINVAL, "--rows must be at least 10000 for the join tables");
    }
    EM_TRY(check_tables(o->tables, err));
    EM_TRY(em__gen_mkdir_p(o->out_dir, err));
    int64_t n = o->rows;
    int64_t sizes[3] = {EM_MAX(n / 1000000, 1), n / 1000, n};
    keyspace ks[3];
    for (int j = 0; j < 3; j++) keyspace_init(&ks[j], sizes[j], o->seed, 100 + (uint64_t)j);

    int64_t table_rows[NTABLES] = {n, sizes[0], sizes[1], n};
    int table_cols[NTABLES] = {3, 1, 2, 3};
    char n_text[40];
    em__gen_pretty_count(n_text, n);
    em_gen_h2o_stats st = {0};
    join_table *t = em_malloc(sizeof(join_table));
    int rc = 0;
    for (int ti = 0; ti < NTABLES && rc == 0; ti++) {
        if (!listed(o->tables, table_names[ti])) continue;
        memset(t, 0, sizeof(*t));
        t->seed = o->seed;
        t->table = ti;
        t->rows = table_rows[ti];
        t->ncols = table_cols[ti];
        for (int c = 0; c < t->ncols; c++) {
            column_init(&t->cols[c], &ks[c], ti != T_X, t->rows, o->seed,
                        (uint64_t)(200 + ti * 10 + c));
        }
        char size_text[40], name[128];
        if (ti == T_X) {
            snprintf(size_text, sizeof(size_text), "NA");
        } else {
            em__gen_pretty_count(size_text, table_rows[ti]);
        }
        snprintf(name, sizeof(name), "J1_%s_%s_0_0.csv", n_text, size_text);
        em__gen_file_spec spec = {
            .dir = o->out_dir,
            .name = name,
            .header = table_headers[ti],
            .nchunks = (t->rows + CHUNK_ROWS - 1) / CHUNK_ROWS,
            .max_chunk_bytes = (size_t)EM_MIN(t->rows, CHUNK_ROWS) * MAX_ROW_BYTES,
            .fn = join_chunk,
            .ctx = t,
            .threads = resolve_threads(o->threads),
        };
        int64_t bytes = 0;
        rc = em__gen_write_file(&spec, &bytes, err);
        st.files++;
        st.rows += t->rows;
        st.bytes += bytes;
    }
    em_free(t);
    if (stats != NULL) *stats = st;
    return rc;
}

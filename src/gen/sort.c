/*
 * sort.c — random BIGINTs for the sorting benchmark (see sort.h): one value
 * per line, each the raw output of the chunk's random stream read as a
 * signed 64-bit integer.
 */
#include "gen/sort.h"

#include "gen/gen_int.h"

#define CHUNK_ROWS 65536
#define MAX_ROW_BYTES 21 /* "-9223372036854775808\n" */

typedef struct sort_ctx {
    uint64_t seed;
    int64_t rows;
} sort_ctx;

static size_t sort_chunk(const void *arg, int64_t index, char *buf)
{
    const sort_ctx *ctx = arg;
    em__gen_rng r;
    em__gen_rng_seed(&r, ctx->seed, (uint64_t)index);
    int64_t n = EM_MIN(CHUNK_ROWS, ctx->rows - index * CHUNK_ROWS);
    char *p = buf;
    for (int64_t i = 0; i < n; i++) {
        uint64_t u = em__gen_rng_next(&r);
        /* Two's complement reinterpretation, spelled without
         * implementation-defined conversions. */
        p = u >> 63 ? em__gen_put_i64(p, -(int64_t)(~u) - 1) : em__gen_put_u64(p, u);
        *p++ = '\n';
    }
    return (size_t)(p - buf);
}

int em_gen_sort(const em_gen_sort_opts *o, em_gen_sort_stats *stats, em_error *err)
{
    if (o->out_dir == NULL || o->out_dir[0] == '\0') {
        return em_error_set(err, EM_EINVAL, "no output directory");
    }
    if (o->rows < 0) return em_error_set(err, EM_EINVAL, "--rows must not be negative");
    if (o->threads < 0) return em_error_set(err, EM_EINVAL, "--threads must be positive");
    EM_TRY(em__gen_mkdir_p(o->out_dir, err));
    sort_ctx ctx = {o->seed, o->rows};
    em__gen_file_spec spec = {
        .dir = o->out_dir,
        .name = "sort.csv",
        .header = "x\n",
        .nchunks = (o->rows + CHUNK_ROWS - 1) / CHUNK_ROWS,
        .max_chunk_bytes = (size_t)CHUNK_ROWS * MAX_ROW_BYTES,
        .fn = sort_chunk,
        .ctx = &ctx,
        .threads = EM_MIN(o->threads > 0 ? o->threads : em_cpu_count(), 64),
    };
    int64_t bytes = 0;
    EM_TRY(em__gen_write_file(&spec, &bytes, err));
    if (stats != NULL) *stats = (em_gen_sort_stats){.rows = o->rows, .bytes = bytes};
    return 0;
}

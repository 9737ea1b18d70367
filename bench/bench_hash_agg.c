/*
 * bench_hash_agg.c — throughput of the hash aggregation operator alone:
 * SELECT k, sum(d), count(*) GROUP BY k over in-memory batches (default 10M
 * rows, one BIGINT key with 100k distinct values, a DOUBLE value column).
 * With a third argument "max", max(d) is added and the operator runs in
 * PARTIAL mode, like the map side of the CSV GROUP BY benchmark.
 *
 * Not part of the CMake build; against a Release build of ember_core:
 *   cc -O3 -Iinclude -Isrc bench/bench_hash_agg.c build/libember_core.a \
 *      -lxxhash -lzstd -llz4 -ljansson -lprotobuf-c -lpg_query -lm -lpthread -o bench_hash_agg
 *   ./bench_hash_agg [rows] [groups] [max]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec/exec.h"

/* CPU time of this thread: steadier than wall time on a busy machine. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
    int64_t rows = argc > 1 ? atoll(argv[1]) : 10000000;
    int64_t groups = argc > 2 ? atoll(argv[2]) : 100000;
    bool with_max = argc > 3 && strcmp(argv[3], "max") == 0;
    em_batch_list in;
    em_batch_list_init(&in);
    uint64_t s = 42;
    for (int64_t start = 0; start < rows; start += EM_BATCH_ROWS) {
        int64_t m = EM_MIN((int64_t)EM_BATCH_ROWS, rows - start);
        em_vector *k = em_vector_create(em_type_make(EM_TYPE_BIGINT), m);
        em_vector *d = em_vector_create(em_type_make(EM_TYPE_DOUBLE), m);
        for (int64_t i = 0; i < m; i++) {
            uint64_t r = next_rand(&s);
            em_vector_append_i64(k, (int64_t)(r % (uint64_t)groups) * 31 + 1000);
            em_vector_append_f64(d, (double)(r >> 40) * 0.25);
        }
        em_batch *b = em_batch_create(2);
        em_batch_set_col(b, 0, k);
        em_batch_set_col(b, 1, d);
        b->nrows = m;
        em_batch_list_push(&in, b);
    }

    em_arena *a = em_arena_create(4096);
    em_expr *keys[] = {em_expr_column(a, 0, em_type_make(EM_TYPE_BIGINT))};
    em_agg_call aggs[3] = {{0}, {0}, {0}};
    aggs[0].kind = EM_AGG_SUM;
    aggs[0].arg = em_expr_column(a, 1, em_type_make(EM_TYPE_DOUBLE));
    aggs[0].type = em_type_make(EM_TYPE_DOUBLE);
    aggs[1].kind = EM_AGG_COUNT_STAR;
    aggs[1].type = em_type_make(EM_TYPE_BIGINT);
    aggs[2].kind = EM_AGG_MAX;
    aggs[2].arg = aggs[0].arg;
    aggs[2].type = em_type_make(EM_TYPE_DOUBLE);
    int naggs = with_max ? 3 : 2;
    em_agg_mode mode = with_max ? EM_AGG_MODE_PARTIAL : EM_AGG_MODE_COMPLETE;

    for (int run = 0; run < 6; run++) {
        em_task_ctx ctx = {0};
        em_batch_list out;
        em_batch_list_init(&out);
        em_op *op = em_op_hash_agg_create(&ctx, mode, 1, keys, naggs, aggs);
        op->next = em_op_collect_create(&ctx, &out);
        em_source *src = em_source_list_create(&in, 0, in.count);
        em_error err = {0};
        double t0 = em_now_seconds(), c0 = cpu_seconds();
        int rc = em_pipeline_run(&ctx, src, op, &err);
        double dt = em_now_seconds() - t0, ct = cpu_seconds() - c0;
        if (rc < 0) {
            fprintf(stderr, "error: %s\n", err.message);
            return 1;
        }
        printf("run %d: %lld rows, %lld groups: wall %.3f s = %.1f M rows/s, cpu %.3f s = %.1f M "
               "rows/s\n",
               run, (long long)rows, (long long)out.rows, dt, (double)rows / dt / 1e6, ct,
               (double)rows / ct / 1e6);
        src->destroy(src);
        em_op_chain_destroy(op);
        em_batch_list_release(&out);
    }
    em_arena_destroy(a);
    em_batch_list_release(&in);
    return 0;
}

/*
 * fuzz_parquet.c — libFuzzer target for the Parquet reader: the input is a
 * whole file. It exercises the page header decoder on the raw bytes, then
 * the footer (Thrift compact protocol), the schema tree and, when those
 * succeed, every column chunk of every row group (pages, decompression,
 * levels, every value decoder, nested record assembly) and the row-group
 * statistics. Any error is fine; a crash, a leak, undefined behavior or an
 * out-of-memory is a bug.
 *
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stddef.h>
#include <stdint.h>

#include "format/parquet/parquet.h"

/* Bound the work per input: a corrupt footer may claim billions of rows of
 * NULLs that a few RLE bytes can encode, which is slow but not a bug. */
#define MAX_ROWS_PER_CHUNK 200000

static void read_all(const em__pq_file *f)
{
    const em__pq_schema *s = &f->schema;
    em_arena *a = em_arena_create(1024);
    for (int g = 0; g < f->meta.nrow_groups; g++) {
        int64_t rows = f->meta.row_groups[g].num_rows;
        if (rows > MAX_ROWS_PER_CHUNK) rows = MAX_ROWS_PER_CHUNK;
        for (int fld = 0; fld < s->nfields; fld++) {
            em__pq_where w = {f->path, g, s->field_name[fld]};
            em_error err;
            em_vector *v = em_vector_create(s->field_type[fld], EM_BATCH_ROWS);
            if (s->field_nested[fld]) {
                em__pq_nested *n;
                if (em__pq_nested_open(f, g, fld, &w, &n, &err) == 0) {
                    for (int64_t done = 0; done < rows; done += EM_BATCH_ROWS) {
                        v->length = 0;
                        v->chars_len = 0;
                        int64_t k = rows - done < EM_BATCH_ROWS ? rows - done : EM_BATCH_ROWS;
                        if (em__pq_nested_read(n, v, k, &err) < 0) break;
                    }
                    em__pq_nested_close(n);
                }
            } else {
                int leaf = s->nodes[s->field_node[fld]].leaf;
                int rc;
                em__pq_colreader *c = em__pq_col_open(f, g, leaf, &w, &err, &rc);
                if (c != NULL) {
                    for (int64_t done = 0; done < rows; done += EM_BATCH_ROWS) {
                        /* Reuse the vector: reset it as a reader's caller would get a new one. */
                        em_vector_unref(v);
                        v = em_vector_create(s->field_type[fld], EM_BATCH_ROWS);
                        int64_t k = rows - done < EM_BATCH_ROWS ? rows - done : EM_BATCH_ROWS;
                        if (em__pq_col_read_flat(c, v, k, &err) < 0) break;
                    }
                    em__pq_col_close(c);
                }
                em_value mn, mx;
                if (g < f->meta.nrow_groups && leaf >= 0)
                    (void)em__pq_stats_minmax(f, g, leaf, a, &mn, &mx);
            }
            em_vector_unref(v);
        }
    }
    em_arena_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The page header decoder on its own. */
    em__pq_page_header h;
    size_t used;
    const char *why;
    (void)em__pq_page_header_decode(data, size, &h, &used, &why);
    /* The whole file. */
    em__pq_file f;
    em_error err;
    if (em__pq_file_open_mem(&f, "fuzz.parquet", data, size, &err) == 0) {
        read_all(&f);
        em__pq_file_close(&f);
    }
    return 0;
}

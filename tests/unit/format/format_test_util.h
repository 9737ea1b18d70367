/*
 * format_test_util.h — helpers shared by the format and os tests: a private
 * temporary directory, writing small files into it, binding a scan and
 * reading every split, and rendering rows as text so that whole results
 * compare with one string comparison.
 */
#ifndef EM_FORMAT_TEST_UTIL_H
#define EM_FORMAT_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include "format/format.h"

static char ft_dir[64];

static inline void ft_mkdtemp(void)
{
    strcpy(ft_dir, "/tmp/ember-fmt-XXXXXX");
    assert_non_null(mkdtemp(ft_dir));
}

static inline int ft_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void ft_rmdtemp(void)
{
    if (ft_dir[0] != '\0') nftw(ft_dir, ft_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    ft_dir[0] = '\0';
}

static inline int ft_setup(void **state)
{
    (void)state;
    ft_mkdtemp();
    return 0;
}

static inline int ft_teardown(void **state)
{
    (void)state;
    ft_rmdtemp();
    return 0;
}

/* Path of `name` in the temp dir (static buffer, rotating among 4). */
static inline const char *ft_path(const char *name)
{
    static char bufs[4][512];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 512, "%s/%s", ft_dir, name);
    return b;
}

static inline const char *ft_write_n(const char *name, const char *data, size_t n)
{
    const char *p = ft_path(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    if (n > 0) assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return p;
}

static inline const char *ft_write(const char *name, const char *text)
{
    return ft_write_n(name, text, strlen(text));
}

/* Bind a scan of `pattern`; options as "key", "value" pairs ending in NULL. */
static inline int ft_bind(em_scan_desc **out, const char *format, const char *pattern,
                          int64_t split_bytes, em_threadpool *pool, em_error *err, ...)
{
    em_scan_desc *d = em_scan_desc_create(format);
    va_list ap;
    va_start(ap, err);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL) break;
        const char *v = va_arg(ap, const char *);
        em_scan_desc_set_option(d, k, v);
    }
    va_end(ap);
    int rc = em_scan_desc_add_files(d, pattern, err);
    if (rc == 0) rc = em_scan_desc_bind(d, split_bytes, pool, err);
    if (rc < 0) {
        em_scan_desc_destroy(d);
        *out = NULL;
        return rc;
    }
    *out = d;
    return 0;
}

/* Read splits [from, to) with the given projection (cols NULL: all columns)
 * and append every row, rendered "v1|v2|...\n" (NULL as "NULL"), to out. */
static inline int ft_read_splits(const em_scan_desc *d, int from, int to, const int *cols,
                                 int ncols, em_strbuf *out, int64_t *rows, em_error *err)
{
    const em_format *fmt = em_format_lookup(d->format);
    int all[256];
    if (cols == NULL) {
        ncols = d->schema->nfields;
        for (int i = 0; i < ncols; i++) all[i] = i;
        cols = all;
    }
    for (int s = from; s < to; s++) {
        void *r;
        int rc = fmt->open(d, s, cols, ncols, &r, err);
        if (rc < 0) return rc;
        for (;;) {
            em_batch *b;
            rc = fmt->next(r, &b, err);
            if (rc < 0 || b == NULL) break;
            assert_true(b->nrows > 0 && b->nrows <= EM_BATCH_ROWS);
            assert_int_equal(b->ncols, ncols);
            for (int64_t i = 0; i < b->nrows; i++) {
                for (int c = 0; c < ncols; c++) {
                    assert_int_equal(b->cols[c]->length, b->nrows);
                    if (c > 0) em_strbuf_putc(out, '|');
                    em_value v = em_vector_get(b->cols[c], i);
                    em_value_format(&v, out);
                }
                em_strbuf_putc(out, '\n');
            }
            if (rows) *rows += b->nrows;
            em_batch_destroy(b);
        }
        fmt->close(r);
        if (rc < 0) return rc;
    }
    return 0;
}

/* Render every split of d, all columns. Returns a new string (em_free). */
static inline char *ft_read_all(const em_scan_desc *d, em_error *err, int *rc_out)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_append(&sb, "", 0);
    int rc = ft_read_splits(d, 0, d->nsplits, NULL, 0, &sb, NULL, err);
    if (rc_out) *rc_out = rc;
    return em_strbuf_detach(&sb);
}

/* "name TYPE, name TYPE" of a bound schema. */
static inline char *ft_schema_text(const em_schema *s)
{
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_append(&sb, "", 0);
    for (int i = 0; i < s->nfields; i++) {
        char buf[64];
        em_strbuf_printf(&sb, "%s%s %s", i ? ", " : "", s->fields[i].name,
                         em_type_name(s->fields[i].type, buf, sizeof buf));
    }
    return em_strbuf_detach(&sb);
}

/* Bind with options, then compare schema text and rendered rows. */
#define FT_EXPECT(desc, schema_text, rows_text)                                                    \
    do {                                                                                           \
        char *s_ = ft_schema_text((desc)->schema);                                                 \
        assert_string_equal(s_, schema_text);                                                      \
        em_free(s_);                                                                               \
        em_error e_;                                                                               \
        int rc_;                                                                                   \
        char *r_ = ft_read_all((desc), &e_, &rc_);                                                 \
        if (rc_ < 0) fail_msg("read failed: %s", e_.message);                                      \
        assert_string_equal(r_, rows_text);                                                        \
        em_free(r_);                                                                               \
    } while (0)

#endif

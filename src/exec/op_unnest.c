/*
 * op_unnest.c — the operator behind unnest(string_split(...)),
 * regexp_split_to_table(...) and explode(split(...)): every input row becomes
 * one output row per piece of its string, the passed-through columns repeated
 * (Spark's Generate, DuckDB's UNNEST).
 *
 * Built for word counts: the pieces of a string are found without allocating
 * (str_split.c, into a reused position buffer) and copied straight into the
 * character buffer of the output vector; the passed-through columns are
 * gathered once per output batch from a selection of input rows. A constant
 * delimiter or pattern is prepared once for the operator's life, a varying
 * pattern is recompiled only when it changes. Output batches hold at most
 * EM_BATCH_ROWS rows, so a batch of long lines leaves as several batches, and a
 * satisfied LIMIT downstream stops the split at once.
 */
#include "exec/exec.h"
#include "exec/str_split.h"

#include <string.h>

typedef struct unnest_op {
    em_op base;
    em_unnest_spec spec;
    int npass;
    int *pass;
    enum { UNPREPARED, FIXED, NO_ROWS, VARYING } how; /* the delimiter or pattern */
    em__splitter fixed; /* FIXED: a constant delimiter or pattern, prepared once */
    em__splitter re;    /* the last varying pattern */
    em__pieces pieces;
    int32_t sel[EM_BATCH_ROWS]; /* input row of each output row */
    em_vector *out;             /* the pieces of the batch being filled */
    int64_t nout;
    bool done;
} unnest_op;

static inline bool text_of(const em_vector *v, int64_t i, const char **p, int32_t *len)
{
    if (v == NULL || !em_vector_is_valid(v, i)) return false;
    *p = em_vector_str(v, i, len);
    return true;
}

/* How a string is split, given its delimiter or pattern (and flags): *out is s,
 * prepared, or NULL when the string has no pieces at all. */
static int splitter_for(unnest_op *u, const char *sep, int32_t sep_len, bool sep_null,
                        const char *flags, int32_t flags_len, bool flags_null, em__splitter *s,
                        const em__splitter **out, em_error *err)
{
    switch (u->spec.kind) {
    case EM_UNNEST_SPLIT:
        em__splitter_simple(s,
                            sep_null       ? EM__SPLIT_WHOLE
                            : sep_len == 0 ? EM__SPLIT_CHARS
                                           : EM__SPLIT_LITERAL,
                            sep, sep_len);
        *out = s;
        return 0;
    case EM_UNNEST_STRING_TO_ARRAY:
        em__splitter_simple(s,
                            sep_null       ? EM__SPLIT_CHARS
                            : sep_len == 0 ? EM__SPLIT_WHOLE
                                           : EM__SPLIT_LITERAL,
                            sep, sep_len);
        *out = s;
        return 0;
    case EM_UNNEST_REGEXP:
        /* regexp_split_to_table is strict: a NULL pattern or NULL flags, no rows. */
        if (sep_null || flags_null) {
            *out = NULL;
            return 0;
        }
        if (!em__splitter_is(s, sep, sep_len, flags, flags_len)) {
            em__splitter_release(s);
            int rc = em__splitter_regex(s, sep, sep_len, flags, flags_len, err);
            if (rc < 0) {
                em__splitter_release(s);
                return rc;
            }
        }
        *out = s;
        return 0;
    }
    return em_error_set(err, EM_EINTERNAL, "unknown unnest kind %d", (int)u->spec.kind);
}

static bool is_const(const em_expr *e)
{
    return e == NULL || e->kind == EM_EXPR_CONST;
}

/* A constant delimiter (and flags) is prepared once. */
static int prepare(unnest_op *u, em_error *err)
{
    u->how = VARYING;
    if (!is_const(u->spec.sep) || (u->spec.kind == EM_UNNEST_REGEXP && !is_const(u->spec.extra)))
        return 0;
    const em_value *sv = &u->spec.sep->value;
    const em_value *fv = u->spec.extra ? &u->spec.extra->value : NULL;
    const em__splitter *s = NULL;
    int rc =
        splitter_for(u, sv->is_null ? NULL : sv->v.str.ptr, sv->is_null ? 0 : sv->v.str.len,
                     sv->is_null, fv && !fv->is_null ? fv->v.str.ptr : "",
                     fv && !fv->is_null ? fv->v.str.len : 0, fv && fv->is_null, &u->fixed, &s, err);
    if (rc < 0) return rc;
    u->how = s == NULL ? NO_ROWS : FIXED;
    return 0;
}

static int flush(unnest_op *u, const em_batch *in, em_error *err)
{
    if (u->nout == 0) return 0;
    em_batch *b = em_batch_create(u->npass + 1);
    b->nrows = u->nout;
    for (int k = 0; k < u->npass; k++)
        em_batch_set_col(b, k, em_vector_gather(in->cols[u->pass[k]], u->sel, u->nout));
    u->out->length = u->nout;
    em_batch_set_col(b, u->npass, u->out);
    u->out = NULL;
    u->nout = 0;
    int rc = em_op_emit(&u->base, b, err);
    if (rc == EM_OP_DONE) u->done = true;
    return rc;
}

static int unnest_batch(unnest_op *u, const em_batch *in, em_vector *sv, em_vector *pv,
                        em_vector *xv, em_error *err)
{
    const em__splitter *fixed = u->how == FIXED ? &u->fixed : NULL;
    bool pg = u->spec.kind == EM_UNNEST_STRING_TO_ARRAY;
    em__splitter local;
    memset(&local, 0, sizeof(local));
    /* Reading up to here is reading the input's own characters. */
    const char *in_end = sv->chars != NULL ? sv->chars + sv->chars_len : NULL;
    for (int64_t i = 0; i < in->nrows; i++) {
        const char *p;
        int32_t len;
        if (!text_of(sv, i, &p, &len)) continue;
        if (pg && len == 0) continue; /* string_to_array('') is an empty array */
        const em__splitter *s = fixed;
        if (s == NULL) {
            const char *sep = NULL, *flags = "";
            int32_t sep_len = 0, flags_len = 0;
            bool sep_null = !text_of(pv, i, &sep, &sep_len);
            bool flags_null = u->spec.kind == EM_UNNEST_REGEXP && xv != NULL &&
                              !text_of(xv, i, &flags, &flags_len);
            EM_TRY(splitter_for(u, sep, sep_len, sep_null, flags, flags_len, flags_null,
                                u->spec.kind == EM_UNNEST_REGEXP ? &u->re : &local, &s, err));
            if (s == NULL) continue;
        }
        em__split(s, p, len, &u->pieces);
        /* string_to_array's third argument: pieces equal to it are NULL. */
        const char *null_str = NULL;
        int32_t null_len = -1;
        if (pg && xv != NULL) text_of(xv, i, &null_str, &null_len);
        const int32_t *pos = u->pieces.pos;
        for (int64_t k = 0, np = u->pieces.n; k < np;) {
            if (u->nout == EM_BATCH_ROWS) {
                int rc = flush(u, in, err);
                if (rc != 0) return rc;
            }
            if (u->out == NULL)
                u->out = em_vector_create(em_type_make(EM_TYPE_VARCHAR), EM_BATCH_ROWS);
            em_vector *o = u->out;
            int64_t take = EM_MIN(np - k, EM_BATCH_ROWS - u->nout);
            /* The pieces of a string fit in its length; 16 more bytes let short
             * pieces be copied as one 16-byte block. */
            if (o->chars_len + len + 16 > o->chars_cap) em_vector_reserve_chars(o, len + 16);
            char *base = o->chars, *dst = base + o->chars_len;
            int32_t *off = EM_VEC_OFFSETS(o) + u->nout + 1;
            int32_t *sel = u->sel + u->nout;
            for (int64_t j = 0; j < take; j++) {
                int32_t st = pos[2 * (k + j)], pl = pos[2 * (k + j) + 1] - st;
                const char *src = p + st;
                if (pl > 0) {
                    if (pl <= 16 && in_end - src >= 16)
                        memcpy(dst, src, 16);
                    else
                        memcpy(dst, src, (size_t)pl);
                }
                dst += pl;
                off[j] = (int32_t)(dst - base);
                sel[j] = (int32_t)i;
                if (EM_UNLIKELY(null_len == pl) &&
                    (pl == 0 || memcmp(null_str, src, (size_t)pl) == 0))
                    em_vector_set_null(o, u->nout + j);
            }
            o->chars_len = dst - base;
            u->nout += take;
            k += take;
        }
    }
    return flush(u, in, err);
}

static int unnest_push(em_op *op, em_batch *b, em_error *err)
{
    unnest_op *u = (unnest_op *)op;
    if (u->done || b->nrows == 0) {
        em_batch_destroy(b);
        return u->done ? EM_OP_DONE : 0;
    }
    int rc = u->how == UNPREPARED ? prepare(u, err) : 0;
    if (rc == 0 && u->how == NO_ROWS) { /* regexp_split_to_table(s, NULL) */
        em_batch_destroy(b);
        return 0;
    }
    em_vector *sv = NULL, *pv = NULL, *xv = NULL;
    if (rc == 0) rc = em_expr_eval(u->spec.str, b, &sv, err);
    if (rc == 0 && u->how == VARYING) rc = em_expr_eval(u->spec.sep, b, &pv, err);
    if (rc == 0 && u->spec.extra != NULL && (u->how == VARYING || u->spec.kind != EM_UNNEST_REGEXP))
        rc = em_expr_eval(u->spec.extra, b, &xv, err);
    if (rc == 0) rc = unnest_batch(u, b, sv, pv, xv, err);
    if (u->out != NULL && rc != 0) {
        em_vector_unref(u->out);
        u->out = NULL;
        u->nout = 0;
    }
    if (sv) em_vector_unref(sv);
    if (pv) em_vector_unref(pv);
    if (xv) em_vector_unref(xv);
    em_batch_destroy(b);
    return rc;
}

static int unnest_finish(em_op *op, em_error *err)
{
    return em_op_finish_next(op, err);
}

static void unnest_destroy(em_op *op)
{
    unnest_op *u = (unnest_op *)op;
    em__splitter_release(&u->fixed);
    em__splitter_release(&u->re);
    em__pieces_release(&u->pieces);
    if (u->out) em_vector_unref(u->out);
    em_free(u->pass);
    em_free(u);
}

static const em_op_vtable unnest_vt = {"Unnest", unnest_push, unnest_finish, unnest_destroy};

em_op *em_op_unnest_create(em_task_ctx *ctx, const em_unnest_spec *spec, int npass, const int *pass)
{
    unnest_op *u = em_calloc(1, sizeof(*u));
    u->base.vt = &unnest_vt;
    u->base.ctx = ctx;
    u->spec = *spec;
    u->npass = npass;
    u->pass = em_calloc((size_t)(npass > 0 ? npass : 1), sizeof(int));
    if (npass > 0) memcpy(u->pass, pass, (size_t)npass * sizeof(int));
    return &u->base;
}

void em_unnest_format(const em_unnest_spec *spec, int npass, const int *pass,
                      const char *const *names, em_strbuf *out)
{
    static const char *const fn[] = {"string_split", "string_to_array", "regexp_split_to_table"};
    em_strbuf_printf(out, " %s(", (size_t)spec->kind < EM_ARRAY_LEN(fn) ? fn[spec->kind] : "?");
    em_expr_format(spec->str, names, out);
    em_strbuf_puts(out, ", ");
    em_expr_format(spec->sep, names, out);
    if (spec->extra != NULL) {
        em_strbuf_puts(out, ", ");
        em_expr_format(spec->extra, names, out);
    }
    em_strbuf_puts(out, ")");
    if (npass > 0) {
        em_strbuf_puts(out, " keeping [");
        for (int i = 0; i < npass; i++) {
            if (i) em_strbuf_puts(out, ", ");
            if (names != NULL)
                em_strbuf_puts(out, names[pass[i]]);
            else
                em_strbuf_printf(out, "#%d", pass[i]);
        }
        em_strbuf_puts(out, "]");
    }
}

int em_unnest_check_pattern(const char *pattern, int32_t len, const char *flags, int32_t flags_len,
                            em_error *err)
{
    em__splitter s;
    int rc = em__splitter_regex(&s, pattern, len, flags, flags_len, err);
    em__splitter_release(&s);
    return rc;
}

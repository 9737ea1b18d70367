/*
 * op_window.c — window functions inside a task: buffer every input batch
 * (with each call's arguments evaluated alongside), sort the rows by
 * (partition keys ASC NULLS FIRST, ORDER BY keys) with the ORDER BY sort
 * (sort_int.h), find the partitions and peer groups, compute every call over
 * the sorted rows (window_rank.c, window_value.c, window_agg.c, with frames
 * from window_frame.c) and emit the input columns followed by one column per
 * call, in sorted order, EM_BATCH_ROWS rows at a time.
 *
 * The planner hash-partitions the input on the PARTITION BY columns, so a
 * window partition never spans tasks and one operator sees all of it.
 *
 * Memory: the buffer is reserved from the task's pool. When the pool refuses
 * (and there are PARTITION BY keys), the buffer is sorted and written out as
 * a run, as ORDER BY does; finish then merges the runs into one sorted stream
 * and computes it a group of whole partitions at a time, so that only the
 * partition being computed has to fit in memory. Without PARTITION BY the
 * input is one partition that must be held whole, and spilling would not
 * help.
 */
#include <math.h>
#include <string.h>

#include "exec/expr_int.h"
#include "exec/window_int.h"
#include "memory/memory.h"

typedef struct window_op {
    em_op base;
    int npart;
    em_sort_key *keys; /* partition keys (ASC NULLS FIRST), then the ORDER BY keys */
    int norder;
    const em_sort_key *order; /* inside keys */
    int ncalls;
    em_window_call *calls;
    em__win_call *wc;
    int *arg_aux;        /* per call: argument's position among the evaluated columns, or -1 */
    int *deflt_aux;      /* per call: LAG/LEAD default's position, or -1 */
    const em_expr **aux; /* the evaluated columns' expressions */
    em_type *aux_type;   /* the type each is cast to (or its own) */
    int naux;
    int in_ncols; /* input columns; -1 until the first batch */
    em_batch **batches;
    int64_t nbatches;
    int64_t cap;
    int64_t nrows;
    em_memory_reservation mem;
    em_spill_file **runs; /* sorted runs spilled under memory pressure */
    int nruns;
    /* A configuration error found at creation, reported by push/finish. */
    int init_rc;
    em_error init_err;
} window_op;

/* ---- results and sorted views (shared with window_*.c) -------------------------------- */

void em__win_result_init(em__win_result *r, em__win_res_kind kind, em_type type, int64_t n)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->type = type;
    r->n = n;
    r->col = -1;
    r->deflt_col = -1;
    size_t rows = (size_t)(n > 0 ? n : 1);
    if (kind == EM__WR_I64) r->i64 = em_calloc(rows, sizeof(int64_t));
    if (kind == EM__WR_F64) r->f64 = em_calloc(rows, sizeof(double));
    if (kind == EM__WR_PICK) r->pick = em_malloc(rows * sizeof(int64_t));
}

void em__win_result_release(em__win_result *r)
{
    em_free(r->i64);
    em_free(r->f64);
    em_free(r->null);
    em_free(r->pick);
    memset(r, 0, sizeof(*r));
}

void em__win_view_build(const em__win_input *in, int col, em__win_view *v)
{
    memset(v, 0, sizeof(*v));
    int64_t n = in->n;
    size_t rows = (size_t)(n > 0 ? n : 1);
    v->type = in->batches[0]->cols[col]->type;
    v->vc = em__vclass_of(v->type);
    v->n = n;
    bool nulls = v->vc == EM__VC_NULL;
    for (int64_t b = 0; b < in->nbatches && !nulls; b++)
        nulls = in->batches[b]->cols[col]->validity != NULL;
    if (nulls) v->valid = em_calloc(rows, 1);
    switch (v->vc) {
    case EM__VC_NULL:
        return;
    case EM__VC_F64:
        v->f64 = em_malloc(rows * sizeof(double));
        break;
    case EM__VC_STR:
        v->sp = em_malloc(rows * sizeof(char *));
        v->sl = em_malloc(rows * sizeof(int32_t));
        break;
    case EM__VC_IV:
        v->iv = em_malloc(rows * sizeof(em_interval));
        break;
    default:
        v->i64 = em_malloc(rows * sizeof(int64_t));
        break;
    }
    for (int64_t k = 0; k < n; k++) {
        const em_vector *x = in->batches[in->src[k].batch]->cols[col];
        int64_t r = in->src[k].row;
        bool ok = em_vector_is_valid(x, r);
        if (v->valid != NULL) v->valid[k] = ok;
        switch (v->vc) {
        case EM__VC_BOOL:
            v->i64[k] = ok ? EM_VEC_BOOL(x)[r] != 0 : 0;
            break;
        case EM__VC_I32:
            v->i64[k] = ok ? EM_VEC_I32(x)[r] : 0;
            break;
        case EM__VC_I64:
            v->i64[k] = ok ? EM_VEC_I64(x)[r] : 0;
            break;
        case EM__VC_F64:
            v->f64[k] = ok ? EM_VEC_F64(x)[r] : 0.0;
            break;
        case EM__VC_IV:
            if (ok) {
                v->iv[k] = EM_VEC_IV(x)[r];
            } else {
                memset(&v->iv[k], 0, sizeof(em_interval));
            }
            break;
        case EM__VC_STR:
            if (ok) {
                v->sp[k] = em_vector_str(x, r, &v->sl[k]);
            } else {
                v->sp[k] = "";
                v->sl[k] = 0;
            }
            break;
        default:
            break;
        }
    }
}

bool em__win_view_eq(const em__win_view *v, int64_t a, int64_t b)
{
    switch (v->vc) {
    case EM__VC_F64: {
        double x = v->f64[a], y = v->f64[b];
        return x == y || (isnan(x) && isnan(y));
    }
    case EM__VC_IV:
        return em_interval_compare(v->iv[a], v->iv[b]) == 0;
    case EM__VC_STR:
        return v->sl[a] == v->sl[b] && memcmp(v->sp[a], v->sp[b], (size_t)v->sl[a]) == 0;
    case EM__VC_NULL:
        return true;
    default:
        return v->i64[a] == v->i64[b];
    }
}

void em__win_view_release(em__win_view *v)
{
    em_free(v->valid);
    em_free(v->i64);
    em_free(v->f64);
    em_free(v->iv);
    em_free(v->sp);
    em_free(v->sl);
    memset(v, 0, sizeof(*v));
}

/* ---- creation: checking the calls ------------------------------------------------------ */

static bool is_ranking(em_window_kind k)
{
    return k == EM_WINDOW_ROW_NUMBER || k == EM_WINDOW_RANK || k == EM_WINDOW_DENSE_RANK ||
           k == EM_WINDOW_PERCENT_RANK || k == EM_WINDOW_CUME_DIST || k == EM_WINDOW_NTILE;
}

/* Calls whose result depends on the frame. */
static bool uses_frame(em_window_kind k)
{
    return k == EM_WINDOW_FIRST_VALUE || k == EM_WINDOW_LAST_VALUE || k == EM_WINDOW_NTH_VALUE ||
           k == EM_WINDOW_AGG;
}

static bool value_integral(const em_value *v, int64_t *out)
{
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_INTEGER:
        *out = v->v.i32;
        return true;
    case EM_TYPE_BIGINT:
        *out = v->v.i64;
        return true;
    case EM_TYPE_DECIMAL:
        if (v->v.i64 % em_pow10[v->type.scale] != 0) return false;
        *out = v->v.i64 / em_pow10[v->type.scale];
        return true;
    default:
        return false;
    }
}

/* NTILE's bucket count: its argument when it has one (a constant), else
 * the call's offset. */
static int ntile_buckets(const em_window_call *call, em__win_call *wc, em_error *err)
{
    wc->n = call->offset;
    if (call->arg != NULL) {
        if (!em_expr_is_foldable(call->arg))
            return em_error_set(err, EM_EUNSUPPORTED, "the argument of ntile() must be a constant");
        em_arena *a = em_arena_create(256);
        em_value v;
        int rc = em_expr_eval_const(call->arg, a, &v, err);
        if (rc == 0 && v.is_null) {
            wc->all_null = true;
        } else if (rc == 0 && !value_integral(&v, &wc->n)) {
            rc = em_error_set(err, EM_ETYPE, "the argument of ntile() must be an integer");
        }
        em_arena_destroy(a);
        EM_TRY(rc);
        if (wc->all_null) return 0;
    }
    if (wc->n <= 0)
        return em_error_set(err, EM_EINVAL, "argument of ntile must be greater than zero");
    return 0;
}

static int add_aux(window_op *w, const em_expr *e, em_type to)
{
    w->aux[w->naux] = e;
    w->aux_type[w->naux] = to;
    return w->naux++;
}

static int check_call(window_op *w, int i, em_error *err)
{
    const em_window_call *call = &w->calls[i];
    em__win_call *wc = &w->wc[i];
    wc->call = call;
    wc->arg_col = wc->deflt_col = -1;
    w->arg_aux[i] = w->deflt_aux[i] = -1;
    switch (call->kind) {
    case EM_WINDOW_NTILE:
        return ntile_buckets(call, wc, err);
    case EM_WINDOW_LAG:
    case EM_WINDOW_LEAD:
    case EM_WINDOW_FIRST_VALUE:
    case EM_WINDOW_LAST_VALUE:
    case EM_WINDOW_NTH_VALUE:
        if (call->arg == NULL)
            return em_error_set(err, EM_EINTERNAL, "window function without an argument");
        wc->n = call->offset;
        if (call->kind == EM_WINDOW_NTH_VALUE && wc->n <= 0)
            return em_error_set(err, EM_EINVAL, "argument of nth_value must be greater than zero");
        /* The values are returned as they are: evaluate them in the result type. */
        w->arg_aux[i] = add_aux(w, call->arg, call->type);
        if ((call->kind == EM_WINDOW_LAG || call->kind == EM_WINDOW_LEAD) && call->deflt != NULL)
            w->deflt_aux[i] = add_aux(w, call->deflt, call->type);
        return 0;
    case EM_WINDOW_AGG:
        switch (call->agg) {
        case EM_AGG_COUNT_STAR:
            return 0;
        case EM_AGG_COUNT:
        case EM_AGG_MIN:
        case EM_AGG_MAX:
        case EM_AGG_APPROX_COUNT_DISTINCT:
            break;
        case EM_AGG_STDDEV_SAMP:
        case EM_AGG_STDDEV_POP:
        case EM_AGG_VAR_SAMP:
        case EM_AGG_VAR_POP:
            if (call->distinct)
                return em_error_set(err, EM_EUNSUPPORTED,
                                    "%s(DISTINCT ...) is not supported as a window function",
                                    em_agg_name(call->agg));
            /* fall through */
        case EM_AGG_SUM:
        case EM_AGG_AVG:
            if (call->arg != NULL && call->arg->type.id != EM_TYPE_NULL &&
                !em_type_is_numeric(call->arg->type)) {
                char buf[32];
                return em_error_set(err, EM_EINTERNAL, "%s over %s is not supported",
                                    em_agg_name(call->agg),
                                    em_type_name(call->arg->type, buf, sizeof(buf)));
            }
            break;
        default:
            return em_error_set(err, EM_EUNSUPPORTED, "%s() is not supported as a window function",
                                em_agg_name(call->agg));
        }
        if (call->arg != NULL) w->arg_aux[i] = add_aux(w, call->arg, call->arg->type);
        return 0;
    default:
        if (is_ranking(call->kind)) return 0;
        return em_error_set(err, EM_EINTERNAL, "unknown window function %d", (int)call->kind);
    }
}

/* The first batch fixes the input's layout: place the evaluated columns
 * after it and check the frames against the ORDER BY key's type. */
static int first_batch(window_op *w, const em_batch *b, em_error *err)
{
    int nkeys = w->npart + w->norder;
    for (int k = 0; k < nkeys; k++)
        if (w->keys[k].column < 0 || w->keys[k].column >= b->ncols)
            return em_error_set(err, EM_EINTERNAL, "window key column %d out of range (%d columns)",
                                w->keys[k].column, b->ncols);
    w->in_ncols = b->ncols;
    em_type key_type =
        w->norder > 0 ? b->cols[w->order[0].column]->type : em_type_make(EM_TYPE_NULL);
    for (int i = 0; i < w->ncalls; i++) {
        em__win_call *wc = &w->wc[i];
        if (w->arg_aux[i] >= 0) wc->arg_col = b->ncols + w->arg_aux[i];
        if (w->deflt_aux[i] >= 0) wc->deflt_col = b->ncols + w->deflt_aux[i];
        if (uses_frame(w->calls[i].kind))
            EM_TRY(em__win_frame_prepare(&w->calls[i].frame, w->norder, w->order, key_type,
                                         &wc->frame, err));
    }
    return 0;
}

/* ---- buffering -------------------------------------------------------------------------- */

static int report_init_error(window_op *w, em_error *err)
{
    if (err != NULL) *err = w->init_err;
    return w->init_rc;
}

/* The input columns plus the evaluated arguments of b (which is consumed). */
static int extend(window_op *w, em_batch *b, em_batch **out, em_error *err)
{
    em_batch *x = em_batch_create(w->in_ncols + w->naux);
    x->nrows = b->nrows;
    for (int c = 0; c < w->in_ncols; c++) em_batch_set_col(x, c, em_vector_ref(b->cols[c]));
    int rc = 0;
    for (int k = 0; k < w->naux && rc == 0; k++) {
        em_vector *v = NULL, *cast = NULL;
        rc = em_expr_eval(w->aux[k], b, &v, err);
        if (rc == 0) rc = em__cast_vector(v, w->aux_type[k], false, &cast, err);
        if (v != NULL) em_vector_unref(v);
        if (rc == 0) em_batch_set_col(x, w->in_ncols + k, cast);
    }
    em_batch_destroy(b);
    if (rc < 0) {
        em_batch_destroy(x);
        return rc;
    }
    *out = x;
    return 0;
}

static int too_many_rows(em_error *err)
{
    return em_error_set(err, EM_EUNSUPPORTED,
                        "a window partition holds more than %lld rows in one task",
                        (long long)UINT32_MAX);
}

static void buffer_add(window_op *w, em_batch *x)
{
    if (w->nbatches == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->batches = em_realloc(w->batches, (size_t)w->cap * sizeof(em_batch *));
    }
    w->batches[w->nbatches++] = x;
    w->nrows += x->nrows;
}

static void release_buffer(window_op *w)
{
    for (int64_t i = 0; i < w->nbatches; i++) em_batch_destroy(w->batches[i]);
    w->nbatches = 0;
    w->nrows = 0;
    em_memory_reservation_release(&w->mem);
}

/* The buffered rows in window order: (partition keys, ORDER BY keys), ties
 * in arrival order. */
static em__row_src *sort_buffer(window_op *w)
{
    int64_t n = w->nrows;
    em__sort_entry *e;
    uint32_t *bof;
    int64_t *st;
    em__sort_rows(w->batches, w->nbatches, n, w->npart + w->norder, w->keys, &e, &bof, &st);
    em__row_src *src = em_malloc((size_t)(n > 0 ? n : 1) * sizeof(em__row_src));
    for (int64_t k = 0; k < n; k++) {
        uint32_t b = bof[e[k].idx];
        src[k].batch = b;
        src[k].row = (uint32_t)((int64_t)e[k].idx - st[b]);
    }
    em_free(e);
    em_free(bof);
    em_free(st);
    return src;
}

/* Sort the buffer (input columns and evaluated arguments alike) and write it
 * out as one sorted run. */
static int spill_run(window_op *w, em_error *err)
{
    em_spill_file *f;
    EM_TRY(em_spill_create(w->mem.pool, &f, err));
    w->runs = em_realloc(w->runs, sizeof(em_spill_file *) * (size_t)(w->nruns + 1));
    w->runs[w->nruns++] = f;
    em__row_src *src = sort_buffer(w);
    int ncols = w->in_ncols + w->naux, rc = 0;
    for (int64_t from = 0; from < w->nrows && rc == 0; from += EM_BATCH_ROWS) {
        int64_t m = EM_MIN((int64_t)EM_BATCH_ROWS, w->nrows - from);
        em_batch *out = em_batch_create(ncols);
        out->nrows = m;
        for (int c = 0; c < ncols; c++)
            em_batch_set_col(out, c, em__sort_gather(w->batches, c, src + from, m));
        rc = em_spill_write(f, out, err);
        em_batch_destroy(out);
    }
    em_free(src);
    w->mem.spilled += em_spill_bytes(f);
    release_buffer(w);
    return rc;
}

static int window_push(em_op *op, em_batch *b, em_error *err)
{
    window_op *w = (window_op *)op;
    if (w->init_rc < 0) {
        em_batch_destroy(b);
        return report_init_error(w, err);
    }
    if (b->nrows == 0) {
        em_batch_destroy(b);
        return 0;
    }
    int rc = 0;
    if (w->in_ncols < 0)
        rc = first_batch(w, b, err);
    else if (b->ncols != w->in_ncols)
        rc = em_error_set(err, EM_EINTERNAL, "window input changed from %d to %d columns",
                          w->in_ncols, b->ncols);
    if (rc < 0) {
        em_batch_destroy(b);
        return rc;
    }
    em_batch *x;
    EM_TRY(extend(w, b, &x, err));
    int64_t bytes = em_batch_bytes(x);
    /* Rows are numbered in 32 bits while sorting: a larger buffer goes out as
     * a run first (when there are partitions to split it by). */
    bool too_many = w->nrows + x->nrows > (int64_t)UINT32_MAX;
    if (too_many && w->npart == 0) {
        em_batch_destroy(x);
        return too_many_rows(err);
    }
    if (too_many || !em_memory_try_reserve(&w->mem, bytes)) {
        if (w->npart > 0 && w->nrows > 0) {
            rc = spill_run(w, err);
            if (rc < 0) {
                em_batch_destroy(x);
                return rc;
            }
        }
        /* One batch is the least the operator needs to make progress. */
        if (!em_memory_try_reserve(&w->mem, bytes)) em_memory_force_reserve(&w->mem, bytes);
    }
    buffer_add(w, x);
    return 0;
}

/* ---- partitions and peers ------------------------------------------------------------------ */

/* Whether sorted rows a and b are equal on every key (NULL equals NULL). */
static bool same_keys(const em__win_view *keys, int nkeys, int64_t a, int64_t b)
{
    for (int k = 0; k < nkeys; k++) {
        const em__win_view *v = &keys[k];
        bool va = em__win_valid(v, a), vb = em__win_valid(v, b);
        if (va != vb) return false;
        if (va && !em__win_view_eq(v, a, b)) return false;
    }
    return true;
}

static int64_t *find_partitions(const em__win_input *in, int npart, const em__win_view *keys,
                                int64_t *nparts)
{
    int64_t cap = 16, count = 0;
    int64_t *ps = em_malloc((size_t)cap * sizeof(int64_t));
    ps[count++] = 0;
    for (int64_t i = 1; i < in->n && npart > 0; i++) {
        if (same_keys(keys, npart, i - 1, i)) continue;
        if (count + 1 >= cap) {
            cap *= 2;
            ps = em_realloc(ps, (size_t)cap * sizeof(int64_t));
        }
        ps[count++] = i;
    }
    ps[count] = in->n;
    *nparts = count;
    return ps;
}

static void find_peers(const em__win_input *in, int norder, const em__win_view *order,
                       int64_t *peer_start, int64_t *peer_end)
{
    for (int64_t p = 0; p < in->nparts; p++) {
        int64_t ps = in->part_start[p], pe = in->part_start[p + 1];
        int64_t g = ps;
        for (int64_t i = ps + 1; i <= pe; i++) {
            if (i < pe && same_keys(order, norder, i - 1, i)) continue;
            for (int64_t j = g; j < i; j++) {
                peer_start[j] = g;
                peer_end[j] = i;
            }
            g = i;
        }
    }
}

static bool needs_peers(const window_op *w)
{
    for (int i = 0; i < w->ncalls; i++) {
        em_window_kind k = w->calls[i].kind;
        if (k == EM_WINDOW_RANK || k == EM_WINDOW_DENSE_RANK || k == EM_WINDOW_PERCENT_RANK ||
            k == EM_WINDOW_CUME_DIST)
            return true;
        const em__win_frame *f = &w->wc[i].frame;
        if (uses_frame(k) && !f->rows && !f->whole &&
            (f->start == EM_BOUND_CURRENT_ROW || f->end == EM_BOUND_CURRENT_ROW))
            return true;
    }
    return false;
}

static bool needs_key(const window_op *w)
{
    for (int i = 0; i < w->ncalls; i++) {
        const em__win_frame *f = &w->wc[i].frame;
        if (uses_frame(w->calls[i].kind) && !f->rows && !f->whole &&
            (f->start == EM_BOUND_PRECEDING || f->start == EM_BOUND_FOLLOWING ||
             f->end == EM_BOUND_PRECEDING || f->end == EM_BOUND_FOLLOWING))
            return true;
    }
    return false;
}

/* ---- output ------------------------------------------------------------------------------------
 */

/* Rows [from, from + m) of a call's result as a vector of the call's type. */
static int result_vector(const em__win_input *in, const em__win_result *r, em_type to, int64_t from,
                         int64_t m, em_vector **out, em_error *err)
{
    em_vector *v;
    if (r->kind == EM__WR_PICK) {
        em_type t = in->batches[0]->cols[r->col]->type;
        v = em_vector_create(t, m);
        size_t w = em_type_width(t);
        bool fixed =
            t.id != EM_TYPE_VARCHAR && t.id != EM_TYPE_NULL && (w == 1 || w == 4 || w == 8);
        for (int64_t j = 0; j < m; j++) {
            int64_t k = from + j, p = r->pick[k];
            const em_vector *sv = NULL;
            int64_t row = 0;
            if (p >= 0) {
                sv = in->batches[in->src[p].batch]->cols[r->col];
                row = in->src[p].row;
            } else if (p == EM__WIN_PICK_DEFAULT) {
                sv = in->batches[in->src[k].batch]->cols[r->deflt_col];
                row = in->src[k].row;
            }
            if (!fixed) {
                if (sv != NULL)
                    em_vector_append_from(v, sv, row);
                else
                    em_vector_append_null(v);
                continue;
            }
            char *dst = (char *)v->data + (size_t)j * w;
            if (sv != NULL && em_vector_is_valid(sv, row)) {
                memcpy(dst, (const char *)sv->data + (size_t)row * w, w);
            } else {
                memset(dst, 0, w);
                em_vector_set_null(v, j);
            }
        }
        if (fixed) v->length = m;
    } else {
        v = em_vector_create(r->type, m);
        if (r->kind == EM__WR_I64)
            memcpy(v->data, r->i64 + from, (size_t)m * sizeof(int64_t));
        else
            memcpy(v->data, r->f64 + from, (size_t)m * sizeof(double));
        if (r->null != NULL)
            for (int64_t j = 0; j < m; j++)
                if (r->null[from + j]) em_vector_set_null(v, j);
        v->length = m;
    }
    if (em_type_equal(v->type, to)) {
        *out = v;
        return 0;
    }
    int rc = em__cast_vector(v, to, false, out, err);
    em_vector_unref(v);
    return rc;
}

static int emit_all(window_op *w, const em__win_input *in, const em__win_result *res, em_error *err)
{
    volatile int *cancel = w->base.ctx != NULL ? w->base.ctx->cancel : NULL;
    for (int64_t from = 0; from < in->n; from += EM_BATCH_ROWS) {
        if (cancel != NULL && *cancel)
            return em_error_set(err, EM_ECANCELED, "the job was cancelled");
        int64_t m = EM_MIN((int64_t)EM_BATCH_ROWS, in->n - from);
        em_batch *out = em_batch_create(w->in_ncols + w->ncalls);
        out->nrows = m;
        for (int c = 0; c < w->in_ncols; c++)
            em_batch_set_col(out, c, em__sort_gather(w->batches, c, in->src + from, m));
        for (int i = 0; i < w->ncalls; i++) {
            em_vector *v;
            int rc = result_vector(in, &res[i], w->calls[i].type, from, m, &v, err);
            if (rc < 0) {
                em_batch_destroy(out);
                return rc;
            }
            em_batch_set_col(out, w->in_ncols + i, v);
        }
        int rc = em_op_emit(&w->base, out, err);
        if (rc != 0) return rc; /* an error, or EM_OP_DONE: nothing more is wanted */
    }
    return 0;
}

/* ---- finish: sort, compute, emit ------------------------------------------------------------ */

/* Compute every call over the buffered rows src[0, n), which are in window
 * order and hold whole partitions, and emit them. */
static int compute_and_emit(window_op *w, const em__row_src *src, int64_t n, em_error *err)
{
    em__win_input in;
    memset(&in, 0, sizeof(in));
    in.n = n;
    in.batches = w->batches;
    in.nbatches = w->nbatches;
    in.src = src;
    /* The keys in sorted order: partition keys find the partitions, ORDER BY
     * keys the peer groups and, for RANGE offsets, the frames. */
    bool peers = needs_peers(w), key = needs_key(w);
    int nviews = w->npart + (peers || key ? w->norder : 0);
    em__win_view *kv = em_calloc((size_t)(nviews > 0 ? nviews : 1), sizeof(em__win_view));
    for (int k = 0; k < nviews; k++) em__win_view_build(&in, w->keys[k].column, &kv[k]);
    int64_t *part_start = find_partitions(&in, w->npart, kv, &in.nparts);
    in.part_start = part_start;
    int64_t *peer_start = NULL, *peer_end = NULL;
    if (peers) {
        peer_start = em_malloc((size_t)n * sizeof(int64_t));
        peer_end = em_malloc((size_t)n * sizeof(int64_t));
        find_peers(&in, w->norder, kv + w->npart, peer_start, peer_end);
        in.peer_start = peer_start;
        in.peer_end = peer_end;
    }
    if (key) {
        in.key = &kv[w->npart];
        in.key_desc = w->order[0].desc;
        in.key_nulls_first = w->order[0].nulls_first;
    }

    em__win_result *res = em_calloc((size_t)(w->ncalls > 0 ? w->ncalls : 1), sizeof(*res));
    int rc = 0;
    for (int i = 0; i < w->ncalls && rc == 0; i++) {
        const em__win_call *c = &w->wc[i];
        if (is_ranking(c->call->kind))
            em__win_rank(&in, c, &res[i]);
        else if (c->call->kind == EM_WINDOW_AGG)
            rc = em__win_agg(&in, c, &res[i], err);
        else
            em__win_value(&in, c, &res[i]);
    }
    if (rc == 0) rc = emit_all(w, &in, res, err);

    for (int i = 0; i < w->ncalls; i++) em__win_result_release(&res[i]);
    em_free(res);
    for (int k = 0; k < nviews; k++) em__win_view_release(&kv[k]);
    em_free(kv);
    em_free(peer_start);
    em_free(peer_end);
    em_free(part_start);
    return rc;
}

/* Everything held in memory: sort, compute, emit. */
static int sort_and_emit(window_op *w, em_error *err)
{
    em__row_src *src = sort_buffer(w);
    int rc = compute_and_emit(w, src, w->nrows, err);
    em_free(src);
    return rc;
}

/* The buffered rows [0, n) in their stored order. */
static int emit_prefix(window_op *w, int64_t n, em_error *err)
{
    em__row_src *src = em_malloc((size_t)(n > 0 ? n : 1) * sizeof(em__row_src));
    int64_t k = 0;
    for (int64_t b = 0; b < w->nbatches && k < n; b++)
        for (int64_t r = 0; r < w->batches[b]->nrows && k < n; r++, k++) {
            src[k].batch = (uint32_t)b;
            src[k].row = (uint32_t)r;
        }
    int rc = compute_and_emit(w, src, n, err);
    em_free(src);
    return rc;
}

/* Drop the buffered rows [0, n), keeping the rest in order. */
static void drop_prefix(window_op *w, int64_t n)
{
    int64_t b = 0, gone = 0;
    while (b < w->nbatches && gone + w->batches[b]->nrows <= n) {
        gone += w->batches[b]->nrows;
        em_memory_shrink(&w->mem, em_batch_bytes(w->batches[b]));
        em_batch_destroy(w->batches[b++]);
    }
    if (b < w->nbatches && gone < n) {
        em_batch *old = w->batches[b];
        int64_t bytes = em_batch_bytes(old);
        w->batches[b] = em_batch_slice(old, n - gone, old->nrows - (n - gone));
        em_batch_destroy(old);
        em_memory_shrink(&w->mem, bytes);
        em_memory_force_reserve(&w->mem, em_batch_bytes(w->batches[b]));
    }
    memmove(w->batches, w->batches + b, (size_t)(w->nbatches - b) * sizeof(em_batch *));
    w->nbatches -= b;
    w->nrows -= n;
}

/* After spilling: merge the sorted runs into one stream and compute it a few
 * partitions at a time. The buffer collects the stream; `last` is where the
 * last partition seen so far starts. Once the buffer holds enough rows, or
 * the pool refuses more, the complete partitions before `last` are computed
 * and emitted, and the rest is kept for the next round. */
#define WINDOW_CHUNK_ROWS (16 * EM_BATCH_ROWS)

static int merge_and_emit(window_op *w, em_error *err)
{
    if (w->nrows > 0) EM_TRY(spill_run(w, err));
    em_source **srcs = em_malloc(sizeof(em_source *) * (size_t)w->nruns);
    for (int i = 0; i < w->nruns; i++) srcs[i] = em_source_spill_create(w->runs[i]);
    em_source *m = em_source_merge_streams(w->nruns, srcs, w->npart + w->norder, w->keys);
    em_free(srcs);
    int64_t last = 0;
    int rc = 0;
    for (;;) {
        em_batch *b = NULL;
        rc = m->next(m, &b, err);
        if (rc < 0) break;
        if (b == NULL) {
            if (w->nrows > 0) rc = emit_prefix(w, w->nrows, err);
            break;
        }
        if (b->nrows == 0) {
            em_batch_destroy(b);
            continue;
        }
        /* Find partition starts in b, comparing each row with the one before. */
        const em_batch *prev = w->nbatches > 0 ? w->batches[w->nbatches - 1] : NULL;
        for (int64_t i = 0; i < b->nrows; i++) {
            const em_batch *pb = i > 0 ? b : prev;
            int64_t pr = i > 0 ? i - 1 : (prev != NULL ? prev->nrows - 1 : 0);
            if (pb != NULL && em_sort_compare_rows(pb, pr, b, i, w->npart, w->keys) != 0)
                last = w->nrows + i;
        }
        if (w->nrows + b->nrows > (int64_t)UINT32_MAX) {
            em_batch_destroy(b);
            rc = too_many_rows(err);
            break;
        }
        int64_t bytes = em_batch_bytes(b);
        bool refused = !em_memory_try_reserve(&w->mem, bytes);
        if (refused) em_memory_force_reserve(&w->mem, bytes);
        buffer_add(w, b);
        if ((refused || w->nrows >= WINDOW_CHUNK_ROWS) && last > 0) {
            rc = emit_prefix(w, last, err);
            if (rc != 0) break;
            drop_prefix(w, last);
            last = 0;
        }
    }
    m->destroy(m);
    return rc;
}

static int window_finish(em_op *op, em_error *err)
{
    window_op *w = (window_op *)op;
    if (w->init_rc < 0) return report_init_error(w, err);
    if (w->nrows + (int64_t)w->nruns > 0) {
        int rc = w->nruns > 0 ? merge_and_emit(w, err) : sort_and_emit(w, err);
        op->stats.mem_peak = w->mem.peak;
        op->stats.spilled = w->mem.spilled;
        release_buffer(w);
        if (rc < 0) return rc;
    }
    return em_op_finish_next(op, err);
}

static void window_destroy(em_op *op)
{
    window_op *w = (window_op *)op;
    release_buffer(w);
    for (int i = 0; i < w->nruns; i++) em_spill_close(w->runs[i]);
    em_free(w->runs);
    em_free(w->batches);
    em_free(w->keys);
    em_free(w->calls);
    em_free(w->wc);
    em_free(w->arg_aux);
    em_free(w->deflt_aux);
    em_free(w->aux);
    em_free(w->aux_type);
    em_free(w);
}

static const em_op_vtable window_vt = {"Window", window_push, window_finish, window_destroy};

em_op *em_op_window_create(em_task_ctx *ctx, int npartition, const int *partition_cols, int norder,
                           const em_sort_key *order, int ncalls, const em_window_call *calls)
{
    window_op *w = em_calloc(1, sizeof(*w));
    w->base.vt = &window_vt;
    w->base.ctx = ctx;
    w->npart = npartition;
    w->norder = norder;
    w->keys =
        em_calloc((size_t)(npartition + norder > 0 ? npartition + norder : 1), sizeof(em_sort_key));
    for (int k = 0; k < npartition; k++) {
        w->keys[k].column = partition_cols[k];
        w->keys[k].desc = false;
        w->keys[k].nulls_first = true;
    }
    if (norder > 0) memcpy(w->keys + npartition, order, (size_t)norder * sizeof(em_sort_key));
    w->order = w->keys + npartition;
    w->ncalls = ncalls;
    size_t nc = (size_t)(ncalls > 0 ? ncalls : 1);
    w->calls = em_calloc(nc, sizeof(em_window_call));
    if (ncalls > 0) memcpy(w->calls, calls, (size_t)ncalls * sizeof(em_window_call));
    w->wc = em_calloc(nc, sizeof(em__win_call));
    w->arg_aux = em_calloc(nc, sizeof(int));
    w->deflt_aux = em_calloc(nc, sizeof(int));
    w->aux = em_calloc(2 * nc, sizeof(em_expr *));
    w->aux_type = em_calloc(2 * nc, sizeof(em_type));
    w->in_ncols = -1;
    em_memory_reservation_init(&w->mem, ctx != NULL ? ctx->memory : NULL);
    for (int i = 0; i < ncalls && w->init_rc == 0; i++) {
        int rc = check_call(w, i, &w->init_err);
        /* Frames are checked again against the ORDER BY key's type at the
         * first batch; the rest of a frame can be checked now, so that a bad
         * frame is reported even without input. */
        const em_window_frame *f = &w->calls[i].frame;
        bool range_offsets =
            !f->rows && (f->start == EM_BOUND_PRECEDING || f->start == EM_BOUND_FOLLOWING ||
                         f->end == EM_BOUND_PRECEDING || f->end == EM_BOUND_FOLLOWING);
        if (rc == 0 && uses_frame(w->calls[i].kind) && !range_offsets)
            rc = em__win_frame_prepare(f, norder, w->order, em_type_make(EM_TYPE_NULL),
                                       &w->wc[i].frame, &w->init_err);
        if (rc < 0) w->init_rc = rc;
    }
    return &w->base;
}

/*
 * expr_eval.c — vectorized evaluation of bound expressions over a batch.
 *
 * Every node produces a whole vector at once. Constant subtrees produce a
 * single row that kernels broadcast (see expr_int.h), so `x + 1` never
 * materialises a column of ones. Column references are new references to the
 * input vectors: projecting a column copies nothing.
 *
 * Lazy constructs (CASE, COALESCE, AND, OR) evaluate an argument only for the
 * rows that actually reach it. When some rows are already decided, the rows
 * still open are gathered into a sub-batch holding just the columns the
 * argument reads, so that an argument that could fail (10 / x, a cast) never
 * sees a row it must not see. Arguments that can never fail are evaluated over
 * the whole batch instead when most rows are still open, which is cheaper than
 * gathering.
 *
 * em_expr_select turns predicates into selection vectors. Conjunctions narrow
 * the selection argument by argument, and comparisons of columns with
 * constants (the common filter) run as one tight loop writing row indexes.
 */
#include <stdlib.h>
#include <string.h>

#include "exec/expr_int.h"

/* ---- vector helpers ------------------------------------------------------------ */

em_vector *em__vec_new(em_type t, int64_t n)
{
    em_vector *v = em_vector_create(t, n);
    v->length = n;
    if (t.id == EM_TYPE_VARCHAR) EM_VEC_OFFSETS(v)[0] = 0;
    return v;
}

uint8_t *em__vec_validity(em_vector *v)
{
    if (v->validity == NULL) {
        size_t bytes = em__bitmap_bytes(v->capacity > 0 ? v->capacity : 1);
        v->validity = em_malloc(bytes);
        memset(v->validity, 0xff, bytes);
    }
    v->null_count = -1;
    return v->validity;
}

void em__vec_set_all_null(em_vector *out, int64_t n)
{
    uint8_t *bits = em__vec_validity(out);
    memset(bits, 0, em__bitmap_bytes(n > 0 ? n : 1));
    out->null_count = n;
}

void em__vec_and_validity(em_vector *out, em_vector *const *args, int nargs, int64_t n)
{
    size_t bytes = em__bitmap_bytes(n);
    bool have = false;
    for (int a = 0; a < nargs; a++) {
        const em_vector *v = args[a];
        if (em__is_const(v) && n != 1) {
            if (!em_vector_is_valid(v, 0)) {
                em__vec_set_all_null(out, n);
                return;
            }
            continue;
        }
        if (v->validity == NULL) continue;
        if (!have) {
            uint8_t *bits = em__vec_validity(out);
            memcpy(bits, v->validity, bytes);
            have = true;
        } else {
            uint8_t *bits = out->validity;
            for (size_t k = 0; k < bytes; k++) bits[k] &= v->validity[k];
        }
    }
}

void em__vec_copy_validity(em_vector *out, const em_vector *src, int64_t n)
{
    em_vector *one = (em_vector *)src;
    em__vec_and_validity(out, &one, 1, n);
}

bool em__vec_has_null(const em_vector *v, int64_t n)
{
    if (v->validity == NULL) return false;
    if (em__is_const(v)) return !em_vector_is_valid(v, 0);
    int64_t full = n >> 3;
    const uint8_t *bits = v->validity;
    int64_t k = 0;
    for (; k + 8 <= full; k += 8) {
        uint64_t w;
        memcpy(&w, bits + k, 8);
        if (w != UINT64_MAX) return true;
    }
    for (; k < full; k++)
        if (bits[k] != 0xff) return true;
    for (int64_t i = full << 3; i < n; i++)
        if (!em__bit(bits, i)) return true;
    return false;
}

void em__vec_compact_validity(em_vector *out, int64_t n)
{
    if (out->validity == NULL || out->type.id == EM_TYPE_NULL) return;
    if (em__vec_has_null(out, n)) return;
    em_free(out->validity);
    out->validity = NULL;
    out->null_count = 0;
}

em_vector *em__vec_broadcast(const em_vector *v, int64_t n)
{
    em_value val = em_vector_get(v, 0);
    return em_vector_from_value(&val, n);
}

int em__err_str_too_large(em_error *err)
{
    return em_error_set(err, EM_EOVERFLOW, "string result exceeds 2 GiB in one batch");
}

/* NULL slots of fixed-width results are zeroed so that hashing and export
 * see deterministic bytes, as em_vector_append_null does. Eight bitmap bytes
 * are tested at once: most words have no NULL. */
static void zero_null_slots(em_vector *v)
{
    size_t w = em_type_width(v->type);
    if (v->validity == NULL || v->type.id == EM_TYPE_VARCHAR || w == 0) return;
    const int64_t n = v->length;
    const int64_t nbytes = (n + 7) >> 3;
    const uint8_t *bits = v->validity;
    char *data = v->data;
    for (int64_t k = 0; k < nbytes; k += 8) {
        uint64_t word = UINT64_MAX;
        memcpy(&word, bits + k, (size_t)EM_MIN(8, nbytes - k));
        /* Visit only the NULL rows of the word. */
        for (uint64_t z = ~word; z != 0; z &= z - 1) {
            int64_t i = (k << 3) + __builtin_ctzll(z);
            if (i >= n) break;
            memset(data + (size_t)i * w, 0, w);
        }
    }
}

/* Eight validity bits as eight bytes of 0 or 1, and back. */
#define BYTE_ONES 0x0101010101010101ULL

static inline uint64_t expand_bits(uint8_t b)
{
    uint64_t x = ((uint64_t)b * BYTE_ONES) & 0x8040201008040201ULL;
    return ((x + 0x7f7f7f7f7f7f7f7fULL) >> 7) & BYTE_ONES;
}

static inline uint8_t pack_bytes(uint64_t w)
{
    return (uint8_t)((w * 0x0102040810204080ULL) >> 56);
}

static inline uint64_t load8(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline void store8(uint8_t *p, uint64_t w)
{
    memcpy(p, &w, 8);
}

/* ---- analysis -------------------------------------------------------------------- */

/* Whether evaluating e can raise an error on some row. Used to decide if an
 * argument of a lazy construct may be evaluated over rows that do not reach it. */
static bool is_safe(const em_expr *e)
{
    switch (e->kind) {
    case EM_EXPR_COLUMN:
    case EM_EXPR_CONST:
        return true;
    case EM_EXPR_CALL:
        if (e->func == NULL || !(em__func_flags(e->func) & EM__FN_SAFE)) return false;
        break;
    case EM_EXPR_CAST:
        if (e->try_cast) break;
        if (!em__cast_is_safe(e->args[0]->type, e->type)) return false;
        break;
    case EM_EXPR_LIKE:
        /* A malformed pattern (a trailing escape) is the only failure. */
        if (e->args[1]->kind != EM_EXPR_CONST) return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < e->nargs; i++)
        if (!is_safe(e->args[i])) return false;
    return true;
}

typedef struct col_marks {
    bool *used;
    int ncols;
} col_marks;

static void mark_col(void *ctx, int column)
{
    col_marks *m = ctx;
    if (column >= 0 && column < m->ncols) m->used[column] = true;
}

/* ---- evaluation -------------------------------------------------------------------- */

static int eval_node(const em_expr *e, const em_batch *in, em_vector **out, em_error *err);

/* Make v of type t when it is not (a NULL literal the binder left untyped, or a
 * branch of another type): the kernels rely on the declared types. */
static int coerce(em_vector **v, em_type t, em_error *err)
{
    if ((*v)->type.id == t.id) {
        if (t.id != EM_TYPE_DECIMAL || (*v)->type.scale == t.scale || t.precision == 0) return 0;
    }
    if (t.id == EM_TYPE_NULL) return 0;
    if (t.id == EM_TYPE_DECIMAL && t.precision == 0) t = em_type_decimal(18, (*v)->type.scale);
    em_vector *c;
    EM_TRY(em__cast_vector(*v, t, false, &c, err));
    em_vector_unref(*v);
    *v = c;
    return 0;
}

/* Evaluate e over the rows rows[0..k) of `in` only: the columns e reads are
 * gathered into a sub-batch. The result has k rows (or one, a constant). */
static int eval_subset(const em_expr *e, const em_batch *in, const int32_t *rows, int64_t k,
                       em_vector **out, em_error *err)
{
    if (rows == NULL || k == in->nrows) return eval_node(e, in, out, err);
    int ncols = in->ncols;
    bool used_stack[64];
    bool *used = ncols <= 64 ? used_stack : em_malloc((size_t)ncols);
    memset(used, 0, (size_t)(ncols > 0 ? ncols : 0));
    col_marks marks = {used, ncols};
    em_expr_visit_columns(e, mark_col, &marks);
    em_vector **cols = em_calloc((size_t)(ncols > 0 ? ncols : 1), sizeof(em_vector *));
    for (int c = 0; c < ncols; c++)
        if (used[c] && in->cols[c] != NULL) cols[c] = em_vector_gather(in->cols[c], rows, k);
    em_batch sub = {.ncols = ncols, .nrows = k, .cols = cols};
    int rc = eval_node(e, &sub, out, err);
    for (int c = 0; c < ncols; c++) em_vector_unref(cols[c]);
    em_free(cols);
    if (used != used_stack) em_free(used);
    return rc;
}

/* Evaluate e for the rows rows[0..k) (NULL: every row). *dense tells how to
 * index the result: by position j in rows (true) or by row number (false).
 * Safe expressions are evaluated over the whole batch when most rows are wanted. */
static int eval_rows(const em_expr *e, const em_batch *in, const int32_t *rows, int64_t k,
                     em_vector **out, bool *dense, em_error *err)
{
    if (rows == NULL || k == in->nrows || (k * 4 >= in->nrows && is_safe(e))) {
        *dense = false;
        return eval_node(e, in, out, err);
    }
    *dense = true;
    return eval_subset(e, in, rows, k, out, err);
}

/* Index of row i (position j in the row list) inside a vector from eval_rows. */
static inline int64_t vix(const em_vector *v, bool dense, int64_t j, int64_t i)
{
    return em__is_const(v) ? 0 : dense ? j : i;
}

static int eval_call(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    const em_func *f = e->func;
    if (f == NULL || f->kernel == NULL)
        return em_error_set(err, EM_EINTERNAL, "call without a bound function");
    int nargs = e->nargs;
    em_vector *stack[8];
    em_vector **args = nargs <= 8 ? stack : em_calloc((size_t)nargs, sizeof(em_vector *));
    bool all_const = true;
    int rc = 0, got = 0;
    for (int i = 0; i < nargs; i++) {
        rc = eval_node(e->args[i], in, &args[i], err);
        if (rc < 0) break;
        got++;
        em_type want = f->nargs < 0 ? f->arg_types[0] : f->arg_types[i < 4 ? i : 3];
        if (args[i]->type.id != want.id) {
            /* Only untyped NULLs and missing binder casts land here. */
            em_type t = want;
            if (t.id == EM_TYPE_DECIMAL)
                t = e->args[i]->type.id == EM_TYPE_DECIMAL ? e->args[i]->type
                                                           : em_type_decimal(18, 0);
            rc = coerce(&args[i], t, err);
            if (rc < 0) break;
        }
        if (!em__is_const(args[i])) all_const = false;
    }
    if (rc == 0) {
        /* A call over constants is computed once and broadcast by the caller. */
        int64_t n = all_const && !f->volatile_ ? 1 : in->nrows;
        rc = f->kernel(e, args, n, out, err);
        if (rc == 0) zero_null_slots(*out);
    }
    for (int i = 0; i < got; i++) em_vector_unref(args[i]);
    if (args != stack) em_free(args);
    return rc;
}

/* Fold one operand, evaluated over every row, into the AND/OR state: val
 * holds the result so far (0/1 bytes), nul marks rows where an operand was
 * NULL. Works on eight rows per 64-bit word. */
static void logic_fold_full(bool is_and, const em_vector *v, int64_t n, uint8_t *val, uint8_t *nul)
{
    const uint8_t *x = EM_VEC_BOOL(v);
    if (em__is_const(v) && n != 1) {
        bool valid = em_vector_is_valid(v, 0);
        if (!valid)
            memset(nul, 1, (size_t)n);
        else if (is_and && !x[0])
            memset(val, 0, (size_t)n);
        else if (!is_and && x[0])
            memset(val, 1, (size_t)n);
        return;
    }
    if (v->validity == NULL) {
        if (is_and)
            for (int64_t i = 0; i < n; i++) val[i] &= x[i];
        else
            for (int64_t i = 0; i < n; i++) val[i] |= x[i];
        return;
    }
    const uint8_t *bits = v->validity;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t vb = expand_bits(bits[i >> 3]), xw = load8(x + i);
        uint64_t inval = vb ^ BYTE_ONES;
        if (is_and)
            store8(val + i, load8(val + i) & (xw | inval));
        else
            store8(val + i, load8(val + i) | (xw & vb));
        store8(nul + i, load8(nul + i) | inval);
    }
    for (; i < n; i++) {
        uint8_t valid = em__bit(bits, i);
        if (is_and)
            val[i] &= (uint8_t)(x[i] | !valid);
        else
            val[i] |= (uint8_t)(x[i] & valid);
        nul[i] |= (uint8_t)!valid;
    }
}

/* AND / OR with three-valued logic: false AND x = false, true OR x = true,
 * otherwise NULL if any operand is NULL. An operand that could fail only sees
 * the rows earlier operands left open; safe operands run over the whole batch
 * (decided rows stay decided whatever they add). */
static int eval_logic(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    const bool is_and = e->kind == EM_EXPR_AND;
    const uint8_t undecided = is_and ? 1 : 0;
    const int64_t n = in->nrows;
    em_vector *res = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    uint8_t *val = EM_VEC_BOOL(res);
    memset(val, undecided, (size_t)n);
    uint8_t *nul = em_calloc((size_t)n, 1);
    int32_t *open = NULL;
    int rc = 0;
    for (int a = 0; a < e->nargs; a++) {
        const em_expr *arg = e->args[a];
        bool partial = open != NULL;
        int64_t nopen = n;
        if (a > 0) {
            /* Rows still open; stop when every row is decided. */
            int64_t cnt = 0;
            for (int64_t i = 0; i < n; i++) cnt += val[i] == undecided;
            if (cnt == 0) break;
            partial = cnt < n && !is_safe(arg);
            if (partial) {
                if (open == NULL) open = em_malloc(sizeof(int32_t) * (size_t)n);
                int64_t m = 0;
                for (int64_t i = 0; i < n; i++) {
                    open[m] = (int32_t)i;
                    m += val[i] == undecided;
                }
                nopen = m;
            }
        }
        em_vector *v = NULL;
        if (!partial) {
            rc = eval_node(arg, in, &v, err);
            if (rc == 0) rc = coerce(&v, em_type_make(EM_TYPE_BOOLEAN), err);
            if (rc == 0) logic_fold_full(is_and, v, n, val, nul);
        } else {
            rc = eval_subset(arg, in, open, nopen, &v, err);
            if (rc == 0) rc = coerce(&v, em_type_make(EM_TYPE_BOOLEAN), err);
            if (rc == 0) {
                const uint8_t *x = EM_VEC_BOOL(v);
                for (int64_t j = 0; j < nopen; j++) {
                    int64_t i = open[j], k = em__is_const(v) ? 0 : j;
                    uint8_t valid = em_vector_is_valid(v, k);
                    if (is_and)
                        val[i] &= (uint8_t)(x[k] | !valid);
                    else
                        val[i] |= (uint8_t)(x[k] & valid);
                    nul[i] |= (uint8_t)!valid;
                }
            }
        }
        em_vector_unref(v);
        if (rc < 0) break;
    }
    em_free(open);
    if (rc == 0) {
        /* NULL where still undecided and some operand was NULL. */
        uint8_t any = 0;
        for (int64_t i = 0; i < n; i++) any |= (uint8_t)((val[i] == undecided) & nul[i]);
        if (any) {
            uint8_t *bits = em__vec_validity(res);
            int64_t i = 0;
            for (; i + 8 <= n; i += 8) {
                uint64_t vw = load8(val + i), nw = load8(nul + i);
                uint64_t isnull = (is_and ? vw : (vw ^ BYTE_ONES)) & nw;
                bits[i >> 3] = pack_bytes(isnull ^ BYTE_ONES);
                store8(val + i, vw & ~isnull);
            }
            for (; i < n; i++) {
                if (val[i] == undecided && nul[i]) {
                    em__bit_clear(bits, i);
                    val[i] = 0;
                } else {
                    em__bit_set(bits, i);
                }
            }
        }
        *out = res;
    } else {
        em_vector_unref(res);
    }
    em_free(nul);
    return rc;
}

static int eval_not(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    em_vector *v;
    EM_TRY(eval_node(e->args[0], in, &v, err));
    int rc = coerce(&v, em_type_make(EM_TYPE_BOOLEAN), err);
    if (rc < 0) {
        em_vector_unref(v);
        return rc;
    }
    int64_t n = v->length;
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    const uint8_t *x = EM_VEC_BOOL(v);
    uint8_t *z = EM_VEC_BOOL(r);
    for (int64_t i = 0; i < n; i++) z[i] = (uint8_t)(x[i] ^ 1);
    em__vec_copy_validity(r, v, n);
    em_vector_unref(v);
    *out = r;
    return 0;
}

static int eval_is_null(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    em_vector *v;
    EM_TRY(eval_node(e->args[0], in, &v, err));
    int64_t n = v->length;
    em_vector *r = em__vec_new(em_type_make(EM_TYPE_BOOLEAN), n);
    uint8_t *z = EM_VEC_BOOL(r);
    uint8_t want_null = e->negated ? 0 : 1;
    if (v->validity == NULL) {
        memset(z, want_null ^ 1, (size_t)n);
    } else {
        for (int64_t i = 0; i < n; i++) z[i] = (uint8_t)(em__bit(v->validity, i) ^ want_null);
    }
    em_vector_unref(v);
    *out = r;
    return 0;
}

/* ---- CASE and COALESCE: per-row choice among several result vectors ------------ */

/*
 * Fixed-width results are scattered straight into the result vector as each
 * branch is evaluated. VARCHAR results remember, per row, which branch vector
 * and row to take (src/idx) and are copied once at the end, when the total
 * size is known. A single branch covering every row in order is handed out
 * as is.
 */
typedef struct assembler {
    em_type t;
    int64_t n;
    size_t width;     /* 0 for VARCHAR */
    em_vector *whole; /* a branch covering every row, not yet copied */
    em_vector *r;     /* fixed width: the result being filled */
    int nsrc;         /* VARCHAR: the branch vectors kept alive */
    em_vector **srcs;
    int32_t *src;
    int32_t *idx;
} assembler;

static void asm_init(assembler *as, int maxsrc, int64_t n, em_type t)
{
    memset(as, 0, sizeof(*as));
    as->t = t;
    as->n = n;
    as->width = t.id == EM_TYPE_VARCHAR ? 0 : em_type_width(t);
    as->srcs = em_calloc((size_t)maxsrc + 1, sizeof(em_vector *));
}

static void asm_release(assembler *as)
{
    em_vector_unref(as->whole);
    em_vector_unref(as->r);
    for (int s = 0; s < as->nsrc; s++) em_vector_unref(as->srcs[s]);
    em_free(as->srcs);
    em_free(as->src);
    em_free(as->idx);
}

static void asm_materialize(assembler *as);

/* Row i of the result := row k of v (validity included). */
#define SCATTER(T)                                                                                 \
    do {                                                                                           \
        const T *x = (const T *)v->data;                                                           \
        T *z = (T *)as->r->data;                                                                   \
        for (int64_t j = 0; j < k; j++) {                                                          \
            int64_t i = rows ? rows[j] : j;                                                        \
            int64_t kk = vix(v, dense, j, i);                                                      \
            z[i] = x[kk];                                                                          \
            if (vbits == NULL || em__bit(vbits, kk)) em__bit_set(bits, i);                         \
        }                                                                                          \
    } while (0)

/* Rows rows[0..k) (NULL: 0..k-1) take their value from v, indexed by position
 * (dense) or by row number; takes ownership of v. */
static void asm_add(assembler *as, em_vector *v, bool dense, const int32_t *rows, int64_t k)
{
    if (as->whole == NULL && as->r == NULL && as->nsrc == 0 && k == as->n && v->length == k &&
        (rows == NULL || dense)) {
        as->whole = v; /* every row, in order */
        return;
    }
    if (as->whole != NULL || (as->r == NULL && as->src == NULL)) asm_materialize(as);
    if (as->t.id == EM_TYPE_NULL) {
        em_vector_unref(v);
        return;
    }
    if (as->width == 0) {
        int s = as->nsrc++;
        as->srcs[s] = v;
        for (int64_t j = 0; j < k; j++) {
            int64_t i = rows ? rows[j] : j;
            as->src[i] = s;
            as->idx[i] = (int32_t)vix(v, dense, j, i);
        }
        return;
    }
    uint8_t *bits = as->r->validity;
    const uint8_t *vbits = v->validity;
    switch (as->width) {
    case 1:
        SCATTER(uint8_t);
        break;
    case 4:
        SCATTER(int32_t);
        break;
    case sizeof(em_interval):
        SCATTER(em_interval);
        break;
    default:
        SCATTER(int64_t);
        break;
    }
    em_vector_unref(v);
}

/* Switch from the single-vector shortcut to per-row assembly. */
static void asm_materialize(assembler *as)
{
    const int64_t n = as->n;
    if (as->width == 0) {
        as->src = em_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
        as->idx = em_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
        for (int64_t i = 0; i < n; i++) as->src[i] = -1;
    } else {
        as->r = em__vec_new(as->t, n);
        memset(as->r->data, 0, as->width * (size_t)n);
        em__vec_set_all_null(as->r, n);
    }
    em_vector *w = as->whole;
    as->whole = NULL;
    if (w != NULL) asm_add(as, w, false, NULL, n);
}

/* Rows rows[0..k) take v's value where it is not NULL; the others are
 * written to rest (returns their count). Takes ownership of v. */
static int64_t asm_add_valid(assembler *as, em_vector *v, bool dense, const int32_t *rows,
                             int64_t k, int32_t *rest)
{
    int32_t *got = em_malloc(sizeof(int32_t) * (size_t)(k > 0 ? k : 1));
    int32_t *pos = em_malloc(sizeof(int32_t) * (size_t)(k > 0 ? k : 1));
    int64_t ng = 0, nr = 0;
    for (int64_t j = 0; j < k; j++) {
        int64_t i = rows ? rows[j] : j;
        if (em_vector_is_valid(v, vix(v, dense, j, i))) {
            got[ng] = (int32_t)i;
            pos[ng++] = (int32_t)(em__is_const(v) ? 0 : dense ? j : i);
        } else {
            rest[nr++] = (int32_t)i;
        }
    }
    /* Positions are resolved already: index the vector "densely" by them. */
    if (ng > 0) {
        if (as->whole != NULL || (as->r == NULL && as->src == NULL)) asm_materialize(as);
        if (as->width == 0) {
            int s = as->nsrc++;
            as->srcs[s] = v;
            for (int64_t j = 0; j < ng; j++) {
                as->src[got[j]] = s;
                as->idx[got[j]] = pos[j];
            }
            v = NULL;
        } else if (as->t.id != EM_TYPE_NULL) {
            uint8_t *bits = as->r->validity;
            for (int64_t j = 0; j < ng; j++) {
                int64_t i = got[j], kk = pos[j];
                memcpy((char *)as->r->data + (size_t)i * as->width,
                       (const char *)v->data + (size_t)kk * as->width, as->width);
                em__bit_set(bits, i);
            }
        }
    }
    em_vector_unref(v);
    em_free(got);
    em_free(pos);
    return nr;
}

static em_vector *asm_build(assembler *as)
{
    const int64_t n = as->n;
    if (as->whole != NULL) {
        em_vector *w = as->whole;
        as->whole = NULL;
        return w;
    }
    if (as->r == NULL && as->src == NULL) asm_materialize(as); /* nothing added: all NULL */
    if (as->width > 0 || as->t.id == EM_TYPE_NULL) {
        em_vector *r = as->r;
        as->r = NULL;
        if (r == NULL) { /* NULL-typed */
            r = em__vec_new(as->t, n);
            return r;
        }
        em__vec_compact_validity(r, n);
        zero_null_slots(r);
        return r;
    }
    const int32_t *src = as->src, *idx = as->idx;
    em_vector *const *srcs = as->srcs;
    em_vector *r = em__vec_new(as->t, n);
    int64_t total = 0;
    bool any_null = false;
    for (int64_t i = 0; i < n; i++) {
        if (src[i] < 0 || !em_vector_is_valid(srcs[src[i]], idx[i])) {
            any_null = true;
            continue;
        }
        const int32_t *off = EM_VEC_OFFSETS(srcs[src[i]]);
        total += off[idx[i] + 1] - off[idx[i]];
    }
    em_vector_reserve_chars(r, total > 0 ? total : 1);
    int32_t *zo = EM_VEC_OFFSETS(r);
    uint8_t *bits = any_null ? em__vec_validity(r) : NULL;
    int64_t p = 0;
    for (int64_t i = 0; i < n; i++) {
        if (src[i] >= 0 && em_vector_is_valid(srcs[src[i]], idx[i])) {
            int32_t len;
            const char *s = em_vector_str(srcs[src[i]], idx[i], &len);
            if (len > 0) memcpy(r->chars + p, s, (size_t)len);
            p += len;
        } else {
            em__bit_clear(bits, i);
        }
        zo[i + 1] = (int32_t)p;
    }
    r->chars_len = p;
    return r;
}

static int eval_case(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    const int64_t n = in->nrows;
    const int nwhen = e->nargs / 2;
    const bool has_else = e->nargs % 2 == 1;
    assembler as;
    asm_init(&as, nwhen + 1, n, e->type);
    int32_t *rem = em_malloc(sizeof(int32_t) * (size_t)n);
    int32_t *rest = em_malloc(sizeof(int32_t) * (size_t)n);
    int32_t *taken = em_malloc(sizeof(int32_t) * (size_t)n);
    bool all = true; /* rem holds every row (and is not materialised) */
    int64_t nrem = n;
    int rc = 0;
    for (int w = 0; w < nwhen && nrem > 0; w++) {
        em_vector *c;
        bool dense;
        rc = eval_rows(e->args[2 * w], in, all ? NULL : rem, nrem, &c, &dense, err);
        if (rc < 0) break;
        rc = coerce(&c, em_type_make(EM_TYPE_BOOLEAN), err);
        if (rc < 0) {
            em_vector_unref(c);
            break;
        }
        const uint8_t *x = EM_VEC_BOOL(c);
        int64_t nt = 0, nr = 0;
        for (int64_t j = 0; j < nrem; j++) {
            int64_t i = all ? j : rem[j];
            int64_t k = vix(c, dense, j, i);
            bool t = x[k] && em_vector_is_valid(c, k);
            taken[nt] = (int32_t)i;
            rest[nr] = (int32_t)i;
            nt += t;
            nr += !t;
        }
        em_vector_unref(c);
        if (nt > 0) {
            em_vector *v;
            rc = eval_rows(e->args[2 * w + 1], in, nt == n ? NULL : taken, nt, &v, &dense, err);
            if (rc < 0) break;
            rc = coerce(&v, e->type, err);
            if (rc < 0) {
                em_vector_unref(v);
                break;
            }
            asm_add(&as, v, dense, nt == n ? NULL : taken, nt);
        }
        int32_t *tmp = rem;
        rem = rest;
        rest = tmp;
        nrem = nr;
        all = false;
    }
    if (rc == 0 && nrem > 0 && has_else) {
        em_vector *v = NULL;
        bool dense;
        rc = eval_rows(e->args[e->nargs - 1], in, all ? NULL : rem, nrem, &v, &dense, err);
        if (rc == 0) rc = coerce(&v, e->type, err);
        if (rc == 0)
            asm_add(&as, v, dense, all ? NULL : rem, nrem);
        else
            em_vector_unref(v);
    }
    if (rc == 0) *out = asm_build(&as);
    asm_release(&as);
    em_free(rem);
    em_free(rest);
    em_free(taken);
    return rc;
}

static int eval_coalesce(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    const int64_t n = in->nrows;
    em_vector *v;
    EM_TRY(eval_node(e->args[0], in, &v, err));
    int rc = coerce(&v, e->type, err);
    if (rc < 0) {
        em_vector_unref(v);
        return rc;
    }
    if (e->nargs == 1 || !em__vec_has_null(v, v->length)) {
        *out = v;
        return 0;
    }
    assembler as;
    asm_init(&as, e->nargs, n, e->type);
    int32_t *cur = em_malloc(sizeof(int32_t) * (size_t)n);
    int32_t *next = em_malloc(sizeof(int32_t) * (size_t)n);
    /* The first argument answers every row it has a value for. */
    int64_t ncur = asm_add_valid(&as, v, false, NULL, n, cur);
    for (int a = 1; a < e->nargs && ncur > 0 && rc == 0; a++) {
        bool dense;
        v = NULL;
        rc = eval_rows(e->args[a], in, cur, ncur, &v, &dense, err);
        if (rc == 0) rc = coerce(&v, e->type, err);
        if (rc < 0) {
            em_vector_unref(v);
            break;
        }
        ncur = asm_add_valid(&as, v, dense, cur, ncur, next);
        int32_t *tmp = cur;
        cur = next;
        next = tmp;
    }
    if (rc == 0) *out = asm_build(&as);
    asm_release(&as);
    em_free(cur);
    em_free(next);
    return rc;
}

static int eval_node(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    *out = NULL;
    switch (e->kind) {
    case EM_EXPR_COLUMN: {
        if (e->column < 0 || e->column >= in->ncols || in->cols[e->column] == NULL)
            return em_error_set(err, EM_EINTERNAL, "column #%d is not in the input", e->column);
        *out = em_vector_ref(in->cols[e->column]);
        return 0;
    }
    case EM_EXPR_CONST: {
        em_value v = e->value;
        if (v.is_null) v = em_value_null(e->type);
        *out = em_vector_from_value(&v, 1);
        return 0;
    }
    case EM_EXPR_CALL:
        return eval_call(e, in, out, err);
    case EM_EXPR_CAST: {
        em_vector *v;
        EM_TRY(eval_node(e->args[0], in, &v, err));
        int rc = em__cast_vector(v, e->type, e->try_cast, out, err);
        em_vector_unref(v);
        return rc;
    }
    case EM_EXPR_CASE:
        return eval_case(e, in, out, err);
    case EM_EXPR_AND:
    case EM_EXPR_OR:
        return eval_logic(e, in, out, err);
    case EM_EXPR_NOT:
        return eval_not(e, in, out, err);
    case EM_EXPR_IS_NULL:
        return eval_is_null(e, in, out, err);
    case EM_EXPR_COALESCE:
        return eval_coalesce(e, in, out, err);
    case EM_EXPR_LIKE: {
        em_vector *s, *p;
        EM_TRY(eval_node(e->args[0], in, &s, err));
        int rc = eval_node(e->args[1], in, &p, err);
        if (rc < 0) {
            em_vector_unref(s);
            return rc;
        }
        rc = coerce(&s, em_type_make(EM_TYPE_VARCHAR), err);
        if (rc == 0) rc = coerce(&p, em_type_make(EM_TYPE_VARCHAR), err);
        if (rc == 0) {
            int64_t n = em__is_const(s) && em__is_const(p) ? 1 : in->nrows;
            rc = em__like_eval(e, s, p, n, out, err);
        }
        em_vector_unref(s);
        em_vector_unref(p);
        return rc;
    }
    case EM_EXPR_IN_LIST: {
        int nargs = e->nargs;
        em_vector **args = em_calloc((size_t)nargs, sizeof(em_vector *));
        int rc = 0;
        bool all_const = true;
        em_type t = e->args[0]->type;
        for (int i = 0; i < nargs && rc == 0; i++) {
            rc = eval_node(e->args[i], in, &args[i], err);
            if (rc == 0 && args[i]->type.id != t.id) rc = coerce(&args[i], t, err);
            if (rc == 0 && !em__is_const(args[i])) all_const = false;
        }
        if (rc == 0) rc = em__in_list_eval(e, args, nargs, all_const ? 1 : in->nrows, out, err);
        for (int i = 0; i < nargs; i++) em_vector_unref(args[i]);
        em_free(args);
        return rc;
    }
    }
    return em_error_set(err, EM_EINTERNAL, "unknown expression kind %d", (int)e->kind);
}

int em_expr_eval(const em_expr *e, const em_batch *in, em_vector **out, em_error *err)
{
    const int64_t n = in->nrows;
    if (n == 0) {
        *out = em__vec_new(e->type, 0);
        return 0;
    }
    em_vector *v;
    EM_TRY(eval_node(e, in, &v, err));
    if (v->length != n) {
        em_vector *b = em__vec_broadcast(v, n);
        em_vector_unref(v);
        v = b;
    }
    *out = v;
    return 0;
}

/* ---- selection -------------------------------------------------------------------- */

static int select_rows(const em_expr *e, const em_batch *in, const int32_t *isel, int64_t nin,
                       int32_t *osel, int64_t *nout, em_error *err);

/* Rows of a BOOLEAN vector that are true: the vector is indexed by position
 * (dense) or by row number. osel may alias isel. */
static int64_t select_true(const em_vector *v, bool dense, const int32_t *isel, int64_t nin,
                           int32_t *osel)
{
    const uint8_t *x = EM_VEC_BOOL(v);
    int64_t k = 0;
    if (em__is_const(v)) {
        bool t = x[0] && em_vector_is_valid(v, 0);
        if (!t) return 0;
        for (int64_t j = 0; j < nin; j++) osel[j] = isel ? isel[j] : (int32_t)j;
        return nin;
    }
    const uint8_t *bits = v->validity;
    if (isel == NULL) {
        if (bits == NULL)
            for (int64_t i = 0; i < nin; i++) {
                osel[k] = (int32_t)i;
                k += x[i];
            }
        else
            for (int64_t i = 0; i < nin; i++) {
                osel[k] = (int32_t)i;
                k += x[i] & em__bit(bits, i);
            }
        return k;
    }
    for (int64_t j = 0; j < nin; j++) {
        int32_t i = isel[j];
        int64_t ix = em__is_const(v) ? 0 : dense ? j : i;
        osel[k] = i;
        k += x[ix] & (bits == NULL || em__bit(bits, ix));
    }
    return k;
}

static int select_general(const em_expr *e, const em_batch *in, const int32_t *isel, int64_t nin,
                          int32_t *osel, int64_t *nout, em_error *err)
{
    em_vector *v;
    bool dense;
    EM_TRY(eval_rows(e, in, isel, nin, &v, &dense, err));
    int rc = coerce(&v, em_type_make(EM_TYPE_BOOLEAN), err);
    if (rc == 0) *nout = select_true(v, dense, nin == in->nrows ? NULL : isel, nin, osel);
    em_vector_unref(v);
    return rc;
}

/* A column or constant operand of a comparison as a vector indexed by row. */
static em_vector *operand_vector(const em_expr *a, const em_batch *in)
{
    if (a->kind == EM_EXPR_COLUMN) {
        if (a->column < 0 || a->column >= in->ncols || in->cols[a->column] == NULL) return NULL;
        return em_vector_ref(in->cols[a->column]);
    }
    em_value v = a->value;
    if (v.is_null) v = em_value_null(a->type);
    return em_vector_from_value(&v, 1);
}

static bool is_leaf(const em_expr *a)
{
    return a->kind == EM_EXPR_COLUMN || a->kind == EM_EXPR_CONST;
}

static int select_cmp(const em_expr *e, em__cmp_op op, const em_batch *in, const int32_t *isel,
                      int64_t nin, int32_t *osel, int64_t *nout, em_error *err)
{
    const em_expr *a = e->args[0], *b = e->args[1];
    if (nin == in->nrows) isel = NULL;
    em_vector *va = NULL, *vb = NULL;
    bool dense = false;
    int rc = 0;
    if (is_leaf(a) && is_leaf(b)) {
        va = operand_vector(a, in);
        vb = operand_vector(b, in);
        if (va == NULL || vb == NULL) rc = em_error_set(err, EM_EINTERNAL, "bad column reference");
    } else {
        /* Both operands over the same rows, so that they index alike. */
        bool da = false, db = false;
        rc = eval_rows(a, in, isel, nin, &va, &da, err);
        if (rc == 0) rc = eval_rows(b, in, isel, nin, &vb, &db, err);
        if (rc == 0 && da != db) {
            /* One was cheap enough to run over every row; redo it densely. */
            em_vector **full = da ? &vb : &va;
            const em_expr *fe = da ? b : a;
            if (!em__is_const(*full)) {
                em_vector_unref(*full);
                *full = NULL;
                rc = eval_subset(fe, in, isel, nin, full, err);
            }
        }
        dense = da || db;
    }
    if (rc == 0 && va->type.id != vb->type.id) {
        rc = coerce(va->type.id == EM_TYPE_NULL ? &va : &vb,
                    va->type.id == EM_TYPE_NULL ? vb->type : va->type, err);
    }
    if (rc == 0) {
        if (va->type.id == EM_TYPE_NULL || vb->type.id == EM_TYPE_NULL) {
            *nout = 0;
        } else if (!dense) {
            *nout = em__cmp_select(op, va, vb, isel, nin, osel);
        } else {
            int32_t *tmp = em_malloc(sizeof(int32_t) * (size_t)nin);
            int64_t k = em__cmp_select(op, va, vb, NULL, nin, tmp);
            for (int64_t j = 0; j < k; j++) osel[j] = isel[tmp[j]];
            em_free(tmp);
            *nout = k;
        }
    }
    em_vector_unref(va);
    em_vector_unref(vb);
    return rc;
}

static em__cmp_op negate_cmp(em__cmp_op op)
{
    switch (op) {
    case EM__CMP_EQ:
        return EM__CMP_NE;
    case EM__CMP_NE:
        return EM__CMP_EQ;
    case EM__CMP_LT:
        return EM__CMP_GE;
    case EM__CMP_LE:
        return EM__CMP_GT;
    case EM__CMP_GT:
        return EM__CMP_LE;
    case EM__CMP_GE:
        return EM__CMP_LT;
    }
    return op;
}

static int select_or(const em_expr *e, const em_batch *in, const int32_t *isel, int64_t nin,
                     int32_t *osel, int64_t *nout, em_error *err)
{
    int32_t *res = em_malloc(sizeof(int32_t) * (size_t)nin);
    int32_t *rem = em_malloc(sizeof(int32_t) * (size_t)nin);
    int32_t *got = em_malloc(sizeof(int32_t) * (size_t)nin);
    for (int64_t j = 0; j < nin; j++) rem[j] = isel ? isel[j] : (int32_t)j;
    int64_t nres = 0, nrem = nin;
    int rc = 0;
    for (int a = 0; a < e->nargs && nrem > 0; a++) {
        int64_t ng;
        rc = select_rows(e->args[a], in, rem, nrem, got, &ng, err);
        if (rc < 0) break;
        if (ng == 0) continue;
        /* res := res ∪ got, merged from the back (res has room for nin). */
        int64_t x = nres - 1, y = ng - 1, w = nres + ng - 1;
        while (y >= 0) {
            if (x >= 0 && res[x] > got[y])
                res[w--] = res[x--];
            else
                res[w--] = got[y--];
        }
        nres += ng;
        /* rem := rem \ got (got is a sorted subset of rem). */
        int64_t m = 0, g = 0;
        for (int64_t j = 0; j < nrem; j++) {
            if (g < ng && rem[j] == got[g]) {
                g++;
                continue;
            }
            rem[m++] = rem[j];
        }
        nrem = m;
    }
    if (rc == 0) {
        memcpy(osel, res, sizeof(int32_t) * (size_t)nres);
        *nout = nres;
    }
    em_free(res);
    em_free(rem);
    em_free(got);
    return rc;
}

/* Select the rows among isel[0..nin) (NULL: 0..nin-1, the whole batch) where e
 * is true. osel may alias isel: every path reads isel[j] before writing
 * osel[k] with k <= j, or works on a copy. */
static int select_rows(const em_expr *e, const em_batch *in, const int32_t *isel, int64_t nin,
                       int32_t *osel, int64_t *nout, em_error *err)
{
    if (nin == 0) {
        *nout = 0;
        return 0;
    }
    if (nin == in->nrows) isel = NULL;
    switch (e->kind) {
    case EM_EXPR_CONST: {
        bool t = !e->value.is_null && e->value.type.id == EM_TYPE_BOOLEAN && e->value.v.b;
        if (!t) {
            *nout = 0;
            return 0;
        }
        for (int64_t j = 0; j < nin; j++) osel[j] = isel ? isel[j] : (int32_t)j;
        *nout = nin;
        return 0;
    }
    case EM_EXPR_AND: {
        const int32_t *cur = isel;
        int64_t ncur = nin;
        for (int a = 0; a < e->nargs && ncur > 0; a++) {
            EM_TRY(select_rows(e->args[a], in, cur, ncur, osel, &ncur, err));
            cur = osel;
        }
        *nout = ncur;
        return 0;
    }
    case EM_EXPR_OR:
        return select_or(e, in, isel, nin, osel, nout, err);
    case EM_EXPR_IS_NULL:
        if (e->args[0]->kind == EM_EXPR_COLUMN) {
            const em_expr *c = e->args[0];
            if (c->column < 0 || c->column >= in->ncols || in->cols[c->column] == NULL)
                return em_error_set(err, EM_EINTERNAL, "bad column reference");
            *nout = em__null_select(in->cols[c->column], e->negated, isel, nin, osel);
            return 0;
        }
        break;
    case EM_EXPR_CALL: {
        int op = e->nargs == 2 ? em__func_cmp_op(e->func) : -1;
        if (op >= 0) return select_cmp(e, (em__cmp_op)op, in, isel, nin, osel, nout, err);
        break;
    }
    case EM_EXPR_NOT: {
        /* NOT (a < b) is a >= b, NULLs included. */
        const em_expr *c = e->args[0];
        int op = c->kind == EM_EXPR_CALL && c->nargs == 2 ? em__func_cmp_op(c->func) : -1;
        if (op >= 0 && c->args[0]->type.id != EM_TYPE_DOUBLE)
            return select_cmp(c, negate_cmp((em__cmp_op)op), in, isel, nin, osel, nout, err);
        if (c->kind == EM_EXPR_IS_NULL && c->args[0]->kind == EM_EXPR_COLUMN) {
            const em_expr *col = c->args[0];
            if (col->column < 0 || col->column >= in->ncols || in->cols[col->column] == NULL)
                return em_error_set(err, EM_EINTERNAL, "bad column reference");
            *nout = em__null_select(in->cols[col->column], !c->negated, isel, nin, osel);
            return 0;
        }
        break;
    }
    default:
        break;
    }
    return select_general(e, in, isel, nin, osel, nout, err);
}

int em_expr_select(const em_expr *e, const em_batch *in, int32_t *sel, int64_t *nsel, em_error *err)
{
    *nsel = 0;
    if (in->nrows == 0) return 0;
    return select_rows(e, in, NULL, in->nrows, sel, nsel, err);
}

/* ---- constant evaluation ------------------------------------------------------------ */

static void note_column(void *ctx, int column)
{
    EM_UNUSED(column);
    *(bool *)ctx = true;
}

int em_expr_eval_const(const em_expr *e, em_arena *a, em_value *out, em_error *err)
{
    bool has_col = false;
    em_expr_visit_columns(e, note_column, &has_col);
    if (has_col) return em_error_set(err, EM_EINTERNAL, "constant expression refers to a column");
    em_batch one = {.ncols = 0, .nrows = 1, .cols = NULL};
    em_vector *v;
    EM_TRY(em_expr_eval(e, &one, &v, err));
    em_value val = em_vector_get(v, 0);
    if (val.is_null)
        *out = em_value_null(e->type);
    else
        *out = em_value_copy(a, val);
    em_vector_unref(v);
    return 0;
}

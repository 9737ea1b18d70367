/*
 * expr_int.h — private helpers shared by the expression evaluator, the CAST
 * kernels and the scalar function kernels (func_*.c).
 *
 * Argument convention for kernels. The evaluator hands a kernel argument
 * vectors that hold either `n` rows or exactly one row; a one-row vector
 * stands for all n rows (it is the value of a constant subtree, which is
 * evaluated once per batch instead of being copied n times). When n == 1 the
 * two readings agree. Kernels therefore read argument i at row r through
 * EM__IX(v, r) or split their loops on em__is_const(v). Results always have n
 * rows.
 *
 * Strict kernels compute their result validity as the AND of the argument
 * validities (em__vec_and_validity) and then compute values for every row,
 * including NULL rows, whose slots hold unspecified but harmless data: such
 * rows must never raise an error (a division by a NULL slot holding 0 is not a
 * division by zero), so kernels accumulate a cheap "something may be wrong"
 * flag over the whole batch and, only when it is set, re-check the valid rows
 * one by one before reporting.
 */
#ifndef EM_EXPR_INT_H
#define EM_EXPR_INT_H

#include <string.h>

#include "exec/expr.h"

/* ---- registry entries ---------------------------------------------------- */

/* How the result type of an overload is computed from the argument types
 * (after resolution chose the casts). */
enum {
    EM__RET_FIXED = 0, /* em_func.ret */
    EM__RET_ARG0,      /* the (cast) type of argument 0: DECIMAL keeps precision and scale */
    EM__RET_DEC_ADD,   /* DECIMAL + and -: scale max(s1,s2), precision max int digits + 1 */
    EM__RET_DEC_MUL,   /* DECIMAL *: scale s1 + s2, precision p1 + p2 (capped at 18) */
    EM__RET_DEC_INT,   /* DECIMAL rounded to an integer: DECIMAL(p - s + 1, 0) */
};

/* Properties of an overload that resolution and the evaluator use. */
enum {
    EM__FN_SAFE = 1,        /* never raises an error (lets CASE/AND evaluate it eagerly) */
    EM__FN_DEC_UNIFY = 2,   /* every DECIMAL argument is cast to one common DECIMAL type */
    EM__FN_ANY_VARCHAR = 4, /* any argument type may be cast implicitly to VARCHAR */
};

/* A registry entry: the public em_func followed by resolution details. The
 * tables of func_*.c are arrays of these; em_func pointers handed out by
 * em_func_resolve point at the `f` member of an entry. */
typedef struct em__func_def {
    em_func f;
    uint8_t ret_rule;
    uint8_t flags;
} em__func_def;

typedef struct em__func_table {
    const em__func_def *defs;
    int count;
} em__func_table;

/* One table per source file. */
extern const em__func_table em__funcs_arith;
extern const em__func_table em__funcs_compare;
extern const em__func_table em__funcs_string;
extern const em__func_table em__funcs_date;
extern const em__func_table em__funcs_math;

/* Flags of a function from the registry (0 for a function not from it). */
int em__func_flags(const em_func *f);

/* Static initialisers for the tables. */
#define EM__T(id)                                                                                  \
    {                                                                                              \
        (uint8_t)(id), 0, 0                                                                        \
    }
#define EM__TB EM__T(EM_TYPE_BOOLEAN)
#define EM__TI EM__T(EM_TYPE_INTEGER)
#define EM__TL EM__T(EM_TYPE_BIGINT)
#define EM__TF EM__T(EM_TYPE_DOUBLE)
#define EM__TD EM__T(EM_TYPE_DECIMAL) /* any precision and scale */
#define EM__TS EM__T(EM_TYPE_VARCHAR)
#define EM__TDATE EM__T(EM_TYPE_DATE)
#define EM__TTS EM__T(EM_TYPE_TIMESTAMP)
#define EM__TIV EM__T(EM_TYPE_INTERVAL)
/* name, argument count (-1 variadic), result type, kernel, result rule, flags, argument types */
#define EM__FN(name, nargs, ret, kernel, rule, flags, ...)                                         \
    {                                                                                              \
        {name, nargs, {__VA_ARGS__}, ret, kernel, false}, rule, flags                              \
    }
/* A volatile function without arguments (current_date, random). */
#define EM__FN_VOLATILE(name, ret, kernel)                                                         \
    {                                                                                              \
        {name, 0, {EM__T(EM_TYPE_NULL)}, ret, kernel, true}, EM__RET_FIXED, EM__FN_SAFE            \
    }
/* Kernel signature, for brevity in the func_*.c files. */
#define EM__KERNEL(fn)                                                                             \
    int fn(const em_expr *call, em_vector **args, int64_t n, em_vector **out, em_error *err)

/* ---- validity bitmaps ----------------------------------------------------- */

static inline size_t em__bitmap_bytes(int64_t rows)
{
    return (size_t)((rows + 7) >> 3);
}

static inline bool em__bit(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}

static inline void em__bit_clear(uint8_t *bits, int64_t i)
{
    bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static inline void em__bit_set(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* ---- vectors ---------------------------------------------------------------- */

/* A one-row argument standing for every row (see the convention above). */
static inline bool em__is_const(const em_vector *v)
{
    return v->length == 1;
}

/* Row r of argument v under the one-row convention. */
#define EM__IX(v, r) (em__is_const(v) ? 0 : (r))

/* A new vector of type t with length n (values uninitialised, all valid). */
em_vector *em__vec_new(em_type t, int64_t n);
/* The validity bitmap of v, allocated (all valid, over the capacity) if absent. */
uint8_t *em__vec_validity(em_vector *v);
/* Make every row of out NULL. */
void em__vec_set_all_null(em_vector *out, int64_t n);
/* out's validity := AND of the args' validities over n rows (constant args
 * count for every row). Leaves out without a bitmap when nothing is NULL. */
void em__vec_and_validity(em_vector *out, em_vector *const *args, int nargs, int64_t n);
/* Copy the validity of src (n rows or a constant) into out. */
void em__vec_copy_validity(em_vector *out, const em_vector *src, int64_t n);
/* Drop the bitmap of out when it has no NULL among its n rows. */
void em__vec_compact_validity(em_vector *out, int64_t n);
/* True when the vector has a NULL among its first n rows (constants: row 0). */
bool em__vec_has_null(const em_vector *v, int64_t n);
/* A vector of n rows repeating row 0 of v. */
em_vector *em__vec_broadcast(const em_vector *v, int64_t n);

/* ---- building VARCHAR results -------------------------------------------- */

/* Room for `extra` more bytes of characters; NULL when the vector would exceed
 * the 2 GiB that int32 offsets can address (the caller reports an error). */
static inline char *em__str_room(em_vector *v, int64_t extra)
{
    if (EM_UNLIKELY(v->chars_len + extra > INT32_MAX)) return NULL;
    /* Also allocate on first use, so that an empty row gets a non-NULL pointer. */
    if (v->chars_len + extra > v->chars_cap || v->chars == NULL)
        em_vector_reserve_chars(v, extra > 0 ? extra : 1);
    return v->chars + v->chars_len;
}

/* Finish row i of a VARCHAR result after writing `bytes` bytes at the room. */
static inline void em__str_commit(em_vector *v, int64_t i, int64_t bytes)
{
    v->chars_len += bytes;
    EM_VEC_OFFSETS(v)[i + 1] = (int32_t)v->chars_len;
}

/* Row i is empty (NULL rows of VARCHAR results use this). */
static inline void em__str_empty(em_vector *v, int64_t i)
{
    EM_VEC_OFFSETS(v)[i + 1] = (int32_t)v->chars_len;
}

/* Append bytes as row i; returns -1 when the vector would be too large. */
static inline int em__str_put(em_vector *v, int64_t i, const char *p, int64_t len)
{
    char *d = em__str_room(v, len);
    if (d == NULL) return -1;
    if (len > 0) memcpy(d, p, (size_t)len);
    em__str_commit(v, i, len);
    return 0;
}

int em__err_str_too_large(em_error *err);

/* ---- casts, comparisons, LIKE, IN (used by the evaluator) ---------------- */

/* Cast every row of `in` (in->length rows) to `to`. try_cast turns conversion
 * failures into NULLs. *out may be a new reference to `in` when no work is needed. */
int em__cast_vector(em_vector *in, em_type to, bool try_cast, em_vector **out, em_error *err);
/* True when casting `from` to `to` can never fail. */
bool em__cast_is_safe(em_type from, em_type to);

typedef enum em__cmp_op {
    EM__CMP_EQ,
    EM__CMP_NE,
    EM__CMP_LT,
    EM__CMP_LE,
    EM__CMP_GT,
    EM__CMP_GE,
} em__cmp_op;

/* The comparison a registry function performs, or -1 when it is not one. */
int em__func_cmp_op(const em_func *f);
/* The operator with its operands swapped (a < b  ==  b > a). */
em__cmp_op em__cmp_flip(em__cmp_op op);
/* Rows among sel[0..n) (sel NULL: rows 0..n-1) where `a op b` is true; a and b
 * have the same type and are indexed by row number (or are constants). NULLs
 * are dropped. out may alias sel. Returns the count. */
int64_t em__cmp_select(em__cmp_op op, const em_vector *a, const em_vector *b, const int32_t *sel,
                       int64_t n, int32_t *out);
/* Rows among sel[0..n) where v (a column or constant indexed by row) is NULL
 * (or not NULL when `want_valid`). out may alias sel. */
int64_t em__null_select(const em_vector *v, bool want_valid, const int32_t *sel, int64_t n,
                        int32_t *out);

/* LIKE / ILIKE of s against pattern over n rows (BOOLEAN result). */
int em__like_eval(const em_expr *e, em_vector *s, em_vector *pattern, int64_t n, em_vector **out,
                  em_error *err);
/* args[0] IN (args[1..]) over n rows (BOOLEAN result, three-valued). */
int em__in_list_eval(const em_expr *e, em_vector **args, int nargs, int64_t n, em_vector **out,
                     em_error *err);

/* ---- date helpers shared by casts and date functions ---------------------- */

#define EM__MICROS_PER_DAY 86400000000LL

static inline int64_t em__floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- numeric helpers ------------------------------------------------------ */

/* Divide by 10^k rounding half away from zero (k in 0..18). */
static inline int64_t em__div_round_pow10(int64_t v, int k)
{
    if (k == 0) return v;
    int64_t p = em_pow10[k];
    int64_t q = v / p, r = v % p;
    if (r < 0 ? -r >= p - (-r) : r >= p - r) q += v < 0 ? -1 : 1;
    return q;
}

#endif

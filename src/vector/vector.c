/*
 * vector.c — reference-counted column vectors in Arrow layout: creation,
 * geometric growth, validity bitmaps, per-row appends, gather and slice.
 *
 * The validity bitmap is allocated on the first NULL and covers the whole
 * capacity; bits of rows not yet written are kept at 1, so a vector without
 * NULLs never pays for a bitmap. NULL-typed vectors always carry a bitmap
 * (of zeros) because every one of their rows is NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "vector/vector.h"

#define MIN_CAPACITY 16
#define MIN_CHARS 256

static inline size_t bitmap_bytes(int64_t rows)
{
    return (size_t)((rows + 7) >> 3);
}

em_vector *em_vector_create(em_type t, int64_t capacity)
{
    if (capacity < 0) capacity = 0;
    em_vector *v = em_calloc(1, sizeof(*v));
    v->type = t;
    v->refcount = 1;
    v->capacity = capacity;
    size_t w = em_type_width(t);
    if (t.id == EM_TYPE_VARCHAR) {
        v->data = em_malloc((size_t)(capacity + 1) * sizeof(int32_t));
        EM_VEC_OFFSETS(v)[0] = 0;
    } else if (w > 0) {
        v->data = em_malloc((size_t)capacity * w);
    }
    if (t.id == EM_TYPE_NULL) {
        v->validity = em_calloc(1, bitmap_bytes(capacity > 0 ? capacity : 1));
        /* Writers may set `length` directly; the count then comes from the bitmap. */
        v->null_count = -1;
    }
    return v;
}

em_vector *em_vector_ref(em_vector *v)
{
    __atomic_add_fetch(&v->refcount, 1, __ATOMIC_RELAXED);
    return v;
}

void em_vector_unref(em_vector *v)
{
    if (v == NULL) return;
    /* Vectors are shared across tasks (broadcast sides, cached tables), so the
     * count is atomic; acq_rel orders the frees after every other use. */
    if (__atomic_sub_fetch(&v->refcount, 1, __ATOMIC_ACQ_REL) != 0) return;
    em_free(v->validity);
    em_free(v->data);
    em_free(v->chars);
    em_free(v);
}

void em_vector_reserve(em_vector *v, int64_t capacity)
{
    if (capacity <= v->capacity) return;
    size_t w = em_type_width(v->type);
    if (v->type.id == EM_TYPE_VARCHAR)
        v->data = em_realloc(v->data, (size_t)(capacity + 1) * sizeof(int32_t));
    else if (w > 0)
        v->data = em_realloc(v->data, (size_t)capacity * w);
    if (v->validity != NULL) {
        size_t old = bitmap_bytes(v->capacity), now = bitmap_bytes(capacity);
        v->validity = em_realloc(v->validity, now);
        /* New rows start valid, except in NULL-typed vectors. */
        memset(v->validity + old, v->type.id == EM_TYPE_NULL ? 0x00 : 0xff, now - old);
        if (v->type.id != EM_TYPE_NULL && (v->capacity & 7) != 0)
            v->validity[old - 1] |= (uint8_t)(0xff << (v->capacity & 7));
    }
    v->capacity = capacity;
}

/* Room for `bytes` more characters beyond chars_len (geometric growth). */
void em_vector_reserve_chars(em_vector *v, int64_t bytes)
{
    int64_t need = v->chars_len + bytes;
    if (need <= v->chars_cap) return;
    int64_t cap = v->chars_cap > 0 ? v->chars_cap * 2 : MIN_CHARS;
    while (cap < need) cap *= 2;
    v->chars = em_realloc(v->chars, (size_t)cap);
    v->chars_cap = cap;
}

static inline void grow_one(em_vector *v)
{
    if (EM_UNLIKELY(v->length >= v->capacity))
        em_vector_reserve(v, v->capacity < MIN_CAPACITY ? MIN_CAPACITY : v->capacity * 2);
}

static void alloc_validity(em_vector *v)
{
    size_t n = bitmap_bytes(v->capacity > 0 ? v->capacity : 1);
    v->validity = em_malloc(n);
    memset(v->validity, 0xff, n);
}

void em_vector_set_null(em_vector *v, int64_t i)
{
    if (v->validity == NULL) alloc_validity(v);
    uint8_t bit = (uint8_t)(1u << (i & 7));
    if (v->validity[i >> 3] & bit) {
        v->validity[i >> 3] &= (uint8_t)~bit;
        if (v->null_count >= 0) v->null_count++;
    }
}

void em_vector_set_valid(em_vector *v, int64_t i)
{
    if (v->validity == NULL) return;
    uint8_t bit = (uint8_t)(1u << (i & 7));
    if (!(v->validity[i >> 3] & bit)) {
        v->validity[i >> 3] |= bit;
        if (v->null_count > 0) v->null_count--;
    }
}

int64_t em_vector_null_count(em_vector *v)
{
    if (v->null_count >= 0) return v->null_count;
    int64_t nulls = 0;
    if (v->validity != NULL) {
        int64_t full = v->length >> 3;
        for (int64_t k = 0; k < full; k++) nulls += 8 - __builtin_popcount(v->validity[k]);
        for (int64_t i = full << 3; i < v->length; i++) nulls += !em_vector_is_valid(v, i);
    }
    v->null_count = nulls;
    return nulls;
}

/* ---- appends ------------------------------------------------------------ */

/* A row appended as valid must read valid even if the slot was nulled before
 * (a caller may have truncated `length` to reuse the vector). */
static inline void mark_valid(em_vector *v, int64_t i)
{
    if (EM_UNLIKELY(v->validity != NULL)) v->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
}

void em_vector_append_null(em_vector *v)
{
    grow_one(v);
    int64_t i = v->length;
    /* Zero the slot so that NULL rows hash and export deterministically. */
    switch (v->type.id) {
    case EM_TYPE_NULL:
        break;
    case EM_TYPE_VARCHAR:
        EM_VEC_OFFSETS(v)[i + 1] = EM_VEC_OFFSETS(v)[i];
        break;
    case EM_TYPE_BOOLEAN:
        EM_VEC_BOOL(v)[i] = 0;
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        EM_VEC_I32(v)[i] = 0;
        break;
    case EM_TYPE_INTERVAL:
        memset(&EM_VEC_IV(v)[i], 0, sizeof(em_interval));
        break;
    default:
        EM_VEC_I64(v)[i] = 0;
        break;
    }
    if (v->validity == NULL) alloc_validity(v);
    v->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
    if (v->null_count >= 0) v->null_count++;
    v->length = i + 1;
}

void em_vector_append_bool(em_vector *v, bool b)
{
    grow_one(v);
    mark_valid(v, v->length);
    EM_VEC_BOOL(v)[v->length++] = b ? 1 : 0;
}

void em_vector_append_i32(em_vector *v, int32_t x)
{
    grow_one(v);
    mark_valid(v, v->length);
    EM_VEC_I32(v)[v->length++] = x;
}

void em_vector_append_i64(em_vector *v, int64_t x)
{
    grow_one(v);
    mark_valid(v, v->length);
    EM_VEC_I64(v)[v->length++] = x;
}

void em_vector_append_f64(em_vector *v, double x)
{
    grow_one(v);
    mark_valid(v, v->length);
    EM_VEC_F64(v)[v->length++] = x;
}

void em_vector_append_interval(em_vector *v, em_interval x)
{
    grow_one(v);
    mark_valid(v, v->length);
    EM_VEC_IV(v)[v->length++] = x;
}

/* Arrow utf8 offsets are int32, so one vector holds at most 2 GiB of
 * characters. Producers cut batches at EM_BATCH_ROWS rows, so reaching this
 * means a bug upstream rather than bad input. */
static inline void check_chars(int64_t total)
{
    if (EM_UNLIKELY(total > INT32_MAX)) {
        em_log_error("VARCHAR vector exceeds 2 GiB of characters (%lld bytes)", (long long)total);
        abort();
    }
}

void em_vector_append_str(em_vector *v, const char *p, int32_t len)
{
    grow_one(v);
    check_chars(v->chars_len + len);
    if (EM_UNLIKELY(v->chars_len + len > v->chars_cap)) em_vector_reserve_chars(v, len);
    if (len > 0) memcpy(v->chars + v->chars_len, p, (size_t)len);
    v->chars_len += len;
    int64_t i = v->length;
    mark_valid(v, i);
    EM_VEC_OFFSETS(v)[i + 1] = (int32_t)v->chars_len;
    v->length = i + 1;
}

void em_vector_append_value(em_vector *v, const em_value *val)
{
    if (val->is_null) {
        em_vector_append_null(v);
        return;
    }
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_NULL:
        em_vector_append_null(v);
        break;
    case EM_TYPE_BOOLEAN:
        em_vector_append_bool(v, val->v.b);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        em_vector_append_i32(v, val->v.i32);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        em_vector_append_i64(v, val->v.i64);
        break;
    case EM_TYPE_DOUBLE:
        em_vector_append_f64(v, val->v.f64);
        break;
    case EM_TYPE_VARCHAR:
        em_vector_append_str(v, val->v.str.ptr, val->v.str.len);
        break;
    case EM_TYPE_INTERVAL:
        em_vector_append_interval(v, val->v.iv);
        break;
    case EM_TYPE_COUNT_:
        break;
    }
}

void em_vector_append_from(em_vector *v, const em_vector *src, int64_t i)
{
    if (!em_vector_is_valid(src, i)) {
        em_vector_append_null(v);
        return;
    }
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_NULL:
        em_vector_append_null(v);
        break;
    case EM_TYPE_BOOLEAN:
        em_vector_append_bool(v, EM_VEC_BOOL(src)[i]);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        em_vector_append_i32(v, EM_VEC_I32(src)[i]);
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        em_vector_append_i64(v, EM_VEC_I64(src)[i]);
        break;
    case EM_TYPE_DOUBLE:
        em_vector_append_f64(v, EM_VEC_F64(src)[i]);
        break;
    case EM_TYPE_VARCHAR: {
        int32_t len;
        const char *p = em_vector_str(src, i, &len);
        em_vector_append_str(v, p, len);
        break;
    }
    case EM_TYPE_INTERVAL:
        em_vector_append_interval(v, EM_VEC_IV(src)[i]);
        break;
    case EM_TYPE_COUNT_:
        break;
    }
}

em_value em_vector_get(const em_vector *v, int64_t i)
{
    if (!em_vector_is_valid(v, i)) return em_value_null(v->type);
    em_value val;
    memset(&val, 0, sizeof(val));
    val.type = v->type;
    switch ((em_type_id)v->type.id) {
    case EM_TYPE_NULL:
        val.is_null = true;
        break;
    case EM_TYPE_BOOLEAN:
        val.v.b = EM_VEC_BOOL(v)[i] != 0;
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        val.v.i32 = EM_VEC_I32(v)[i];
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        val.v.i64 = EM_VEC_I64(v)[i];
        break;
    case EM_TYPE_DOUBLE:
        val.v.f64 = EM_VEC_F64(v)[i];
        break;
    case EM_TYPE_VARCHAR:
        val.v.str.ptr = em_vector_str(v, i, &val.v.str.len);
        break;
    case EM_TYPE_INTERVAL:
        val.v.iv = EM_VEC_IV(v)[i];
        break;
    case EM_TYPE_COUNT_:
        break;
    }
    return val;
}

em_vector *em_vector_from_value(const em_value *val, int64_t n)
{
    em_type t = val->type;
    em_vector *v = em_vector_create(t, n);
    if (val->is_null || t.id == EM_TYPE_NULL) {
        size_t w = em_type_width(t);
        if (t.id == EM_TYPE_VARCHAR)
            memset(v->data, 0, (size_t)(n + 1) * sizeof(int32_t));
        else if (w > 0)
            memset(v->data, 0, (size_t)n * w);
        if (v->validity == NULL) v->validity = em_malloc(bitmap_bytes(n > 0 ? n : 1));
        memset(v->validity, 0, bitmap_bytes(n > 0 ? n : 1));
        v->length = n;
        v->null_count = n;
        return v;
    }
    switch ((em_type_id)t.id) {
    case EM_TYPE_BOOLEAN:
        memset(v->data, val->v.b ? 1 : 0, (size_t)n);
        break;
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE:
        for (int64_t i = 0; i < n; i++) EM_VEC_I32(v)[i] = val->v.i32;
        break;
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
        for (int64_t i = 0; i < n; i++) EM_VEC_I64(v)[i] = val->v.i64;
        break;
    case EM_TYPE_DOUBLE:
        for (int64_t i = 0; i < n; i++) EM_VEC_F64(v)[i] = val->v.f64;
        break;
    case EM_TYPE_INTERVAL:
        for (int64_t i = 0; i < n; i++) EM_VEC_IV(v)[i] = val->v.iv;
        break;
    case EM_TYPE_VARCHAR: {
        int32_t len = val->v.str.len;
        check_chars((int64_t)len * n);
        em_vector_reserve_chars(v, (int64_t)len * n);
        int32_t *off = EM_VEC_OFFSETS(v);
        for (int64_t i = 0; i < n; i++) {
            if (len > 0) memcpy(v->chars + (int64_t)len * i, val->v.str.ptr, (size_t)len);
            off[i + 1] = (int32_t)((int64_t)len * (i + 1));
        }
        v->chars_len = (int64_t)len * n;
        break;
    }
    default:
        break;
    }
    v->length = n;
    return v;
}

/* ---- gather and slice --------------------------------------------------- */

/* Copy the validity of the selected rows; leaves dst without a bitmap when
 * every selected row is valid. */
static void gather_validity(em_vector *dst, const em_vector *src, const int32_t *sel, int64_t n)
{
    if (src->validity == NULL) return;
    size_t bytes = bitmap_bytes(dst->capacity > 0 ? dst->capacity : 1);
    uint8_t *bits = em_malloc(bytes);
    memset(bits, 0xff, bytes);
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!em_vector_is_valid(src, sel[i])) {
            bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
            nulls++;
        }
    }
    if (nulls == 0 && src->type.id != EM_TYPE_NULL) {
        em_free(bits);
        return;
    }
    em_free(dst->validity);
    dst->validity = bits;
    dst->null_count = nulls;
}

void em_vector_append_rows(em_vector *dst, const em_vector *src, const int32_t *sel, int64_t n)
{
    int64_t base = dst->length;
    if (base + n > dst->capacity)
        em_vector_reserve(dst, EM_MAX(base + n, EM_MIN(dst->capacity * 2, EM_BATCH_ROWS)));
    size_t w = em_type_width(src->type);
    if (src->type.id == EM_TYPE_VARCHAR) {
        const int32_t *so = EM_VEC_OFFSETS(src);
        int64_t bytes = 0;
        for (int64_t i = 0; i < n; i++) bytes += so[sel[i] + 1] - so[sel[i]];
        check_chars(dst->chars_len + bytes);
        em_vector_reserve_chars(dst, bytes);
        int32_t *dof = EM_VEC_OFFSETS(dst);
        int64_t pos = dst->chars_len;
        for (int64_t i = 0; i < n; i++) {
            int32_t len = so[sel[i] + 1] - so[sel[i]];
            /* Empty strings may have no character buffer at all (NULL). */
            if (len > 0) memcpy(dst->chars + pos, src->chars + so[sel[i]], (size_t)len);
            pos += len;
            dof[base + i + 1] = (int32_t)pos;
        }
        dst->chars_len = pos;
    } else if (w == sizeof(em_interval)) {
        em_interval *d = (em_interval *)dst->data + base;
        const em_interval *s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
    } else if (w == 8) {
        int64_t *d = (int64_t *)dst->data + base;
        const int64_t *s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
    } else if (w == 4) {
        int32_t *d = (int32_t *)dst->data + base;
        const int32_t *s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
    } else if (w == 1) {
        uint8_t *d = (uint8_t *)dst->data + base;
        const uint8_t *s = src->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
    }
    dst->length = base + n;
    if (src->validity) {
        for (int64_t i = 0; i < n; i++)
            if (!em_vector_is_valid(src, sel[i])) em_vector_set_null(dst, base + i);
    } else if (dst->validity) {
        for (int64_t i = 0; i < n; i++) em_vector_set_valid(dst, base + i);
    }
    dst->null_count = -1;
}

em_vector *em_vector_gather(const em_vector *src, const int32_t *sel, int64_t n)
{
    em_vector *dst = em_vector_create(src->type, n);
    switch ((em_type_id)src->type.id) {
    case EM_TYPE_NULL:
        break;
    case EM_TYPE_BOOLEAN: {
        const uint8_t *s = EM_VEC_BOOL(src);
        uint8_t *d = EM_VEC_BOOL(dst);
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case EM_TYPE_INTEGER:
    case EM_TYPE_DATE: {
        const int32_t *s = EM_VEC_I32(src);
        int32_t *d = EM_VEC_I32(dst);
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case EM_TYPE_BIGINT:
    case EM_TYPE_DECIMAL:
    case EM_TYPE_TIMESTAMP:
    case EM_TYPE_DOUBLE: {
        /* DOUBLE moves as raw 64-bit words, which also preserves NaN payloads. */
        const int64_t *s = EM_VEC_I64(src);
        int64_t *d = EM_VEC_I64(dst);
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case EM_TYPE_VARCHAR: {
        const int32_t *so = EM_VEC_OFFSETS(src);
        int32_t *d = EM_VEC_OFFSETS(dst);
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++) total += so[sel[i] + 1] - so[sel[i]];
        check_chars(total);
        /* 16 bytes of slack: a short string whose source has 16 bytes of
         * buffer left moves as one fixed-size copy instead of a memcpy call
         * (flags and codes are most strings that a filter gathers). */
        em_vector_reserve_chars(dst, total + 16);
        /* In locals: the byte copies could alias the vectors' fields. */
        char *dc = dst->chars;
        const char *sc = src->chars;
        const int64_t room = src->chars_cap - 16;
        int64_t pos = 0;
        d[0] = 0;
        for (int64_t i = 0; i < n; i++) {
            int32_t start = so[sel[i]], len = so[sel[i] + 1] - start;
            if (len <= 16 && start <= room)
                memcpy(dc + pos, sc + start, 16);
            else if (len > 0)
                memcpy(dc + pos, sc + start, (size_t)len);
            pos += len;
            d[i + 1] = (int32_t)pos;
        }
        dst->chars_len = pos;
        break;
    }
    case EM_TYPE_INTERVAL: {
        const em_interval *s = EM_VEC_IV(src);
        em_interval *d = EM_VEC_IV(dst);
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case EM_TYPE_COUNT_:
        break;
    }
    gather_validity(dst, src, sel, n);
    dst->length = n;
    return dst;
}

em_vector *em_vector_slice(const em_vector *src, int64_t offset, int64_t n)
{
    em_vector *dst = em_vector_create(src->type, n);
    size_t w = em_type_width(src->type);
    if (src->type.id == EM_TYPE_VARCHAR) {
        const int32_t *so = EM_VEC_OFFSETS(src) + offset;
        int32_t *d = EM_VEC_OFFSETS(dst);
        int32_t base = so[0];
        int64_t total = so[n] - base;
        for (int64_t i = 0; i <= n; i++) d[i] = so[i] - base;
        em_vector_reserve_chars(dst, total);
        if (total > 0) memcpy(dst->chars, src->chars + base, (size_t)total);
        dst->chars_len = total;
    } else if (w > 0 && n > 0) {
        memcpy(dst->data, (const char *)src->data + (size_t)offset * w, (size_t)n * w);
    }
    if (src->validity != NULL) {
        size_t bytes = bitmap_bytes(n > 0 ? n : 1);
        uint8_t *bits = em_malloc(bytes);
        memset(bits, 0xff, bytes);
        int64_t nulls = 0;
        if ((offset & 7) == 0) {
            memcpy(bits, src->validity + (offset >> 3), bitmap_bytes(n));
            for (int64_t i = 0; i < n; i++) nulls += !((bits[i >> 3] >> (i & 7)) & 1);
            /* Rows past n in the last byte must read valid for later appends. */
            if (n & 7) bits[n >> 3] |= (uint8_t)(0xff << (n & 7));
        } else {
            for (int64_t i = 0; i < n; i++) {
                if (!em_vector_is_valid(src, offset + i)) {
                    bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
                    nulls++;
                }
            }
        }
        if (nulls > 0 || src->type.id == EM_TYPE_NULL) {
            em_free(dst->validity);
            dst->validity = bits;
        } else {
            em_free(bits);
        }
        dst->null_count = nulls;
    }
    dst->length = n;
    return dst;
}

/*
 * arrow.c — export of schemas, batches and batch lists through the Arrow C
 * Data Interface. A batch becomes a struct array ("+s") with one child per
 * column. Fixed-width and VARCHAR buffers are shared with the vectors, which
 * the exported arrays keep alive with their own references, so the batch may
 * be destroyed before the consumer releases the array. BOOLEAN (bytes inside
 * the engine, bits in Arrow), DECIMAL (int64 inside, decimal128 in Arrow) and
 * INTERVAL (microseconds inside, month_day_nano in Arrow) are converted into
 * buffers owned by the exported array.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vector/vector.h"

/* Arrow forbids NULL data buffers of non-zero-length types; empty VARCHAR
 * columns point here instead. */
static const int32_t empty_buffer[2] = {0, 0};

/* ---- schema ------------------------------------------------------------- */

typedef struct schema_priv {
    char format[24];
    char *name;
} schema_priv;

static void release_schema(struct ArrowSchema *s)
{
    if (s == NULL || s->release == NULL) return;
    for (int64_t i = 0; i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c->release != NULL) c->release(c);
        em_free(c);
    }
    em_free(s->children);
    schema_priv *p = s->private_data;
    em_free(p->name);
    em_free(p);
    s->release = NULL;
}

static void format_for(em_type t, char *buf, size_t cap)
{
    switch ((em_type_id)t.id) {
    case EM_TYPE_NULL:
        snprintf(buf, cap, "n");
        break;
    case EM_TYPE_BOOLEAN:
        snprintf(buf, cap, "b");
        break;
    case EM_TYPE_INTEGER:
        snprintf(buf, cap, "i");
        break;
    case EM_TYPE_BIGINT:
        snprintf(buf, cap, "l");
        break;
    case EM_TYPE_DOUBLE:
        snprintf(buf, cap, "g");
        break;
    case EM_TYPE_DECIMAL:
        snprintf(buf, cap, "d:%d,%d", t.precision, t.scale);
        break;
    case EM_TYPE_VARCHAR:
        snprintf(buf, cap, "u");
        break;
    case EM_TYPE_DATE:
        snprintf(buf, cap, "tdD");
        break;
    case EM_TYPE_TIMESTAMP:
        snprintf(buf, cap, "tsu:");
        break;
    case EM_TYPE_INTERVAL:
        snprintf(buf, cap, "tin"); /* month_day_nano */
        break;
    case EM_TYPE_COUNT_:
        snprintf(buf, cap, "n");
        break;
    }
}

static void init_schema(struct ArrowSchema *out, const char *format, const char *name,
                        int64_t flags, int64_t n_children)
{
    schema_priv *p = em_calloc(1, sizeof(*p));
    snprintf(p->format, sizeof(p->format), "%s", format);
    p->name = em_strdup(name ? name : "");
    out->format = p->format;
    out->name = p->name;
    out->metadata = NULL;
    out->flags = flags;
    out->n_children = n_children;
    out->children = NULL;
    if (n_children > 0) {
        out->children = em_calloc((size_t)n_children, sizeof(struct ArrowSchema *));
        for (int64_t i = 0; i < n_children; i++)
            out->children[i] = em_calloc(1, sizeof(struct ArrowSchema));
    }
    out->dictionary = NULL;
    out->release = release_schema;
    out->private_data = p;
}

int em_arrow_export_schema(const em_schema *s, struct ArrowSchema *out, em_error *err)
{
    if (s == NULL || out == NULL) return em_error_set(err, EM_EINVAL, "arrow export: no schema");
    init_schema(out, "+s", "", 0, s->nfields);
    for (int i = 0; i < s->nfields; i++) {
        char fmt[24];
        format_for(s->fields[i].type, fmt, sizeof(fmt));
        init_schema(out->children[i], fmt, s->fields[i].name,
                    s->fields[i].nullable ? ARROW_FLAG_NULLABLE : 0, 0);
    }
    return 0;
}

/* ---- arrays ------------------------------------------------------------- */

typedef struct array_priv {
    em_vector *vec; /* reference held while the consumer uses the buffers */
    void *owned[3]; /* buffers converted or materialised for export */
    const void *buffers[3];
} array_priv;

static void release_array(struct ArrowArray *a)
{
    if (a == NULL || a->release == NULL) return;
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        /* A consumer may have moved a child out; it then owns its release. */
        if (c->release != NULL) c->release(c);
        em_free(c);
    }
    em_free(a->children);
    array_priv *p = a->private_data;
    em_vector_unref(p->vec);
    for (int k = 0; k < 3; k++) em_free(p->owned[k]);
    em_free(p);
    a->release = NULL;
}

static void init_array(struct ArrowArray *out, array_priv *p, int64_t length, int64_t null_count,
                       int64_t n_buffers, int64_t n_children)
{
    out->length = length;
    out->null_count = null_count;
    out->offset = 0;
    out->n_buffers = n_buffers;
    out->n_children = n_children;
    out->buffers = p->buffers;
    out->children = NULL;
    if (n_children > 0) {
        out->children = em_calloc((size_t)n_children, sizeof(struct ArrowArray *));
        for (int64_t i = 0; i < n_children; i++)
            out->children[i] = em_calloc(1, sizeof(struct ArrowArray));
    }
    out->dictionary = NULL;
    out->release = release_array;
    out->private_data = p;
}

/* Export column vector v as an array of type t (t is v's type, or any type
 * when v is a NULL-typed vector: its rows are all NULL). */
static void export_column(em_vector *v, em_type t, struct ArrowArray *out)
{
    array_priv *p = em_calloc(1, sizeof(*p));
    int64_t n = v->length;
    int64_t nulls = em_vector_null_count(v);
    if (t.id == EM_TYPE_NULL) {
        init_array(out, p, n, n, 0, 0);
        return;
    }
    if (v->type.id == EM_TYPE_NULL) {
        /* All-NULL column of a concrete type: zeroed buffers, zero bitmap. */
        size_t w = t.id == EM_TYPE_DECIMAL ? 16 : t.id == EM_TYPE_BOOLEAN ? 1 : em_type_width(t);
        p->owned[0] = em_calloc((size_t)(n + 7) / 8 + 1, 1);
        p->owned[1] = em_calloc((size_t)(n + 1), w);
        p->buffers[0] = p->owned[0];
        p->buffers[1] = p->owned[1];
        p->buffers[2] = empty_buffer;
        init_array(out, p, n, n, t.id == EM_TYPE_VARCHAR ? 3 : 2, 0);
        return;
    }
    p->vec = em_vector_ref(v);
    /* A bitmap is only passed when there are NULLs: consumers then skip it. */
    p->buffers[0] = nulls > 0 ? v->validity : NULL;
    switch ((em_type_id)t.id) {
    case EM_TYPE_BOOLEAN: {
        uint8_t *bits = em_calloc((size_t)(n + 7) / 8 + 1, 1);
        const uint8_t *src = EM_VEC_BOOL(v);
        for (int64_t i = 0; i < n; i++)
            if (src[i]) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        p->owned[1] = bits;
        p->buffers[1] = bits;
        init_array(out, p, n, nulls, 2, 0);
        break;
    }
    case EM_TYPE_DECIMAL: {
        /* decimal128: little-endian two's complement, low word first. */
        uint64_t *words = em_malloc((size_t)(n > 0 ? n : 1) * 16);
        const int64_t *src = EM_VEC_I64(v);
        for (int64_t i = 0; i < n; i++) {
            words[2 * i] = (uint64_t)src[i];
            words[2 * i + 1] = src[i] < 0 ? UINT64_MAX : 0;
        }
        p->owned[1] = words;
        p->buffers[1] = words;
        init_array(out, p, n, nulls, 2, 0);
        break;
    }
    case EM_TYPE_INTERVAL: {
        /* month_day_nano: int32 months, int32 days, int64 nanoseconds. Intervals
         * beyond +-292 years of time saturate, the range of int64 nanoseconds. */
        em_interval *iv = em_malloc((size_t)(n > 0 ? n : 1) * sizeof(em_interval));
        const em_interval *src = EM_VEC_IV(v);
        for (int64_t i = 0; i < n; i++) {
            iv[i] = src[i];
            int64_t ns;
            if (__builtin_mul_overflow(src[i].micros, (int64_t)1000, &ns))
                ns = src[i].micros < 0 ? INT64_MIN : INT64_MAX;
            iv[i].micros = ns;
        }
        p->owned[1] = iv;
        p->buffers[1] = iv;
        init_array(out, p, n, nulls, 2, 0);
        break;
    }
    case EM_TYPE_VARCHAR:
        p->buffers[1] = v->data;
        p->buffers[2] = v->chars != NULL ? (const void *)v->chars : (const void *)empty_buffer;
        init_array(out, p, n, nulls, 3, 0);
        break;
    default:
        p->buffers[1] = v->data != NULL ? v->data : (const void *)empty_buffer;
        init_array(out, p, n, nulls, 2, 0);
        break;
    }
}

/* Check that the batch matches the schema before anything is allocated, so
 * that a failed export leaves nothing to clean up. */
static int check_batch(const em_schema *s, const em_batch *b, em_error *err)
{
    if (b == NULL) return em_error_set(err, EM_EINVAL, "arrow export: no batch");
    if (s != NULL && s->nfields != b->ncols)
        return em_error_set(err, EM_EINTERNAL,
                            "arrow export: schema has %d fields but the batch has %d columns",
                            s->nfields, b->ncols);
    for (int i = 0; i < b->ncols; i++) {
        const em_vector *v = b->cols[i];
        if (v == NULL)
            return em_error_set(err, EM_EINTERNAL, "arrow export: column %d is missing", i);
        if (v->length != b->nrows)
            return em_error_set(err, EM_EINTERNAL,
                                "arrow export: column %d has %lld rows, the batch %lld", i,
                                (long long)v->length, (long long)b->nrows);
        if (s == NULL || v->type.id == EM_TYPE_NULL) continue;
        em_type t = s->fields[i].type;
        if (t.id != v->type.id || (t.id == EM_TYPE_DECIMAL && t.scale != v->type.scale)) {
            char a[32], c[32];
            return em_error_set(err, EM_EINTERNAL,
                                "arrow export: column %d is %s but the schema says %s", i,
                                em_type_name(v->type, a, sizeof(a)), em_type_name(t, c, sizeof(c)));
        }
    }
    return 0;
}

/* Column types come from the schema when there is one (it carries the DECIMAL
 * precision the consumer sees), else from the vectors. */
static em_schema *schema_for(const em_schema *s, const em_batch *b)
{
    if (s != NULL) return em_schema_copy(s);
    em_schema *d = em_schema_create(b->ncols);
    for (int i = 0; i < b->ncols; i++) {
        char name[32];
        snprintf(name, sizeof(name), "col%d", i);
        d->fields[i].name = em_strdup(name);
        d->fields[i].type = b->cols[i]->type;
        d->fields[i].nullable = true;
    }
    return d;
}

int em_arrow_export_batch(const em_schema *s, const em_batch *b, struct ArrowSchema *schema_out,
                          struct ArrowArray *array_out, em_error *err)
{
    EM_TRY(check_batch(s, b, err));
    em_schema *sc = schema_for(s, b);
    if (schema_out != NULL) {
        int rc = em_arrow_export_schema(sc, schema_out, err);
        if (rc < 0) {
            em_schema_destroy(sc);
            return rc;
        }
    }
    if (array_out != NULL) {
        array_priv *p = em_calloc(1, sizeof(*p));
        init_array(array_out, p, b->nrows, 0, 1, b->ncols);
        for (int i = 0; i < b->ncols; i++)
            export_column(b->cols[i], sc->fields[i].type, array_out->children[i]);
    }
    em_schema_destroy(sc);
    return 0;
}

/* ---- stream ------------------------------------------------------------- */

typedef struct stream_priv {
    em_schema *schema;
    em_batch **batches; /* reference copies; each is dropped once exported */
    int64_t count;
    int64_t next;
    char error[1024];
} stream_priv;

static int stream_get_schema(struct ArrowArrayStream *st, struct ArrowSchema *out)
{
    stream_priv *p = st->private_data;
    em_error err;
    em_error_clear(&err);
    if (em_arrow_export_schema(p->schema, out, &err) < 0) {
        snprintf(p->error, sizeof(p->error), "%s", err.message);
        return EINVAL;
    }
    return 0;
}

static int stream_get_next(struct ArrowArrayStream *st, struct ArrowArray *out)
{
    stream_priv *p = st->private_data;
    if (p->next >= p->count) {
        out->release = NULL; /* end of stream */
        return 0;
    }
    em_batch *b = p->batches[p->next];
    em_error err;
    em_error_clear(&err);
    if (em_arrow_export_batch(p->schema, b, NULL, out, &err) < 0) {
        snprintf(p->error, sizeof(p->error), "%s", err.message);
        return EIO;
    }
    /* The exported array holds its own vector references. */
    em_batch_destroy(b);
    p->batches[p->next++] = NULL;
    return 0;
}

static const char *stream_get_last_error(struct ArrowArrayStream *st)
{
    stream_priv *p = st->private_data;
    return p->error[0] ? p->error : NULL;
}

static void stream_release(struct ArrowArrayStream *st)
{
    if (st == NULL || st->release == NULL) return;
    stream_priv *p = st->private_data;
    for (int64_t i = 0; i < p->count; i++) em_batch_destroy(p->batches[i]);
    em_free(p->batches);
    em_schema_destroy(p->schema);
    em_free(p);
    st->release = NULL;
}

int em_arrow_export_stream(const em_schema *s, const em_batch_list *batches,
                           struct ArrowArrayStream *out, em_error *err)
{
    if (s == NULL || batches == NULL || out == NULL)
        return em_error_set(err, EM_EINVAL, "arrow export: stream needs a schema and batches");
    for (int64_t i = 0; i < batches->count; i++) EM_TRY(check_batch(s, batches->items[i], err));
    stream_priv *p = em_calloc(1, sizeof(*p));
    p->schema = em_schema_copy(s);
    p->count = batches->count;
    p->batches = em_calloc((size_t)(p->count > 0 ? p->count : 1), sizeof(em_batch *));
    for (int64_t i = 0; i < p->count; i++) p->batches[i] = em_batch_ref_copy(batches->items[i]);
    out->get_schema = stream_get_schema;
    out->get_next = stream_get_next;
    out->get_last_error = stream_get_last_error;
    out->release = stream_release;
    out->private_data = p;
    return 0;
}

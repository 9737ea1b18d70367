/*
 * vector.h — ember's columnar core: SQL types, scalar values, vectors and batches.
 *
 * Memory layout follows the Arrow columnar format so that a batch can leave
 * through the Arrow C Data Interface without copying its buffers:
 *   - validity: an Arrow bitmap (bit i set = row i is valid, LSB first); NULL
 *     means "every row valid";
 *   - fixed-width values in `data` (int32 for INTEGER and DATE, int64 for
 *     BIGINT, DECIMAL and TIMESTAMP, double for DOUBLE, em_interval for INTERVAL);
 *   - VARCHAR: int32 offsets[length + 1] in `data`, bytes in `chars` (Arrow utf8).
 * One deliberate difference: BOOLEAN is one byte per value (0 or 1) inside the
 * engine, which keeps predicates branch-free; export packs it into bits.
 *
 * DECIMAL(p,s) with p <= 18 is an int64 holding value * 10^s.
 * DATE is days since 1970-01-01; TIMESTAMP is microseconds since the epoch (no zone).
 * INTERVAL is 16 bytes {int32 months; int32 days; int64 micros} (em_interval), kept
 * apart because a month has no fixed length in days, nor a day in microseconds
 * once time zones come in; comparisons count a month as 30 days and a day as
 * 24 hours, as PostgreSQL does.
 *
 * Vectors are reference counted so that a projection can pass a column through
 * without copying: em_vector_ref / em_vector_unref. A vector with refcount > 1
 * must not be modified.
 */
#ifndef EM_VECTOR_H
#define EM_VECTOR_H

#include "common/common.h"

/* Rows per batch produced by sources; operators may emit fewer. */
#define EM_BATCH_ROWS 2048

typedef enum em_type_id {
    EM_TYPE_NULL = 0, /* the type of a bare NULL literal before coercion */
    EM_TYPE_BOOLEAN,
    EM_TYPE_INTEGER, /* int32 */
    EM_TYPE_BIGINT,  /* int64 */
    EM_TYPE_DOUBLE,
    EM_TYPE_DECIMAL, /* int64 scaled by 10^scale, precision <= 18 */
    EM_TYPE_VARCHAR,
    EM_TYPE_DATE,      /* int32 days since epoch */
    EM_TYPE_TIMESTAMP, /* int64 microseconds since epoch */
    EM_TYPE_INTERVAL,  /* em_interval: months, days, microseconds */
    EM_TYPE_COUNT_
} em_type_id;

typedef struct em_type {
    uint8_t id;        /* em_type_id */
    uint8_t precision; /* DECIMAL only */
    uint8_t scale;     /* DECIMAL only */
} em_type;

#define EM_DECIMAL_MAX_PRECISION 18

/* An INTERVAL value: the three fields are independent (1 month 40 days is not
 * normalized), and each may be negative. Arrow's month_day_nano layout, but in
 * microseconds. */
typedef struct em_interval {
    int32_t months;
    int32_t days;
    int64_t micros;
} em_interval;

static inline em_type em_type_make(em_type_id id)
{
    em_type t = {(uint8_t)id, 0, 0};
    return t;
}
static inline em_type em_type_decimal(int precision, int scale)
{
    em_type t = {EM_TYPE_DECIMAL, (uint8_t)precision, (uint8_t)scale};
    return t;
}
bool em_type_equal(em_type a, em_type b);
/* Bytes per value in `data` (VARCHAR: 4, the offset width; NULL: 0). */
size_t em_type_width(em_type t);
bool em_type_is_numeric(em_type t); /* INTEGER, BIGINT, DOUBLE, DECIMAL */
bool em_type_is_integral(em_type t);
/* SQL spelling: "BIGINT", "DECIMAL(12,2)", ... written into buf. */
const char *em_type_name(em_type t, char *buf, size_t cap);
/* Parse a SQL type name ("int", "varchar", "decimal(10,2)", "timestamp", ...). */
int em_type_parse(const char *name, em_type *out, em_error *err);
/* The common supertype for comparisons, CASE branches, UNION columns, ...;
 * returns false when there is none (e.g. DATE vs BOOLEAN). */
bool em_type_common(em_type a, em_type b, em_type *out);

/* ---- scalar values ----------------------------------------------------- */

/* A single SQL value. Strings point into memory owned elsewhere (an arena, a
 * vector, the plan); em_value_copy duplicates into an arena. */
typedef struct em_value {
    em_type type;
    bool is_null;
    union {
        bool b;
        int32_t i32; /* INTEGER, DATE */
        int64_t i64; /* BIGINT, DECIMAL, TIMESTAMP */
        double f64;
        struct {
            const char *ptr;
            int32_t len;
        } str;
        em_interval iv; /* INTERVAL */
    } v;
} em_value;

em_value em_value_null(em_type t);
em_value em_value_bool(bool b);
em_value em_value_int(int32_t v);
em_value em_value_bigint(int64_t v);
em_value em_value_double(double v);
em_value em_value_decimal(int64_t unscaled, int precision, int scale);
em_value em_value_varchar(const char *p, int32_t len);
em_value em_value_date(int32_t days);
em_value em_value_timestamp(int64_t micros);
em_value em_value_interval(em_interval iv);
em_value em_value_copy(em_arena *a, em_value v);
/* Total order used by sort and comparisons of same-typed values (NULLs not handled).
 * INTERVALs order by em_interval_compare and, among equal spans, by their fields,
 * so that only identical intervals compare 0 here. */
int em_value_compare(const em_value *a, const em_value *b);
/* Text form as SQL prints it (DATE as YYYY-MM-DD, DECIMAL with its scale, ...). */
void em_value_format(const em_value *v, em_strbuf *out);
/* Cast a value; strings are parsed strictly (error names the value). */
int em_value_cast(em_arena *a, em_value in, em_type to, em_value *out, em_error *err);

/* ---- text conversions shared by readers, casts and printing ------------ */

int em_parse_int64(const char *s, size_t n, int64_t *out);  /* 0 or -1 */
int em_parse_double(const char *s, size_t n, double *out);  /* 0 or -1 */
int em_parse_decimal(const char *s, size_t n, int precision, int scale, int64_t *out);
int em_parse_date(const char *s, size_t n, int32_t *days);  /* YYYY-MM-DD */
int em_parse_timestamp(const char *s, size_t n, int64_t *micros); /* date[ T]hh:mm[:ss[.f]] */
int em_parse_bool(const char *s, size_t n, bool *out);      /* true/false/t/f/1/0/yes/no */
void em_format_date(int32_t days, char *buf, size_t cap);
void em_format_timestamp(int64_t micros, char *buf, size_t cap);
void em_format_decimal(int64_t unscaled, int scale, char *buf, size_t cap);
void em_format_double(double v, char *buf, size_t cap); /* shortest round-trip form */
int32_t em_days_from_civil(int64_t y, unsigned m, unsigned d);
void em_civil_from_days(int32_t days, int *y, int *m, int *d);
extern const int64_t em_pow10[19];

/* ---- intervals (vector/interval.c) ------------------------------------- */

#define EM_MICROS_PER_DAY 86400000000LL

/* Parse interval text as PostgreSQL accepts it: '1 day', '3 months',
 * '1 year 2 mons', '-1 week', '2 days ago', '01:30:00', '1 day 02:00',
 * '1-2' (years-months), '@ 1 hour', ISO 8601 'P1Y2M3DT4H5M6S'. `unit` is the
 * field keyword written after an INTERVAL literal ("day", "year to month", ...)
 * or NULL: a bare number is a count of that unit's smallest field (of seconds
 * without one), and fields below the unit are dropped (INTERVAL '1 day 02:00'
 * DAY is 1 day). Returns 0, -1 when malformed, -2 when a field overflows. */
int em_parse_interval(const char *s, size_t n, const char *unit, em_interval *out);
/* DuckDB's text form: "1 year 2 months 3 days 04:05:06.5", "-7 days", "00:00:00". */
void em_format_interval(em_interval iv, char *buf, size_t cap);
/* The interval's length in microseconds counting a month as 30 days: the key
 * that orders, equates and hashes intervals (PostgreSQL's interval_cmp_value). */
static inline __int128 em_interval_span(em_interval iv)
{
    return ((__int128)iv.months * 30 + iv.days) * EM_MICROS_PER_DAY + iv.micros;
}
/* -1, 0, 1 by span: '1 month' equals '30 days' and '1 day' equals '24:00:00'. */
int em_interval_compare(em_interval a, em_interval b);
/* A hash consistent with em_interval_compare's equality. */
uint64_t em_interval_hash(em_interval iv, uint64_t seed);
/* Arithmetic; each returns 0, or -1 when the result leaves its type's range. */
int em_interval_add(em_interval a, em_interval b, em_interval *out);
int em_interval_sub(em_interval a, em_interval b, em_interval *out);
int em_interval_neg(em_interval a, em_interval *out);
/* Multiply or divide by a number, carrying fractions down as PostgreSQL does
 * (half a month is 15 days, half a day 12 hours). Division by zero is the
 * caller's to report. */
int em_interval_mul(em_interval a, double factor, em_interval *out);
int em_interval_div(em_interval a, double divisor, em_interval *out);
/* TIMESTAMP + INTERVAL: months first (the day is clamped to the length of the
 * target month: Jan 31 + 1 month is Feb 28/29), then days, then microseconds. */
int em_timestamp_add_interval(int64_t ts, em_interval iv, int64_t *out);
/* TIMESTAMP - TIMESTAMP: whole days and the rest (both with the sign of the difference). */
int em_timestamp_diff(int64_t a, int64_t b, em_interval *out);

/* ---- vectors ----------------------------------------------------------- */

typedef struct em_vector {
    em_type type;
    int32_t refcount;
    int64_t length;   /* rows */
    int64_t capacity; /* rows that fit without growing */
    int64_t null_count; /* -1 when unknown */
    uint8_t *validity;  /* Arrow bitmap or NULL (all valid) */
    void *data;         /* values, or int32 offsets for VARCHAR */
    char *chars;        /* VARCHAR bytes */
    int64_t chars_len;
    int64_t chars_cap;
} em_vector;

em_vector *em_vector_create(em_type t, int64_t capacity);
em_vector *em_vector_ref(em_vector *v);
void em_vector_unref(em_vector *v);
void em_vector_reserve(em_vector *v, int64_t capacity);
void em_vector_reserve_chars(em_vector *v, int64_t bytes);
/* A vector of `n` copies of one value. */
em_vector *em_vector_from_value(const em_value *val, int64_t n);

static inline bool em_vector_is_valid(const em_vector *v, int64_t i)
{
    return v->validity == NULL || (v->validity[i >> 3] >> (i & 7)) & 1;
}
/* Mark row i NULL (allocates the bitmap on first use). */
void em_vector_set_null(em_vector *v, int64_t i);
void em_vector_set_valid(em_vector *v, int64_t i);
int64_t em_vector_null_count(em_vector *v);

#define EM_VEC_I32(v) ((int32_t *)(v)->data)
#define EM_VEC_I64(v) ((int64_t *)(v)->data)
#define EM_VEC_F64(v) ((double *)(v)->data)
#define EM_VEC_BOOL(v) ((uint8_t *)(v)->data)
#define EM_VEC_OFFSETS(v) ((int32_t *)(v)->data)
#define EM_VEC_IV(v) ((em_interval *)(v)->data)

static inline const char *em_vector_str(const em_vector *v, int64_t i, int32_t *len)
{
    const int32_t *off = EM_VEC_OFFSETS(v);
    *len = off[i + 1] - off[i];
    return v->chars + off[i];
}

/* Appending (length grows by one). */
void em_vector_append_null(em_vector *v);
void em_vector_append_bool(em_vector *v, bool b);
void em_vector_append_i32(em_vector *v, int32_t x);
void em_vector_append_i64(em_vector *v, int64_t x);
void em_vector_append_f64(em_vector *v, double x);
void em_vector_append_str(em_vector *v, const char *p, int32_t len);
void em_vector_append_interval(em_vector *v, em_interval x);
/* Append a value of the vector's own type (or NULL). */
void em_vector_append_value(em_vector *v, const em_value *val);
/* Append row `i` of `src` (same type). */
void em_vector_append_from(em_vector *v, const em_vector *src, int64_t i);
/* Read row i as a value (strings point into the vector). */
em_value em_vector_get(const em_vector *v, int64_t i);

/* Append rows sel[0..n) of src to dst (same type), growing dst geometrically up
 * to a batch's worth of rows (more only when n asks for it): how the shuffle
 * writer and the spilling hash join build their outgoing batches. */
void em_vector_append_rows(em_vector *dst, const em_vector *src, const int32_t *sel, int64_t n);
/* New vector holding the rows sel[0..n) of src. */
em_vector *em_vector_gather(const em_vector *src, const int32_t *sel, int64_t n);
/* New vector holding rows [offset, offset + n) of src. */
em_vector *em_vector_slice(const em_vector *src, int64_t offset, int64_t n);

/* ---- schema and batches ------------------------------------------------ */

typedef struct em_field {
    char *name;
    em_type type;
    bool nullable;
} em_field;

typedef struct em_schema {
    int nfields;
    em_field *fields;
} em_schema;

em_schema *em_schema_create(int nfields); /* fields zeroed; names set by caller (em_strdup) */
em_schema *em_schema_copy(const em_schema *s);
void em_schema_destroy(em_schema *s);
int em_schema_find(const em_schema *s, const char *name); /* case-insensitive; -1 */

/* A set of equally long column vectors. The batch owns one reference to each. */
typedef struct em_batch {
    int ncols;
    int64_t nrows;
    em_vector **cols;
} em_batch;

em_batch *em_batch_create(int ncols);
/* An empty batch with freshly created vectors for the schema's types. */
em_batch *em_batch_create_for(const em_schema *s, int64_t capacity);
void em_batch_destroy(em_batch *b);
/* Take ownership of v as column i (releases any previous column). */
void em_batch_set_col(em_batch *b, int i, em_vector *v);
em_batch *em_batch_gather(const em_batch *b, const int32_t *sel, int64_t n);
em_batch *em_batch_slice(const em_batch *b, int64_t offset, int64_t n);
/* Shallow copy: new batch sharing column references. */
em_batch *em_batch_ref_copy(const em_batch *b);
/* Approximate bytes held by the batch's buffers. */
int64_t em_batch_bytes(const em_batch *b);

/* A growable list of batches (results, in-memory tables, local shuffle blocks). */
typedef struct em_batch_list {
    em_batch **items;
    int64_t count;
    int64_t cap;
    int64_t rows;
} em_batch_list;
void em_batch_list_init(em_batch_list *l);
void em_batch_list_release(em_batch_list *l); /* destroys the batches */
void em_batch_list_push(em_batch_list *l, em_batch *b); /* takes ownership */
/* Move every batch from src to the end of dst (src left empty). */
void em_batch_list_move(em_batch_list *dst, em_batch_list *src);

/* ---- JSON text ----------------------------------------------------------- */

/* A JSON string literal: quoted, with quotes, backslashes and control bytes escaped. */
void em_json_append_string(em_strbuf *out, const char *p, size_t n);
/* Row i as JSON: null, true/false, a number (non-finite doubles are null), or a
 * string (VARCHAR, and the text form of dates, timestamps, intervals). */
void em_vector_append_json(const em_vector *v, int64_t i, em_strbuf *out);

/* ---- Arrow C Data Interface ------------------------------------------- */

/* Export one batch as a struct array plus its schema. Buffers are shared by
 * reference (BOOLEAN and DECIMAL are converted). */
int em_arrow_export_batch(const em_schema *s, const em_batch *b, struct ArrowSchema *schema_out,
                          struct ArrowArray *array_out, em_error *err);
int em_arrow_export_schema(const em_schema *s, struct ArrowSchema *out, em_error *err);
/* A stream over a list of batches; takes references to the batches. */
int em_arrow_export_stream(const em_schema *s, const em_batch_list *batches,
                           struct ArrowArrayStream *out, em_error *err);

#endif

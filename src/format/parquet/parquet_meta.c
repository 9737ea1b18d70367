/*
 * parquet_meta.c — Parquet's footer (FileMetaData) and page headers, decoded
 * from and encoded to the Thrift compact protocol.
 *
 * Field ids and types follow parquet.thrift. Unknown fields are skipped, so
 * files from newer writers (size statistics, bloom filters, geospatial
 * statistics, ...) read fine. A field whose wire type does not match what the
 * specification says is treated as corrupt rather than guessed at. Every
 * string and byte string is copied into the metadata's arena, so the footer
 * bytes need not outlive the decoded struct.
 */
#include "format/parquet/parquet.h"

#include <string.h>

typedef struct dec {
    em__thrift_reader r;
    em_arena *a;
} dec;

const char *em__pq_codec_name(int codec)
{
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < (int)EM_ARRAY_LEN(names) ? names[codec] : "unknown";
}

const char *em__pq_encoding_name(int e)
{
    static const char *const names[] = {"PLAIN",
                                        "GROUP_VAR_INT",
                                        "PLAIN_DICTIONARY",
                                        "RLE",
                                        "BIT_PACKED",
                                        "DELTA_BINARY_PACKED",
                                        "DELTA_LENGTH_BYTE_ARRAY",
                                        "DELTA_BYTE_ARRAY",
                                        "RLE_DICTIONARY",
                                        "BYTE_STREAM_SPLIT",
                                        "ALP"};
    return e >= 0 && e < (int)EM_ARRAY_LEN(names) ? names[e] : "unknown";
}

const char *em__pq_type_name(int t)
{
    static const char *const names[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                        "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return t >= 0 && t < (int)EM_ARRAY_LEN(names) ? names[t] : "group";
}

/* ---- decoding helpers ------------------------------------------------------ */

static bool want(dec *d, int type, int expected)
{
    if (em__thrift_type_ok(type, expected)) return true;
    em__thrift_fail(&d->r, "field of the wrong type");
    return false;
}

static char *dec_string(dec *d, int type)
{
    if (!want(d, type, EM__T_BINARY)) return NULL;
    int32_t n;
    const uint8_t *p = em__thrift_binary(&d->r, &n);
    if (d->r.bad) return NULL;
    return em_arena_strndup(d->a, (const char *)p, (size_t)n);
}

static em__pq_bytes dec_bytes(dec *d, int type)
{
    em__pq_bytes b = {0};
    if (!want(d, type, EM__T_BINARY)) return b;
    int32_t n;
    const uint8_t *p = em__thrift_binary(&d->r, &n);
    if (d->r.bad) return b;
    uint8_t *c = em_arena_alloc(d->a, (size_t)n + 1);
    if (n > 0) memcpy(c, p, (size_t)n);
    b.p = c;
    b.n = n;
    b.set = true;
    return b;
}

static int64_t dec_int(dec *d, int type)
{
    if (!want(d, type, EM__T_I64)) return 0;
    return em__thrift_int(&d->r, type);
}

static int32_t dec_i32(dec *d, int type)
{
    if (!want(d, type, EM__T_I32)) return 0;
    return em__thrift_i32(&d->r, type);
}

/* Read a list header, checking the element type; returns the count (0 on error). */
static int32_t dec_list(dec *d, int type, int elem)
{
    if (!want(d, type, EM__T_LIST)) return 0;
    int et;
    int32_t n;
    em__thrift_list(&d->r, &et, &n);
    if (d->r.bad) return 0;
    if (n > 0 && !em__thrift_type_ok(et, elem)) {
        em__thrift_fail(&d->r, "list of the wrong element type");
        return 0;
    }
    return n;
}

/* Skip a struct-valued field's members, entering it properly. */
static void skip_field(dec *d, int type)
{
    em__thrift_skip(&d->r, type);
}

/* An empty struct (the members of the LogicalType union carry no data, or
 * data we skip). */
static void dec_empty(dec *d, int type)
{
    if (!want(d, type, EM__T_STRUCT)) return;
    skip_field(d, type);
}

/* ---- statistics ------------------------------------------------------------- */

static void dec_stats(dec *d, em__pq_stats *s)
{
    memset(s, 0, sizeof *s);
    s->null_count = -1;
    s->distinct_count = -1;
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        switch (id) {
        case 1:
            s->max = dec_bytes(d, t);
            break;
        case 2:
            s->min = dec_bytes(d, t);
            break;
        case 3:
            s->null_count = dec_int(d, t);
            break;
        case 4:
            s->distinct_count = dec_int(d, t);
            break;
        case 5:
            s->max_value = dec_bytes(d, t);
            break;
        case 6:
            s->min_value = dec_bytes(d, t);
            break;
        default:
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

/* ---- logical types ---------------------------------------------------------- */

static void dec_time_unit(dec *d, int *unit)
{
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    *unit = -1;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        if (id >= 1 && id <= 3) {
            *unit = id - 1;
            dec_empty(d, t);
        } else {
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

static void dec_logical(dec *d, em__pq_logical *lt)
{
    memset(lt, 0, sizeof *lt);
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        if (!want(d, t, EM__T_STRUCT)) break;
        switch (id) {
        case EM__PQ_LT_DECIMAL:
        case EM__PQ_LT_TIME:
        case EM__PQ_LT_TIMESTAMP:
        case EM__PQ_LT_INTEGER: {
            lt->kind = id;
            lt->unit = -1;
            em__thrift_struct_begin(&d->r);
            int16_t l2 = 0, id2;
            int t2;
            while (em__thrift_field(&d->r, &l2, &t2, &id2)) {
                if (id == EM__PQ_LT_DECIMAL && id2 == 1)
                    lt->scale = dec_i32(d, t2);
                else if (id == EM__PQ_LT_DECIMAL && id2 == 2)
                    lt->precision = dec_i32(d, t2);
                else if ((id == EM__PQ_LT_TIME || id == EM__PQ_LT_TIMESTAMP) && id2 == 1)
                    lt->utc = em__thrift_bool(&d->r, t2, false);
                else if ((id == EM__PQ_LT_TIME || id == EM__PQ_LT_TIMESTAMP) && id2 == 2 &&
                         want(d, t2, EM__T_STRUCT))
                    dec_time_unit(d, &lt->unit);
                else if (id == EM__PQ_LT_INTEGER && id2 == 1)
                    lt->bit_width = (int)dec_int(d, t2);
                else if (id == EM__PQ_LT_INTEGER && id2 == 2)
                    lt->is_signed = em__thrift_bool(&d->r, t2, false);
                else
                    skip_field(d, t2);
            }
            em__thrift_struct_end(&d->r);
            break;
        }
        case EM__PQ_LT_STRING:
        case EM__PQ_LT_MAP:
        case EM__PQ_LT_LIST:
        case EM__PQ_LT_ENUM:
        case EM__PQ_LT_DATE:
        case EM__PQ_LT_UNKNOWN:
        case EM__PQ_LT_JSON:
        case EM__PQ_LT_BSON:
        case EM__PQ_LT_UUID:
        case EM__PQ_LT_FLOAT16:
            lt->kind = id;
            skip_field(d, t);
            break;
        default:
            lt->kind = EM__PQ_LT_OTHER;
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

/* ---- schema ------------------------------------------------------------------ */

static void dec_schema_elem(dec *d, em__pq_schema_elem *e)
{
    memset(e, 0, sizeof *e);
    e->type = -1;
    e->repetition = -1;
    e->converted = EM__PQ_CT_NONE;
    e->num_children = 0;
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        switch (id) {
        case 1:
            e->type = dec_i32(d, t);
            break;
        case 2:
            e->type_length = dec_i32(d, t);
            break;
        case 3:
            e->repetition = dec_i32(d, t);
            break;
        case 4:
            e->name = dec_string(d, t);
            break;
        case 5:
            e->num_children = dec_i32(d, t);
            break;
        case 6:
            e->converted = dec_i32(d, t);
            break;
        case 7:
            e->scale = dec_i32(d, t);
            break;
        case 8:
            e->precision = dec_i32(d, t);
            break;
        case 10:
            if (want(d, t, EM__T_STRUCT)) dec_logical(d, &e->logical);
            break;
        default:
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
    if (e->name == NULL) e->name = em_arena_strdup(d->a, "");
}

/* ---- column chunks ------------------------------------------------------------- */

static void dec_column_meta(dec *d, em__pq_column_meta *m)
{
    memset(m, 0, sizeof *m);
    m->index_page_offset = -1;
    m->dictionary_page_offset = -1;
    m->type = -1;
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        switch (id) {
        case 1:
            m->type = dec_i32(d, t);
            break;
        case 2: {
            int32_t n = dec_list(d, t, EM__T_I32);
            m->encodings = em_arena_alloc(d->a, sizeof(int32_t) * (size_t)(n + 1));
            for (int32_t i = 0; i < n && !d->r.bad; i++)
                m->encodings[i] = em__thrift_i32(&d->r, EM__T_I32);
            m->nencodings = n;
            break;
        }
        case 3: {
            int32_t n = dec_list(d, t, EM__T_BINARY);
            m->path = em_arena_alloc(d->a, sizeof(char *) * (size_t)(n + 1));
            for (int32_t i = 0; i < n && !d->r.bad; i++) m->path[i] = dec_string(d, EM__T_BINARY);
            m->npath = d->r.bad ? 0 : n;
            break;
        }
        case 4:
            m->codec = dec_i32(d, t);
            break;
        case 5:
            m->num_values = dec_int(d, t);
            break;
        case 6:
            m->total_uncompressed_size = dec_int(d, t);
            break;
        case 7:
            m->total_compressed_size = dec_int(d, t);
            break;
        case 9:
            m->data_page_offset = dec_int(d, t);
            break;
        case 10:
            m->index_page_offset = dec_int(d, t);
            break;
        case 11:
            m->dictionary_page_offset = dec_int(d, t);
            break;
        case 12:
            if (want(d, t, EM__T_STRUCT)) {
                dec_stats(d, &m->stats);
                m->has_stats = true;
            }
            break;
        default:
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

static void dec_column_chunk(dec *d, em__pq_column_chunk *c)
{
    memset(c, 0, sizeof *c);
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        switch (id) {
        case 1:
            c->file_path = dec_string(d, t);
            break;
        case 2:
            c->file_offset = dec_int(d, t);
            break;
        case 3:
            if (want(d, t, EM__T_STRUCT)) {
                dec_column_meta(d, &c->meta);
                c->has_meta = true;
            }
            break;
        case 8:
        case 9:
            c->encrypted = true;
            skip_field(d, t);
            break;
        default:
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

static void dec_row_group(dec *d, em__pq_row_group *g)
{
    memset(g, 0, sizeof *g);
    g->file_offset = -1;
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        switch (id) {
        case 1: {
            int32_t n = dec_list(d, t, EM__T_STRUCT);
            g->columns = em_arena_alloc(d->a, sizeof *g->columns * (size_t)(n + 1));
            for (int32_t i = 0; i < n && !d->r.bad; i++) dec_column_chunk(d, &g->columns[i]);
            g->ncolumns = d->r.bad ? 0 : n;
            break;
        }
        case 2:
            g->total_byte_size = dec_int(d, t);
            break;
        case 3:
            g->num_rows = dec_int(d, t);
            break;
        case 5:
            g->file_offset = dec_int(d, t);
            break;
        case 6:
            g->total_compressed_size = dec_int(d, t);
            break;
        default:
            skip_field(d, t);
        }
    }
    em__thrift_struct_end(&d->r);
}

static void dec_kv(dec *d, em__pq_kv *kv)
{
    kv->key = NULL;
    kv->value = NULL;
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        if (id == 1)
            kv->key = dec_string(d, t);
        else if (id == 2)
            kv->value = dec_string(d, t);
        else
            skip_field(d, t);
    }
    em__thrift_struct_end(&d->r);
    if (kv->key == NULL) kv->key = em_arena_strdup(d->a, "");
}

int em__pq_meta_decode(const uint8_t *p, size_t n, em__pq_file_meta *m, const char **why)
{
    memset(m, 0, sizeof *m);
    m->arena = em_arena_create(n < 4096 ? 4096 : n * 2);
    dec d;
    d.a = m->arena;
    em__thrift_reader_init(&d.r, p, n);
    bool have_schema = false, have_rows = false, have_groups = false;
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d.r, &last, &t, &id)) {
        switch (id) {
        case 1:
            m->version = dec_i32(&d, t);
            break;
        case 2: {
            int32_t cnt = dec_list(&d, t, EM__T_STRUCT);
            m->schema = em_arena_alloc(d.a, sizeof *m->schema * (size_t)(cnt + 1));
            for (int32_t i = 0; i < cnt && !d.r.bad; i++) dec_schema_elem(&d, &m->schema[i]);
            m->nschema = d.r.bad ? 0 : cnt;
            have_schema = true;
            break;
        }
        case 3:
            m->num_rows = dec_int(&d, t);
            have_rows = true;
            break;
        case 4: {
            int32_t cnt = dec_list(&d, t, EM__T_STRUCT);
            m->row_groups = em_arena_alloc(d.a, sizeof *m->row_groups * (size_t)(cnt + 1));
            for (int32_t i = 0; i < cnt && !d.r.bad; i++) dec_row_group(&d, &m->row_groups[i]);
            m->nrow_groups = d.r.bad ? 0 : cnt;
            have_groups = true;
            break;
        }
        case 5: {
            int32_t cnt = dec_list(&d, t, EM__T_STRUCT);
            m->kv = em_arena_alloc(d.a, sizeof *m->kv * (size_t)(cnt + 1));
            for (int32_t i = 0; i < cnt && !d.r.bad; i++) dec_kv(&d, &m->kv[i]);
            m->nkv = d.r.bad ? 0 : cnt;
            break;
        }
        case 6:
            m->created_by = dec_string(&d, t);
            break;
        case 7: {
            int32_t cnt = dec_list(&d, t, EM__T_STRUCT);
            for (int32_t i = 0; i < cnt && !d.r.bad; i++) em__thrift_skip(&d.r, EM__T_STRUCT);
            m->ncolumn_orders = cnt;
            break;
        }
        case 8:
        case 9:
            m->encrypted = true;
            skip_field(&d, t);
            break;
        default:
            skip_field(&d, t);
        }
    }
    if (!d.r.bad && (!have_schema || !have_rows || !have_groups))
        em__thrift_fail(&d.r, "required field missing (schema, num_rows or row_groups)");
    if (d.r.bad) {
        *why = d.r.why ? d.r.why : "malformed metadata";
        em__pq_meta_release(m);
        return -1;
    }
    return 0;
}

void em__pq_meta_release(em__pq_file_meta *m)
{
    if (m->arena) em_arena_destroy(m->arena);
    memset(m, 0, sizeof *m);
}

/* ---- page headers --------------------------------------------------------------- */

static void dec_data_page(dec *d, em__pq_page_header *h, bool v2)
{
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    bool got_n = false, got_enc = false;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        if (id == 1) {
            h->num_values = dec_i32(d, t);
            got_n = true;
        } else if (!v2) {
            switch (id) {
            case 2:
                h->encoding = dec_i32(d, t);
                got_enc = true;
                break;
            case 3:
                h->def_encoding = dec_i32(d, t);
                break;
            case 4:
                h->rep_encoding = dec_i32(d, t);
                break;
            default:
                /* Page statistics (5) are not used: the reader prunes by row group. */
                skip_field(d, t);
            }
        } else {
            switch (id) {
            case 2:
                h->num_nulls = dec_i32(d, t);
                break;
            case 3:
                h->num_rows = dec_i32(d, t);
                break;
            case 4:
                h->encoding = dec_i32(d, t);
                got_enc = true;
                break;
            case 5:
                h->def_length = dec_i32(d, t);
                break;
            case 6:
                h->rep_length = dec_i32(d, t);
                break;
            case 7:
                h->is_compressed = em__thrift_bool(&d->r, t, false);
                break;
            default:
                skip_field(d, t);
            }
        }
    }
    em__thrift_struct_end(&d->r);
    if (!d->r.bad && (!got_n || !got_enc))
        em__thrift_fail(&d->r, "data page header without num_values or encoding");
}

static void dec_dict_page(dec *d, em__pq_page_header *h)
{
    em__thrift_struct_begin(&d->r);
    int16_t last = 0, id;
    int t;
    h->encoding = EM__PQ_PLAIN;
    while (em__thrift_field(&d->r, &last, &t, &id)) {
        if (id == 1)
            h->num_values = dec_i32(d, t);
        else if (id == 2)
            h->encoding = dec_i32(d, t);
        else if (id == 3)
            h->dict_sorted = em__thrift_bool(&d->r, t, false);
        else
            skip_field(d, t);
    }
    em__thrift_struct_end(&d->r);
}

int em__pq_page_header_decode(const uint8_t *p, size_t n, em__pq_page_header *h, size_t *used,
                              const char **why)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    /* Nothing in a page header that is kept needs memory: no arena. */
    dec d;
    d.a = NULL;
    em__thrift_reader_init(&d.r, p, n);
    bool got_sizes = false;
    int16_t last = 0, id;
    int t;
    while (em__thrift_field(&d.r, &last, &t, &id)) {
        switch (id) {
        case 1:
            h->type = dec_i32(&d, t);
            break;
        case 2:
            h->uncompressed_size = dec_i32(&d, t);
            break;
        case 3:
            h->compressed_size = dec_i32(&d, t);
            got_sizes = true;
            break;
        case 4:
            h->crc = (uint32_t)dec_i32(&d, t);
            h->has_crc = true;
            break;
        case 5:
            if (want(&d, t, EM__T_STRUCT)) {
                dec_data_page(&d, h, false);
                h->has_data = true;
            }
            break;
        case 7:
            if (want(&d, t, EM__T_STRUCT)) {
                dec_dict_page(&d, h);
                h->has_dict = true;
            }
            break;
        case 8:
            if (want(&d, t, EM__T_STRUCT)) {
                dec_data_page(&d, h, true);
                h->has_v2 = true;
            }
            break;
        default:
            skip_field(&d, t);
        }
    }
    if (!d.r.bad && (h->type < 0 || !got_sizes))
        em__thrift_fail(&d.r, "page header without type or sizes");
    if (!d.r.bad && (h->uncompressed_size < 0 || h->compressed_size < 0))
        em__thrift_fail(&d.r, "negative page size");
    if (d.r.bad) {
        *why = d.r.why ? d.r.why : "malformed page header";
        return -1;
    }
    *used = (size_t)(d.r.p - p);
    return 0;
}

/* ---- encoding --------------------------------------------------------------------- */

void em__pq_stats_encode(const em__pq_stats *s, em_strbuf *out)
{
    int16_t last = 0;
    if (s->max.set) em__thrift_w_binary(out, &last, 1, s->max.p, (size_t)s->max.n);
    if (s->min.set) em__thrift_w_binary(out, &last, 2, s->min.p, (size_t)s->min.n);
    if (s->null_count >= 0) em__thrift_w_i64(out, &last, 3, s->null_count);
    if (s->distinct_count >= 0) em__thrift_w_i64(out, &last, 4, s->distinct_count);
    if (s->max_value.set)
        em__thrift_w_binary(out, &last, 5, s->max_value.p, (size_t)s->max_value.n);
    if (s->min_value.set)
        em__thrift_w_binary(out, &last, 6, s->min_value.p, (size_t)s->min_value.n);
    em__thrift_w_stop(out);
}

static void enc_logical(const em__pq_logical *lt, em_strbuf *out)
{
    int16_t last = 0;
    em__thrift_w_struct(out, &last, (int16_t)lt->kind);
    int16_t l2 = 0;
    switch (lt->kind) {
    case EM__PQ_LT_DECIMAL:
        em__thrift_w_i32(out, &l2, 1, lt->scale);
        em__thrift_w_i32(out, &l2, 2, lt->precision);
        break;
    case EM__PQ_LT_TIME:
    case EM__PQ_LT_TIMESTAMP: {
        em__thrift_w_bool(out, &l2, 1, lt->utc);
        em__thrift_w_struct(out, &l2, 2);
        int16_t l3 = 0;
        em__thrift_w_struct(out, &l3, (int16_t)(lt->unit + 1));
        em__thrift_w_stop(out); /* the unit's empty struct */
        em__thrift_w_stop(out); /* TimeUnit */
        break;
    }
    case EM__PQ_LT_INTEGER:
        em__thrift_w_field(out, &l2, EM__T_I8, 1);
        em_strbuf_putc(out, (char)lt->bit_width);
        em__thrift_w_bool(out, &l2, 2, lt->is_signed);
        break;
    default:
        break;
    }
    em__thrift_w_stop(out); /* the member struct */
    em__thrift_w_stop(out); /* LogicalType */
}

static void enc_schema_elem(const em__pq_schema_elem *e, em_strbuf *out)
{
    int16_t last = 0;
    if (e->type >= 0) em__thrift_w_i32(out, &last, 1, e->type);
    if (e->type == EM__PQ_FLBA) em__thrift_w_i32(out, &last, 2, e->type_length);
    if (e->repetition >= 0) em__thrift_w_i32(out, &last, 3, e->repetition);
    em__thrift_w_string(out, &last, 4, e->name);
    if (e->type < 0) em__thrift_w_i32(out, &last, 5, e->num_children);
    if (e->converted != EM__PQ_CT_NONE) em__thrift_w_i32(out, &last, 6, e->converted);
    if (e->converted == EM__PQ_CT_DECIMAL) {
        em__thrift_w_i32(out, &last, 7, e->scale);
        em__thrift_w_i32(out, &last, 8, e->precision);
    }
    if (e->logical.kind != EM__PQ_LT_NONE) {
        em__thrift_w_struct(out, &last, 10);
        enc_logical(&e->logical, out);
    }
    em__thrift_w_stop(out);
}

static void enc_column_meta(const em__pq_column_meta *m, em_strbuf *out)
{
    int16_t last = 0;
    em__thrift_w_i32(out, &last, 1, m->type);
    em__thrift_w_list(out, &last, 2, EM__T_I32, m->nencodings);
    for (int i = 0; i < m->nencodings; i++) em__thrift_w_zigzag(out, m->encodings[i]);
    em__thrift_w_list(out, &last, 3, EM__T_BINARY, m->npath);
    for (int i = 0; i < m->npath; i++) {
        em__thrift_w_varint(out, strlen(m->path[i]));
        em_strbuf_puts(out, m->path[i]);
    }
    em__thrift_w_i32(out, &last, 4, m->codec);
    em__thrift_w_i64(out, &last, 5, m->num_values);
    em__thrift_w_i64(out, &last, 6, m->total_uncompressed_size);
    em__thrift_w_i64(out, &last, 7, m->total_compressed_size);
    em__thrift_w_i64(out, &last, 9, m->data_page_offset);
    if (m->index_page_offset >= 0) em__thrift_w_i64(out, &last, 10, m->index_page_offset);
    if (m->dictionary_page_offset >= 0) em__thrift_w_i64(out, &last, 11, m->dictionary_page_offset);
    if (m->has_stats) {
        em__thrift_w_struct(out, &last, 12);
        em__pq_stats_encode(&m->stats, out);
    }
    em__thrift_w_stop(out);
}

void em__pq_meta_encode(const em__pq_file_meta *m, em_strbuf *out)
{
    int16_t last = 0;
    em__thrift_w_i32(out, &last, 1, m->version);
    em__thrift_w_list(out, &last, 2, EM__T_STRUCT, m->nschema);
    for (int i = 0; i < m->nschema; i++) enc_schema_elem(&m->schema[i], out);
    em__thrift_w_i64(out, &last, 3, m->num_rows);
    em__thrift_w_list(out, &last, 4, EM__T_STRUCT, m->nrow_groups);
    for (int g = 0; g < m->nrow_groups; g++) {
        const em__pq_row_group *rg = &m->row_groups[g];
        int16_t l2 = 0;
        em__thrift_w_list(out, &l2, 1, EM__T_STRUCT, rg->ncolumns);
        for (int c = 0; c < rg->ncolumns; c++) {
            const em__pq_column_chunk *cc = &rg->columns[c];
            int16_t l3 = 0;
            em__thrift_w_i64(out, &l3, 2, cc->file_offset);
            if (cc->has_meta) {
                em__thrift_w_struct(out, &l3, 3);
                enc_column_meta(&cc->meta, out);
            }
            em__thrift_w_stop(out);
        }
        em__thrift_w_i64(out, &l2, 2, rg->total_byte_size);
        em__thrift_w_i64(out, &l2, 3, rg->num_rows);
        if (rg->file_offset >= 0) em__thrift_w_i64(out, &l2, 5, rg->file_offset);
        em__thrift_w_i64(out, &l2, 6, rg->total_compressed_size);
        em__thrift_w_field(out, &l2, EM__T_I16, 7);
        em__thrift_w_zigzag(out, g);
        em__thrift_w_stop(out);
    }
    if (m->nkv > 0) {
        em__thrift_w_list(out, &last, 5, EM__T_STRUCT, m->nkv);
        for (int i = 0; i < m->nkv; i++) {
            int16_t l2 = 0;
            em__thrift_w_string(out, &l2, 1, m->kv[i].key);
            if (m->kv[i].value) em__thrift_w_string(out, &l2, 2, m->kv[i].value);
            em__thrift_w_stop(out);
        }
    }
    if (m->created_by) em__thrift_w_string(out, &last, 6, m->created_by);
    if (m->ncolumn_orders > 0) {
        /* TYPE_ORDER for every column: min_value/max_value follow the logical type. */
        em__thrift_w_list(out, &last, 7, EM__T_STRUCT, m->ncolumn_orders);
        for (int i = 0; i < m->ncolumn_orders; i++) {
            int16_t l2 = 0;
            em__thrift_w_struct(out, &l2, 1);
            em__thrift_w_stop(out);
            em__thrift_w_stop(out);
        }
    }
    em__thrift_w_stop(out);
}

void em__pq_page_header_encode(const em__pq_page_header *h, em_strbuf *out)
{
    int16_t last = 0;
    em__thrift_w_i32(out, &last, 1, h->type);
    em__thrift_w_i32(out, &last, 2, h->uncompressed_size);
    em__thrift_w_i32(out, &last, 3, h->compressed_size);
    if (h->has_crc) em__thrift_w_i32(out, &last, 4, (int32_t)h->crc);
    if (h->type == EM__PQ_DATA_PAGE) {
        em__thrift_w_struct(out, &last, 5);
        int16_t l2 = 0;
        em__thrift_w_i32(out, &l2, 1, h->num_values);
        em__thrift_w_i32(out, &l2, 2, h->encoding);
        em__thrift_w_i32(out, &l2, 3, h->def_encoding);
        em__thrift_w_i32(out, &l2, 4, h->rep_encoding);
        if (h->has_stats) {
            em__thrift_w_struct(out, &l2, 5);
            em__pq_stats_encode(&h->stats, out);
        }
        em__thrift_w_stop(out);
    } else if (h->type == EM__PQ_DICTIONARY_PAGE) {
        em__thrift_w_struct(out, &last, 7);
        int16_t l2 = 0;
        em__thrift_w_i32(out, &l2, 1, h->num_values);
        em__thrift_w_i32(out, &l2, 2, h->encoding);
        if (h->dict_sorted) em__thrift_w_bool(out, &l2, 3, true);
        em__thrift_w_stop(out);
    } else if (h->type == EM__PQ_DATA_PAGE_V2) {
        em__thrift_w_struct(out, &last, 8);
        int16_t l2 = 0;
        em__thrift_w_i32(out, &l2, 1, h->num_values);
        em__thrift_w_i32(out, &l2, 2, h->num_nulls);
        em__thrift_w_i32(out, &l2, 3, h->num_rows);
        em__thrift_w_i32(out, &l2, 4, h->encoding);
        em__thrift_w_i32(out, &l2, 5, h->def_length);
        em__thrift_w_i32(out, &l2, 6, h->rep_length);
        if (!h->is_compressed) em__thrift_w_bool(out, &l2, 7, false);
        if (h->has_stats) {
            em__thrift_w_struct(out, &l2, 8);
            em__pq_stats_encode(&h->stats, out);
        }
        em__thrift_w_stop(out);
    }
    em__thrift_w_stop(out);
}

/* ---- offsets ---------------------------------------------------------------------- */

bool em__pq_chunk_range(const em__pq_column_chunk *c, int64_t size, int64_t *start, int64_t *len)
{
    if (!c->has_meta) return false;
    const em__pq_column_meta *m = &c->meta;
    int64_t s = m->data_page_offset;
    /* Some writers store 0 for "no dictionary"; a real one precedes the data. */
    if (m->dictionary_page_offset > 0 && m->dictionary_page_offset < s)
        s = m->dictionary_page_offset;
    int64_t n = m->total_compressed_size;
    if (s < 4 || n <= 0 || s > size || n > size - s) return false;
    *start = s;
    *len = n;
    return true;
}

int64_t em__pq_rg_start(const em__pq_row_group *rg)
{
    if (rg->ncolumns > 0 && rg->columns[0].has_meta) {
        const em__pq_column_meta *m = &rg->columns[0].meta;
        int64_t s = m->data_page_offset;
        if (m->dictionary_page_offset > 0 && m->dictionary_page_offset < s)
            s = m->dictionary_page_offset;
        if (s >= 0) return s;
    }
    return rg->file_offset >= 0 ? rg->file_offset : 0;
}

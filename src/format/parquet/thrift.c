/*
 * thrift.c — the Thrift compact protocol codec (see thrift.h).
 *
 * Written from the protocol's specification (apache/thrift,
 * doc/specs/thrift-compact-protocol.md). Reading is defensive: lengths and
 * counts are checked against the bytes that remain before anything is
 * allocated or touched, so a corrupt footer cannot make a decoder read out of
 * bounds or allocate gigabytes.
 */
#include "format/parquet/thrift.h"

#include <string.h>

void em__thrift_reader_init(em__thrift_reader *r, const void *data, size_t n)
{
    static const uint8_t none[1];
    if (data == NULL) {
        data = none;
        n = 0;
    }
    r->p = data;
    r->end = (const uint8_t *)data + n;
    r->depth = 0;
    r->bad = false;
    r->why = NULL;
}

void em__thrift_fail(em__thrift_reader *r, const char *why)
{
    if (!r->bad) r->why = why;
    r->bad = true;
    r->p = r->end;
}

uint64_t em__thrift_varint(em__thrift_reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            em__thrift_fail(r, "truncated varint");
            return 0;
        }
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    em__thrift_fail(r, "varint longer than 10 bytes");
    return 0;
}

int64_t em__thrift_zigzag(em__thrift_reader *r)
{
    uint64_t u = em__thrift_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

double em__thrift_double(em__thrift_reader *r)
{
    if (r->end - r->p < 8) {
        em__thrift_fail(r, "truncated double");
        return 0;
    }
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--) bits = bits << 8 | r->p[i];
    r->p += 8;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

const uint8_t *em__thrift_binary(em__thrift_reader *r, int32_t *len)
{
    uint64_t n = em__thrift_varint(r);
    if (r->bad || n > (uint64_t)(r->end - r->p) || n > INT32_MAX) {
        em__thrift_fail(r, "binary field longer than its struct");
        *len = 0;
        return r->end;
    }
    const uint8_t *p = r->p;
    r->p += n;
    *len = (int32_t)n;
    return p;
}

bool em__thrift_field(em__thrift_reader *r, int16_t *last, int *type, int16_t *id)
{
    if (r->p >= r->end) {
        em__thrift_fail(r, "struct without its stop byte");
        return false;
    }
    uint8_t b = *r->p++;
    if (b == 0) return false;
    int t = b & 0x0f, delta = b >> 4;
    int64_t fid;
    if (delta != 0) {
        fid = (int64_t)*last + delta;
    } else {
        fid = em__thrift_zigzag(r);
    }
    if (r->bad) return false;
    if (t == EM__T_STOP || t > EM__T_UUID || fid < INT16_MIN || fid > INT16_MAX) {
        em__thrift_fail(r, "invalid field header");
        return false;
    }
    *type = t;
    *id = (int16_t)fid;
    *last = (int16_t)fid;
    return true;
}

bool em__thrift_type_ok(int have, int want)
{
    if (want == EM__T_TRUE || want == EM__T_FALSE) return have == EM__T_TRUE || have == EM__T_FALSE;
    if (want >= EM__T_I8 && want <= EM__T_I64) return have >= EM__T_I8 && have <= EM__T_I64;
    if (want == EM__T_LIST || want == EM__T_SET) return have == EM__T_LIST || have == EM__T_SET;
    return have == want;
}

int64_t em__thrift_int(em__thrift_reader *r, int type)
{
    switch (type) {
    case EM__T_I8:
        if (r->p >= r->end) {
            em__thrift_fail(r, "truncated byte");
            return 0;
        }
        return (int8_t)*r->p++;
    case EM__T_I16:
    case EM__T_I32:
    case EM__T_I64:
        return em__thrift_zigzag(r);
    default:
        em__thrift_fail(r, "expected an integer");
        return 0;
    }
}

int32_t em__thrift_i32(em__thrift_reader *r, int type)
{
    int64_t v = em__thrift_int(r, type);
    if (v < INT32_MIN || v > INT32_MAX) {
        em__thrift_fail(r, "integer out of range");
        return 0;
    }
    return (int32_t)v;
}

bool em__thrift_bool(em__thrift_reader *r, int type, bool element)
{
    if (!element) {
        if (type != EM__T_TRUE && type != EM__T_FALSE) em__thrift_fail(r, "expected a boolean");
        return type == EM__T_TRUE;
    }
    if (r->p >= r->end) {
        em__thrift_fail(r, "truncated boolean");
        return false;
    }
    /* Elements are one byte: 1 is true; writers disagree on false (0 or 2). */
    return *r->p++ == 1;
}

void em__thrift_list(em__thrift_reader *r, int *elem_type, int32_t *count)
{
    *elem_type = 0;
    *count = 0;
    if (r->p >= r->end) {
        em__thrift_fail(r, "truncated list header");
        return;
    }
    uint8_t b = *r->p++;
    int t = b & 0x0f;
    uint64_t n = b >> 4;
    if (n == 15) n = em__thrift_varint(r);
    if (r->bad) return;
    if (t == EM__T_STOP || t > EM__T_UUID) {
        em__thrift_fail(r, "invalid list element type");
        return;
    }
    if (n > (uint64_t)(r->end - r->p)) {
        em__thrift_fail(r, "list longer than its struct");
        return;
    }
    *elem_type = t;
    *count = (int32_t)n;
}

void em__thrift_struct_begin(em__thrift_reader *r)
{
    if (++r->depth > EM__THRIFT_MAX_DEPTH) em__thrift_fail(r, "structs nested too deeply");
}

void em__thrift_struct_end(em__thrift_reader *r)
{
    r->depth--;
}

static void skip_bytes(em__thrift_reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        em__thrift_fail(r, "truncated value");
        return;
    }
    r->p += n;
}

void em__thrift_skip(em__thrift_reader *r, int type)
{
    if (r->bad) return;
    switch (type) {
    case EM__T_TRUE:
    case EM__T_FALSE:
        /* A boolean field has no value; as an element it is one byte, which the
         * list loop below handles. */
        return;
    case EM__T_I8:
        skip_bytes(r, 1);
        return;
    case EM__T_I16:
    case EM__T_I32:
    case EM__T_I64:
        (void)em__thrift_varint(r);
        return;
    case EM__T_DOUBLE:
        skip_bytes(r, 8);
        return;
    case EM__T_UUID:
        skip_bytes(r, 16);
        return;
    case EM__T_BINARY: {
        int32_t n;
        (void)em__thrift_binary(r, &n);
        return;
    }
    case EM__T_LIST:
    case EM__T_SET: {
        int et;
        int32_t n;
        em__thrift_list(r, &et, &n);
        em__thrift_struct_begin(r);
        for (int32_t i = 0; i < n && !r->bad; i++) {
            if (et == EM__T_TRUE || et == EM__T_FALSE)
                skip_bytes(r, 1);
            else
                em__thrift_skip(r, et);
        }
        em__thrift_struct_end(r);
        return;
    }
    case EM__T_MAP: {
        uint64_t n = em__thrift_varint(r);
        if (r->bad || n == 0) return;
        if (r->p >= r->end || n > (uint64_t)(r->end - r->p)) {
            em__thrift_fail(r, "map longer than its struct");
            return;
        }
        uint8_t kv = *r->p++;
        int kt = kv >> 4, vt = kv & 0x0f;
        em__thrift_struct_begin(r);
        for (uint64_t i = 0; i < n && !r->bad; i++) {
            if (kt == EM__T_TRUE || kt == EM__T_FALSE)
                skip_bytes(r, 1);
            else
                em__thrift_skip(r, kt);
            if (vt == EM__T_TRUE || vt == EM__T_FALSE)
                skip_bytes(r, 1);
            else
                em__thrift_skip(r, vt);
        }
        em__thrift_struct_end(r);
        return;
    }
    case EM__T_STRUCT: {
        em__thrift_struct_begin(r);
        int16_t last = 0, id;
        int t;
        while (!r->bad && em__thrift_field(r, &last, &t, &id)) em__thrift_skip(r, t);
        em__thrift_struct_end(r);
        return;
    }
    default:
        em__thrift_fail(r, "unknown type");
        return;
    }
}

/* ---- writing -------------------------------------------------------------- */

void em__thrift_w_varint(em_strbuf *out, uint64_t v)
{
    char buf[10];
    int n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        buf[n++] = (char)(v ? b | 0x80 : b);
    } while (v);
    em_strbuf_append(out, buf, (size_t)n);
}

void em__thrift_w_zigzag(em_strbuf *out, int64_t v)
{
    em__thrift_w_varint(out, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void em__thrift_w_field(em_strbuf *out, int16_t *last, int type, int16_t id)
{
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        em_strbuf_putc(out, (char)(delta << 4 | type));
    } else {
        em_strbuf_putc(out, (char)type);
        em__thrift_w_zigzag(out, id);
    }
    *last = id;
}

void em__thrift_w_i32(em_strbuf *out, int16_t *last, int16_t id, int32_t v)
{
    em__thrift_w_field(out, last, EM__T_I32, id);
    em__thrift_w_zigzag(out, v);
}

void em__thrift_w_i64(em_strbuf *out, int16_t *last, int16_t id, int64_t v)
{
    em__thrift_w_field(out, last, EM__T_I64, id);
    em__thrift_w_zigzag(out, v);
}

void em__thrift_w_bool(em_strbuf *out, int16_t *last, int16_t id, bool v)
{
    em__thrift_w_field(out, last, v ? EM__T_TRUE : EM__T_FALSE, id);
}

void em__thrift_w_binary(em_strbuf *out, int16_t *last, int16_t id, const void *p, size_t n)
{
    em__thrift_w_field(out, last, EM__T_BINARY, id);
    em__thrift_w_varint(out, n);
    em_strbuf_append(out, p, n);
}

void em__thrift_w_string(em_strbuf *out, int16_t *last, int16_t id, const char *s)
{
    em__thrift_w_binary(out, last, id, s, strlen(s));
}

void em__thrift_w_list_header(em_strbuf *out, int elem_type, int32_t count)
{
    if (count < 15) {
        em_strbuf_putc(out, (char)(count << 4 | elem_type));
    } else {
        em_strbuf_putc(out, (char)(0xf0 | elem_type));
        em__thrift_w_varint(out, (uint64_t)count);
    }
}

void em__thrift_w_list(em_strbuf *out, int16_t *last, int16_t id, int elem_type, int32_t count)
{
    em__thrift_w_field(out, last, EM__T_LIST, id);
    em__thrift_w_list_header(out, elem_type, count);
}

void em__thrift_w_struct(em_strbuf *out, int16_t *last, int16_t id)
{
    em__thrift_w_field(out, last, EM__T_STRUCT, id);
}

void em__thrift_w_stop(em_strbuf *out)
{
    em_strbuf_putc(out, 0);
}

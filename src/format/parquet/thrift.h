/*
 * thrift.h — the Thrift compact protocol, as Parquet uses it for its footer and
 * page headers: ULEB128 varints, zigzag integers, structs as field-id deltas
 * plus type nibbles, lists, maps, binary strings, and skipping of fields a
 * decoder does not know (newer writers add fields all the time).
 *
 * The reader never reads past its end and never recurses without bound: any
 * malformed input sets a sticky `bad` flag and every later read returns zero,
 * so a decoder can read a whole struct and check the flag once.
 */
#ifndef EM_PARQUET_THRIFT_H
#define EM_PARQUET_THRIFT_H

#include "common/common.h"

/* Compact protocol type codes (field headers; list elements use the same codes
 * except that booleans are 1 or 2 and one byte each). */
enum {
    EM__T_STOP = 0,
    EM__T_TRUE = 1,
    EM__T_FALSE = 2,
    EM__T_I8 = 3,
    EM__T_I16 = 4,
    EM__T_I32 = 5,
    EM__T_I64 = 6,
    EM__T_DOUBLE = 7,
    EM__T_BINARY = 8,
    EM__T_LIST = 9,
    EM__T_SET = 10,
    EM__T_MAP = 11,
    EM__T_STRUCT = 12,
    EM__T_UUID = 13,
};

/* Deeper nesting than this is treated as corrupt (Parquet's metadata nests
 * about six levels). */
#define EM__THRIFT_MAX_DEPTH 32

typedef struct em__thrift_reader {
    const uint8_t *p;
    const uint8_t *end;
    int depth;
    bool bad;
    const char *why; /* first problem found, for error messages */
} em__thrift_reader;

void em__thrift_reader_init(em__thrift_reader *r, const void *data, size_t n);
/* Mark the input malformed (keeps the first reason). */
void em__thrift_fail(em__thrift_reader *r, const char *why);

uint64_t em__thrift_varint(em__thrift_reader *r);
int64_t em__thrift_zigzag(em__thrift_reader *r);
double em__thrift_double(em__thrift_reader *r);
/* A binary/string value: pointer into the input and its length. */
const uint8_t *em__thrift_binary(em__thrift_reader *r, int32_t *len);

/* The next field header of the current struct: returns false at STOP (or on
 * error). *last is the previous field id (0 at the start of a struct). For
 * boolean fields, type is EM__T_TRUE or EM__T_FALSE and there is no value. */
bool em__thrift_field(em__thrift_reader *r, int16_t *last, int *type, int16_t *id);
/* Integer field or element values of any integer type, range-checked. */
int64_t em__thrift_int(em__thrift_reader *r, int type);
int32_t em__thrift_i32(em__thrift_reader *r, int type);
/* A boolean field (from its header type) or list element (one byte). */
bool em__thrift_bool(em__thrift_reader *r, int type, bool element);
/* A list or set header: element type and count (checked against the bytes
 * left: every element takes at least one byte). */
void em__thrift_list(em__thrift_reader *r, int *elem_type, int32_t *count);
/* Enter / leave a nested struct (depth-limited); the caller keeps its own
 * field-id counter for each struct level. */
void em__thrift_struct_begin(em__thrift_reader *r);
void em__thrift_struct_end(em__thrift_reader *r);
/* Skip a value of the given type (a field's value or a list element). */
void em__thrift_skip(em__thrift_reader *r, int type);
/* Whether a value of field type `have` can be read as `want` (the integer
 * types widen; booleans are either TRUE or FALSE). */
bool em__thrift_type_ok(int have, int want);

/* ---- writing -------------------------------------------------------------- */

void em__thrift_w_varint(em_strbuf *out, uint64_t v);
void em__thrift_w_zigzag(em_strbuf *out, int64_t v);
/* A field header; *last is updated. */
void em__thrift_w_field(em_strbuf *out, int16_t *last, int type, int16_t id);
void em__thrift_w_i32(em_strbuf *out, int16_t *last, int16_t id, int32_t v);
void em__thrift_w_i64(em_strbuf *out, int16_t *last, int16_t id, int64_t v);
void em__thrift_w_bool(em_strbuf *out, int16_t *last, int16_t id, bool v);
void em__thrift_w_binary(em_strbuf *out, int16_t *last, int16_t id, const void *p, size_t n);
void em__thrift_w_string(em_strbuf *out, int16_t *last, int16_t id, const char *s);
/* Field header of a list followed by the list header. */
void em__thrift_w_list(em_strbuf *out, int16_t *last, int16_t id, int elem_type, int32_t count);
/* A list header alone (for lists nested in lists). */
void em__thrift_w_list_header(em_strbuf *out, int elem_type, int32_t count);
/* Field header of a struct; the caller writes its fields with a fresh counter
 * and ends it with em__thrift_w_stop. */
void em__thrift_w_struct(em_strbuf *out, int16_t *last, int16_t id);
void em__thrift_w_stop(em_strbuf *out);

#endif

/*
 * json.h — internals of the JSON reader: a validating, allocation-free
 * tokenizer for flat objects, a key index, inference and the split reader.
 *
 * Files are JSON lines (one object per line; blank lines skipped) or one
 * top-level array of objects. Each top-level object is a row; its members are
 * columns by key (case-insensitive, first spelling wins). Nested objects and
 * arrays are kept as their JSON text. Strings are validated (escapes,
 * surrogate pairs, no raw control characters) while scanning but unescaped
 * only when their value is used.
 */
#ifndef EM_JSON_H
#define EM_JSON_H

#include "format/internal.h"
#include "os/os.h"

typedef enum em__json_kind {
    EM__JSON_NULL = 0,
    EM__JSON_TRUE,
    EM__JSON_FALSE,
    EM__JSON_INT,    /* a number without fraction or exponent */
    EM__JSON_FLOAT,  /* a number with either */
    EM__JSON_STRING, /* p/n: the raw content between the quotes */
    EM__JSON_NESTED, /* p/n: the object's or array's text */
} em__json_kind;

typedef struct em__json_member {
    const char *key; /* raw content between the quotes */
    int64_t key_n;
    const char *p; /* see em__json_kind */
    int64_t n;
    uint8_t kind;
    bool key_escaped;
    bool escaped; /* the string value contains backslash escapes */
} em__json_member;

typedef struct em__json_parser {
    const char *path;
    const char *base; /* the whole file, for error positions */
    const char *end;
    em__json_member *m; /* members of the last object */
    int nm;
    int cap;
    char *scratch; /* the last unescaped string */
    size_t scap;
} em__json_parser;

void em__json_init(em__json_parser *jp, const char *path, const char *base, int64_t size);
void em__json_release(em__json_parser *jp);

static inline bool em__json_is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
static inline const char *em__json_skip_ws(const char *p, const char *end)
{
    while (p < end && em__json_is_ws(*p)) p++;
    return p;
}

/* Parse the object at *pos (which must point at '{') into jp->m; *pos moves
 * past its closing brace. */
int em__json_object(em__json_parser *jp, const char **pos, em_error *err);
/* The unescaped text of a validated string's raw content; valid until the
 * next call. */
const char *em__json_unescape(em__json_parser *jp, const char *p, int64_t n, int64_t *out_n);
/* "path:line:col: invalid JSON: msg" for the byte at `at`. */
int em__json_error(const em__json_parser *jp, const char *at, const char *msg, em_error *err);

/* ---- key index (case-insensitive) --------------------------------------- */

typedef struct em__json_keys {
    int *table; /* column index + 1; 0 = empty */
    int mask;
    int n;
    char **names; /* borrowed */
} em__json_keys;

void em__json_keys_init(em__json_keys *ix);
void em__json_keys_release(em__json_keys *ix);
/* Register names[col]; `names` must stay valid (it may be reallocated: pass the
 * current array each time). */
void em__json_keys_add(em__json_keys *ix, char **names, int col);
int em__json_keys_find(const em__json_keys *ix, const char *key, size_t n);

/* ---- layout ------------------------------------------------------------- */

/* Where the data of a mapped file starts (after a BOM and blanks) and whether
 * it is one top-level array. */
void em__json_layout(const char *base, int64_t size, int64_t *start, bool *array);

/* ---- records ------------------------------------------------------------ */

/* Walks the top-level objects of one file (or one split of a JSON lines file). */
typedef struct em__json_iter {
    em__json_parser jp;
    const char *pos;
    const char *stop; /* lines mode: objects starting at or after this are not ours */
    bool array;
    int state; /* array mode: 0 before '[', 1 before the first element, 2 after one, 3 done */
} em__json_iter;

/* Iterate [start, stop) of a mapped file; array mode when the file is one array. */
void em__json_iter_init(em__json_iter *it, const char *path, const char *base, int64_t size,
                        int64_t start, int64_t stop, bool array);
void em__json_iter_release(em__json_iter *it);
/* 1 with it->jp.m holding the next object (*rec: where it starts), 0 at the end. */
int em__json_iter_next(em__json_iter *it, const char **rec, em_error *err);

/* ---- bind and read ------------------------------------------------------ */

/* Infer a schema from the first sample_size objects (<= 0: all) across files. */
int em__json_sniff(const em_scan_desc *desc, int64_t sample_size, em_schema **schema,
                   em_error *err);
int em__json_open(const em_scan_desc *desc, int split, const int *cols, int ncols, void **out,
                  em_error *err);
int em__json_next(void *reader, em_batch **out, em_error *err);
void em__json_close(void *reader);

#endif

/*
 * str_split.h — splitting one string into pieces (internal to exec/): at each
 * occurrence of a literal delimiter, into its characters, or at each match of
 * a regular expression. The unnest operator (op_unnest.c) uses it.
 */
#ifndef EM_EXEC_STR_SPLIT_H
#define EM_EXEC_STR_SPLIT_H

#include <regex.h>

#include "common/common.h"

typedef enum em__split_mode {
    EM__SPLIT_WHOLE,   /* the string is one piece */
    EM__SPLIT_CHARS,   /* one piece per UTF-8 character */
    EM__SPLIT_LITERAL, /* at each occurrence of `lit` */
    EM__SPLIT_CLASS,   /* at each byte of `cls` (run: at each maximal run of them) */
    EM__SPLIT_REGEX,   /* at each match of `re` (POSIX, with PostgreSQL's escapes) */
} em__split_mode;

/* How to split. WHOLE, CHARS and LITERAL need no compiling (lit points at the
 * caller's bytes); a regular expression is compiled by em__splitter_regex and
 * keeps its pattern and flags (key) so that a caller can reuse it while the
 * pattern stays the same. */
typedef struct em__splitter {
    em__split_mode mode;
    const char *lit; /* LITERAL */
    int32_t lit_len;
    bool run;         /* CLASS: split at runs (x+), not at single bytes */
    uint8_t cls[256]; /* CLASS: 1 for the delimiter bytes */
    regex_t re;       /* REGEX */
    bool has_re;
    char *key; /* regular expressions: pattern bytes, then flag bytes */
    int32_t key_len, flags_len;
    char *owned; /* a literal unescaped from a pattern */
} em__splitter;

/* The pieces of one string: pos[2k], pos[2k+1] are piece k's start and end. */
typedef struct em__pieces {
    int32_t *pos;
    int64_t n;
    int64_t cap;
    char *text; /* REGEX: the string, NUL-terminated for the C library */
    int64_t text_cap;
} em__pieces;

/* A splitter that needs no compiling: WHOLE, CHARS, or LITERAL at delim[0, len)
 * (len > 0; the bytes are not copied). */
void em__splitter_simple(em__splitter *s, em__split_mode mode, const char *delim, int32_t len);
/* Split at matches of a regular expression: PostgreSQL's syntax for the usual
 * cases (classes, escapes such as \s, +), flags "i" and "c". EM_EINVAL or
 * EM_EUNSUPPORTED with a message when the pattern cannot be used; s needs
 * em__splitter_release either way. */
int em__splitter_regex(em__splitter *s, const char *pattern, int32_t len, const char *flags,
                       int32_t flags_len, em_error *err) EM_MUST_CHECK;
/* True when s was compiled from exactly this pattern and these flags. */
bool em__splitter_is(const em__splitter *s, const char *pattern, int32_t len, const char *flags,
                     int32_t flags_len);
void em__splitter_release(em__splitter *s);

/* Split p[0, len) into out (emptied first). An empty string gives one empty
 * piece, as in DuckDB and PostgreSQL's regexp_split_to_table. */
void em__split(const em__splitter *s, const char *p, int32_t len, em__pieces *out);
void em__pieces_release(em__pieces *p);

#endif

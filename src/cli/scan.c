/*
 * scan.c — where does a statement end? The REPL reads line by line and runs
 * what it has once a line completes a statement, so it needs to know which
 * semicolons are real terminators. This is a small lexer that understands just
 * enough of PostgreSQL's lexical rules (quotes, comments, dollar quoting) to
 * skip the semicolons inside them; the parser does the real work later.
 */
#include "cli/cli.h"

#include <string.h>

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (unsigned char)c >= 0x80;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skip a quoted token starting at s[i] (the opening quote). Returns the offset
 * past the closing quote, or n when the text ends inside it. A doubled quote
 * is an escaped quote; with `backslash`, so is \ followed by anything. */
static size_t skip_quoted(const char *s, size_t n, size_t i, char quote, bool backslash)
{
    for (i++; i < n; i++) {
        if (backslash && s[i] == '\\') {
            i++;
        } else if (s[i] == quote) {
            if (i + 1 < n && s[i + 1] == quote) {
                i++;
            } else {
                return i + 1;
            }
        }
    }
    return n;
}

/* If s[i] == '$' opens a dollar quote ($$ or $tag$), return the delimiter's
 * length, else 0 ($1 is a parameter, a$b an identifier). */
static size_t dollar_delimiter(const char *s, size_t n, size_t i)
{
    if (i > 0 && (is_ident_char(s[i - 1]) || s[i - 1] == '$')) return 0;
    size_t j = i + 1;
    if (j < n && s[j] >= '0' && s[j] <= '9') return 0;
    while (j < n && is_ident_char(s[j])) j++;
    return j < n && s[j] == '$' ? j - i + 1 : 0;
}

em_cli_scan em_cli_scan_statements(const char *s, size_t n)
{
    em_cli_scan res = {0, true};
    bool blank = true; /* nothing but blanks and comments since the last ';' */
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (is_space(c)) {
            i++;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-') {
            while (i < n && s[i] != '\n') i++;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            /* Block comments nest in PostgreSQL. */
            int depth = 0;
            while (i < n) {
                if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
                    i += 2;
                    if (--depth == 0) break;
                } else {
                    i++;
                }
            }
            if (depth > 0) blank = false; /* unterminated: more input needed */
        } else if (c == '\'') {
            bool escapes = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
                           (i < 2 || !is_ident_char(s[i - 2]));
            size_t end = skip_quoted(s, n, i, '\'', escapes);
            blank = false;
            i = end;
        } else if (c == '"') {
            blank = false;
            i = skip_quoted(s, n, i, '"', false);
        } else if (c == '$' && dollar_delimiter(s, n, i) > 0) {
            size_t dl = dollar_delimiter(s, n, i);
            size_t j = i + dl;
            blank = false;
            while (j + dl <= n && memcmp(s + j, s + i, dl) != 0) j++;
            i = j + dl <= n ? j + dl : n;
        } else if (c == ';') {
            res.end = i + 1;
            blank = true;
            i++;
        } else {
            blank = false;
            i++;
        }
    }
    res.tail_blank = blank;
    return res;
}

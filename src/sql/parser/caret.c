/*
 * caret.c — psql-style rendering of an error position:
 *
 *   LINE 2: SELEC x FROM t
 *           ^
 *
 * The caret line repeats tabs where the source line has them, so that it
 * lines up under any tab width, and counts a multi-byte UTF-8 character as
 * one column. Like psql, a line longer than 60 characters is cut to a
 * 60-character window around the position, with "..." marking each cut, and
 * the window keeps 10 characters after the caret when the line has them.
 */
#include <stdio.h>
#include <string.h>

#include "sql/parser/parser.h"

#define CARET_WINDOW 60
#define CARET_RIGHT_MARGIN 10

static bool is_lead_byte(char c)
{
    return ((unsigned char)c & 0xC0) != 0x80;
}

/* Byte offset of character `k` of s[0..n) (n when k is past the end). */
static size_t char_offset(const char *s, size_t n, size_t k)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_lead_byte(s[i])) continue;
        if (chars == k) return i;
        chars++;
    }
    return n;
}

static size_t char_count(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += is_lead_byte(s[i]);
    return chars;
}

void em_parse_format_caret(const char *sql, int pos, em_strbuf *out)
{
    if (sql == NULL || out == NULL || pos <= 0) return;
    size_t len = strlen(sql);
    size_t off = (size_t)pos - 1;
    if (off > len) off = len; /* "at end of input" points just past the text */

    size_t line_start = off;
    while (line_start > 0 && sql[line_start - 1] != '\n') line_start--;
    size_t line_end = off;
    while (line_end < len && sql[line_end] != '\n') line_end++;
    if (line_end > line_start && sql[line_end - 1] == '\r') line_end--;
    if (off > line_end) off = line_end;
    int lineno = 1;
    for (size_t i = 0; i < line_start; i++)
        if (sql[i] == '\n') lineno++;

    /* Work in characters: the window and the caret column count them. */
    const char *line = sql + line_start;
    size_t nbytes = line_end - line_start;
    size_t nchars = char_count(line, nbytes);
    size_t caret = char_count(line, off - line_start);
    size_t first = 0, last = nchars; /* shown characters [first, last) */
    if (nchars > CARET_WINDOW) {
        if (caret + CARET_RIGHT_MARGIN < CARET_WINDOW) {
            last = CARET_WINDOW;
        } else {
            last = EM_MIN(nchars, caret + CARET_RIGHT_MARGIN);
            first = last > CARET_WINDOW ? last - CARET_WINDOW : 0;
        }
    }
    bool cut_left = first > 0, cut_right = last < nchars;
    size_t from = char_offset(line, nbytes, first);
    size_t to = char_offset(line, nbytes, last);

    char prefix[32];
    int plen = snprintf(prefix, sizeof(prefix), "LINE %d: ", lineno);
    em_strbuf_append(out, prefix, (size_t)plen);
    if (cut_left) em_strbuf_puts(out, "...");
    em_strbuf_append(out, line + from, to - from);
    if (cut_right) em_strbuf_puts(out, "...");
    em_strbuf_putc(out, '\n');

    for (int i = 0; i < plen + (cut_left ? 3 : 0); i++) em_strbuf_putc(out, ' ');
    for (size_t i = from; i < off - line_start; i++) {
        if (line[i] == '\t')
            em_strbuf_putc(out, '\t');
        else if (is_lead_byte(line[i]))
            em_strbuf_putc(out, ' ');
    }
    em_strbuf_puts(out, "^\n");
}

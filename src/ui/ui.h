/*
 * ui.h — printing query results for people (an aligned box) and for other
 * programs (CSV, JSON).
 *
 * The printers work on an em_ui_rows, a read-only view of a rectangular table
 * of text values, so that they serve engine results (em_ui_print_result) and
 * plain arrays alike (the unit tests, the slt runner's reports).
 */
#ifndef EM_UI_H
#define EM_UI_H

#include <stdio.h>

#include "common/common.h"

typedef enum em_ui_format {
    EM_UI_TABLE = 0, /* aligned box with names, types and a "(N rows)" footer */
    EM_UI_CSV,       /* RFC 4180: header line, quoting when needed, NULL as empty */
    EM_UI_JSON,      /* one array of objects, numbers and booleans unquoted */
} em_ui_format;

/* "table", "csv" or "json" (case-insensitive); -1 when the name is unknown. */
int em_ui_format_parse(const char *name, em_ui_format *out);
const char *em_ui_format_name(em_ui_format fmt);

/* A view of a table: column names, SQL type names ("BIGINT", "DECIMAL(12,2)")
 * and values as text, NULL for SQL NULL. Pointers returned by the callbacks
 * must stay valid until the next call. */
typedef struct em_ui_rows {
    int ncols;
    int64_t nrows;
    void *ctx;
    const char *(*name)(void *ctx, int col);
    const char *(*type)(void *ctx, int col);
    const char *(*value)(void *ctx, int64_t row, int col);
} em_ui_rows;

/* Print the table in the given format. Returns 0, or EM_EIO when writing to f
 * failed (errno tells why). */
int em_ui_print_rows(FILE *f, const em_ui_rows *rows, em_ui_format fmt);

/* Print an engine result (every row) in the given format. */
int em_ui_print_result(FILE *f, em_result *r, em_ui_format fmt);

/* Terminal columns taken by the UTF-8 text s[0..n): one per code point, except
 * combining marks (zero) and East Asian wide characters (two). Bytes that are
 * not valid UTF-8 count one each. */
size_t em_ui_display_width(const char *s, size_t n);

/* Whether a SQL type name denotes a number (numbers are right-aligned in
 * tables and unquoted in JSON). */
bool em_ui_type_is_numeric(const char *type);

#endif

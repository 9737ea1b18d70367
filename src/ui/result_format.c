/*
 * result_format.c — the three result printers behind `ember sql --format`:
 * an aligned box for terminals, RFC 4180 CSV and a JSON array of objects.
 *
 * Every printer reads values as text through an em_ui_rows view; the table
 * printer makes two passes (widths first, then the rows), so it never copies
 * the result.
 */
#include "ui/ui.h"

#include <string.h>

int em_ui_format_parse(const char *name, em_ui_format *out)
{
    static const struct {
        const char *name;
        em_ui_format fmt;
    } names[] = {{"table", EM_UI_TABLE}, {"csv", EM_UI_CSV}, {"json", EM_UI_JSON}};
    for (size_t i = 0; i < EM_ARRAY_LEN(names); i++) {
        if (em_str_ieq(name, names[i].name)) {
            *out = names[i].fmt;
            return 0;
        }
    }
    return -1;
}

const char *em_ui_format_name(em_ui_format fmt)
{
    switch (fmt) {
    case EM_UI_TABLE:
        return "table";
    case EM_UI_CSV:
        return "csv";
    case EM_UI_JSON:
        return "json";
    }
    return "?";
}

bool em_ui_type_is_numeric(const char *type)
{
    static const char *const numeric[] = {"tinyint", "smallint", "integer", "int",  "bigint",
                                          "hugeint", "double",   "float",   "real", "decimal",
                                          "numeric", "int2",     "int4",    "int8", "float4",
                                          "float8",  "ubigint",  "uinteger"};
    if (type == NULL) return false;
    /* Compare the base name only: "DECIMAL(12,2)" is a DECIMAL. */
    char base[16];
    size_t n = 0;
    while (type[n] != '\0' && type[n] != '(' && type[n] != ' ') {
        if (n + 1 >= sizeof(base)) return false;
        char c = type[n];
        base[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    base[n] = '\0';
    for (size_t i = 0; i < EM_ARRAY_LEN(numeric); i++) {
        if (strcmp(base, numeric[i]) == 0) return true;
    }
    return false;
}

/* ---- UTF-8 ------------------------------------------------------------- */

/* Decode one code point from s[0..n) (n >= 1). Returns the bytes consumed;
 * malformed or truncated sequences consume one byte and yield U+FFFD with
 * *valid = false. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp, bool *valid)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        *valid = true;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        goto bad;
    }
    if (len > n) goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
    *cp = v;
    *valid = true;
    return len;
bad:
    *cp = 0xFFFD;
    *valid = false;
    return 1;
}

static int codepoint_width(uint32_t cp)
{
    /* Combining marks and zero-width characters occupy no column. */
    static const uint32_t zero[][2] = {
        {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
        {0x0E31, 0x0E31}, {0x0E34, 0x0E3A}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
        {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}};
    /* East Asian wide and fullwidth ranges, and the common emoji blocks. */
    static const uint32_t wide[][2] = {{0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
                                       {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
                                       {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},
                                       {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
                                       {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};
    if (cp < 0x300) return 1;
    for (size_t i = 0; i < EM_ARRAY_LEN(zero); i++) {
        if (cp >= zero[i][0] && cp <= zero[i][1]) return 0;
    }
    for (size_t i = 0; i < EM_ARRAY_LEN(wide); i++) {
        if (cp >= wide[i][0] && cp <= wide[i][1]) return 2;
    }
    return 1;
}

size_t em_ui_display_width(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t width = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        bool valid;
        i += utf8_decode(p + i, n - i, &cp, &valid);
        width += valid ? (size_t)codepoint_width(cp) : 1;
    }
    return width;
}

/* ---- table ------------------------------------------------------------- */

/* Control characters would break the box, so table cells show them escaped:
 * \n, \r, \t, or \xNN. */
static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

static size_t cell_width(const char *s)
{
    size_t width = 0, run = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_control(c)) continue;
        width += em_ui_display_width(s + run, i - run);
        width += (c == '\n' || c == '\r' || c == '\t') ? 2 : 4;
        run = i + 1;
    }
    return width + em_ui_display_width(s + run, len - run);
}

static void put_cell_text(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (!is_control(c)) continue;
        fwrite(run, 1, (size_t)(p - run), f);
        if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\r') {
            fputs("\\r", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            fwrite(esc, 1, 4, f);
        }
        run = p + 1;
    }
    fputs(run, f);
}

static void put_repeat(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) fputs(s, f);
}

typedef enum { ALIGN_LEFT, ALIGN_RIGHT, ALIGN_CENTER } align;

static void put_padded(FILE *f, const char *text, size_t width, size_t col_width, align a)
{
    size_t pad = col_width > width ? col_width - width : 0;
    size_t left = a == ALIGN_RIGHT ? pad : a == ALIGN_CENTER ? pad / 2 : 0;
    put_repeat(f, " ", left);
    put_cell_text(f, text);
    put_repeat(f, " ", pad - left);
}

static void put_rule(FILE *f, const size_t *widths, int ncols, const char *l, const char *m,
                     const char *r)
{
    fputs(l, f);
    for (int c = 0; c < ncols; c++) {
        if (c > 0) fputs(m, f);
        put_repeat(f, "─", widths[c] + 2);
    }
    fputs(r, f);
    fputc('\n', f);
}

static const char *safe_text(const char *s)
{
    return s != NULL ? s : "";
}

static void print_table(FILE *f, const em_ui_rows *rows)
{
    int ncols = rows->ncols;
    size_t *widths = em_calloc((size_t)ncols, sizeof(size_t));
    bool *numeric = em_calloc((size_t)ncols, sizeof(bool));
    for (int c = 0; c < ncols; c++) {
        const char *type = safe_text(rows->type(rows->ctx, c));
        numeric[c] = em_ui_type_is_numeric(type);
        widths[c] = EM_MAX(cell_width(safe_text(rows->name(rows->ctx, c))), cell_width(type));
    }
    for (int64_t r = 0; r < rows->nrows; r++) {
        for (int c = 0; c < ncols; c++) {
            const char *v = rows->value(rows->ctx, r, c);
            widths[c] = EM_MAX(widths[c], v != NULL ? cell_width(v) : 4);
        }
    }

    put_rule(f, widths, ncols, "┌", "┬", "┐");
    for (int line = 0; line < 2; line++) {
        fputs("│", f);
        for (int c = 0; c < ncols; c++) {
            const char *text =
                safe_text(line == 0 ? rows->name(rows->ctx, c) : rows->type(rows->ctx, c));
            fputc(' ', f);
            put_padded(f, text, cell_width(text), widths[c], ALIGN_CENTER);
            fputs(" │", f);
        }
        fputc('\n', f);
    }
    put_rule(f, widths, ncols, "├", "┼", "┤");
    for (int64_t r = 0; r < rows->nrows; r++) {
        fputs("│", f);
        for (int c = 0; c < ncols; c++) {
            const char *v = rows->value(rows->ctx, r, c);
            const char *text = v != NULL ? v : "NULL";
            fputc(' ', f);
            put_padded(f, text, cell_width(text), widths[c], numeric[c] ? ALIGN_RIGHT : ALIGN_LEFT);
            fputs(" │", f);
        }
        fputc('\n', f);
    }
    put_rule(f, widths, ncols, "└", "┴", "┘");
    fprintf(f, "(%lld row%s)\n", (long long)rows->nrows, rows->nrows == 1 ? "" : "s");
    em_free(widths);
    em_free(numeric);
}

/* ---- CSV --------------------------------------------------------------- */

static void put_csv_field(FILE *f, const char *s)
{
    /* An empty string is quoted so that it differs from NULL (an empty field). */
    if (s[0] != '\0' && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

static void print_csv(FILE *f, const em_ui_rows *rows)
{
    for (int c = 0; c < rows->ncols; c++) {
        if (c > 0) fputc(',', f);
        put_csv_field(f, safe_text(rows->name(rows->ctx, c)));
    }
    fputc('\n', f);
    for (int64_t r = 0; r < rows->nrows; r++) {
        for (int c = 0; c < rows->ncols; c++) {
            if (c > 0) fputc(',', f);
            const char *v = rows->value(rows->ctx, r, c);
            if (v != NULL) put_csv_field(f, v);
        }
        fputc('\n', f);
    }
}

/* ---- JSON -------------------------------------------------------------- */

static void put_json_string(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c < 0x20) {
            const char *esc = c == '\n'   ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                              : c == '\b' ? "\\b"
                              : c == '\f' ? "\\f"
                                          : NULL;
            if (esc != NULL) {
                fputs(esc, f);
            } else {
                char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                fwrite(u, 1, 6, f);
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            /* JSON must be valid UTF-8: replace malformed bytes with U+FFFD. */
            uint32_t cp;
            bool valid;
            size_t len = utf8_decode(p + i, n - i, &cp, &valid);
            if (valid) {
                fwrite(p + i, 1, len, f);
            } else {
                fputs("\\ufffd", f);
            }
            i += len;
        }
    }
    fputc('"', f);
}

/* The JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *s)
{
    const char *p = s;
    if (*p == '-') p++;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (*p >= '0' && *p <= '9') p++;
    } else {
        return false;
    }
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') p++;
    }
    return *p == '\0';
}

static void put_json_value(FILE *f, const char *v, const char *type, bool numeric)
{
    if (v == NULL) {
        fputs("null", f);
    } else if (numeric && is_json_number(v)) {
        fputs(v, f);
    } else if (type != NULL && em_str_ieq(type, "BOOLEAN") &&
               (em_str_ieq(v, "true") || em_str_ieq(v, "false"))) {
        fputs(em_str_ieq(v, "true") ? "true" : "false", f);
    } else {
        /* Non-finite doubles ("inf", "nan") have no JSON literal: keep them as text. */
        put_json_string(f, v);
    }
}

static void print_json(FILE *f, const em_ui_rows *rows)
{
    if (rows->nrows == 0) {
        fputs("[]\n", f);
        return;
    }
    bool *numeric = em_calloc((size_t)EM_MAX(rows->ncols, 1), sizeof(bool));
    for (int c = 0; c < rows->ncols; c++) {
        numeric[c] = em_ui_type_is_numeric(rows->type(rows->ctx, c));
    }
    fputs("[\n", f);
    for (int64_t r = 0; r < rows->nrows; r++) {
        fputc('{', f);
        for (int c = 0; c < rows->ncols; c++) {
            if (c > 0) fputc(',', f);
            put_json_string(f, safe_text(rows->name(rows->ctx, c)));
            fputc(':', f);
            put_json_value(f, rows->value(rows->ctx, r, c), rows->type(rows->ctx, c), numeric[c]);
        }
        fputs(r + 1 < rows->nrows ? "},\n" : "}\n", f);
    }
    fputs("]\n", f);
    em_free(numeric);
}

int em_ui_print_rows(FILE *f, const em_ui_rows *rows, em_ui_format fmt)
{
    if (rows->ncols <= 0) return 0;
    switch (fmt) {
    case EM_UI_TABLE:
        print_table(f, rows);
        break;
    case EM_UI_CSV:
        print_csv(f, rows);
        break;
    case EM_UI_JSON:
        print_json(f, rows);
        break;
    }
    if (fflush(f) != 0 || ferror(f)) return EM_EIO;
    return 0;
}

/* ---- engine results ---------------------------------------------------- */

static const char *result_name(void *ctx, int col)
{
    return em_result_column_name(ctx, col);
}

static const char *result_type(void *ctx, int col)
{
    return em_result_column_type(ctx, col);
}

static const char *result_value(void *ctx, int64_t row, int col)
{
    return em_result_string(ctx, row, col);
}

int em_ui_print_result(FILE *f, em_result *r, em_ui_format fmt)
{
    em_ui_rows rows = {
        .ncols = em_result_column_count(r),
        .nrows = em_result_row_count(r),
        .ctx = r,
        .name = result_name,
        .type = result_type,
        .value = result_value,
    };
    return em_ui_print_rows(f, &rows, fmt);
}

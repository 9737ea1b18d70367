/*
 * path_rewrite.c — DuckDB-style `FROM 'file.csv'` on top of PostgreSQL's
 * grammar, which only accepts a name where a table belongs.
 *
 * Before parsing, the text is run through libpg_query's scanner. A plain
 * single-quoted string that directly follows FROM or JOIN, or a comma of a
 * FROM list, has its two quotes replaced by double quotes in a copy of the
 * text: the grammar then sees a quoted identifier, i.e. a table name. The
 * copy has the same length, so every location the parser reports is valid in
 * the caller's text too. Each rewrite is recorded (offset and the string's
 * real value) so that the translator can mark the resulting table reference
 * as a path; the recorded value is used instead of the identifier because
 * PostgreSQL truncates identifiers to 63 bytes.
 *
 * Deciding "where a table belongs" needs a little context, tracked per
 * parenthesis level: FROM only opens a FROM list at a level that holds a
 * SELECT (this keeps EXTRACT(x FROM '...'), substring(s FROM ...), COPY t FROM
 * 'file' and IS DISTINCT FROM '...' out), and the list ends at the keywords
 * that start the next clause, at the level's closing parenthesis or at a
 * semicolon; a parenthesized join continues it. Comments are skipped. The token list is also kept
 * for later look-ups (COPY options need to know whether a value was quoted).
 */
#include <stdlib.h>
#include <string.h>

#include "sql/parser/parser_internal.h"

typedef struct level {
    bool has_select; /* a SELECT keyword appeared at this level */
    bool in_from;    /* inside that SELECT's FROM list */
} level;

static bool ends_from_list(int kind)
{
    switch (kind) {
    case PG_QUERY__TOKEN__WHERE:
    case PG_QUERY__TOKEN__GROUP_P:
    case PG_QUERY__TOKEN__HAVING:
    case PG_QUERY__TOKEN__ORDER:
    case PG_QUERY__TOKEN__LIMIT:
    case PG_QUERY__TOKEN__OFFSET:
    case PG_QUERY__TOKEN__FETCH:
    case PG_QUERY__TOKEN__UNION:
    case PG_QUERY__TOKEN__INTERSECT:
    case PG_QUERY__TOKEN__EXCEPT:
    case PG_QUERY__TOKEN__WINDOW:
    case PG_QUERY__TOKEN__FOR:
    case PG_QUERY__TOKEN__RETURNING:
    case PG_QUERY__TOKEN__VALUES:
        return true;
    default:
        return false;
    }
}

/* Undo the quoting of a plain '...' literal into the arena. A token whose
 * text is not exactly one quoted string (a string continued on the next
 * line: 'a'\n'b') is refused rather than guessed at. */
static int decode_path(em__pctx *c, int start, int end, const char **out)
{
    const char *s = c->sql;
    char *buf = em_arena_alloc(c->arena, (size_t)(end - start) + 1);
    size_t n = 0;
    int i = start + 1;
    for (;;) {
        if (i >= end) return em__error_at(c, EM_ESYNTAX, start, "unterminated file path string");
        if (s[i] == '\'') {
            if (i + 1 < end && s[i + 1] == '\'') {
                buf[n++] = '\'';
                i += 2;
                continue;
            }
            if (i + 1 != end)
                return em__unsupported(c, start,
                                       "a file path in FROM written as several string pieces");
            break;
        }
        if (s[i] == '"')
            return em__unsupported(c, start,
                                   "a file path in FROM containing a double quote character");
        buf[n++] = s[i++];
    }
    buf[n] = '\0';
    if (n == 0) return em__error_at(c, EM_ESYNTAX, start, "empty file path in FROM");
    *out = buf;
    return 0;
}

static int add_path(em__pctx *c, int start, int end, int *cap)
{
    const char *text = c->sql + start;
    if (text[0] != '\'')
        return em__unsupported(c, start,
                               "a file path in FROM must be a plain single-quoted string");
    const char *value = NULL;
    EM_TRY(decode_path(c, start, end, &value));
    if (c->npaths == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        c->paths = em_realloc(c->paths, (size_t)*cap * sizeof(*c->paths));
    }
    c->paths[c->npaths++] = (em__path){start, end, value, false};
    return 0;
}

/* Walk the tokens and record the paths; the state machine is described at
 * the top of the file. */
static int find_paths(em__pctx *c)
{
    int cap = 0;
    int nlevels = 1;
    for (int i = 0; i < c->ntokens; i++)
        if (c->tokens[i].kind == PG_QUERY__TOKEN__ASCII_40) nlevels++;
    level *lv = em_calloc((size_t)nlevels, sizeof(level));
    int depth = 0;
    bool expect = false;
    int prev = 0;
    int rc = 0;
    for (int i = 0; i < c->ntokens && rc == 0; i++) {
        const em__token *t = &c->tokens[i];
        if (expect && t->kind == PG_QUERY__TOKEN__SCONST) {
            rc = add_path(c, t->start, t->end, &cap);
            expect = false;
            prev = t->kind;
            continue;
        }
        expect = false;
        level *L = &lv[depth];
        switch (t->kind) {
        case PG_QUERY__TOKEN__ASCII_40: { /* ( */
            /* A parenthesis opening a FROM item is a parenthesized join (or
               a subquery, whose SELECT resets the state): the FROM list
               continues inside it. */
            bool nested = L->in_from &&
                          (prev == PG_QUERY__TOKEN__FROM || prev == PG_QUERY__TOKEN__JOIN ||
                           prev == PG_QUERY__TOKEN__ASCII_44 || prev == PG_QUERY__TOKEN__ASCII_40);
            depth++;
            lv[depth] = (level){false, nested};
            expect = nested;
            break;
        }
        case PG_QUERY__TOKEN__ASCII_41: /* ) */
            if (depth > 0) depth--;
            break;
        case PG_QUERY__TOKEN__ASCII_59: /* ; */
            depth = 0;
            lv[0] = (level){false, false};
            break;
        case PG_QUERY__TOKEN__SELECT:
            L->has_select = true;
            L->in_from = false;
            break;
        case PG_QUERY__TOKEN__FROM:
            /* IS [NOT] DISTINCT FROM is a comparison: SELECT DISTINCT always
               has a target list, so DISTINCT directly before FROM is never
               the FROM clause. */
            if (L->has_select && prev != PG_QUERY__TOKEN__DISTINCT) {
                L->in_from = true;
                expect = true;
            }
            break;
        case PG_QUERY__TOKEN__JOIN:
        case PG_QUERY__TOKEN__ASCII_44: /* , */
            if (L->in_from) expect = true;
            break;
        default:
            if (ends_from_list(t->kind)) L->in_from = false;
            break;
        }
        prev = t->kind;
    }
    em_free(lv);
    return rc;
}

int em__rewrite_paths(em__pctx *c, const char *sql, char **rewritten)
{
    *rewritten = NULL;
    PgQueryScanResult scan = pg_query_scan(sql);
    if (scan.error != NULL) {
        /* The parser will report the same problem with its own message. */
        pg_query_free_scan_result(scan);
        return 0;
    }
    PgQuery__ScanResult *res =
        pg_query__scan_result__unpack(NULL, scan.pbuf.len, (const uint8_t *)scan.pbuf.data);
    if (res == NULL) {
        pg_query_free_scan_result(scan);
        return em_error_set(c->err, EM_EINTERNAL, "could not decode the SQL scanner's output");
    }
    c->tokens = em_malloc((res->n_tokens + 1) * sizeof(*c->tokens));
    c->ntokens = 0;
    for (size_t i = 0; i < res->n_tokens; i++) {
        const PgQuery__ScanToken *t = res->tokens[i];
        if (t->token == PG_QUERY__TOKEN__SQL_COMMENT || t->token == PG_QUERY__TOKEN__C_COMMENT)
            continue;
        c->tokens[c->ntokens++] = (em__token){t->start, t->end, (int)t->token};
    }
    pg_query__scan_result__free_unpacked(res, NULL);
    pg_query_free_scan_result(scan);

    EM_TRY(find_paths(c));
    if (c->npaths == 0) return 0;
    char *copy = em_strdup(sql);
    for (int i = 0; i < c->npaths; i++) {
        copy[c->paths[i].start] = '"';
        copy[c->paths[i].end - 1] = '"';
    }
    *rewritten = copy;
    return 0;
}

em__path *em__path_at(em__pctx *c, int location)
{
    for (int i = 0; i < c->npaths; i++)
        if (c->paths[i].start == location) return &c->paths[i];
    return NULL;
}

int em__token_at(const em__pctx *c, int location)
{
    /* Tokens are in text order: binary search on the start offset. */
    int lo = 0, hi = c->ntokens - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (c->tokens[mid].start == location) return mid;
        if (c->tokens[mid].start < location)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

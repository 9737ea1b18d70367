/*
 * parser.c — em_parse: rewrite FROM 'file' paths, run libpg_query's parser
 * into its protobuf tree, translate every statement into ember's AST and
 * free everything libpg_query allocated. Also the per-thread cleanup.
 */
#include <ctype.h>
#include <string.h>
#include <unistd.h>

#include "sql/parser/parser_internal.h"

/* libpg_query (15-4.0.0) keeps a memory context per thread. On threads other
 * than the main one it registers a thread-exit destructor that frees it, and
 * pg_query_exit() does not unregister that destructor: calling it on such a
 * thread frees the context twice when the thread ends. pg_query_exit() also
 * leaves the thread marked as initialised, so parsing again on that thread
 * afterwards uses freed memory. Both were observed under ASan. Hence the
 * cleanup only runs on the main thread (whose destructors do not run at
 * exit()), and a thread whose context was released refuses to parse again. */
static _Thread_local bool parsed_on_this_thread;
static _Thread_local bool released_on_this_thread;

static bool is_main_thread(void)
{
    return gettid() == getpid();
}

void em_parser_thread_cleanup(void)
{
    if (!parsed_on_this_thread || !is_main_thread()) return;
    pg_query_exit();
    parsed_on_this_thread = false;
    released_on_this_thread = true;
}

/* PostgreSQL's messages quote the offending token; when that token is a path
 * we double-quoted, quote what the user actually wrote instead. */
/* PostgreSQL reports error positions in characters (it counts with the
 * database encoding, UTF-8 here); ember's positions are bytes. */
static int char_to_byte_pos(const char *s, int cpos)
{
    if (cpos <= 0) return 0;
    int chars = 0;
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars == cpos) return (int)i + 1;
    }
    return (int)i + 1; /* past the end: "at end of input" */
}

static int syntax_error(em__pctx *c, const PgQueryError *e)
{
    int pos = char_to_byte_pos(c->sql, e->cursorpos); /* 1-based, 0 = unknown */
    const char *msg = e->message ? e->message : "syntax error";
    static const char near[] = "syntax error at or near \"";
    em__path *p = pos > 0 ? em__path_at(c, pos - 1) : NULL;
    int rc;
    if (p != NULL && strncmp(msg, near, sizeof(near) - 1) == 0)
        rc = em__error_at(c, EM_ESYNTAX, pos - 1, "syntax error at or near \"%.*s\"",
                          p->end - p->start, c->sql + p->start);
    else
        rc = em__error_at(c, EM_ESYNTAX, pos - 1, "%s", msg);
    if (c->err != NULL) memcpy(c->err->sqlstate, "42601", 6);
    return rc;
}

/* A statement's span: libpg_query's starts right after the previous ';' and
 * its length 0 means "to the end". The span is narrowed to the first and
 * last tokens so that leading comments and white space are not part of it. */
static void statement_span(const em__pctx *c, const PgQuery__RawStmt *rs, int total, int *off,
                           int *len)
{
    int start = rs->stmt_location > 0 ? rs->stmt_location : 0;
    int end = rs->stmt_len > 0 ? start + rs->stmt_len : total;
    if (end > total) end = total;
    int first = -1, last = -1;
    for (int i = 0; i < c->ntokens; i++) {
        if (c->tokens[i].start < start) continue;
        if (c->tokens[i].end > end) break;
        if (first < 0) first = i;
        last = i;
    }
    if (first >= 0) {
        start = c->tokens[first].start;
        end = c->tokens[last].end;
    } else {
        while (start < end && isspace((unsigned char)c->sql[start])) start++;
        while (end > start && isspace((unsigned char)c->sql[end - 1])) end--;
    }
    *off = start;
    *len = end - start;
}

static int translate_all(em__pctx *c, const PgQuery__ParseResult *pr, em_parsed *out)
{
    int n = (int)pr->n_stmts;
    int total = (int)strlen(c->sql);
    out->stmts = em_arena_calloc(c->arena, (size_t)EM_MAX(n, 1) * sizeof(em_ast *));
    out->stmt_offsets = em_arena_calloc(c->arena, (size_t)EM_MAX(n, 1) * sizeof(int));
    out->stmt_lengths = em_arena_calloc(c->arena, (size_t)EM_MAX(n, 1) * sizeof(int));
    for (int i = 0; i < n; i++) {
        const PgQuery__RawStmt *rs = pr->stmts[i];
        statement_span(c, rs, total, &out->stmt_offsets[i], &out->stmt_lengths[i]);
        c->depth = 0;
        EM_TRY(em__translate_stmt(c, rs->stmt, out->stmt_offsets[i], &out->stmts[i]));
    }
    out->nstmts = n;
    /* A rewritten path must have become a table reference; anything else
       (say 'x.csv'(a)) would silently treat the path as a name. */
    for (int i = 0; i < c->npaths; i++)
        if (!c->paths[i].used)
            return em__unsupported(c, c->paths[i].start,
                                   "a quoted file path is only allowed as a table in FROM");
    return 0;
}

static int parse_text(em__pctx *c, const char *text, em_parsed *out)
{
    PgQueryProtobufParseResult r = pg_query_parse_protobuf(text);
    if (r.error != NULL) {
        int rc = syntax_error(c, r.error);
        pg_query_free_protobuf_parse_result(r);
        return rc;
    }
    PgQuery__ParseResult *pr =
        pg_query__parse_result__unpack(NULL, r.parse_tree.len, (const uint8_t *)r.parse_tree.data);
    int rc;
    if (pr == NULL) {
        rc = em_error_set(c->err, EM_EINTERNAL, "could not decode the SQL parser's output");
    } else {
        rc = translate_all(c, pr, out);
        pg_query__parse_result__free_unpacked(pr, NULL);
    }
    pg_query_free_protobuf_parse_result(r);
    return rc;
}

int em_parse(const char *sql, em_arena *arena, em_parsed *out, em_error *err)
{
    if (out != NULL) memset(out, 0, sizeof(*out));
    if (sql == NULL || arena == NULL || out == NULL)
        return em_error_set(err, EM_EINVAL, "em_parse: NULL argument");
    if (released_on_this_thread)
        return em_error_set(err, EM_EINTERNAL,
                            "the SQL parser was released on this thread "
                            "(em_parser_thread_cleanup) and cannot be used again");
    em__pctx c = {.arena = arena, .err = err, .sql = sql};
    parsed_on_this_thread = true;
    char *rewritten = NULL;
    int rc = em__rewrite_paths(&c, sql, &rewritten);
    if (rc == 0) rc = parse_text(&c, rewritten != NULL ? rewritten : sql, out);
    em_free(rewritten);
    em_free(c.paths);
    em_free(c.tokens);
    if (rc < 0) memset(out, 0, sizeof(*out));
    return rc;
}

/*
 * parser_internal.h — what the parser's own files share: the translation
 * context, the pre-parse rewrite of FROM 'file' paths, and the translators
 * from libpg_query's protobuf tree to ember's AST.
 *
 * This is the only header that includes libpg_query's; nothing outside
 * src/sql/parser may include it.
 */
#ifndef EM_PARSER_INTERNAL_H
#define EM_PARSER_INTERNAL_H

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include "sql/parser/parser.h"

/* Window frame option bits of PostgreSQL's nodes/parsenodes.h (FRAMEOPTION_*):
 * libpg_query passes WindowDef.frameOptions through unchanged and does not
 * export the names, so they are restated here. */
#define EM__FRAME_NONDEFAULT 0x00001
#define EM__FRAME_RANGE 0x00002
#define EM__FRAME_ROWS 0x00004
#define EM__FRAME_GROUPS 0x00008
#define EM__FRAME_BETWEEN 0x00010
#define EM__FRAME_START_UNBOUNDED_PRECEDING 0x00020
#define EM__FRAME_END_UNBOUNDED_PRECEDING 0x00040
#define EM__FRAME_START_UNBOUNDED_FOLLOWING 0x00080
#define EM__FRAME_END_UNBOUNDED_FOLLOWING 0x00100
#define EM__FRAME_START_CURRENT_ROW 0x00200
#define EM__FRAME_END_CURRENT_ROW 0x00400
#define EM__FRAME_START_OFFSET_PRECEDING 0x00800
#define EM__FRAME_END_OFFSET_PRECEDING 0x01000
#define EM__FRAME_START_OFFSET_FOLLOWING 0x02000
#define EM__FRAME_END_OFFSET_FOLLOWING 0x04000
#define EM__FRAME_EXCLUSION 0x38000 /* EXCLUDE CURRENT ROW / GROUP / TIES */

/* Expressions nested deeper than this are refused rather than risking the
 * stack of a worker thread. */
#define EM__MAX_DEPTH 3000

/* A single-quoted string that stood where a table belongs and was turned into
 * a double-quoted identifier before parsing. */
typedef struct em__path {
    int start;        /* byte offset of the opening quote */
    int end;          /* one past the closing quote */
    const char *path; /* the string's value (quotes undone), in the arena */
    bool used;        /* consumed by a table reference */
} em__path;

/* One lexical token of the input (comments excluded). */
typedef struct em__token {
    int start, end;
    int kind; /* PgQuery__Token */
} em__token;

typedef struct em__pctx {
    em_arena *arena;
    em_error *err;
    const char *sql; /* the caller's text (paths not rewritten) */
    em__path *paths; /* sorted by start; malloc'd */
    int npaths;
    em__token *tokens; /* malloc'd; may be empty when the scanner failed */
    int ntokens;
    int depth; /* current translation nesting */
} em__pctx;

/* ---- path rewriting (path_rewrite.c) ---- */

/* Scan `sql`, find the string literals that stand where a table belongs and
 * fill c->paths and c->tokens. *rewritten receives a malloc'd copy of the text
 * with those literals double-quoted, or NULL when nothing changed. */
int em__rewrite_paths(em__pctx *c, const char *sql, char **rewritten);
/* The path recorded at byte offset `location`, or NULL. */
em__path *em__path_at(em__pctx *c, int location);
/* Index of the token starting at `location`, or -1. */
int em__token_at(const em__pctx *c, int location);

/* ---- helpers shared by the translators (translate_util.c) ---- */

/* EM_EUNSUPPORTED with "unsupported SQL: <what>" and a position. */
int em__unsupported(em__pctx *c, int location, const char *fmt, ...) EM_PRINTF(3, 4);
/* An error of any code pointing at `location` (0-based, -1 = none). */
int em__error_at(em__pctx *c, int code, int location, const char *fmt, ...) EM_PRINTF(4, 5);
/* A readable name for a node kind ("row constructor", "UPDATE", ...). */
const char *em__node_name(const PgQuery__Node *n);
/* The node's own `location` when it has one, else the first location in
 * its subtree, else -1. */
int em__node_location(const PgQuery__Node *n);
/* The smallest location anywhere in the node's subtree, or -1: a position for
 * constructs that carry none of their own (SELECT, JOIN, subqueries in FROM). */
int em__subtree_location(const ProtobufCMessage *m);
/* The start of the nearest token of kind `kind` at or before `location`, or
 * `location` when there is none (or no tokens). */
int em__token_before(const em__pctx *c, int location, int kind);
/* A function's name without a pg_catalog prefix, lower-cased; other schemas
 * are refused. */
int em__func_name(em__pctx *c, PgQuery__Node **parts, size_t n, int location, const char **out);
em_ast *em__ast_new(em__pctx *c, em_ast_kind kind, int location);
/* Arena copy of a string, NULL for NULL or empty protobuf strings. */
const char *em__str(em__pctx *c, const char *s);
/* Arena copy, lower-cased. */
const char *em__lower(em__pctx *c, const char *s);
/* The text of a String node, or NULL when the node is something else. */
const char *em__string_value(const PgQuery__Node *n);
/* A list of String nodes (alias column lists, USING, ...) as an arena array. */
int em__string_list(em__pctx *c, PgQuery__Node **items, size_t n, int location, const char ***out,
                    int *count);
/* A numeric literal's text (as the lexer kept it) to an ember constant value. */
void em__numeric_value(em__pctx *c, const char *text, em_value *out);
/* Resolve a TypeName: ember type plus a display name. Intervals are refused
 * here: callers that accept them check em__typename_is_interval first. */
int em__translate_type(em__pctx *c, const PgQuery__TypeName *tn, em_type *out,
                       const char **display);
bool em__typename_is_interval(const PgQuery__TypeName *tn);

/* ---- translators (translate_expr.c, translate_stmt.c) ---- */

int em__translate_expr(em__pctx *c, const PgQuery__Node *n, em_ast **out);
int em__translate_expr_list(em__pctx *c, PgQuery__Node **items, size_t n, em_ast_list *out);
int em__translate_sort(em__pctx *c, PgQuery__Node **items, size_t n, em_ast_sort **out, int *count);
/* A SelectStmt (SELECT, VALUES or a set operation). */
int em__translate_select(em__pctx *c, const PgQuery__SelectStmt *s, int location, em_ast **out);
/* WITH: fills sel->u.select.ctes. */
int em__translate_with(em__pctx *c, const PgQuery__WithClause *w, em_ast *sel);
/* A node that must hold a SelectStmt (subqueries, view bodies, ...). */
int em__translate_query(em__pctx *c, const PgQuery__Node *n, int location, em_ast **out);
int em__translate_stmt(em__pctx *c, const PgQuery__Node *n, int location, em_ast **out);

#endif

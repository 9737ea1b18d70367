/*
 * parser.h — SQL text to ember's own AST.
 *
 * libpg_query parses PostgreSQL's grammar into its protobuf tree; this module
 * translates that tree once into the nodes below, so that nothing past the
 * parser depends on libpg_query. Every node is allocated from the arena given
 * to em_parse and lives as long as it. `location` is the 0-based byte offset of
 * the node in the original SQL text, or -1 when unknown.
 *
 * Dialect extras (DuckDB-style):
 *   - FROM 'file.csv' (a single-quoted string where a table belongs) is
 *     accepted and becomes a TABLE_REF whose `is_path` is true;
 *   - table functions take named options either as `name => value` or as
 *     `name = value`: read_csv('x.csv', delim = '|', header = true).
 */
#ifndef EM_PARSER_H
#define EM_PARSER_H

#include "common/common.h"
#include "vector/vector.h"

typedef struct em_ast em_ast;

typedef struct em_ast_list {
    int n;
    em_ast **items;
} em_ast_list;

typedef enum em_ast_kind {
    /* ---- expressions ---- */
    EM_AST_CONST,        /* literal: u.constant */
    EM_AST_COLUMN,       /* [qualifier.]name: u.column */
    EM_AST_STAR,         /* * or qualifier.*: u.star */
    EM_AST_FUNC,         /* function call, aggregate or window: u.func */
    EM_AST_BINARY,       /* arithmetic / comparison / ||: u.binary */
    EM_AST_UNARY,        /* -x, +x: u.unary */
    EM_AST_AND,          /* n-ary: u.bool_args */
    EM_AST_OR,           /* n-ary: u.bool_args */
    EM_AST_NOT,          /* u.unary.arg */
    EM_AST_IS_NULL,      /* u.test: arg IS [NOT] NULL */
    EM_AST_IS_BOOL,      /* u.test: arg IS [NOT] TRUE/FALSE (test.value) */
    EM_AST_IS_DISTINCT,  /* u.binary: left IS [NOT] DISTINCT FROM right (binary.negated) */
    EM_AST_CAST,         /* u.cast */
    EM_AST_CASE,         /* u.case_ */
    EM_AST_LIKE,         /* u.like */
    EM_AST_IN_LIST,      /* u.in_list */
    EM_AST_BETWEEN,      /* u.between */
    EM_AST_SUBQUERY,     /* scalar subquery: u.subquery */
    EM_AST_IN_SUBQUERY,  /* arg [NOT] IN (SELECT ...): u.subquery */
    EM_AST_EXISTS,       /* EXISTS (SELECT ...): u.subquery */
    EM_AST_INTERVAL,     /* INTERVAL 'text' [unit]: u.interval */
    EM_AST_EXTRACT,      /* EXTRACT(field FROM arg): u.extract */

    /* ---- FROM items ---- */
    EM_AST_TABLE_REF,  /* u.table_ref */
    EM_AST_TABLE_FUNC, /* read_csv(...) etc.: u.table_func */
    EM_AST_JOIN,       /* u.join */
    EM_AST_DERIVED,    /* (SELECT ...) AS alias: u.derived */

    /* ---- statements ---- */
    EM_AST_SELECT,       /* u.select (also VALUES and set operations) */
    EM_AST_CREATE_VIEW,  /* u.create */
    EM_AST_CREATE_TABLE, /* u.create: column definitions, or AS query (CTAS) */
    EM_AST_INSERT,       /* u.insert */
    EM_AST_DROP,         /* u.drop */
    EM_AST_EXPLAIN,      /* u.explain */
    EM_AST_COPY,         /* u.copy */
    EM_AST_SET,          /* u.set: SET name = value / RESET name */
} em_ast_kind;

typedef enum em_binop {
    EM_OP_ADD,
    EM_OP_SUB,
    EM_OP_MUL,
    EM_OP_DIV,
    EM_OP_MOD,
    EM_OP_CONCAT, /* || */
    EM_OP_EQ,
    EM_OP_NE,
    EM_OP_LT,
    EM_OP_LE,
    EM_OP_GT,
    EM_OP_GE,
} em_binop;

typedef enum em_join_type {
    EM_JOIN_INNER,
    EM_JOIN_LEFT,
    EM_JOIN_RIGHT,
    EM_JOIN_FULL,
    EM_JOIN_CROSS,
    EM_JOIN_SEMI, /* produced by the planner only */
    EM_JOIN_ANTI, /* produced by the planner only */
} em_join_type;

typedef enum em_setop {
    EM_SETOP_NONE,
    EM_SETOP_UNION,
    EM_SETOP_INTERSECT,
    EM_SETOP_EXCEPT,
} em_setop;

/* One ORDER BY item. nulls_first: -1 = default (NULLS LAST for ASC, FIRST for DESC,
 * as in PostgreSQL), 0 = NULLS LAST, 1 = NULLS FIRST. */
typedef struct em_ast_sort {
    em_ast *expr;
    bool desc;
    int nulls_first;
} em_ast_sort;

typedef enum em_frame_bound_kind {
    EM_FRAME_UNBOUNDED_PRECEDING,
    EM_FRAME_PRECEDING, /* offset */
    EM_FRAME_CURRENT_ROW,
    EM_FRAME_FOLLOWING, /* offset */
    EM_FRAME_UNBOUNDED_FOLLOWING,
} em_frame_bound_kind;

typedef struct em_ast_window {
    em_ast_list partition_by;
    int norder;
    em_ast_sort *order_by;
    bool has_frame; /* false: the SQL default frame */
    bool frame_rows; /* ROWS (true) or RANGE (false) */
    em_frame_bound_kind start_kind, end_kind;
    em_ast *start_offset, *end_offset; /* for PRECEDING/FOLLOWING */
} em_ast_window;

/* A named option: `name => value` in a table function, or a COPY option. */
typedef struct em_ast_option {
    const char *name; /* lower-cased */
    em_ast *value;    /* an expression; for COPY a CONST or COLUMN (bare word), a STAR
                         (FORCE_QUOTE *), or NULL when the option has no value (HEADER) or
                         holds a list */
    em_ast_list list; /* COPY (PARTITION_BY (a, b)): the items; else empty */
    int location;
} em_ast_option;

typedef struct em_ast_cte {
    const char *name;
    int ncolumns;
    const char **columns;
    em_ast *query; /* SELECT */
} em_ast_cte;

typedef struct em_ast_coldef {
    const char *name;
    em_type type;
    bool not_null;
    int location;
} em_ast_coldef;

typedef struct em_ast_target {
    em_ast *expr;
    const char *alias; /* NULL when none */
} em_ast_target;

struct em_ast {
    em_ast_kind kind;
    int location;
    union {
        struct {
            em_value value; /* integers fitting int32 are INTEGER, else BIGINT; numerics with a
                               point are DECIMAL when they fit 18 digits, else DOUBLE; strings are
                               VARCHAR (type unknown until used: see `is_string_literal`) */
            bool is_string_literal;
        } constant;
        struct {
            const char *qualifier; /* table alias or NULL */
            const char *name;
        } column;
        struct {
            const char *qualifier; /* NULL for bare * */
        } star;
        struct {
            const char *name; /* lower-cased, pg_catalog prefix dropped; SQL-syntax forms
                                 arrive under PostgreSQL's names: NULLIF/COALESCE/GREATEST/
                                 LEAST, current_date, current_timestamp, localtimestamp,
                                 btrim/ltrim/rtrim(str[, chars]), substring(str, from[, for]),
                                 position(str, search) -- note: haystack first */
            em_ast_list args;
            bool distinct;    /* count(DISTINCT x) */
            bool star;        /* count(*) */
            em_ast *filter;   /* FILTER (WHERE ...) or NULL */
            em_ast_window *over; /* window spec or NULL */
            int norder;       /* agg(x ORDER BY y), or WITHIN GROUP (ORDER BY ...) */
            em_ast_sort *order_by;
            bool within_group; /* order_by came from WITHIN GROUP (ordered-set aggregate) */
        } func;
        struct {
            em_binop op;
            em_ast *left, *right;
            bool negated; /* IS NOT DISTINCT FROM */
        } binary;
        struct {
            char op; /* '-', '+', or '!' for NOT */
            em_ast *arg;
        } unary;
        em_ast_list bool_args;
        struct {
            em_ast *arg;
            bool negated; /* IS NOT NULL / IS NOT TRUE */
            bool value;   /* IS_BOOL: TRUE or FALSE */
        } test;
        struct {
            em_ast *arg;
            em_type type;
            const char *type_name; /* as written, for messages */
            bool try_cast;
        } cast;
        struct {
            em_ast *operand; /* CASE x WHEN ... (NULL for searched CASE) */
            em_ast_list whens;   /* conditions (or values when operand is set) */
            em_ast_list thens;   /* results, same length as whens */
            em_ast *else_result; /* NULL when absent */
        } case_;
        struct {
            em_ast *arg, *pattern, *escape;
            bool negated;
            bool case_insensitive; /* ILIKE */
        } like;
        struct {
            em_ast *arg;
            em_ast_list list;
            bool negated;
        } in_list;
        struct {
            em_ast *arg, *low, *high;
            bool negated;
        } between;
        struct {
            em_ast *arg;   /* IN_SUBQUERY: the left side */
            em_ast *query; /* SELECT */
            bool negated;  /* NOT IN */
        } subquery;
        struct {
            const char *text; /* '1 day', '3 months' ... */
            const char *unit; /* trailing unit keyword (lower-case) or NULL */
        } interval;
        struct {
            const char *field; /* lower-case: year, month, day, hour, ... */
            em_ast *arg;
        } extract;

        struct {
            const char *name; /* table/view/CTE name, or a path when is_path */
            const char *schema;
            bool is_path;
            const char *alias;
            int ncolumns;
            const char **columns; /* alias column list */
        } table_ref;
        struct {
            const char *name; /* lower-case */
            em_ast_list args; /* positional */
            int noptions;
            em_ast_option *options;
            const char *alias;
            int ncolumns;
            const char **columns;
        } table_func;
        struct {
            em_join_type type;
            em_ast *left, *right;
            em_ast *on; /* NULL when USING/NATURAL/CROSS */
            int nusing;
            const char **using_cols;
            bool natural;
        } join;
        struct {
            em_ast *query;
            const char *alias;
            int ncolumns;
            const char **columns;
        } derived;

        struct {
            /* set operation: op != NONE, then left/right hold the operands and only
               order_by/limit/offset/ctes below apply to the whole */
            em_setop op;
            bool all;
            em_ast *left, *right;

            int nctes;
            em_ast_cte *ctes;
            bool distinct;
            int ntargets;
            em_ast_target *targets;
            em_ast_list from;  /* FROM items (comma = cross join) */
            em_ast *where;
            em_ast_list group_by;
            em_ast *having;
            int norder;
            em_ast_sort *order_by;
            em_ast *limit;  /* NULL = none */
            em_ast *offset; /* NULL = none */
            int nvalues_rows; /* VALUES (...), (...): rows of expressions */
            em_ast_list *values_rows;
        } select;
        struct {
            const char *name;
            em_ast *query; /* view body / CTAS query, or NULL */
            int ncolumns;  /* column definitions (CREATE TABLE t (a int, ...)) */
            em_ast_coldef *columns;
            int nalias;    /* CREATE VIEW v (a, b) AS ... */
            const char **alias;
            bool or_replace;
            bool if_not_exists;
            bool temporary;
        } create;
        struct {
            const char *table;
            int ncolumns;
            const char **columns; /* NULL/0 when not given */
            em_ast *query;        /* SELECT or VALUES */
        } insert;
        struct {
            bool is_view; /* DROP VIEW vs DROP TABLE */
            bool if_exists;
            int nnames;
            const char **names;
        } drop;
        struct {
            em_ast *stmt;
            bool analyze;
            bool verbose;
        } explain;
        struct {
            em_ast *query;      /* COPY (query) TO ... */
            const char *table;  /* COPY table TO/FROM ... */
            const char *path;
            bool is_from;
            int noptions;
            em_ast_option *options;
        } copy;
        struct {
            const char *name;  /* lower-case, may contain dots */
            const char *value; /* text form; NULL for RESET / SET x TO DEFAULT; several
                                  values (SET x = a, b) are joined with ", " */
        } set;
    } u;
};

/* A parsed script: one AST per statement, plus each statement's text span. */
typedef struct em_parsed {
    int nstmts;
    em_ast **stmts;
    int *stmt_offsets; /* byte offset of each statement in the text (leading white space
                          skipped) */
    int *stmt_lengths; /* bytes up to, not including, the terminating ';' (trailing white
                          space trimmed) */
} em_parsed;

/* Parse every statement of `sql`. On a syntax error, err->sql_pos is the 1-based
 * byte position and the message reads "syntax error at or near "x"". */
int em_parse(const char *sql, em_arena *arena, em_parsed *out, em_error *err) EM_MUST_CHECK;

/* Render the line of `sql` holding byte position `pos` (1-based) with a caret
 * under it, e.g. "LINE 2: SELEC x FROM t\n        ^\n", into out. */
void em_parse_format_caret(const char *sql, int pos, em_strbuf *out);

/* Releases libpg_query's per-thread memory. Call it on the main thread once
 * parsing is over for good (e.g. at process exit): that thread cannot parse
 * afterwards (em_parse then fails with EM_EINTERNAL). On any other thread it
 * is a no-op, because libpg_query frees that thread's memory itself when the
 * thread exits (releasing it earlier would free it twice). Safe to call on a
 * thread that never parsed. */
void em_parser_thread_cleanup(void);

#endif

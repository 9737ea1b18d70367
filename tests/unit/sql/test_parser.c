/*
 * test_parser.c — unit tests for the SQL parser: every construct ember
 * translates (with kinds, names, values, types and locations), the FROM
 * 'file' rewrite, table-function options, multi-statement scripts, syntax
 * errors with their caret rendering, and EM_EUNSUPPORTED for constructs that
 * must not be silently dropped.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sql/parser/parser.h"

static em_arena *arena;

static int setup(void **state)
{
    (void)state;
    arena = em_arena_create(4096);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    em_arena_destroy(arena);
    arena = NULL;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    em_parser_thread_cleanup();
    return 0;
}

static em_parsed parse_ok(const char *sql)
{
    em_parsed p;
    em_error err;
    em_error_clear(&err);
    int rc = em_parse(sql, arena, &p, &err);
    if (rc != 0) print_error("parse of [%s] failed: %s (pos %d)\n", sql, err.message, err.sql_pos);
    assert_int_equal(rc, 0);
    return p;
}

static em_ast *parse1(const char *sql)
{
    em_parsed p = parse_ok(sql);
    assert_int_equal(p.nstmts, 1);
    return p.stmts[0];
}

/* The i-th select-list expression of a one-statement SELECT. */
static em_ast *target(const char *sql, int i)
{
    em_ast *s = parse1(sql);
    assert_int_equal(s->kind, EM_AST_SELECT);
    assert_true(i < s->u.select.ntargets);
    return s->u.select.targets[i].expr;
}

static int parse_fail(const char *sql, em_error *err)
{
    em_parsed p;
    em_error_clear(err);
    int rc = em_parse(sql, arena, &p, err);
    assert_true(rc < 0);
    assert_int_equal(rc, err->code);
    assert_int_equal(p.nstmts, 0);
    return rc;
}

/* Unsupported constructs: the code, a message naming the construct, and the
 * position of `at` (its first occurrence in the text). */
static void expect_unsupported(const char *sql, const char *what, const char *at)
{
    em_error err;
    int rc = parse_fail(sql, &err);
    if (rc != EM_EUNSUPPORTED || strstr(err.message, what) == NULL)
        print_error("[%s]: got %d '%s'\n", sql, rc, err.message);
    assert_int_equal(rc, EM_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "unsupported SQL: "));
    assert_non_null(strstr(err.message, what));
    assert_string_equal(err.sqlstate, "0A000");
    const char *p = strstr(sql, at);
    assert_non_null(p);
    if (err.sql_pos != (int)(p - sql) + 1)
        print_error("[%s]: position %d, expected %d\n", sql, err.sql_pos, (int)(p - sql) + 1);
    assert_int_equal(err.sql_pos, (int)(p - sql) + 1);
}

static int pos_of(const char *sql, const char *s)
{
    const char *p = strstr(sql, s);
    assert_non_null(p);
    return (int)(p - sql);
}

static void assert_column(const em_ast *a, const char *qualifier, const char *name)
{
    assert_int_equal(a->kind, EM_AST_COLUMN);
    if (qualifier == NULL)
        assert_null(a->u.column.qualifier);
    else
        assert_string_equal(a->u.column.qualifier, qualifier);
    assert_string_equal(a->u.column.name, name);
}

static void assert_int_const(const em_ast *a, int32_t v)
{
    assert_int_equal(a->kind, EM_AST_CONST);
    assert_int_equal(a->u.constant.value.type.id, EM_TYPE_INTEGER);
    assert_false(a->u.constant.value.is_null);
    assert_int_equal(a->u.constant.value.v.i32, v);
}

static void assert_str_const(const em_ast *a, const char *s)
{
    assert_int_equal(a->kind, EM_AST_CONST);
    assert_int_equal(a->u.constant.value.type.id, EM_TYPE_VARCHAR);
    assert_true(a->u.constant.is_string_literal);
    assert_int_equal(a->u.constant.value.v.str.len, (int)strlen(s));
    assert_memory_equal(a->u.constant.value.v.str.ptr, s, strlen(s));
}

/* ---- literals ------------------------------------------------------------- */

static void test_constants(void **state)
{
    (void)state;
    const char *sql = "SELECT 1, -5, 3000000000, 1.50, .5, -1.5, 0.05, 1e3, "
                      "123456789012345678901.5, 'it''s', TRUE, FALSE, NULL, "
                      "99999999999999999999, -2147483648";
    em_ast *s = parse1(sql);
    assert_int_equal(s->u.select.ntargets, 15);
    em_ast **t = malloc(15 * sizeof(*t));
    for (int i = 0; i < 15; i++) t[i] = s->u.select.targets[i].expr;

    assert_int_const(t[0], 1);
    assert_int_equal(t[0]->location, 7);
    assert_int_const(t[1], -5);
    assert_int_equal(t[1]->location, 10); /* the minus sign */
    assert_int_equal(t[2]->u.constant.value.type.id, EM_TYPE_BIGINT);
    assert_true(t[2]->u.constant.value.v.i64 == 3000000000LL);

    em_value v = t[3]->u.constant.value; /* 1.50 */
    assert_int_equal(v.type.id, EM_TYPE_DECIMAL);
    assert_int_equal(v.type.precision, 3);
    assert_int_equal(v.type.scale, 2);
    assert_true(v.v.i64 == 150);
    v = t[4]->u.constant.value; /* .5 */
    assert_int_equal(v.type.id, EM_TYPE_DECIMAL);
    assert_int_equal(v.type.precision, 1);
    assert_int_equal(v.type.scale, 1);
    assert_true(v.v.i64 == 5);
    v = t[5]->u.constant.value; /* -1.5 */
    assert_int_equal(v.type.id, EM_TYPE_DECIMAL);
    assert_int_equal(v.type.precision, 2);
    assert_true(v.v.i64 == -15);
    v = t[6]->u.constant.value; /* 0.05 */
    assert_int_equal(v.type.precision, 2);
    assert_int_equal(v.type.scale, 2);
    assert_true(v.v.i64 == 5);
    v = t[7]->u.constant.value; /* 1e3 */
    assert_int_equal(v.type.id, EM_TYPE_DOUBLE);
    assert_true(v.v.f64 == 1000.0);
    v = t[8]->u.constant.value; /* 22 digits */
    assert_int_equal(v.type.id, EM_TYPE_DOUBLE);

    assert_str_const(t[9], "it's");
    assert_int_equal(t[10]->u.constant.value.type.id, EM_TYPE_BOOLEAN);
    assert_true(t[10]->u.constant.value.v.b);
    assert_false(t[11]->u.constant.value.v.b);
    assert_false(t[10]->u.constant.is_string_literal);
    assert_int_equal(t[12]->u.constant.value.type.id, EM_TYPE_NULL);
    assert_true(t[12]->u.constant.value.is_null);
    assert_int_equal(t[13]->u.constant.value.type.id, EM_TYPE_DOUBLE);
    assert_int_const(t[14], INT32_MIN);
    free(t);
}

static void test_columns_and_stars(void **state)
{
    (void)state;
    em_ast *s = parse1("SELECT a, t.b, *, t.*, \"Foo\" AS \"Bar\", c x FROM t");
    assert_int_equal(s->u.select.ntargets, 6);
    assert_column(s->u.select.targets[0].expr, NULL, "a");
    assert_null(s->u.select.targets[0].alias);
    assert_column(s->u.select.targets[1].expr, "t", "b");
    assert_int_equal(s->u.select.targets[1].expr->location, 10);
    assert_int_equal(s->u.select.targets[2].expr->kind, EM_AST_STAR);
    assert_null(s->u.select.targets[2].expr->u.star.qualifier);
    assert_int_equal(s->u.select.targets[3].expr->kind, EM_AST_STAR);
    assert_string_equal(s->u.select.targets[3].expr->u.star.qualifier, "t");
    assert_column(s->u.select.targets[4].expr, NULL, "Foo"); /* quoted: case kept */
    assert_string_equal(s->u.select.targets[4].alias, "Bar");
    assert_string_equal(s->u.select.targets[5].alias, "x");
    assert_int_equal(s->location, 0);
}

/* ---- operators and predicates ------------------------------------------------ */

static void test_operators(void **state)
{
    (void)state;
    em_ast *e = target("SELECT a + b * 2", 0);
    assert_int_equal(e->kind, EM_AST_BINARY);
    assert_int_equal(e->u.binary.op, EM_OP_ADD);
    assert_int_equal(e->location, 9);
    assert_column(e->u.binary.left, NULL, "a");
    assert_int_equal(e->u.binary.right->u.binary.op, EM_OP_MUL);
    assert_int_const(e->u.binary.right->u.binary.right, 2);

    static const struct {
        const char *sql;
        em_binop op;
    } ops[] = {
        {"SELECT a - b", EM_OP_SUB},     {"SELECT a / b", EM_OP_DIV}, {"SELECT a % b", EM_OP_MOD},
        {"SELECT a || b", EM_OP_CONCAT}, {"SELECT a = b", EM_OP_EQ},  {"SELECT a <> b", EM_OP_NE},
        {"SELECT a != b", EM_OP_NE},     {"SELECT a < b", EM_OP_LT},  {"SELECT a <= b", EM_OP_LE},
        {"SELECT a > b", EM_OP_GT},      {"SELECT a >= b", EM_OP_GE},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        e = target(ops[i].sql, 0);
        assert_int_equal(e->kind, EM_AST_BINARY);
        assert_int_equal(e->u.binary.op, ops[i].op);
    }

    e = target("SELECT -a", 0);
    assert_int_equal(e->kind, EM_AST_UNARY);
    assert_int_equal(e->u.unary.op, '-');
    assert_column(e->u.unary.arg, NULL, "a");
    e = target("SELECT +a", 0);
    assert_int_equal(e->u.unary.op, '+');

    e = target("SELECT a AND b AND c", 0);
    assert_int_equal(e->kind, EM_AST_AND);
    assert_int_equal(e->u.bool_args.n, 3);
    e = target("SELECT a OR NOT b", 0);
    assert_int_equal(e->kind, EM_AST_OR);
    assert_int_equal(e->u.bool_args.n, 2);
    assert_int_equal(e->u.bool_args.items[1]->kind, EM_AST_NOT);
    assert_column(e->u.bool_args.items[1]->u.unary.arg, NULL, "b");
}

static void test_predicates(void **state)
{
    (void)state;
    em_ast *e = target("SELECT a IS NULL", 0);
    assert_int_equal(e->kind, EM_AST_IS_NULL);
    assert_false(e->u.test.negated);
    e = target("SELECT a IS NOT NULL", 0);
    assert_int_equal(e->kind, EM_AST_IS_NULL);
    assert_true(e->u.test.negated);
    e = target("SELECT a IS TRUE", 0);
    assert_int_equal(e->kind, EM_AST_IS_BOOL);
    assert_true(e->u.test.value);
    assert_false(e->u.test.negated);
    e = target("SELECT a IS NOT FALSE", 0);
    assert_int_equal(e->kind, EM_AST_IS_BOOL);
    assert_false(e->u.test.value);
    assert_true(e->u.test.negated);
    e = target("SELECT a IS UNKNOWN", 0);
    assert_int_equal(e->kind, EM_AST_IS_NULL);

    e = target("SELECT a IS DISTINCT FROM b", 0);
    assert_int_equal(e->kind, EM_AST_IS_DISTINCT);
    assert_false(e->u.binary.negated);
    assert_column(e->u.binary.right, NULL, "b");
    e = target("SELECT a IS NOT DISTINCT FROM 'x'", 0);
    assert_int_equal(e->kind, EM_AST_IS_DISTINCT);
    assert_true(e->u.binary.negated);
    assert_str_const(e->u.binary.right, "x");

    e = target("SELECT a LIKE 'x%'", 0);
    assert_int_equal(e->kind, EM_AST_LIKE);
    assert_false(e->u.like.negated);
    assert_false(e->u.like.case_insensitive);
    assert_str_const(e->u.like.pattern, "x%");
    assert_null(e->u.like.escape);
    e = target("SELECT a NOT ILIKE 'y'", 0);
    assert_true(e->u.like.negated);
    assert_true(e->u.like.case_insensitive);
    e = target("SELECT a LIKE 'x!%' ESCAPE '!'", 0);
    assert_str_const(e->u.like.pattern, "x!%");
    assert_str_const(e->u.like.escape, "!");

    e = target("SELECT a IN (1, 2, 3)", 0);
    assert_int_equal(e->kind, EM_AST_IN_LIST);
    assert_false(e->u.in_list.negated);
    assert_int_equal(e->u.in_list.list.n, 3);
    assert_int_const(e->u.in_list.list.items[2], 3);
    e = target("SELECT a NOT IN ('x')", 0);
    assert_true(e->u.in_list.negated);

    e = target("SELECT a BETWEEN 1 AND 10", 0);
    assert_int_equal(e->kind, EM_AST_BETWEEN);
    assert_false(e->u.between.negated);
    assert_int_const(e->u.between.low, 1);
    assert_int_const(e->u.between.high, 10);
    e = target("SELECT a NOT BETWEEN 1 AND 10", 0);
    assert_true(e->u.between.negated);

    e = target("SELECT NULLIF(a, 0)", 0);
    assert_int_equal(e->kind, EM_AST_FUNC);
    assert_string_equal(e->u.func.name, "nullif");
    assert_int_equal(e->u.func.args.n, 2);
}

static void test_case(void **state)
{
    (void)state;
    em_ast *e = target("SELECT CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' END", 0);
    assert_int_equal(e->kind, EM_AST_CASE);
    assert_int_equal(e->location, 7);
    assert_null(e->u.case_.operand);
    assert_int_equal(e->u.case_.whens.n, 2);
    assert_int_equal(e->u.case_.thens.n, 2);
    assert_int_equal(e->u.case_.whens.items[0]->kind, EM_AST_BINARY);
    assert_str_const(e->u.case_.thens.items[1], "small");
    assert_null(e->u.case_.else_result);

    e = target("SELECT CASE a WHEN 1 THEN 'one' ELSE 'other' END", 0);
    assert_column(e->u.case_.operand, NULL, "a");
    assert_int_const(e->u.case_.whens.items[0], 1);
    assert_str_const(e->u.case_.else_result, "other");
}

/* ---- casts and intervals ------------------------------------------------------- */

static void test_casts(void **state)
{
    (void)state;
    em_ast *e = target("SELECT a::numeric(10,2)", 0);
    assert_int_equal(e->kind, EM_AST_CAST);
    assert_int_equal(e->location, 8); /* the :: */
    assert_int_equal(e->u.cast.type.id, EM_TYPE_DECIMAL);
    assert_int_equal(e->u.cast.type.precision, 10);
    assert_int_equal(e->u.cast.type.scale, 2);
    assert_string_equal(e->u.cast.type_name, "numeric(10,2)");
    assert_column(e->u.cast.arg, NULL, "a");
    assert_false(e->u.cast.try_cast);

    e = target("SELECT CAST(a AS varchar(20))", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_VARCHAR);
    assert_string_equal(e->u.cast.type_name, "varchar(20)");
    e = target("SELECT a::int", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_INTEGER);
    assert_string_equal(e->u.cast.type_name, "integer");
    e = target("SELECT CAST(a AS BIGINT)", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_BIGINT);
    e = target("SELECT a::double precision", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_DOUBLE);
    e = target("SELECT a::text", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_VARCHAR);
    e = target("SELECT a::boolean", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_BOOLEAN);

    e = target("SELECT '2024-01-01'::date", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_DATE);
    assert_str_const(e->u.cast.arg, "2024-01-01");
    e = target("SELECT DATE '2024-01-01'", 0);
    assert_int_equal(e->kind, EM_AST_CAST);
    assert_int_equal(e->location, 7); /* the DATE keyword */
    assert_int_equal(e->u.cast.type.id, EM_TYPE_DATE);
    assert_str_const(e->u.cast.arg, "2024-01-01");
    e = target("SELECT TIMESTAMP '2024-01-01 10:00:00'", 0);
    assert_int_equal(e->u.cast.type.id, EM_TYPE_TIMESTAMP);

    /* A type ember lacks: the type module's error, placed at the type. */
    em_error err;
    parse_fail("SELECT a::uuid", &err);
    assert_int_equal(err.code, EM_EUNSUPPORTED);
    assert_int_equal(err.sql_pos, 11);
    parse_fail("SELECT a::nosuchtype", &err);
    assert_int_equal(err.code, EM_ETYPE);
    assert_int_equal(err.sql_pos, 11);
}

static void test_intervals(void **state)
{
    (void)state;
    em_ast *e = target("SELECT INTERVAL '1 day'", 0);
    assert_int_equal(e->kind, EM_AST_INTERVAL);
    assert_int_equal(e->location, 7);
    assert_string_equal(e->u.interval.text, "1 day");
    assert_null(e->u.interval.unit);
    e = target("SELECT INTERVAL '3' MONTH", 0);
    assert_string_equal(e->u.interval.text, "3");
    assert_string_equal(e->u.interval.unit, "month");
    e = target("SELECT INTERVAL '1-2' YEAR TO MONTH", 0);
    assert_string_equal(e->u.interval.unit, "year to month");
    e = target("SELECT interval '5' hour", 0);
    assert_string_equal(e->u.interval.unit, "hour");
    e = target("SELECT '2 hours'::interval", 0);
    assert_int_equal(e->kind, EM_AST_INTERVAL);
    assert_string_equal(e->u.interval.text, "2 hours");
    e = target("SELECT d + INTERVAL '1' DAY", 0);
    assert_int_equal(e->u.binary.right->kind, EM_AST_INTERVAL);
    assert_string_equal(e->u.binary.right->u.interval.unit, "day");

    expect_unsupported("SELECT x::interval", "INTERVAL", "::");
    expect_unsupported("SELECT INTERVAL '1' SECOND(3)", "INTERVAL with a precision", "INTERVAL");
}

/* ---- functions, aggregates, windows ---------------------------------------------- */

static void test_functions(void **state)
{
    (void)state;
    em_ast *e = target("SELECT count(*)", 0);
    assert_int_equal(e->kind, EM_AST_FUNC);
    assert_string_equal(e->u.func.name, "count");
    assert_true(e->u.func.star);
    assert_int_equal(e->u.func.args.n, 0);
    assert_int_equal(e->location, 7);

    e = target("SELECT COUNT(DISTINCT a) FILTER (WHERE b > 1)", 0);
    assert_string_equal(e->u.func.name, "count");
    assert_true(e->u.func.distinct);
    assert_false(e->u.func.star);
    assert_column(e->u.func.args.items[0], NULL, "a");
    assert_non_null(e->u.func.filter);
    assert_int_equal(e->u.func.filter->u.binary.op, EM_OP_GT);

    e = target("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x DESC)", 0);
    assert_true(e->u.func.within_group);
    assert_int_equal(e->u.func.norder, 1);
    assert_true(e->u.func.order_by[0].desc);
    assert_column(e->u.func.order_by[0].expr, NULL, "x");

    e = target("SELECT string_agg(a, ',' ORDER BY b NULLS FIRST)", 0);
    assert_false(e->u.func.within_group);
    assert_int_equal(e->u.func.norder, 1);
    assert_int_equal(e->u.func.order_by[0].nulls_first, 1);
    assert_int_equal(e->u.func.args.n, 2);

    e = target("SELECT coalesce(a, b, 0)", 0);
    assert_string_equal(e->u.func.name, "coalesce");
    assert_int_equal(e->u.func.args.n, 3);
    e = target("SELECT greatest(a, b)", 0);
    assert_string_equal(e->u.func.name, "greatest");
    e = target("SELECT least(a, b)", 0);
    assert_string_equal(e->u.func.name, "least");
    e = target("SELECT current_date", 0);
    assert_string_equal(e->u.func.name, "current_date");
    assert_int_equal(e->u.func.args.n, 0);
    e = target("SELECT CURRENT_TIMESTAMP", 0);
    assert_string_equal(e->u.func.name, "current_timestamp");

    e = target("SELECT EXTRACT(YEAR FROM d)", 0);
    assert_int_equal(e->kind, EM_AST_EXTRACT);
    assert_string_equal(e->u.extract.field, "year");
    assert_column(e->u.extract.arg, NULL, "d");
    assert_int_equal(e->location, 7);
    e = target("SELECT date_part('Month', d)", 0);
    assert_int_equal(e->kind, EM_AST_EXTRACT);
    assert_string_equal(e->u.extract.field, "month");

    e = target("SELECT substring(s FROM 2 FOR 3)", 0);
    assert_string_equal(e->u.func.name, "substring");
    assert_int_equal(e->u.func.args.n, 3);
    assert_int_const(e->u.func.args.items[1], 2);
    e = target("SELECT position('a' IN s)", 0);
    assert_string_equal(e->u.func.name, "position");
    assert_column(e->u.func.args.items[0], NULL, "s"); /* haystack first */
    assert_str_const(e->u.func.args.items[1], "a");
    e = target("SELECT trim(BOTH 'x' FROM s)", 0);
    assert_string_equal(e->u.func.name, "btrim");
    assert_column(e->u.func.args.items[0], NULL, "s");
    e = target("SELECT trim(LEADING FROM s)", 0);
    assert_string_equal(e->u.func.name, "ltrim");
    e = target("SELECT trim(TRAILING FROM s)", 0);
    assert_string_equal(e->u.func.name, "rtrim");
    e = target("SELECT pg_catalog.UPPER(s)", 0);
    assert_string_equal(e->u.func.name, "upper");

    expect_unsupported("SELECT myschema.f(1)", "schema-qualified function", "myschema");
    expect_unsupported("SELECT f(x => 1)", "named argument", "x =>");
}

static void test_windows(void **state)
{
    (void)state;
    em_ast *e = target("SELECT sum(x) OVER (PARTITION BY a, b ORDER BY c DESC "
                       "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
                       0);
    em_ast_window *w = e->u.func.over;
    assert_non_null(w);
    assert_int_equal(w->partition_by.n, 2);
    assert_int_equal(w->norder, 1);
    assert_true(w->order_by[0].desc);
    assert_true(w->has_frame);
    assert_true(w->frame_rows);
    assert_int_equal(w->start_kind, EM_FRAME_PRECEDING);
    assert_int_const(w->start_offset, 2);
    assert_int_equal(w->end_kind, EM_FRAME_CURRENT_ROW);
    assert_null(w->end_offset);

    w = target("SELECT rank() OVER ()", 0)->u.func.over;
    assert_non_null(w);
    assert_false(w->has_frame);
    assert_int_equal(w->partition_by.n, 0);

    w = target("SELECT sum(x) OVER (ORDER BY b)", 0)->u.func.over;
    assert_false(w->has_frame);
    assert_int_equal(w->start_kind, EM_FRAME_UNBOUNDED_PRECEDING);
    assert_int_equal(w->end_kind, EM_FRAME_CURRENT_ROW);

    w = target("SELECT sum(x) OVER (ROWS 3 PRECEDING)", 0)->u.func.over;
    assert_true(w->has_frame);
    assert_int_equal(w->start_kind, EM_FRAME_PRECEDING);
    assert_int_const(w->start_offset, 3);
    assert_int_equal(w->end_kind, EM_FRAME_CURRENT_ROW);

    w = target("SELECT sum(x) OVER (RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)", 0)
            ->u.func.over;
    assert_true(w->has_frame);
    assert_false(w->frame_rows);
    assert_int_equal(w->start_kind, EM_FRAME_UNBOUNDED_PRECEDING);
    assert_int_equal(w->end_kind, EM_FRAME_UNBOUNDED_FOLLOWING);

    w = target("SELECT sum(x) OVER (ROWS BETWEEN CURRENT ROW AND 5 FOLLOWING)", 0)->u.func.over;
    assert_int_equal(w->start_kind, EM_FRAME_CURRENT_ROW);
    assert_int_equal(w->end_kind, EM_FRAME_FOLLOWING);
    assert_int_const(w->end_offset, 5);

    expect_unsupported("SELECT sum(x) OVER (GROUPS 1 PRECEDING) FROM t", "GROUPS", "(GROUPS");
    expect_unsupported("SELECT sum(x) OVER w FROM t WINDOW w AS (ORDER BY y)", "named window",
                       "w FROM");
}

/* ---- subqueries --------------------------------------------------------------------- */

static void test_subqueries(void **state)
{
    (void)state;
    em_ast *e = target("SELECT (SELECT max(x) FROM t)", 0);
    assert_int_equal(e->kind, EM_AST_SUBQUERY);
    assert_int_equal(e->location, 7);
    assert_int_equal(e->u.subquery.query->kind, EM_AST_SELECT);
    assert_int_equal(e->u.subquery.query->location, 8);

    em_ast *s = parse1("SELECT * FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.id) "
                       "AND NOT EXISTS (SELECT 1) AND a IN (SELECT b FROM u) "
                       "AND a NOT IN (SELECT b FROM u) AND a = ANY (SELECT b FROM u)");
    em_ast *w = s->u.select.where;
    assert_int_equal(w->kind, EM_AST_AND);
    assert_int_equal(w->u.bool_args.n, 5);
    assert_int_equal(w->u.bool_args.items[0]->kind, EM_AST_EXISTS);
    assert_non_null(w->u.bool_args.items[0]->u.subquery.query->u.select.where);
    assert_int_equal(w->u.bool_args.items[1]->kind, EM_AST_NOT);
    assert_int_equal(w->u.bool_args.items[1]->u.unary.arg->kind, EM_AST_EXISTS);
    em_ast *in = w->u.bool_args.items[2];
    assert_int_equal(in->kind, EM_AST_IN_SUBQUERY);
    assert_false(in->u.subquery.negated);
    assert_column(in->u.subquery.arg, NULL, "a");
    assert_int_equal(in->u.subquery.query->u.select.ntargets, 1);
    em_ast *notin = w->u.bool_args.items[3];
    assert_int_equal(notin->kind, EM_AST_IN_SUBQUERY);
    assert_true(notin->u.subquery.negated);
    assert_int_equal(w->u.bool_args.items[4]->kind, EM_AST_IN_SUBQUERY);

    expect_unsupported("SELECT a > ALL (SELECT b FROM u)", "ALL (subquery)", ">");
    expect_unsupported("SELECT a < ANY (SELECT b FROM u)", "< ANY (subquery)", "<");
}

/* ---- SELECT clauses ------------------------------------------------------------------ */

static void test_select_clauses(void **state)
{
    (void)state;
    em_ast *s = parse1("SELECT DISTINCT a, sum(b) FROM t WHERE c > 0 GROUP BY a, 2 "
                       "HAVING sum(b) > 10 ORDER BY a DESC NULLS FIRST, 2 NULLS LAST, a "
                       "LIMIT 10 OFFSET 5");
    assert_true(s->u.select.distinct);
    assert_int_equal(s->u.select.op, EM_SETOP_NONE);
    assert_int_equal(s->u.select.from.n, 1);
    em_ast *t = s->u.select.from.items[0];
    assert_int_equal(t->kind, EM_AST_TABLE_REF);
    assert_string_equal(t->u.table_ref.name, "t");
    assert_false(t->u.table_ref.is_path);
    assert_null(t->u.table_ref.schema);
    assert_null(t->u.table_ref.alias);
    assert_int_equal(t->location, 31);
    assert_int_equal(s->u.select.where->kind, EM_AST_BINARY);
    assert_int_equal(s->u.select.group_by.n, 2);
    assert_int_const(s->u.select.group_by.items[1], 2);
    assert_non_null(s->u.select.having);
    assert_int_equal(s->u.select.norder, 3);
    assert_true(s->u.select.order_by[0].desc);
    assert_int_equal(s->u.select.order_by[0].nulls_first, 1);
    assert_false(s->u.select.order_by[1].desc);
    assert_int_equal(s->u.select.order_by[1].nulls_first, 0);
    assert_int_equal(s->u.select.order_by[2].nulls_first, -1);
    assert_int_const(s->u.select.limit, 10);
    assert_int_const(s->u.select.offset, 5);

    s = parse1("SELECT a FROM t LIMIT ALL");
    assert_null(s->u.select.limit);
    assert_null(s->u.select.offset);
    s = parse1("SELECT a FROM t FETCH FIRST 3 ROWS ONLY");
    assert_int_const(s->u.select.limit, 3);
    s = parse1("SELECT a FROM s.t AS x (c1, c2)");
    t = s->u.select.from.items[0];
    assert_string_equal(t->u.table_ref.schema, "s");
    assert_string_equal(t->u.table_ref.name, "t");
    assert_string_equal(t->u.table_ref.alias, "x");
    assert_int_equal(t->u.table_ref.ncolumns, 2);
    assert_string_equal(t->u.table_ref.columns[1], "c2");
}

static void test_joins(void **state)
{
    (void)state;
    em_ast *s = parse1("SELECT * FROM a JOIN b ON a.id = b.id LEFT JOIN c USING (id, k) "
                       "RIGHT OUTER JOIN d ON true FULL JOIN e ON false CROSS JOIN f "
                       "NATURAL JOIN g, h");
    assert_int_equal(s->u.select.from.n, 2);
    assert_string_equal(s->u.select.from.items[1]->u.table_ref.name, "h");
    em_ast *j = s->u.select.from.items[0]; /* ((((((a b) c) d) e) f) g) */
    assert_int_equal(j->kind, EM_AST_JOIN);
    assert_int_equal(j->u.join.type, EM_JOIN_INNER);
    assert_true(j->u.join.natural);
    assert_null(j->u.join.on);
    assert_string_equal(j->u.join.right->u.table_ref.name, "g");
    j = j->u.join.left;
    assert_int_equal(j->u.join.type, EM_JOIN_CROSS);
    assert_null(j->u.join.on);
    j = j->u.join.left;
    assert_int_equal(j->u.join.type, EM_JOIN_FULL);
    j = j->u.join.left;
    assert_int_equal(j->u.join.type, EM_JOIN_RIGHT);
    assert_int_equal(j->u.join.on->kind, EM_AST_CONST);
    j = j->u.join.left;
    assert_int_equal(j->u.join.type, EM_JOIN_LEFT);
    assert_int_equal(j->u.join.nusing, 2);
    assert_string_equal(j->u.join.using_cols[0], "id");
    assert_string_equal(j->u.join.using_cols[1], "k");
    j = j->u.join.left;
    assert_int_equal(j->u.join.type, EM_JOIN_INNER);
    assert_false(j->u.join.natural);
    assert_int_equal(j->u.join.on->u.binary.op, EM_OP_EQ);
    assert_string_equal(j->u.join.left->u.table_ref.name, "a");
    assert_string_equal(j->u.join.right->u.table_ref.name, "b");
    assert_int_equal(j->location, 14); /* where its left side starts */
}

static void test_derived_and_ctes(void **state)
{
    (void)state;
    const char *sql = "WITH x (a, b) AS (SELECT 1, 2), y AS MATERIALIZED (SELECT * FROM x) "
                      "SELECT * FROM (SELECT a FROM y) AS d (c)";
    em_ast *s = parse1(sql);
    assert_int_equal(s->location, 0);
    assert_int_equal(s->u.select.nctes, 2);
    assert_string_equal(s->u.select.ctes[0].name, "x");
    assert_int_equal(s->u.select.ctes[0].ncolumns, 2);
    assert_string_equal(s->u.select.ctes[0].columns[1], "b");
    assert_int_equal(s->u.select.ctes[0].query->kind, EM_AST_SELECT);
    assert_int_equal(s->u.select.ctes[0].query->location, 18);
    assert_string_equal(s->u.select.ctes[1].name, "y");
    assert_int_equal(s->u.select.ctes[1].ncolumns, 0);
    em_ast *d = s->u.select.from.items[0];
    assert_int_equal(d->kind, EM_AST_DERIVED);
    assert_string_equal(d->u.derived.alias, "d");
    assert_int_equal(d->u.derived.ncolumns, 1);
    assert_string_equal(d->u.derived.columns[0], "c");
    assert_int_equal(d->u.derived.query->u.select.ntargets, 1);
    assert_int_equal(d->location, pos_of(sql, "(SELECT a")); /* the opening parenthesis */
}

static void test_set_operations(void **state)
{
    (void)state;
    const char *sql = "SELECT a FROM t UNION ALL SELECT b FROM u EXCEPT SELECT c FROM v "
                      "ORDER BY 1 LIMIT 5";
    em_ast *s = parse1(sql);
    assert_int_equal(s->kind, EM_AST_SELECT);
    assert_int_equal(s->u.select.op, EM_SETOP_EXCEPT);
    assert_false(s->u.select.all);
    assert_int_equal(s->u.select.norder, 1);
    assert_int_const(s->u.select.limit, 5);
    em_ast *l = s->u.select.left;
    assert_int_equal(l->u.select.op, EM_SETOP_UNION);
    assert_true(l->u.select.all);
    assert_int_equal(l->u.select.left->u.select.op, EM_SETOP_NONE);
    assert_string_equal(l->u.select.left->u.select.from.items[0]->u.table_ref.name, "t");
    assert_string_equal(s->u.select.right->u.select.from.items[0]->u.table_ref.name, "v");
    assert_int_equal(s->u.select.right->location, pos_of(sql, "SELECT c"));
    assert_int_equal(l->u.select.right->location, pos_of(sql, "SELECT b"));

    s = parse1("SELECT 1 INTERSECT SELECT 2");
    assert_int_equal(s->u.select.op, EM_SETOP_INTERSECT);

    s = parse1("WITH c AS (SELECT 1) SELECT * FROM c UNION SELECT * FROM c");
    assert_int_equal(s->u.select.op, EM_SETOP_UNION);
    assert_int_equal(s->u.select.nctes, 1);
}

static void test_values(void **state)
{
    (void)state;
    em_ast *s = parse1("VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    assert_int_equal(s->kind, EM_AST_SELECT);
    assert_int_equal(s->u.select.nvalues_rows, 3);
    assert_int_equal(s->u.select.values_rows[0].n, 2);
    assert_int_const(s->u.select.values_rows[1].items[0], 2);
    assert_str_const(s->u.select.values_rows[1].items[1], "b");
    assert_int_equal(s->u.select.ntargets, 0);

    s = parse1("SELECT * FROM (VALUES (1), (2)) AS v (x)");
    em_ast *d = s->u.select.from.items[0];
    assert_int_equal(d->kind, EM_AST_DERIVED);
    assert_int_equal(d->u.derived.query->u.select.nvalues_rows, 2);
    assert_int_equal(d->u.derived.query->location, 15);
}

/* ---- statements ---------------------------------------------------------------------- */

static void test_create_statements(void **state)
{
    (void)state;
    em_ast *s = parse1("CREATE TEMP TABLE IF NOT EXISTS t (a int NOT NULL, b varchar(10) NULL, "
                       "c numeric(10,2), d date, e timestamp, f double precision, g bigint, "
                       "h boolean)");
    assert_int_equal(s->kind, EM_AST_CREATE_TABLE);
    assert_string_equal(s->u.create.name, "t");
    assert_true(s->u.create.temporary);
    assert_true(s->u.create.if_not_exists);
    assert_false(s->u.create.or_replace);
    assert_null(s->u.create.query);
    assert_int_equal(s->u.create.ncolumns, 8);
    em_ast_coldef *c = s->u.create.columns;
    assert_string_equal(c[0].name, "a");
    assert_int_equal(c[0].type.id, EM_TYPE_INTEGER);
    assert_true(c[0].not_null);
    assert_int_equal(c[0].location, 35);
    assert_int_equal(c[1].type.id, EM_TYPE_VARCHAR);
    assert_false(c[1].not_null);
    assert_int_equal(c[2].type.id, EM_TYPE_DECIMAL);
    assert_int_equal(c[2].type.precision, 10);
    assert_int_equal(c[2].type.scale, 2);
    assert_int_equal(c[3].type.id, EM_TYPE_DATE);
    assert_int_equal(c[4].type.id, EM_TYPE_TIMESTAMP);
    assert_int_equal(c[5].type.id, EM_TYPE_DOUBLE);
    assert_int_equal(c[6].type.id, EM_TYPE_BIGINT);
    assert_int_equal(c[7].type.id, EM_TYPE_BOOLEAN);

    s = parse1("CREATE TABLE t2 AS SELECT a FROM t");
    assert_int_equal(s->kind, EM_AST_CREATE_TABLE);
    assert_string_equal(s->u.create.name, "t2");
    assert_false(s->u.create.temporary);
    assert_int_equal(s->u.create.ncolumns, 0);
    assert_non_null(s->u.create.query);
    assert_int_equal(s->u.create.query->location, 19);

    s = parse1("CREATE TABLE t3 (x, y) AS VALUES (1, 2)");
    assert_int_equal(s->u.create.nalias, 2);
    assert_string_equal(s->u.create.alias[0], "x");
    assert_int_equal(s->u.create.query->u.select.nvalues_rows, 1);

    s = parse1("CREATE OR REPLACE VIEW v (a, b) AS SELECT 1, 2");
    assert_int_equal(s->kind, EM_AST_CREATE_VIEW);
    assert_string_equal(s->u.create.name, "v");
    assert_true(s->u.create.or_replace);
    assert_int_equal(s->u.create.nalias, 2);
    assert_string_equal(s->u.create.alias[1], "b");
    assert_int_equal(s->u.create.query->u.select.ntargets, 2);
    s = parse1("CREATE VIEW v2 AS SELECT * FROM 'data.csv'");
    assert_false(s->u.create.or_replace);
    assert_true(s->u.create.query->u.select.from.items[0]->u.table_ref.is_path);

    expect_unsupported("CREATE TABLE t (a int PRIMARY KEY)", "PRIMARY KEY", "PRIMARY");
    expect_unsupported("CREATE TABLE t (a int DEFAULT 0)", "DEFAULT", "DEFAULT");
    expect_unsupported("CREATE TABLE t (a int, CHECK (a > 0))", "CHECK", "CHECK");
    expect_unsupported("CREATE TABLE s.t (a int)", "schema-qualified", "s.t");
    expect_unsupported("CREATE MATERIALIZED VIEW m AS SELECT 1", "MATERIALIZED VIEW", "m AS");
    expect_unsupported("CREATE UNLOGGED TABLE t (a int)", "UNLOGGED", "t (");
}

static void test_insert_drop(void **state)
{
    (void)state;
    em_ast *s = parse1("INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y')");
    assert_int_equal(s->kind, EM_AST_INSERT);
    assert_string_equal(s->u.insert.table, "t");
    assert_int_equal(s->u.insert.ncolumns, 2);
    assert_string_equal(s->u.insert.columns[1], "b");
    assert_int_equal(s->u.insert.query->u.select.nvalues_rows, 2);

    s = parse1("INSERT INTO t SELECT * FROM 'in.csv'");
    assert_int_equal(s->u.insert.ncolumns, 0);
    assert_null(s->u.insert.columns);
    assert_true(s->u.insert.query->u.select.from.items[0]->u.table_ref.is_path);

    s = parse1("WITH w AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM w");
    assert_int_equal(s->kind, EM_AST_INSERT);
    assert_int_equal(s->u.insert.query->u.select.nctes, 1);
    assert_string_equal(s->u.insert.query->u.select.ctes[0].name, "w");

    s = parse1("DROP TABLE IF EXISTS a, b");
    assert_int_equal(s->kind, EM_AST_DROP);
    assert_false(s->u.drop.is_view);
    assert_true(s->u.drop.if_exists);
    assert_int_equal(s->u.drop.nnames, 2);
    assert_string_equal(s->u.drop.names[0], "a");
    assert_string_equal(s->u.drop.names[1], "b");
    s = parse1("DROP VIEW v");
    assert_true(s->u.drop.is_view);
    assert_false(s->u.drop.if_exists);

    expect_unsupported("INSERT INTO t VALUES (1) RETURNING a", "RETURNING", "a");
    expect_unsupported("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING", "ON CONFLICT",
                       "ON CONFLICT");
    expect_unsupported("INSERT INTO t DEFAULT VALUES", "DEFAULT VALUES", "t DEFAULT");
    expect_unsupported("DROP TABLE t CASCADE", "CASCADE", "DROP");
    expect_unsupported("DROP INDEX i", "DROP of this kind", "DROP");
}

static void test_explain(void **state)
{
    (void)state;
    em_ast *s = parse1("EXPLAIN SELECT 1");
    assert_int_equal(s->kind, EM_AST_EXPLAIN);
    assert_false(s->u.explain.analyze);
    assert_false(s->u.explain.verbose);
    assert_int_equal(s->u.explain.stmt->kind, EM_AST_SELECT);
    assert_int_equal(s->u.explain.stmt->location, 8);
    s = parse1("EXPLAIN ANALYZE VERBOSE SELECT 1");
    assert_true(s->u.explain.analyze);
    assert_true(s->u.explain.verbose);
    s = parse1("EXPLAIN (ANALYZE, VERBOSE false) SELECT 1");
    assert_true(s->u.explain.analyze);
    assert_false(s->u.explain.verbose);
    s = parse1("EXPLAIN (ANALYZE off) CREATE TABLE t AS SELECT 1");
    assert_false(s->u.explain.analyze);
    assert_int_equal(s->u.explain.stmt->kind, EM_AST_CREATE_TABLE);
    expect_unsupported("EXPLAIN (COSTS off) SELECT 1", "EXPLAIN option costs", "COSTS");
}

static void test_copy(void **state)
{
    (void)state;
    em_ast *s = parse1("COPY (SELECT * FROM 'in.csv') TO 'out/dir' WITH (FORMAT parquet, HEADER, "
                       "DELIMITER '|', PARTITION_BY (a, 'b'), COMPRESSION 3, OVERWRITE true, "
                       "RATIO 1.5, FORCE_QUOTE *)");
    assert_int_equal(s->kind, EM_AST_COPY);
    assert_non_null(s->u.copy.query);
    assert_true(s->u.copy.query->u.select.from.items[0]->u.table_ref.is_path);
    assert_string_equal(s->u.copy.query->u.select.from.items[0]->u.table_ref.name, "in.csv");
    assert_null(s->u.copy.table);
    assert_string_equal(s->u.copy.path, "out/dir");
    assert_false(s->u.copy.is_from);
    assert_int_equal(s->u.copy.noptions, 8);
    em_ast_option *o = s->u.copy.options;
    assert_string_equal(o[0].name, "format");
    assert_column(o[0].value, NULL, "parquet"); /* a bare word */
    assert_string_equal(o[1].name, "header");
    assert_null(o[1].value);
    assert_string_equal(o[2].name, "delimiter");
    assert_str_const(o[2].value, "|");
    assert_string_equal(o[3].name, "partition_by");
    assert_null(o[3].value);
    assert_int_equal(o[3].list.n, 2);
    assert_column(o[3].list.items[0], NULL, "a");
    assert_str_const(o[3].list.items[1], "b");
    assert_int_const(o[4].value, 3);
    assert_int_equal(o[5].value->kind, EM_AST_CONST);
    assert_int_equal(o[5].value->u.constant.value.type.id, EM_TYPE_BOOLEAN);
    assert_true(o[5].value->u.constant.value.v.b);
    assert_int_equal(o[6].value->u.constant.value.type.id, EM_TYPE_DECIMAL);
    assert_int_equal(o[7].value->kind, EM_AST_STAR);
    assert_int_equal(o[0].location, 49); /* FORMAT */
    assert_int_equal(o[3].list.items[1]->location, 105);

    s = parse1("COPY t FROM 'x.csv' (FORMAT csv, DELIMITER ',')");
    assert_string_equal(s->u.copy.table, "t");
    assert_null(s->u.copy.query);
    assert_string_equal(s->u.copy.path, "x.csv");
    assert_true(s->u.copy.is_from);
    assert_int_equal(s->u.copy.noptions, 2);
    assert_str_const(s->u.copy.options[1].value, ",");

    s = parse1("COPY t TO 'x.csv' CSV HEADER DELIMITER AS ';'");
    assert_int_equal(s->u.copy.noptions, 3);
    assert_string_equal(s->u.copy.options[1].name, "header");
    assert_true(s->u.copy.options[1].value->u.constant.value.v.b);
    assert_str_const(s->u.copy.options[2].value, ";");

    expect_unsupported("COPY t FROM STDIN", "STDIN", "COPY");
    expect_unsupported("COPY t (a) TO 'x'", "column list", "COPY");
}

static void test_set_reset(void **state)
{
    (void)state;
    em_parsed p = parse_ok("SET ember.sql.shuffle.partitions = 8; RESET x; SET a TO 'B c'; "
                           "SET b = on; SET c TO DEFAULT; SET d = 1.5, 'x'; SET E = -2");
    assert_int_equal(p.nstmts, 7);
    em_ast *s = p.stmts[0];
    assert_int_equal(s->kind, EM_AST_SET);
    assert_string_equal(s->u.set.name, "ember.sql.shuffle.partitions");
    assert_string_equal(s->u.set.value, "8");
    assert_int_equal(s->location, 0);
    assert_string_equal(p.stmts[1]->u.set.name, "x");
    assert_null(p.stmts[1]->u.set.value);
    assert_string_equal(p.stmts[2]->u.set.value, "B c");
    assert_string_equal(p.stmts[3]->u.set.value, "on");
    assert_null(p.stmts[4]->u.set.value);
    assert_string_equal(p.stmts[5]->u.set.value, "1.5, x");
    assert_string_equal(p.stmts[6]->u.set.name, "e");
    assert_string_equal(p.stmts[6]->u.set.value, "-2");
    expect_unsupported("RESET ALL", "RESET ALL", "RESET");
    expect_unsupported("SET LOCAL x = 1", "SET LOCAL", "SET");
}

/* ---- FROM 'file' --------------------------------------------------------------------- */

static void test_from_path(void **state)
{
    (void)state;
    em_ast *s = parse1("SELECT * FROM 'data/x.csv'");
    em_ast *t = s->u.select.from.items[0];
    assert_int_equal(t->kind, EM_AST_TABLE_REF);
    assert_true(t->u.table_ref.is_path);
    assert_string_equal(t->u.table_ref.name, "data/x.csv");
    assert_int_equal(t->location, 14);

    /* A comma list, an alias, a quote inside, a JOIN, a comment. */
    s = parse1("SELECT a.x FROM 'a.csv' AS a, t, /* c */ 'it''s.json' b "
               "JOIN 'c.parquet' c ON b.id = c.id LEFT JOIN t2 ON true, 'd.csv'");
    assert_int_equal(s->u.select.from.n, 4);
    t = s->u.select.from.items[0];
    assert_true(t->u.table_ref.is_path);
    assert_string_equal(t->u.table_ref.name, "a.csv");
    assert_string_equal(t->u.table_ref.alias, "a");
    assert_false(s->u.select.from.items[1]->u.table_ref.is_path);
    em_ast *j = s->u.select.from.items[2];
    assert_int_equal(j->kind, EM_AST_JOIN);
    em_ast *inner = j->u.join.left;
    assert_int_equal(inner->kind, EM_AST_JOIN);
    assert_true(inner->u.join.left->u.table_ref.is_path);
    assert_string_equal(inner->u.join.left->u.table_ref.name, "it's.json");
    assert_string_equal(inner->u.join.left->u.table_ref.alias, "b");
    assert_true(inner->u.join.right->u.table_ref.is_path);
    assert_string_equal(inner->u.join.right->u.table_ref.name, "c.parquet");
    assert_false(j->u.join.right->u.table_ref.is_path);
    assert_true(s->u.select.from.items[3]->u.table_ref.is_path);
    assert_string_equal(s->u.select.from.items[3]->u.table_ref.name, "d.csv");

    /* Parenthesized joins continue the FROM list. */
    s = parse1("SELECT * FROM ('p.csv' AS p JOIN (q JOIN 'r.csv' r ON true) ON true)");
    j = s->u.select.from.items[0];
    assert_int_equal(j->kind, EM_AST_JOIN);
    assert_string_equal(j->u.join.left->u.table_ref.name, "p.csv");
    assert_true(j->u.join.left->u.table_ref.is_path);
    assert_string_equal(j->u.join.right->u.join.right->u.table_ref.name, "r.csv");
    assert_true(j->u.join.right->u.join.right->u.table_ref.is_path);

    /* Longer than PostgreSQL's 63-byte identifiers: kept whole. */
    const char *longp = "SELECT * FROM '/a/very/long/directory/name/that/goes/on/and/on/and/on/"
                        "file_with_a_long_name.csv'";
    s = parse1(longp);
    assert_string_equal(s->u.select.from.items[0]->u.table_ref.name,
                        "/a/very/long/directory/name/that/goes/on/and/on/and/on/"
                        "file_with_a_long_name.csv");

    /* Strings after FROM that are not tables stay strings. */
    s = parse1("SELECT EXTRACT(YEAR FROM '2024-01-01'::date), substring('abc' FROM 2), "
               "a IS DISTINCT FROM 'x', trim(BOTH FROM 'y') FROM 'f.csv' WHERE b = 'z'");
    assert_int_equal(s->u.select.targets[0].expr->kind, EM_AST_EXTRACT);
    assert_str_const(s->u.select.targets[0].expr->u.extract.arg->u.cast.arg, "2024-01-01");
    assert_str_const(s->u.select.targets[1].expr->u.func.args.items[0], "abc");
    assert_str_const(s->u.select.targets[2].expr->u.binary.right, "x");
    assert_true(s->u.select.from.items[0]->u.table_ref.is_path);
    assert_str_const(s->u.select.where->u.binary.right, "z");

    /* Subqueries, set operations, CTEs and several statements. */
    em_parsed p = parse_ok("SELECT * FROM (SELECT * FROM 'in1.csv') s UNION SELECT * FROM "
                           "'in2.csv'; WITH c AS (SELECT * FROM 'in3.csv') SELECT * FROM c; "
                           "COPY t FROM 'not_a_table.csv'");
    assert_int_equal(p.nstmts, 3);
    em_ast *d = p.stmts[0]->u.select.left->u.select.from.items[0];
    assert_string_equal(d->u.derived.query->u.select.from.items[0]->u.table_ref.name, "in1.csv");
    assert_string_equal(p.stmts[0]->u.select.right->u.select.from.items[0]->u.table_ref.name,
                        "in2.csv");
    assert_true(p.stmts[1]->u.select.ctes[0].query->u.select.from.items[0]->u.table_ref.is_path);
    assert_string_equal(p.stmts[2]->u.copy.path, "not_a_table.csv");

    em_error err;
    parse_fail("SELECT * FROM 'we\"ird.csv'", &err);
    assert_int_equal(err.code, EM_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "double quote"));
    assert_int_equal(err.sql_pos, 15);
    parse_fail("SELECT * FROM ''", &err);
    assert_int_equal(err.code, EM_ESYNTAX);
    assert_int_equal(err.sql_pos, 15);
    expect_unsupported("SELECT * FROM 'x.csv'(a)", "file path", "'x.csv'");
    expect_unsupported("SELECT * FROM E'x.csv'", "plain single-quoted", "E'x");
    /* A syntax error at a rewritten path quotes what the user wrote. */
    parse_fail("SELECT * FROM t 'x.csv'", &err);
    assert_int_equal(err.code, EM_ESYNTAX);
    parse_fail("SELECT * FROM 'a.csv' 'b.csv'", &err);
    assert_int_equal(err.code, EM_ESYNTAX);
    assert_string_equal(err.message, "syntax error at or near \"'b.csv'\"");
    assert_int_equal(err.sql_pos, 23);
}

static void test_table_functions(void **state)
{
    (void)state;
    const char *sql = "SELECT * FROM read_csv('x.csv', 'y.csv', delim => '|', HEADER = true, "
                      "\"Skip\" := 2, a = b + 1) AS r (c1, c2)";
    em_ast *s = parse1(sql);
    em_ast *f = s->u.select.from.items[0];
    assert_int_equal(f->kind, EM_AST_TABLE_FUNC);
    assert_string_equal(f->u.table_func.name, "read_csv");
    assert_int_equal(f->location, 14);
    assert_int_equal(f->u.table_func.args.n, 2);
    assert_str_const(f->u.table_func.args.items[0], "x.csv");
    assert_str_const(f->u.table_func.args.items[1], "y.csv");
    assert_int_equal(f->u.table_func.noptions, 4);
    em_ast_option *o = f->u.table_func.options;
    assert_string_equal(o[0].name, "delim");
    assert_str_const(o[0].value, "|");
    assert_int_equal(o[0].location, pos_of(sql, "delim"));
    assert_string_equal(o[1].name, "header");
    assert_int_equal(o[1].value->u.constant.value.type.id, EM_TYPE_BOOLEAN);
    assert_int_equal(o[1].location, pos_of(sql, "HEADER"));
    assert_string_equal(o[2].name, "skip"); /* lower-cased */
    assert_int_const(o[2].value, 2);
    assert_string_equal(o[3].name, "a");
    assert_int_equal(o[3].value->kind, EM_AST_BINARY);
    assert_string_equal(f->u.table_func.alias, "r");
    assert_int_equal(f->u.table_func.ncolumns, 2);

    s = parse1("SELECT * FROM read_parquet('p/*.parquet') JOIN range(10) r ON true");
    em_ast *j = s->u.select.from.items[0];
    assert_string_equal(j->u.join.left->u.table_func.name, "read_parquet");
    assert_int_equal(j->u.join.left->u.table_func.noptions, 0);
    assert_string_equal(j->u.join.right->u.table_func.name, "range");
    assert_int_const(j->u.join.right->u.table_func.args.items[0], 10);

    expect_unsupported("SELECT * FROM t, LATERAL f(t.x)", "LATERAL function", "LATERAL");
    expect_unsupported("SELECT * FROM f(1) WITH ORDINALITY", "WITH ORDINALITY", "f(1)");
}

/* ---- scripts, errors, carets --------------------------------------------------------- */

static void test_multi_statement(void **state)
{
    (void)state;
    const char *sql = "  -- leading comment\n"
                      "SELECT 1;\n"
                      "CREATE TABLE t (a int) ;  ;\n"
                      "/* c */ INSERT INTO t VALUES (1)\n";
    em_parsed p = parse_ok(sql);
    assert_int_equal(p.nstmts, 3);
    assert_int_equal(p.stmts[0]->kind, EM_AST_SELECT);
    assert_int_equal(p.stmts[1]->kind, EM_AST_CREATE_TABLE);
    assert_int_equal(p.stmts[2]->kind, EM_AST_INSERT);
    const char *expect[] = {"SELECT 1", "CREATE TABLE t (a int)", "INSERT INTO t VALUES (1)"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(p.stmt_lengths[i], (int)strlen(expect[i]));
        assert_memory_equal(sql + p.stmt_offsets[i], expect[i], strlen(expect[i]));
        assert_int_equal(p.stmts[i]->location, p.stmt_offsets[i]);
    }

    p = parse_ok("");
    assert_int_equal(p.nstmts, 0);
    p = parse_ok(" ; -- nothing\n");
    assert_int_equal(p.nstmts, 0);
}

static void test_syntax_error_and_caret(void **state)
{
    (void)state;
    const char *sql = "SELECT 1;\nSELEC x\nFROM t";
    em_error err;
    int rc = parse_fail(sql, &err);
    assert_int_equal(rc, EM_ESYNTAX);
    assert_string_equal(err.message, "syntax error at or near \"SELEC\"");
    assert_string_equal(err.sqlstate, "42601");
    assert_int_equal(err.sql_pos, 11);

    em_strbuf sb;
    em_strbuf_init(&sb);
    em_parse_format_caret(sql, err.sql_pos, &sb);
    assert_string_equal(sb.data, "LINE 2: SELEC x\n        ^\n");
    em_strbuf_clear(&sb);

    sql = "SELECT a,\n\tb FROM t\n\tWHERE a = = 1";
    parse_fail(sql, &err);
    assert_int_equal(err.code, EM_ESYNTAX);
    assert_string_equal(err.message, "syntax error at or near \"=\"");
    em_parse_format_caret(sql, err.sql_pos, &sb);
    assert_string_equal(sb.data, "LINE 3: \tWHERE a = = 1\n        \t          ^\n");
    em_strbuf_clear(&sb);

    sql = "SELECT 1 +";
    parse_fail(sql, &err);
    assert_string_equal(err.message, "syntax error at end of input");
    assert_int_equal(err.sql_pos, 11);
    em_parse_format_caret(sql, err.sql_pos, &sb);
    assert_string_equal(sb.data, "LINE 1: SELECT 1 +\n                  ^\n");
    em_strbuf_clear(&sb);

    /* Multi-byte characters take one caret column. */
    /* PostgreSQL counts characters; sql_pos is in bytes (é is two). */
    sql = "SELECT 'é' FORM t";
    parse_fail(sql, &err);
    assert_string_equal(err.message, "syntax error at or near \"t\"");
    assert_int_equal(err.sql_pos, 18);
    em_parse_format_caret(sql, err.sql_pos, &sb);
    assert_string_equal(sb.data, "LINE 1: SELECT 'é' FORM t\n                        ^\n");
    em_strbuf_release(&sb);

    /* Long lines are cut to a window around the position, as psql does. */
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "SELECT ");
    for (int i = 0; i < 30; i++) em_strbuf_printf(&sb, "col%02d, ", i);
    em_strbuf_puts(&sb, "x y z, more, columns, after, the, error FROM t");
    char *longsql = em_strbuf_detach(&sb);
    parse_fail(longsql, &err);
    assert_string_equal(err.message, "syntax error at or near \"z\"");
    em_strbuf_init(&sb);
    em_parse_format_caret(longsql, err.sql_pos, &sb);
    /* 60 characters ending 10 after the caret, cut on both sides. */
    char expect[256];
    const char *z = longsql + err.sql_pos - 1;
    snprintf(expect, sizeof(expect), "LINE 1: ...%.60s...\n%*s^\n", z + 10 - 60, 8 + 3 + 50, "");
    assert_string_equal(sb.data, expect);
    em_strbuf_release(&sb);
    em_free(longsql);

    parse_fail("SELECT 'unterminated", &err);
    assert_int_equal(err.code, EM_ESYNTAX);
    assert_true(err.sql_pos > 0);
}

static void test_unsupported(void **state)
{
    (void)state;
    expect_unsupported("SELECT * FROM t, LATERAL (SELECT 1) s", "LATERAL subquery", "LATERAL");
    expect_unsupported("SELECT a FROM t GROUP BY GROUPING SETS ((a), ())", "GROUPING SETS",
                       "GROUPING");
    expect_unsupported("SELECT a FROM t GROUP BY ROLLUP (a)", "ROLLUP", "ROLLUP");
    expect_unsupported("SELECT a FROM t GROUP BY CUBE (a)", "CUBE", "CUBE");
    expect_unsupported("SELECT DISTINCT ON (a) a, b FROM t", "DISTINCT ON", "DISTINCT");
    expect_unsupported("SELECT a FROM t FOR UPDATE", "FOR UPDATE", "FOR");
    expect_unsupported("SELECT rank() OVER w FROM t WINDOW w AS (ORDER BY a)", "named window",
                       "w FROM");
    expect_unsupported("SELECT a FROM t WINDOW w AS (ORDER BY a)", "WINDOW clause", "(ORDER");
    expect_unsupported("UPDATE t SET a = 1", "UPDATE statement", "UPDATE");
    expect_unsupported("SELECT 1;\n  DELETE FROM t", "DELETE statement", "DELETE");
    expect_unsupported("BEGIN", "transaction", "BEGIN");
    expect_unsupported("SHOW x", "SHOW", "SHOW");
    expect_unsupported("SELECT a INTO t2 FROM t", "SELECT INTO", "t2");
    expect_unsupported("WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r", "WITH RECURSIVE", "WITH");
    expect_unsupported("SELECT $1", "parameter", "$1");
    expect_unsupported("SELECT ARRAY[1, 2]", "ARRAY", "ARRAY");
    expect_unsupported("SELECT a[1] FROM t", "subscript", "a[1]");
    expect_unsupported("SELECT ROW(1, 2)", "row constructor", "ROW");
    expect_unsupported("SELECT a SIMILAR TO 'x' FROM t", "SIMILAR TO", "SIMILAR");
    expect_unsupported("SELECT a = ANY (ARRAY[1]) FROM t", "ANY (array)", "=");
    expect_unsupported("SELECT a BETWEEN SYMMETRIC 1 AND 2 FROM t", "SYMMETRIC", "BETWEEN");
    expect_unsupported("SELECT * FROM t TABLESAMPLE SYSTEM (10)", "TABLESAMPLE", "SYSTEM");
    expect_unsupported("SELECT * FROM ONLY t", "ONLY", "t");
    expect_unsupported("SELECT * FROM (a JOIN b ON true) j", "alias on a parenthesized join", "(a");
    expect_unsupported("SELECT s.t.c FROM s.t", "more than two parts", "s.t.c");
    expect_unsupported("SELECT a COLLATE \"C\" FROM t", "COLLATE", "COLLATE");
    expect_unsupported("SELECT b'101'", "bit string", "b'");
    expect_unsupported("SELECT current_user", "session information", "current_user");
    expect_unsupported("SELECT a FROM t ORDER BY a USING <", "USING", "<");
    expect_unsupported("SELECT a FROM t ORDER BY a FETCH FIRST 1 ROWS WITH TIES", "WITH TIES",
                       "1 ROWS");
    expect_unsupported("SELECT x FROM t GROUP BY DISTINCT a", "GROUP BY DISTINCT", "a");
}

/* Deep expressions are refused instead of exhausting the stack. */
static void test_deep_nesting(void **state)
{
    (void)state;
    em_strbuf sb;
    em_strbuf_init(&sb);
    em_strbuf_puts(&sb, "SELECT 1");
    for (int i = 0; i < 1000; i++) em_strbuf_puts(&sb, " + 1");
    em_ast *e = target(sb.data, 0);
    assert_int_equal(e->kind, EM_AST_BINARY);
    for (int i = 0; i < 3000; i++) em_strbuf_puts(&sb, " + 1");
    em_error err;
    parse_fail(sb.data, &err);
    assert_true(err.code == EM_EUNSUPPORTED || err.code == EM_ESYNTAX);
    em_strbuf_release(&sb);
}

/* Each thread that parses owns libpg_query state and cleans it up; a thread
 * that never parsed may call the cleanup too. */
static void *thread_main(void *arg)
{
    bool do_parse = arg != NULL;
    if (do_parse) {
        em_arena *a = em_arena_create(1024);
        em_parsed p;
        em_error err;
        int rc = em_parse("SELECT a FROM 'x.csv' WHERE b > 1", a, &p, &err);
        em_arena_destroy(a);
        em_parser_thread_cleanup();
        return rc == 0 ? (void *)1 : NULL;
    }
    em_parser_thread_cleanup();
    return (void *)1;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, i < 2 ? (void *)1 : NULL), 0);
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        assert_non_null(ret);
    }
}

/* On the main thread the cleanup releases libpg_query's memory for good; a
 * later parse there fails cleanly. Run in a child so the suite can go on. */
static void test_cleanup_main_thread(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        em_arena *a = em_arena_create(1024);
        em_parsed p;
        em_error err;
        int ok = em_parse("SELECT 1", a, &p, &err) == 0;
        em_parser_thread_cleanup();
        em_parser_thread_cleanup(); /* twice is harmless */
        ok = ok && em_parse("SELECT 1", a, &p, &err) == EM_EINTERNAL;
        em_arena_destroy(a);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_constants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_columns_and_stars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_predicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_casts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intervals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subqueries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_clauses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derived_and_ctes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_operations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_drop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_from_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_statement, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_error_and_caret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsupported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_nesting, setup, teardown),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_cleanup_main_thread),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}

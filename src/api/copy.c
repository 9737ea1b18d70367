/*
 * copy.c — COPY (query) TO 'path' (FORMAT f, PARTITION_BY (cols), option value, ...).
 *
 * The query is planned as usual and its last stage's tasks write files instead
 * of returning rows (format.h: em_write_desc, the writer operator). A path that
 * names a file of the format ('out.parquet') gets exactly that file: the plan is
 * gathered into one partition first. Otherwise the path is a directory of part
 * files, one or more per task, or a tree of col=value/ directories with
 * PARTITION_BY. Files appear only when their task commits; a failed job removes
 * what it wrote.
 */
#include "api/api_int.h"

#include "format/format.h"
#include "sql/binder/binder.h"
#include "sql/parser/parser.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A statement option's value as text; bare words arrive as column references. */
static int option_value(em_arena *a, const em_ast_option *o, const char **out, em_error *err)
{
    const em_ast *v = o->value;
    if (!v) {
        *out = "true"; /* (HEADER) alone means HEADER true */
        return 0;
    }
    if (v->kind == EM_AST_COLUMN && !v->u.column.qualifier) {
        *out = v->u.column.name;
        return 0;
    }
    if (v->kind == EM_AST_CONST && !v->u.constant.value.is_null) {
        em_strbuf sb;
        em_strbuf_init(&sb);
        em_value_format(&v->u.constant.value, &sb);
        *out = em_arena_strdup(a, sb.data ? sb.data : "");
        em_strbuf_release(&sb);
        return 0;
    }
    return em_error_set_pos(err, EM_EINVAL, o->location + 1, "COPY option %s needs a constant",
                            o->name);
}

/* SELECT * FROM table, for COPY table TO ... */
static em_ast *select_all(em_arena *a, const char *table, int location)
{
    em_ast *ref = em_arena_calloc(a, sizeof(em_ast));
    ref->kind = EM_AST_TABLE_REF;
    ref->location = location;
    ref->u.table_ref.name = table;
    em_ast *star = em_arena_calloc(a, sizeof(em_ast));
    star->kind = EM_AST_STAR;
    star->location = location;
    em_ast *sel = em_arena_calloc(a, sizeof(em_ast));
    sel->kind = EM_AST_SELECT;
    sel->location = location;
    sel->u.select.ntargets = 1;
    sel->u.select.targets = em_arena_calloc(a, sizeof(em_ast_target));
    sel->u.select.targets[0].expr = star;
    sel->u.select.from.n = 1;
    sel->u.select.from.items = em_arena_alloc(a, sizeof(em_ast *));
    sel->u.select.from.items[0] = ref;
    return sel;
}

static const char *extension_format(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (!dot) return NULL;
    if (em_str_ieq(dot, ".parquet")) return "parquet";
    if (em_str_ieq(dot, ".csv") || em_str_ieq(dot, ".tsv")) return "csv";
    if (em_str_ieq(dot, ".json") || em_str_ieq(dot, ".jsonl") || em_str_ieq(dot, ".ndjson"))
        return "json";
    return NULL;
}

int em__run_copy(em_session *s, em_bind_ctx *bc, const em_ast *ast, int64_t *rows, em_error *err)
{
    em_arena *a = bc->arena;
    int pos = ast->location + 1;
    if (ast->u.copy.is_from)
        return em_error_set_pos(err, EM_EUNSUPPORTED, pos,
                                "COPY ... FROM is not supported; use INSERT INTO t SELECT * FROM "
                                "read_csv('path')");
    if (!ast->u.copy.path)
        return em_error_set_pos(err, EM_EUNSUPPORTED, pos, "COPY needs a file path (TO 'path')");
    const em_ast *query =
        ast->u.copy.query ? ast->u.copy.query : select_all(a, ast->u.copy.table, ast->location);

    em_write_desc *d = em_arena_calloc(a, sizeof(em_write_desc));
    d->path = em_arena_strdup(a, ast->u.copy.path);
    d->max_file_bytes = (int64_t)512 << 20;
    d->options = em_arena_calloc(a, sizeof(em_kv) * (size_t)(ast->u.copy.noptions + 1));
    const em_ast_option *partition_by = NULL;
    for (int i = 0; i < ast->u.copy.noptions; i++) {
        const em_ast_option *o = &ast->u.copy.options[i];
        if (em_str_ieq(o->name, "partition_by")) {
            partition_by = o;
            continue;
        }
        const char *v = NULL;
        EM_TRY(option_value(a, o, &v, err));
        if (em_str_ieq(o->name, "format")) {
            d->format = em_arena_strdup(a, v);
            for (char *p = d->format; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
            continue;
        }
        if (em_str_ieq(o->name, "file_size_bytes")) {
            d->max_file_bytes = em_parse_size(v);
            if (d->max_file_bytes <= 0)
                return em_error_set_pos(err, EM_EINVAL, o->location + 1,
                                        "FILE_SIZE_BYTES must be a size such as 256m, not '%s'", v);
            continue;
        }
        d->options[d->noptions].key = em_arena_strdup(a, o->name);
        d->options[d->noptions].value = (char *)v;
        d->noptions++;
    }
    const char *ext = extension_format(d->path);
    if (!d->format) d->format = (char *)(ext ? ext : NULL);
    if (!d->format)
        return em_error_set_pos(err, EM_EINVAL, pos,
                                "COPY cannot tell the format of '%s': add (FORMAT parquet|csv|json)",
                                d->path);
    if (!em_format_writer(d->format))
        return em_error_set_pos(err, EM_EUNSUPPORTED, pos, "cannot write files of format '%s'",
                                d->format);

    em_lop *bound;
    EM_TRY(em_bind_query(bc, query, &bound, err));
    if (partition_by) {
        int n = partition_by->list.n;
        if (n == 0 && partition_by->value) n = 1;
        d->partition_cols = em_arena_alloc(a, sizeof(int) * (size_t)(n + 1));
        for (int i = 0; i < n; i++) {
            const em_ast *c = partition_by->list.n ? partition_by->list.items[i] : partition_by->value;
            const char *name = NULL;
            if (c->kind == EM_AST_COLUMN) name = c->u.column.name;
            if (c->kind == EM_AST_CONST && c->u.constant.value.type.id == EM_TYPE_VARCHAR)
                name = em_arena_strndup(a, c->u.constant.value.v.str.ptr,
                                        (size_t)c->u.constant.value.v.str.len);
            int col = name ? em_schema_find(bound->schema, name) : -1;
            if (col < 0)
                return em_error_set_pos(err, EM_EBIND, c->location + 1,
                                        "PARTITION_BY column \"%s\" is not in the query's output",
                                        name ? name : "?");
            d->partition_cols[d->npartition_cols++] = col;
        }
        if (d->npartition_cols == bound->schema->nfields)
            return em_error_set_pos(err, EM_EINVAL, pos,
                                    "PARTITION_BY cannot use every column: nothing would be written");
    }
    /* 'out.parquet' is one file; anything else (or PARTITION_BY) a directory. */
    d->single_file = ext != NULL && d->npartition_cols == 0;

    em_stage_dag dag;
    EM_TRY(em__plan_lop(s, bc, bound, NULL, d->single_file, &dag, err));
    const em_schema *out_schema = dag.stages[dag.nstages - 1].root->schema;
    d->schema = em_schema_copy(out_schema);
    for (int i = 0; i < d->schema->nfields; i++)
        if (d->schema->fields[i].type.id == EM_TYPE_NULL)
            d->schema->fields[i].type = em_type_make(EM_TYPE_VARCHAR);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    d->job_id = em_arena_printf(a, "%08llx%05x", (unsigned long long)ts.tv_sec & 0xffffffffULL,
                                (unsigned)((ts.tv_nsec / 1000) ^ (unsigned)getpid()) & 0xfffff);
    int rc = em_write_desc_check(d, err);
    if (rc == 0) {
        dag.write = d;
        em_batch_list out;
        em_batch_list_init(&out);
        rc = em__run_dag(s, &dag, &out, NULL, err);
        if (rc == 0) rc = em_write_job_commit(d, err);
        if (rc < 0) em_write_job_abort(d);
        *rows = 0;
        for (int64_t i = 0; rc == 0 && i < out.count; i++)
            for (int64_t r = 0; r < out.items[i]->nrows; r++)
                *rows += EM_VEC_I64(out.items[i]->cols[0])[r];
        em_batch_list_release(&out);
    }
    em_schema_destroy(d->schema);
    if (rc < 0 && !err->sql_pos) err->sql_pos = pos;
    return rc;
}

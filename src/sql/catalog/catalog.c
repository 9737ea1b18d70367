/*
 * catalog.c — tables and views by name (see catalog.h). A small linear list:
 * sessions hold few named objects, and lookups happen once per statement.
 */
#include "sql/catalog/catalog.h"

#include <string.h>

typedef struct entry {
    bool is_view;
    em_table *table;
    em_view *view;
} entry;

struct em_catalog {
    entry *items;
    int n, cap;
    const char **names;
};

em_catalog *em_catalog_create(void)
{
    return em_calloc(1, sizeof(em_catalog));
}

static void view_destroy(em_view *v)
{
    for (int i = 0; i < v->ncolumns; i++) em_free(v->columns[i]);
    em_free(v->columns);
    em_free(v->name);
    em_free(v->sql);
    em_free(v);
}

em_table *em_table_ref(em_table *t)
{
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL);
    return t;
}

void em_table_unref(em_table *t)
{
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) > 0) return;
    em_batch_list_release(&t->data);
    em_schema_destroy(t->schema);
    em_free(t->name);
    em_free(t);
}

static void entry_release(entry *e)
{
    if (e->is_view)
        view_destroy(e->view);
    else
        em_table_unref(e->table);
}

void em_catalog_destroy(em_catalog *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) entry_release(&c->items[i]);
    em_free(c->items);
    em_free(c->names);
    em_free(c);
}

static const char *entry_name(const entry *e)
{
    return e->is_view ? e->view->name : e->table->name;
}

static int find(em_catalog *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (em_str_ieq(entry_name(&c->items[i]), name)) return i;
    return -1;
}

em_table *em_catalog_table(em_catalog *c, const char *name)
{
    int i = find(c, name);
    return i >= 0 && !c->items[i].is_view ? c->items[i].table : NULL;
}

em_view *em_catalog_view(em_catalog *c, const char *name)
{
    int i = find(c, name);
    return i >= 0 && c->items[i].is_view ? c->items[i].view : NULL;
}

/* Make room for `name`: fails when it exists and !replace, else removes it. */
static int claim_name(em_catalog *c, const char *name, bool replace, bool is_view, em_error *err)
{
    int i = find(c, name);
    if (i < 0) return 0;
    if (!replace || c->items[i].is_view != is_view)
        return em_error_set(err, EM_EEXISTS, "%s '%s' already exists",
                            c->items[i].is_view ? "view" : "table", name);
    entry_release(&c->items[i]);
    c->items[i] = c->items[--c->n];
    return 0;
}

static void push(em_catalog *c, entry e)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->items = em_realloc(c->items, sizeof(entry) * (size_t)c->cap);
    }
    c->items[c->n++] = e;
}

int em_catalog_create_table(em_catalog *c, const char *name, em_schema *schema, bool replace,
                            em_table **out, em_error *err)
{
    int rc = claim_name(c, name, replace, false, err);
    if (rc < 0) {
        em_schema_destroy(schema);
        return rc;
    }
    em_table *t = em_calloc(1, sizeof(em_table));
    t->name = em_strdup(name);
    t->schema = schema;
    t->refcount = 1;
    em_batch_list_init(&t->data);
    push(c, (entry){.is_view = false, .table = t});
    if (out) *out = t;
    return 0;
}

int em_catalog_create_view(em_catalog *c, const char *name, const char *sql, int ncolumns,
                           const char *const *columns, bool replace, em_error *err)
{
    EM_TRY(claim_name(c, name, replace, true, err));
    em_view *v = em_calloc(1, sizeof(em_view));
    v->name = em_strdup(name);
    v->sql = em_strdup(sql);
    v->ncolumns = ncolumns;
    if (ncolumns > 0) {
        v->columns = em_calloc((size_t)ncolumns, sizeof(char *));
        for (int i = 0; i < ncolumns; i++) v->columns[i] = em_strdup(columns[i]);
    }
    push(c, (entry){.is_view = true, .view = v});
    return 0;
}

int em_catalog_drop(em_catalog *c, const char *name, bool is_view, bool if_exists, em_error *err)
{
    int i = find(c, name);
    if (i < 0 || c->items[i].is_view != is_view) {
        if (if_exists) return 0;
        if (i >= 0)
            return em_error_set(err, EM_EINVAL, "'%s' is a %s, not a %s (use DROP %s)", name,
                                is_view ? "table" : "view", is_view ? "view" : "table",
                                is_view ? "TABLE" : "VIEW");
        return em_error_set(err, EM_ENOENT, "%s '%s' does not exist", is_view ? "view" : "table",
                            name);
    }
    entry_release(&c->items[i]);
    c->items[i] = c->items[--c->n];
    return 0;
}

const char *const *em_catalog_names(em_catalog *c)
{
    c->names = em_realloc(c->names, sizeof(char *) * (size_t)(c->n + 1));
    for (int i = 0; i < c->n; i++) c->names[i] = entry_name(&c->items[i]);
    c->names[c->n] = NULL;
    return c->names;
}

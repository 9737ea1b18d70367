/*
 * catalog.h — the session's named objects: in-memory tables and views.
 *
 * Tables hold their rows as a list of batches (CREATE TABLE ... AS, INSERT).
 * Views keep their SQL text and are re-bound at each use, as in PostgreSQL, so
 * that a view over a file sees the file as it is when queried. Names are
 * case-insensitive (stored lower-case unless quoted). The catalog is used by
 * the driver thread only; tasks read a table's batches, which do not change
 * while a query runs (statements of one session run one after another).
 */
#ifndef EM_CATALOG_H
#define EM_CATALOG_H

#include "common/common.h"
#include "vector/vector.h"

typedef struct em_table {
    char *name;
    em_schema *schema;
    em_batch_list data;
    int refcount; /* a running plan holds a reference */
} em_table;

typedef struct em_view {
    char *name;
    char *sql;       /* the SELECT text */
    int ncolumns;    /* CREATE VIEW v (a, b): column aliases, or 0 */
    char **columns;
} em_view;

typedef struct em_catalog em_catalog;

em_catalog *em_catalog_create(void);
void em_catalog_destroy(em_catalog *c);

em_table *em_catalog_table(em_catalog *c, const char *name);
em_view *em_catalog_view(em_catalog *c, const char *name);
/* Takes ownership of schema; EM_EEXISTS when a table or view has the name
 * (unless replace). */
int em_catalog_create_table(em_catalog *c, const char *name, em_schema *schema, bool replace,
                            em_table **out, em_error *err) EM_MUST_CHECK;
int em_catalog_create_view(em_catalog *c, const char *name, const char *sql, int ncolumns,
                           const char *const *columns, bool replace, em_error *err) EM_MUST_CHECK;
/* EM_ENOENT unless if_exists. */
int em_catalog_drop(em_catalog *c, const char *name, bool is_view, bool if_exists,
                    em_error *err) EM_MUST_CHECK;
/* All names (tables then views), for "did you mean" hints; NULL-terminated,
 * valid until the next change. */
const char *const *em_catalog_names(em_catalog *c);

em_table *em_table_ref(em_table *t);
void em_table_unref(em_table *t);

#endif

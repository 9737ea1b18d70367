/*
 * source_list.c — a source over a range of an existing batch list (an
 * in-memory table, a local shuffle block). The list stays owned by its
 * creator; each batch is handed out as a shallow copy sharing the vectors.
 */
#include "exec/exec.h"

typedef struct list_source {
    em_source base;
    const em_batch_list *list;
    int64_t pos;
    int64_t end;
} list_source;

static int list_next(em_source *src, em_batch **out, em_error *err)
{
    list_source *s = (list_source *)src;
    *out = NULL;
    if (s->pos < s->end) *out = em_batch_ref_copy(s->list->items[s->pos++]);
    return 0;
}

static void list_destroy(em_source *src)
{
    em_free(src);
}

em_source *em_source_list_create(const em_batch_list *list, int64_t first, int64_t count)
{
    list_source *s = em_calloc(1, sizeof(*s));
    s->base.next = list_next;
    s->base.destroy = list_destroy;
    s->list = list;
    if (first < 0) first = 0;
    if (first > list->count) first = list->count;
    if (count < 0 || count > list->count - first) count = list->count - first;
    s->pos = first;
    s->end = first + count;
    return &s->base;
}

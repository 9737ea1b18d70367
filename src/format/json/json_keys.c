/*
 * json_keys.c — a case-insensitive index from object keys to columns.
 *
 * SQL names are case-insensitive, so "Amount" and "amount" are one column
 * (the first spelling seen names it). Open addressing with linear probing;
 * the hash folds ASCII case so that the probe compares each candidate once.
 */
#include "format/json/json.h"

#include <strings.h>

static uint32_t hash_ci(const char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        h = (h ^ c) * 16777619u;
    }
    return h;
}

void em__json_keys_init(em__json_keys *ix)
{
    ix->mask = 15;
    ix->n = 0;
    ix->names = NULL;
    ix->table = em_calloc((size_t)ix->mask + 1, sizeof *ix->table);
}

void em__json_keys_release(em__json_keys *ix)
{
    em_free(ix->table);
    ix->table = NULL;
}

static void insert(em__json_keys *ix, int col)
{
    const char *name = ix->names[col];
    uint32_t h = hash_ci(name, strlen(name)) & (uint32_t)ix->mask;
    while (ix->table[h] != 0) h = (h + 1) & (uint32_t)ix->mask;
    ix->table[h] = col + 1;
}

void em__json_keys_add(em__json_keys *ix, char **names, int col)
{
    ix->names = names;
    if ((ix->n + 1) * 2 > ix->mask + 1) {
        int old_size = ix->mask + 1;
        int *old = ix->table;
        ix->mask = old_size * 2 - 1;
        ix->table = em_calloc((size_t)ix->mask + 1, sizeof *ix->table);
        for (int i = 0; i < old_size; i++)
            if (old[i] != 0) insert(ix, old[i] - 1);
        em_free(old);
    }
    insert(ix, col);
    ix->n++;
}

int em__json_keys_find(const em__json_keys *ix, const char *key, size_t n)
{
    uint32_t h = hash_ci(key, n) & (uint32_t)ix->mask;
    while (ix->table[h] != 0) {
        const char *name = ix->names[ix->table[h] - 1];
        if (strlen(name) == n && strncasecmp(name, key, n) == 0) return ix->table[h] - 1;
        h = (h + 1) & (uint32_t)ix->mask;
    }
    return -1;
}

void em__json_layout(const char *base, int64_t size, int64_t *start, bool *array)
{
    int64_t s = em__skip_bom(base, size);
    const char *p = em__json_skip_ws(base + s, base + size);
    *start = s;
    *array = p < base + size && *p == '[';
}

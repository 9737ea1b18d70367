/*
 * arena.c — a bump allocator made of a linked list of chunks. Allocations
 * larger than the chunk size get a dedicated chunk so that the common path
 * stays a pointer increment. reset() frees every chunk but the first.
 */
#include <stdio.h>
#include <string.h>

#include "common/common.h"

#define ARENA_ALIGN 16

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    /* Keeps data 16-byte aligned regardless of the header size. */
    _Alignas(ARENA_ALIGN) unsigned char data[];
} arena_chunk;

struct em_arena {
    arena_chunk *head; /* current chunk (most recent) */
    arena_chunk *first;
    size_t chunk_size;
    size_t bytes;
};

static arena_chunk *chunk_new(size_t size)
{
    arena_chunk *c = em_malloc(sizeof(arena_chunk) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

em_arena *em_arena_create(size_t chunk_size)
{
    if (chunk_size < 256) chunk_size = 256;
    em_arena *a = em_malloc(sizeof(*a));
    a->chunk_size = chunk_size;
    a->first = chunk_new(chunk_size);
    a->head = a->first;
    a->bytes = 0;
    return a;
}

static void free_chain(arena_chunk *c, const arena_chunk *stop)
{
    while (c != NULL && c != stop) {
        arena_chunk *next = c->next;
        em_free(c);
        c = next;
    }
}

void em_arena_destroy(em_arena *a)
{
    if (a == NULL) return;
    free_chain(a->head, NULL);
    em_free(a);
}

void *em_arena_alloc(em_arena *a, size_t n)
{
    size_t need = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0) need = ARENA_ALIGN;
    arena_chunk *c = a->head;
    if (EM_UNLIKELY(c->used + need > c->size)) {
        /* Chunks are pushed at the head: the list runs newest to oldest,
         * ending at the first chunk, which reset() keeps. */
        size_t size = need > a->chunk_size ? need : a->chunk_size;
        arena_chunk *nc = chunk_new(size);
        nc->next = c;
        a->head = nc;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->bytes += n;
    return p;
}

void *em_arena_calloc(em_arena *a, size_t n)
{
    void *p = em_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *em_arena_strndup(em_arena *a, const char *s, size_t n)
{
    char *p = em_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *em_arena_strdup(em_arena *a, const char *s)
{
    return em_arena_strndup(a, s, strlen(s));
}

char *em_arena_printf(em_arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *p = em_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void em_arena_reset(em_arena *a)
{
    free_chain(a->head, a->first);
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->bytes = 0;
}

size_t em_arena_bytes(const em_arena *a)
{
    return a->bytes;
}

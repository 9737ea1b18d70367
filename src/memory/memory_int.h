/* memory_int.h — the memory module's private structures. */
#ifndef EM_MEMORY_INT_H
#define EM_MEMORY_INT_H

#include "memory/memory.h"

#include <pthread.h>
#include <stdio.h>

struct em_memory_pool {
    pthread_mutex_t lock;
    int64_t limit;
    int64_t used;
    int64_t peak;
    int tasks;
    char *dir;
    int64_t spilled_bytes; /* atomic */
    int64_t spill_files;   /* atomic */
    uint64_t next_id;
    struct em_spill_file *files; /* open spill files (for cleanup) */
};

struct em_spill_file {
    em_memory_pool *pool;
    char *path;
    FILE *fp;
    int64_t rows;
    int64_t bytes;
    bool reading;
    em_strbuf buf;
    struct em_spill_file *prev, *next;
};

/* Close and delete a file without unlinking it from the pool's list. */
void em__spill_discard(struct em_spill_file *f);

#endif

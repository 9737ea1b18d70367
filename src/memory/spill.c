/*
 * spill.c — spill files: batches written as blocks (block.c) to a file in the
 * pool's directory, read back in order, deleted on close. The pool keeps a
 * list of open files so that a failed query's files are removed too.
 */
#include "memory/memory_int.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int em_spill_create(em_memory_pool *p, em_spill_file **out, em_error *err)
{
    em_spill_file *f = em_calloc(1, sizeof(em_spill_file));
    f->pool = p;
    pthread_mutex_lock(&p->lock);
    uint64_t id = p->next_id++;
    pthread_mutex_unlock(&p->lock);
    char name[64];
    snprintf(name, sizeof name, "/ember-spill-%d-%llu.tmp", (int)getpid(), (unsigned long long)id);
    size_t n = strlen(p->dir) + strlen(name) + 1;
    f->path = em_malloc(n);
    snprintf(f->path, n, "%s%s", p->dir, name);
    f->fp = fopen(f->path, "w+be");
    if (!f->fp) {
        int e = errno;
        em_error_set(err, EM_EIO, "cannot create spill file '%s': %s (set ember.local.dir)",
                     f->path, strerror(e));
        em_free(f->path);
        em_free(f);
        return EM_EIO;
    }
    em_strbuf_init(&f->buf);
    pthread_mutex_lock(&p->lock);
    f->next = p->files;
    if (p->files) p->files->prev = f;
    p->files = f;
    pthread_mutex_unlock(&p->lock);
    __atomic_add_fetch(&p->spill_files, 1, __ATOMIC_RELAXED);
    *out = f;
    return 0;
}

int em_spill_write(em_spill_file *f, const em_batch *b, em_error *err)
{
    em_strbuf_clear(&f->buf);
    em_batch_encode(b, &f->buf);
    uint64_t len = f->buf.len;
    if (fwrite(&len, 8, 1, f->fp) != 1 || fwrite(f->buf.data, 1, f->buf.len, f->fp) != f->buf.len)
        return em_error_set(err, EM_EIO, "cannot write spill file '%s': %s", f->path,
                            strerror(errno));
    f->rows += b->nrows;
    f->bytes += (int64_t)len + 8;
    __atomic_add_fetch(&f->pool->spilled_bytes, (int64_t)len + 8, __ATOMIC_RELAXED);
    return 0;
}

int64_t em_spill_rows(const em_spill_file *f)
{
    return f->rows;
}

int64_t em_spill_bytes(const em_spill_file *f)
{
    return f->bytes;
}

int em_spill_rewind(em_spill_file *f, em_error *err)
{
    if (fflush(f->fp) != 0 || fseek(f->fp, 0, SEEK_SET) != 0)
        return em_error_set(err, EM_EIO, "cannot read spill file '%s': %s", f->path,
                            strerror(errno));
    f->reading = true;
    return 0;
}

int em_spill_read(em_spill_file *f, em_batch **out, em_error *err)
{
    *out = NULL;
    uint64_t len;
    size_t got = fread(&len, 1, 8, f->fp);
    if (got == 0 && feof(f->fp)) return 0;
    if (got != 8 || len > ((uint64_t)1 << 34))
        return em_error_set(err, EM_EFORMAT, "spill file '%s' is truncated", f->path);
    em_strbuf_clear(&f->buf);
    em_strbuf_reserve(&f->buf, (size_t)len);
    if (fread(f->buf.data, 1, (size_t)len, f->fp) != len)
        return em_error_set(err, EM_EFORMAT, "spill file '%s' is truncated", f->path);
    size_t used;
    int rc = em_batch_decode((const uint8_t *)f->buf.data, (size_t)len, out, &used, err);
    if (rc < 0) em_error_prefix(err, "spill file '%s'", f->path);
    return rc;
}

void em__spill_discard(em_spill_file *f)
{
    if (f->fp) fclose(f->fp);
    unlink(f->path);
    em_strbuf_release(&f->buf);
    em_free(f->path);
    em_free(f);
}

void em_spill_close(em_spill_file *f)
{
    if (!f) return;
    em_memory_pool *p = f->pool;
    pthread_mutex_lock(&p->lock);
    if (f->prev)
        f->prev->next = f->next;
    else if (p->files == f)
        p->files = f->next;
    if (f->next) f->next->prev = f->prev;
    pthread_mutex_unlock(&p->lock);
    em__spill_discard(f);
}

int em_spill_seal(em_spill_file *f, em_error *err)
{
    if (fflush(f->fp) != 0)
        return em_error_set(err, EM_EIO, "cannot write spill file '%s': %s", f->path,
                            strerror(errno));
    f->reading = true;
    return 0;
}

int em_spill_read_raw_at(em_spill_file *f, int64_t offset, em_strbuf *out, int64_t *next,
                         em_error *err)
{
    int fd = fileno(f->fp);
    uint64_t len;
    if (pread(fd, &len, 8, (off_t)offset) != 8 || len > ((uint64_t)1 << 34) ||
        offset + 8 + (int64_t)len > f->bytes)
        return em_error_set(err, EM_EFORMAT, "spill file '%s' is truncated at %lld", f->path,
                            (long long)offset);
    em_strbuf_reserve(out, (size_t)len + 1);
    if (pread(fd, out->data + out->len, (size_t)len, (off_t)(offset + 8)) != (ssize_t)len)
        return em_error_set(err, EM_EIO, "cannot read spill file '%s': %s", f->path,
                            strerror(errno));
    out->len += (size_t)len;
    out->data[out->len] = '\0';
    *next = offset + 8 + (int64_t)len;
    return 0;
}

int em_spill_read_at(em_spill_file *f, int64_t offset, em_batch **out, int64_t *next, em_error *err)
{
    *out = NULL;
    int fd = fileno(f->fp);
    uint64_t len;
    if (pread(fd, &len, 8, (off_t)offset) != 8 || len > ((uint64_t)1 << 34) ||
        offset + 8 + (int64_t)len > f->bytes)
        return em_error_set(err, EM_EFORMAT, "spill file '%s' is truncated at %lld", f->path,
                            (long long)offset);
    char *buf = em_malloc((size_t)len + 1);
    if (pread(fd, buf, (size_t)len, (off_t)(offset + 8)) != (ssize_t)len) {
        em_free(buf);
        return em_error_set(err, EM_EIO, "cannot read spill file '%s': %s", f->path,
                            strerror(errno));
    }
    size_t used;
    int rc = em_batch_decode((const uint8_t *)buf, (size_t)len, out, &used, err);
    em_free(buf);
    if (rc < 0) {
        em_error_prefix(err, "spill file '%s'", f->path);
        return rc;
    }
    *next = offset + 8 + (int64_t)len;
    return 0;
}

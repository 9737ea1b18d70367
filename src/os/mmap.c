/*
 * mmap.c — read-only memory maps of whole files.
 *
 * Readers parse straight out of the page cache: no read(2) copies and no
 * buffer management at split edges, since every split reader maps the whole
 * file and simply starts at its offset. mmap(2) refuses a zero length, so an
 * empty file is represented by a static empty buffer instead.
 */
#include "os/os.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int em_os_mmap(const char *path, em_mmap *out, em_error *err)
{
    memset(out, 0, sizeof *out);
    out->data = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return em_os_error(err, errno, path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return em_os_error(err, e, path);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return em_os_error(err, EISDIR, path);
    }
    out->id.dev = (uint64_t)st.st_dev;
    out->id.ino = (uint64_t)st.st_ino;
    out->id.size = (int64_t)st.st_size;
    out->id.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    if (st.st_size == 0) {
        close(fd);
        return 0;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    /* The mapping keeps its own reference to the file. */
    close(fd);
    if (p == MAP_FAILED) return em_os_error(err, e, path);
    out->data = p;
    out->size = (int64_t)st.st_size;
    out->base_ = p;
    return 0;
}

void em_os_munmap(em_mmap *m)
{
    if (m->base_ != NULL) munmap(m->base_, (size_t)m->size);
    m->data = "";
    m->size = 0;
    m->base_ = NULL;
}

void em_os_mmap_willneed(const em_mmap *m, int64_t offset, int64_t len)
{
    if (m->base_ == NULL || len <= 0 || offset >= m->size) return;
    if (offset + len > m->size) len = m->size - offset;
    /* madvise wants a page-aligned start. */
    long page = sysconf(_SC_PAGESIZE);
    int64_t aligned = offset - offset % page;
    (void)madvise((char *)m->base_ + aligned, (size_t)(len + (offset - aligned)), MADV_WILLNEED);
}

void em_os_mmap_release(const em_mmap *m, int64_t offset, int64_t len)
{
    if (m->base_ == NULL || len <= 0) return;
    long page = sysconf(_SC_PAGESIZE);
    int64_t start = (offset + page - 1) / page * page;
    int64_t end = EM_MIN(offset + len, m->size) / page * page;
    if (end > start) (void)madvise((char *)m->base_ + start, (size_t)(end - start), MADV_DONTNEED);
}

/*
 * os.h — the platform layer: file metadata, read-only memory maps of whole
 * files, directory listings, glob expansion and errno messages.
 *
 * Everything above this module is free of POSIX calls so that a port touches
 * only src/os/. Errors name the path the caller gave, the way a shell would:
 * "No such file or directory: 'data/x.csv'".
 */
#ifndef EM_OS_H
#define EM_OS_H

#include "common/common.h"

/* Fill err from an errno value and a path; returns the EM_E* code (EM_ENOENT
 * for a missing file or directory, EM_EIO otherwise). */
int em_os_error(em_error *err, int errnum, const char *path);

typedef enum em_os_kind {
    EM_OS_MISSING = 0, /* nothing at that path */
    EM_OS_FILE,        /* a regular file (symlinks are followed) */
    EM_OS_DIR,
    EM_OS_OTHER, /* device, socket, fifo, ... */
} em_os_kind;

/* What is at `path`; EM_OS_MISSING when stat(2) fails for any reason. */
em_os_kind em_os_path_kind(const char *path);
int em_os_file_size(const char *path, int64_t *out, em_error *err) EM_MUST_CHECK;

/* What identifies a file's contents for caching: a file rewritten in place
 * gets a new modification time (or size). */
typedef struct em_os_file_id {
    uint64_t dev;
    uint64_t ino;
    int64_t size;
    int64_t mtime_ns;
} em_os_file_id;

static inline bool em_os_file_id_equal(const em_os_file_id *a, const em_os_file_id *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* A read-only, private map of a whole file. An empty file maps to a valid
 * zero-length buffer (data points at a static empty string), so readers need
 * no special case. Bytes past `size` must never be read. */
typedef struct em_mmap {
    const char *data;
    int64_t size;
    void *base_;      /* what munmap needs; NULL for an empty file */
    em_os_file_id id; /* of the file that was mapped */
} em_mmap;
int em_os_mmap(const char *path, em_mmap *out, em_error *err) EM_MUST_CHECK;
/* Safe on a zeroed or already unmapped em_mmap. */
void em_os_munmap(em_mmap *m);
/* Hint that bytes [offset, offset + len) will be read soon, front to back. */
void em_os_mmap_willneed(const em_mmap *m, int64_t offset, int64_t len);
/* Drop the whole pages inside [offset, offset + len) from this mapping: a reader
 * that is done with them keeps its resident memory flat instead of growing to the
 * file's size. The pages stay in the page cache; touching them again re-reads. */
void em_os_mmap_release(const em_mmap *m, int64_t offset, int64_t len);

/* Names of the entries of a directory (not full paths), sorted bytewise,
 * without hidden names (leading '.') and names starting with '_' (Spark's
 * _SUCCESS, _temporary, ...). Free the list with em_os_free_list. */
int em_os_list_dir(const char *dir, char ***names, int *n, em_error *err) EM_MUST_CHECK;
/* Paths matching a glob(3) pattern, sorted bytewise; zero matches is not an
 * error here (*n = 0). Matches whose last component starts with '.' or '_'
 * are dropped unless the pattern's last component starts that way too. */
int em_os_glob(const char *pattern, char ***paths, int *n, em_error *err) EM_MUST_CHECK;
/* True when s contains a glob metacharacter (*, ?, [ or {). */
bool em_os_is_glob(const char *s);
void em_os_free_list(char **list, int n);

/* "dir" + "/" + "name" (no doubled slash), allocated with em_malloc. */
char *em_os_path_join(const char *dir, const char *name);
/* Pointer to the last component of path (inside path). */
const char *em_os_basename(const char *path);

#endif

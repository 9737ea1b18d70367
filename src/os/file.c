/*
 * file.c — file metadata and errno messages.
 *
 * The message format mirrors Python's OSError so that users recognise it at
 * once: strerror text, a colon, and the path in single quotes.
 */
#include "os/os.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int em_os_error(em_error *err, int errnum, const char *path)
{
    int code = (errnum == ENOENT || errnum == ENOTDIR) ? EM_ENOENT : EM_EIO;
    if (errnum == ENOMEM) code = EM_ENOMEM;
    /* strerror_r's GNU variant returns the message; the buffer may be unused. */
    char buf[256];
    const char *msg = strerror_r(errnum, buf, sizeof buf);
    return em_error_set(err, code, "%s: '%s'", msg, path);
}

em_os_kind em_os_path_kind(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return EM_OS_MISSING;
    if (S_ISREG(st.st_mode)) return EM_OS_FILE;
    if (S_ISDIR(st.st_mode)) return EM_OS_DIR;
    return EM_OS_OTHER;
}

int em_os_file_size(const char *path, int64_t *out, em_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) return em_os_error(err, errno, path);
    if (S_ISDIR(st.st_mode)) return em_os_error(err, EISDIR, path);
    *out = (int64_t)st.st_size;
    return 0;
}

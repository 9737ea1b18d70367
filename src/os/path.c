/*
 * path.c — small path string helpers (no file system access).
 */
#include "os/os.h"

#include <string.h>

char *em_os_path_join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    bool slash = dl > 0 && dir[dl - 1] != '/';
    char *out = em_malloc(dl + slash + nl + 1);
    memcpy(out, dir, dl);
    if (slash) out[dl] = '/';
    memcpy(out + dl + slash, name, nl + 1);
    return out;
}

const char *em_os_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

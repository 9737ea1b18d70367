/*
 * dir.c — directory listings and glob expansion.
 *
 * Both return sorted lists so that the order of files (and therefore of rows
 * and splits) is deterministic. Like Spark, names starting with '.' or '_'
 * are treated as metadata (_SUCCESS, .crc files, _temporary) and skipped.
 */
#include "os/os.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_hidden(const char *name)
{
    return name[0] == '.' || name[0] == '_';
}

static void list_push(char ***list, int *n, int *cap, char *s)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *list = em_realloc(*list, (size_t)*cap * sizeof **list);
    }
    (*list)[(*n)++] = s;
}

int em_os_list_dir(const char *dir, char ***names, int *n, em_error *err)
{
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return em_os_error(err, errno, dir);
    int cap = 0;
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                int code = errno;
                closedir(d);
                em_os_free_list(*names, *n);
                *names = NULL;
                *n = 0;
                return em_os_error(err, code, dir);
            }
            break;
        }
        if (is_hidden(e->d_name)) continue;
        list_push(names, n, &cap, em_strdup(e->d_name));
    }
    closedir(d);
    if (*n > 1) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return 0;
}

bool em_os_is_glob(const char *s)
{
    return strpbrk(s, "*?[{") != NULL;
}

int em_os_glob(const char *pattern, char ***paths, int *n, em_error *err)
{
    *paths = NULL;
    *n = 0;
    glob_t g;
    memset(&g, 0, sizeof g);
    int rc = glob(pattern, GLOB_BRACE | GLOB_TILDE, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        globfree(&g);
        return 0;
    }
    if (rc == GLOB_NOSPACE) {
        globfree(&g);
        return em_error_oom(err);
    }
    if (rc != 0) {
        globfree(&g);
        return em_error_set(err, EM_EIO, "cannot expand '%s': read error", pattern);
    }
    bool keep_hidden = is_hidden(em_os_basename(pattern));
    int cap = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        if (!keep_hidden && is_hidden(em_os_basename(p))) continue;
        list_push(paths, n, &cap, em_strdup(p));
    }
    globfree(&g);
    /* glob(3) sorts with strcoll; re-sort bytewise so that the locale does not matter. */
    if (*n > 1) qsort(*paths, (size_t)*n, sizeof **paths, cmp_str);
    return 0;
}

void em_os_free_list(char **list, int n)
{
    for (int i = 0; i < n; i++) em_free(list[i]);
    em_free(list);
}

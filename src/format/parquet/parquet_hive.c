/*
 * parquet_hive.c — Hive-style partition directories: a file under
 * .../year=2024/country=NO/part-0.parquet has the columns year and country
 * with the values 2024 and NO. Names and values are percent-unescaped (the
 * writer escapes '/', '=', '%' and other awkward bytes as %XX), and the
 * value __HIVE_DEFAULT_PARTITION__ stands for NULL, as in Hive and Spark.
 */
#include "format/parquet/parquet.h"

#include <string.h>

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static char *unescape(const char *p, size_t n)
{
    char *out = em_malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (p[i] == '%' && i + 2 < n && (hi = hexval(p[i + 1])) >= 0 &&
            (lo = hexval(p[i + 2])) >= 0) {
            out[k++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    out[k] = '\0';
    return out;
}

int em__pq_hive_parse(const char *path, char ***keys, char ***values)
{
    *keys = NULL;
    *values = NULL;
    int n = 0;
    const char *file = em_os_basename(path);
    const char *seg = path;
    while (seg < file) {
        const char *slash = memchr(seg, '/', (size_t)(file - seg));
        const char *end = slash ? slash : file;
        const char *eq = memchr(seg, '=', (size_t)(end - seg));
        if (eq != NULL && eq > seg) {
            char *k = unescape(seg, (size_t)(eq - seg));
            char *v = unescape(eq + 1, (size_t)(end - eq - 1));
            /* A key repeated deeper in the path wins. */
            int found = -1;
            for (int i = 0; i < n; i++)
                if (em_str_ieq((*keys)[i], k)) found = i;
            if (found >= 0) {
                em_free(k);
                em_free((*values)[found]);
                (*values)[found] = v;
            } else {
                *keys = em_realloc(*keys, sizeof(char *) * (size_t)(n + 1));
                *values = em_realloc(*values, sizeof(char *) * (size_t)(n + 1));
                (*keys)[n] = k;
                (*values)[n] = v;
                n++;
            }
        }
        if (!slash) break;
        seg = slash + 1;
    }
    return n;
}

void em__pq_hive_free(char **keys, char **values, int n)
{
    for (int i = 0; i < n; i++) {
        em_free(keys[i]);
        em_free(values[i]);
    }
    em_free(keys);
    em_free(values);
}

em_value em__pq_hive_value(em_arena *a, const char *path, const char *key, em_type type)
{
    char **keys, **values;
    int n = em__pq_hive_parse(path, &keys, &values);
    em_value out = em_value_null(type);
    for (int i = 0; i < n; i++) {
        if (!em_str_ieq(keys[i], key)) continue;
        const char *v = values[i];
        if (strcmp(v, HIVE_NULL) == 0) break;
        if (type.id == EM_TYPE_BIGINT) {
            int64_t x;
            if (em__parse_i64_fast(v, strlen(v), &x)) out = em_value_bigint(x);
        } else {
            size_t len = strlen(v);
            out = em_value_varchar(em_arena_strndup(a, v, len), (int32_t)len);
        }
        break;
    }
    em__pq_hive_free(keys, values, n);
    return out;
}

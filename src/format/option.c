/*
 * option.c — validation helpers for the text options of a scan.
 *
 * Options arrive as text (from SQL named parameters, Spark's .option(), a
 * serialized plan); each format lists the names it knows so that a typo is
 * reported instead of silently ignored.
 */
#include "format/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

int em__check_options(const em_scan_desc *d, const char *format, const char *const *known,
                      em_error *err)
{
    for (int i = 0; i < d->noptions; i++) {
        const char *key = d->options[i].key;
        bool ok = false;
        for (int k = 0; known[k] != NULL && !ok; k++) ok = strcmp(key, known[k]) == 0;
        if (ok) continue;
        const char *best = NULL;
        int best_dist = 3; /* suggest only close names */
        for (int k = 0; known[k] != NULL; k++) {
            int dist = em_edit_distance(key, known[k]);
            if (dist < best_dist) {
                best_dist = dist;
                best = known[k];
            }
        }
        if (best != NULL)
            return em_error_set(err, EM_EINVAL, "unknown %s option '%s' (did you mean '%s'?)",
                                format, key, best);
        em_strbuf sb;
        em_strbuf_init(&sb);
        for (int k = 0; known[k] != NULL; k++) {
            if (k > 0) em_strbuf_puts(&sb, ", ");
            em_strbuf_puts(&sb, known[k]);
        }
        int rc = em_error_set(err, EM_EINVAL, "unknown %s option '%s' (known options: %s)", format,
                              key, sb.data ? sb.data : "");
        em_strbuf_release(&sb);
        return rc;
    }
    return 0;
}

const char *em__option_any(const em_scan_desc *d, const char *const *aliases)
{
    for (int k = 0; aliases[k] != NULL; k++) {
        const char *v = em_scan_desc_option(d, aliases[k]);
        if (v != NULL) return v;
    }
    return NULL;
}

static bool word_is(const char *s, const char *lit)
{
    return em_str_ieq(s, lit);
}

int em__option_bool(const char *key, const char *value, bool *out, em_error *err)
{
    static const char *const yes[] = {"true", "1", "yes", "on", "t"};
    static const char *const no[] = {"false", "0", "no", "off", "f"};
    for (size_t i = 0; i < EM_ARRAY_LEN(yes); i++) {
        if (word_is(value, yes[i])) {
            *out = true;
            return 0;
        }
        if (word_is(value, no[i])) {
            *out = false;
            return 0;
        }
    }
    return em_error_set(err, EM_EINVAL, "option '%s' must be true or false, not '%s'", key, value);
}

int em__option_int(const char *key, const char *value, int64_t *out, em_error *err)
{
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 10);
    while (*end && isspace((unsigned char)*end)) end++;
    if (errno != 0 || end == value || *end != '\0')
        return em_error_set(err, EM_EINVAL, "option '%s' must be an integer, not '%s'", key, value);
    *out = v;
    return 0;
}

void em__options_clear(em_scan_desc *d)
{
    for (int i = 0; i < d->noptions; i++) {
        em_free(d->options[i].key);
        em_free(d->options[i].value);
    }
    em_free(d->options);
    d->options = NULL;
    d->noptions = 0;
}

int em__check_plain_file(const em_scan_desc *d, em_error *err)
{
    const char *v = em_scan_desc_option(d, "compression");
    if (v != NULL && !em_str_ieq(v, "none") && !em_str_ieq(v, "auto") &&
        !em_str_ieq(v, "uncompressed"))
        return em_error_set(err, EM_EUNSUPPORTED,
                            "compression '%s' is not supported (only uncompressed files)", v);
    static const char *const enc[] = {"encoding", "charset", NULL};
    v = em__option_any(d, enc);
    if (v != NULL && !em_str_ieq(v, "utf-8") && !em_str_ieq(v, "utf8"))
        return em_error_set(err, EM_EUNSUPPORTED, "encoding '%s' is not supported (only UTF-8)", v);
    return 0;
}

/*
 * args.c — small helpers for the subcommands' option parsing and for reading
 * scripts: every subcommand parses its own argv with these, so options are
 * spelled the same way everywhere ("--opt value" or "--opt=value").
 */
#include "cli/cli.h"

#include <errno.h>
#include <string.h>

bool em_cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0) return false;
    if (arg[len] == '=') {
        *value = arg + len + 1;
        return true;
    }
    if (arg[len] != '\0') return false;
    if (*i + 1 >= argc) {
        fprintf(stderr, "ember: option %s needs a value\n", name);
        *value = NULL;
        return true;
    }
    *i += 1;
    *value = argv[*i];
    return true;
}

int em_cli_parse_count(const char *option, const char *text, int64_t *out)
{
    int64_t v = 0;
    const char *p = text;
    if (*p == '\0') goto bad;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10) goto bad;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
bad:
    fprintf(stderr, "ember: %s expects a non-negative integer, got '%s'\n", option, text);
    return -1;
}

int em_cli_split_conf(char *kv, const char **key, const char **value)
{
    char *eq = strchr(kv, '=');
    if (eq == NULL || eq == kv) {
        fprintf(stderr, "ember: --conf expects key=value, got '%s'\n", kv);
        return -1;
    }
    *eq = '\0';
    *key = kv;
    *value = eq + 1;
    return 0;
}

int em_cli_read_file(const char *path, char **out, size_t *len, em_error *err)
{
    FILE *f = path != NULL ? fopen(path, "rb") : stdin;
    if (f == NULL) {
        return em_error_set(err, errno == ENOENT ? EM_ENOENT : EM_EIO, "cannot open %s: %s", path,
                            strerror(errno));
    }
    em_strbuf sb;
    em_strbuf_init(&sb);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) em_strbuf_append(&sb, buf, n);
    int rc = 0;
    if (ferror(f)) {
        rc = em_error_set(err, EM_EIO, "cannot read %s: %s", path != NULL ? path : "stdin",
                          strerror(errno));
    }
    if (path != NULL) fclose(f);
    if (rc < 0) {
        em_strbuf_release(&sb);
        return rc;
    }
    em_strbuf_reserve(&sb, 1); /* an empty file still yields "" */
    *len = sb.len;
    *out = em_strbuf_detach(&sb);
    return 0;
}

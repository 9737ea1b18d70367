/*
 * gen_bench.c — `ember gen h2o-groupby | h2o-join | words | sort`: the
 * command-line front of the benchmark data generators (src/gen/h2o.c,
 * words.c, sort.c). gen_command.c dispatches here.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "gen/h2o.h"
#include "gen/sort.h"
#include "gen/words.h"

static const char h2o_groupby_usage[] =
    "usage: ember gen h2o-groupby --rows N [--groups K] [options]\n"
    "\n"
    "Writes DIR/G1_<N>_<K>_0_0.csv, the db-benchmark's groupby table: id1, id2\n"
    "(K levels, 'id001'...), id3 (N/K levels, 'id0000000001'...), id4, id5 (1..K),\n"
    "id6 (1..N/K), v1 (1..5), v2 (1..15), v3 (0..100, 6 decimals). No NAs.\n"
    "\n"
    "options:\n"
    "  --rows N       rows (required; 1e7 style accepted)\n"
    "  --groups K     groups (default 100)\n"
    "  --seed S       random seed (default 42)\n"
    "  --out DIR      output directory, created if missing (default .)\n"
    "  --threads T    generator threads (default: one per CPU)\n"
    "  --version      print the generator's version (changes with its output)\n";

static const char h2o_join_usage[] =
    "usage: ember gen h2o-join --rows N [options]\n"
    "\n"
    "Writes the db-benchmark's join tables: DIR/J1_<N>_NA_0_0.csv (x, N rows),\n"
    "J1_<N>_<N/1e6>_0_0.csv (small), J1_<N>_<N/1e3>_0_0.csv (medium) and\n"
    "J1_<N>_<N>_0_0.csv (big). Keys id1..id3 come from spaces of N/1e6, N/1e3\n"
    "and N keys, 90% of them on both sides; id4..id6 are the same keys as text.\n"
    "\n"
    "options:\n"
    "  --rows N       rows of x and big (required, at least 10000; 1e7 style accepted)\n"
    "  --tables LIST  a comma-separated subset of x,small,medium,big (default all)\n"
    "  --seed S       random seed (default 42)\n"
    "  --out DIR      output directory, created if missing (default .)\n"
    "  --threads T    generator threads (default: one per CPU)\n"
    "  --version      print the generator's version (changes with its output)\n";

static const char words_usage[] =
    "usage: ember gen words --bytes SIZE [options]\n"
    "\n"
    "Writes DIR/text.txt: lines of 4 to 16 lowercase words separated by spaces,\n"
    "drawn from a synthetic vocabulary with Zipf-distributed frequencies; the\n"
    "file ends at the last line end within SIZE. With --one-per-line, writes the\n"
    "same word stream one word per line to DIR/one_word_per_line.txt.\n"
    "\n"
    "options:\n"
    "  --bytes SIZE       size bound, e.g. 1g, 200m (required)\n"
    "  --vocabulary V     distinct words (default 1000000)\n"
    "  --zipf S           Zipf exponent (default 1.0)\n"
    "  --one-per-line     one word per line\n"
    "  --seed S           random seed (default 42)\n"
    "  --out DIR          output directory, created if missing (default .)\n"
    "  --threads T        generator threads (default: one per CPU)\n"
    "  --version          print the generator's version (changes with its output)\n";

static const char sort_usage[] =
    "usage: ember gen sort --rows N [options]\n"
    "\n"
    "Writes DIR/sort.csv: a header 'x' and N random BIGINTs, uniform over the\n"
    "whole signed 64-bit range.\n"
    "\n"
    "options:\n"
    "  --rows N       values (required; 1e8 style accepted)\n"
    "  --seed S       random seed (default 42)\n"
    "  --out DIR      output directory, created if missing (default .)\n"
    "  --threads T    generator threads (default: one per CPU)\n"
    "  --version      print the generator's version (changes with its output)\n";

/* A count written as digits, optionally followed by a power of ten ("1e7",
 * "25e5"), the way benchmark sizes are usually spelled. */
static int parse_count(const char *option, const char *text, int64_t *out)
{
    const char *e = strchr(text, 'e');
    if (e == NULL) return em_cli_parse_count(option, text, out);
    char mantissa[32];
    size_t n = (size_t)(e - text);
    int64_t m = 0, x = 0;
    if (n == 0 || n >= sizeof(mantissa)) goto bad;
    memcpy(mantissa, text, n);
    mantissa[n] = '\0';
    if (em_cli_parse_count(option, mantissa, &m) < 0) return -1;
    if (em_cli_parse_count(option, e + 1, &x) < 0) return -1;
    for (int64_t i = 0; i < x; i++) {
        if (m > INT64_MAX / 10) goto bad;
        m *= 10;
    }
    *out = m;
    return 0;
bad:
    fprintf(stderr, "ember: %s expects a non-negative integer, got '%s'\n", option, text);
    return -1;
}

/* Options every generator takes. Returns 1 when argv[*i] was one of them, 0
 * when it was not, -1 on a malformed value (already reported). */
static int common_option(int argc, char **argv, int *i, uint64_t *seed, const char **out_dir,
                         int *threads)
{
    const char *v = NULL;
    int64_t n = 0;
    if (em_cli_opt_value(argc, argv, i, "--seed", &v)) {
        if (v == NULL || em_cli_parse_count("--seed", v, &n) < 0) return -1;
        *seed = (uint64_t)n;
        return 1;
    }
    if (em_cli_opt_value(argc, argv, i, "--threads", &v)) {
        if (v == NULL || em_cli_parse_count("--threads", v, &n) < 0) return -1;
        if (n < 1 || n > 1024) {
            fputs("ember: --threads must be between 1 and 1024\n", stderr);
            return -1;
        }
        *threads = (int)n;
        return 1;
    }
    if (em_cli_opt_value(argc, argv, i, "--out", &v)) {
        if (v == NULL) return -1;
        *out_dir = v;
        return 1;
    }
    return 0;
}

static bool is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* `--version` prints the generator's version, which changes whenever its
 * output does: caches of generated data can be keyed by it. */
static bool is_version(const char *arg, const char *name, int version)
{
    if (strcmp(arg, "--version") != 0) return false;
    printf("ember %s generator %d\n", name, version);
    return true;
}

static int finish(int rc, em_error *err, const char *what, const char *dir, int64_t rows,
                  int64_t bytes, double t0)
{
    if (rc < 0) {
        em_cli_report_error(err, NULL);
        return EM_CLI_EXIT_FAIL;
    }
    if (rows >= 0) {
        printf("wrote %lld rows of %s to %s in %.2f s (%.1f MB)\n", (long long)rows, what, dir,
               em_now_seconds() - t0, (double)bytes / 1e6);
    } else {
        printf("wrote %s to %s in %.2f s (%.1f MB)\n", what, dir, em_now_seconds() - t0,
               (double)bytes / 1e6);
    }
    return EM_CLI_EXIT_OK;
}

static int gen_h2o(int argc, char **argv, bool join)
{
    const char *usage = join ? h2o_join_usage : h2o_groupby_usage;
    em_gen_h2o_opts o = {.rows = -1, .groups = 100, .seed = 42, .out_dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (is_help(argv[i])) {
            fputs(usage, stdout);
            return EM_CLI_EXIT_OK;
        }
        if (is_version(argv[i], argv[0], EM_GEN_H2O_VERSION)) return EM_CLI_EXIT_OK;
        int c = common_option(argc, argv, &i, &o.seed, &o.out_dir, &o.threads);
        if (c < 0) goto usage;
        if (c > 0) continue;
        if (em_cli_opt_value(argc, argv, &i, "--rows", &v)) {
            if (v == NULL || parse_count("--rows", v, &o.rows) < 0) goto usage;
        } else if (!join && em_cli_opt_value(argc, argv, &i, "--groups", &v)) {
            if (v == NULL || parse_count("--groups", v, &o.groups) < 0) goto usage;
        } else if (join && em_cli_opt_value(argc, argv, &i, "--tables", &v)) {
            if (v == NULL) goto usage;
            o.tables = v;
        } else {
            fprintf(stderr, "ember: unknown option for gen %s: '%s'\n", argv[0], argv[i]);
            goto usage;
        }
    }
    if (o.rows < 0) {
        fprintf(stderr, "ember: gen %s needs --rows\n", argv[0]);
        goto usage;
    }
    em_error err;
    em_gen_h2o_stats st = {0};
    double t0 = em_now_seconds();
    int rc = join ? em_gen_h2o_join(&o, &st, &err) : em_gen_h2o_groupby(&o, &st, &err);
    char what[64];
    if (join) {
        snprintf(what, sizeof(what), "%d join table%s", st.files, st.files == 1 ? "" : "s");
    } else {
        snprintf(what, sizeof(what), "the groupby table");
    }
    return finish(rc, &err, what, o.out_dir, st.rows, st.bytes, t0);
usage:
    fputs(usage, stderr);
    return EM_CLI_EXIT_USAGE;
}

static int gen_words(int argc, char **argv)
{
    em_gen_words_opts o = {
        .bytes = -1, .vocabulary = 1000000, .zipf = 1.0, .seed = 42, .out_dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (is_help(argv[i])) {
            fputs(words_usage, stdout);
            return EM_CLI_EXIT_OK;
        }
        if (is_version(argv[i], "words", EM_GEN_WORDS_VERSION)) return EM_CLI_EXIT_OK;
        int c = common_option(argc, argv, &i, &o.seed, &o.out_dir, &o.threads);
        if (c < 0) goto usage;
        if (c > 0) continue;
        if (em_cli_opt_value(argc, argv, &i, "--bytes", &v)) {
            if (v == NULL) goto usage;
            o.bytes = em_parse_size(v);
            if (o.bytes < 1) {
                fprintf(stderr, "ember: --bytes expects a size such as 1g or 200m, got '%s'\n", v);
                goto usage;
            }
        } else if (em_cli_opt_value(argc, argv, &i, "--vocabulary", &v)) {
            if (v == NULL || parse_count("--vocabulary", v, &o.vocabulary) < 0) goto usage;
        } else if (em_cli_opt_value(argc, argv, &i, "--zipf", &v)) {
            char *end = NULL;
            if (v == NULL) goto usage;
            o.zipf = strtod(v, &end);
            if (end == v || *end != '\0') {
                fprintf(stderr, "ember: --zipf expects a number, got '%s'\n", v);
                goto usage;
            }
        } else if (strcmp(argv[i], "--one-per-line") == 0) {
            o.one_per_line = true;
        } else {
            fprintf(stderr, "ember: unknown option for gen words: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (o.bytes < 0) {
        fputs("ember: gen words needs --bytes\n", stderr);
        goto usage;
    }
    em_error err;
    em_gen_words_stats st = {0};
    double t0 = em_now_seconds();
    int rc = em_gen_words(&o, &st, &err);
    return finish(rc, &err, o.one_per_line ? "one_word_per_line.txt" : "text.txt", o.out_dir, -1,
                  st.bytes, t0);
usage:
    fputs(words_usage, stderr);
    return EM_CLI_EXIT_USAGE;
}

static int gen_sort(int argc, char **argv)
{
    em_gen_sort_opts o = {.rows = -1, .seed = 42, .out_dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (is_help(argv[i])) {
            fputs(sort_usage, stdout);
            return EM_CLI_EXIT_OK;
        }
        if (is_version(argv[i], "sort", EM_GEN_SORT_VERSION)) return EM_CLI_EXIT_OK;
        int c = common_option(argc, argv, &i, &o.seed, &o.out_dir, &o.threads);
        if (c < 0) goto usage;
        if (c > 0) continue;
        if (em_cli_opt_value(argc, argv, &i, "--rows", &v)) {
            if (v == NULL || parse_count("--rows", v, &o.rows) < 0) goto usage;
        } else {
            fprintf(stderr, "ember: unknown option for gen sort: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (o.rows < 0) {
        fputs("ember: gen sort needs --rows\n", stderr);
        goto usage;
    }
    em_error err;
    em_gen_sort_stats st = {0};
    double t0 = em_now_seconds();
    int rc = em_gen_sort(&o, &st, &err);
    return finish(rc, &err, "sort.csv", o.out_dir, st.rows, st.bytes, t0);
usage:
    fputs(sort_usage, stderr);
    return EM_CLI_EXIT_USAGE;
}

void em__cli_gen_bench_usage(FILE *f)
{
    const char *const usages[] = {h2o_groupby_usage, h2o_join_usage, words_usage, sort_usage};
    for (size_t i = 0; i < EM_ARRAY_LEN(usages); i++) {
        fputc('\n', f);
        fputs(usages[i], f);
    }
}

int em__cli_gen_bench(int argc, char **argv)
{
    if (argc < 1) return -1;
    if (strcmp(argv[0], "h2o-groupby") == 0) return gen_h2o(argc, argv, false);
    if (strcmp(argv[0], "h2o-join") == 0) return gen_h2o(argc, argv, true);
    if (strcmp(argv[0], "words") == 0) return gen_words(argc, argv);
    if (strcmp(argv[0], "sort") == 0) return gen_sort(argc, argv);
    return -1;
}

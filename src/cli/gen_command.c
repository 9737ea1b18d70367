/*
 * gen_command.c — `ember gen <dataset>`: command-line front of the data
 * generators in src/gen.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "gen/gen.h"
#include "gen/tpch.h"

static void gen_usage(FILE *f)
{
    fputs("usage: ember gen fraud --rows N [options]\n"
          "\n"
          "Writes DIR/transactions.csv (N card transactions over 90 days from 2026-01-01,\n"
          "about 0.5% fraudulent) and DIR/accounts.csv. The same seed always gives the\n"
          "same bytes, whatever the number of threads.\n"
          "\n"
          "options:\n"
          "  --rows N       number of transactions (required)\n"
          "  --accounts M   number of accounts (default N/50)\n"
          "  --seed S       random seed (default 42)\n"
          "  --out DIR      output directory, created if missing (default .)\n"
          "  --threads T    generator threads (default: one per CPU)\n",
          f);
}

static int gen_fraud(int argc, char **argv)
{
    em_gen_fraud_opts o = {.rows = -1, .seed = 42, .out_dir = "."};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int64_t n = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            gen_usage(stdout);
            return EM_CLI_EXIT_OK;
        } else if (em_cli_opt_value(argc, argv, &i, "--rows", &v)) {
            if (v == NULL || em_cli_parse_count("--rows", v, &o.rows) < 0) goto usage;
        } else if (em_cli_opt_value(argc, argv, &i, "--accounts", &v)) {
            if (v == NULL || em_cli_parse_count("--accounts", v, &o.accounts) < 0) goto usage;
            if (o.accounts == 0) {
                fputs("ember: --accounts must be at least 1\n", stderr);
                goto usage;
            }
        } else if (em_cli_opt_value(argc, argv, &i, "--seed", &v)) {
            if (v == NULL || em_cli_parse_count("--seed", v, &n) < 0) goto usage;
            o.seed = (uint64_t)n;
        } else if (em_cli_opt_value(argc, argv, &i, "--threads", &v)) {
            if (v == NULL || em_cli_parse_count("--threads", v, &n) < 0) goto usage;
            if (n < 1 || n > 1024) {
                fputs("ember: --threads must be between 1 and 1024\n", stderr);
                goto usage;
            }
            o.threads = (int)n;
        } else if (em_cli_opt_value(argc, argv, &i, "--out", &v)) {
            if (v == NULL) goto usage;
            o.out_dir = v;
        } else {
            fprintf(stderr, "ember: unknown option for gen fraud: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (o.rows < 0) {
        fputs("ember: gen fraud needs --rows\n", stderr);
        goto usage;
    }

    em_gen_fraud_stats st;
    em_error err;
    double t0 = em_now_seconds();
    if (em_gen_fraud(&o, &st, &err) < 0) {
        em_cli_report_error(&err, NULL);
        return EM_CLI_EXIT_FAIL;
    }
    printf("wrote %lld transactions (%lld fraudulent) and %lld accounts to %s in %.2f s "
           "(%.1f MB)\n",
           (long long)st.transactions, (long long)st.frauds, (long long)st.accounts, o.out_dir,
           em_now_seconds() - t0, (double)st.bytes / 1e6);
    return EM_CLI_EXIT_OK;
usage:
    gen_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

/* ---- tpch ---------------------------------------------------------------- */

static void tpch_usage(FILE *f)
{
    fputs("usage: ember gen tpch --sf N [options]\n"
          "\n"
          "Writes the eight TPC-H tables (region, nation, supplier, customer, part,\n"
          "partsupp, orders, lineitem) at scale factor N into DIR, one file per table\n"
          "(DIR/<table>.csv). SF 1 is about 1 GB of CSV: 6 million lineitems. The same\n"
          "scale factor always gives the same bytes, whatever the number of threads.\n"
          "\n"
          "options:\n"
          "  --sf N            scale factor from 0.0001, e.g. 0.01, 0.1, 1, 10 (required)\n"
          "  --out DIR         output directory, created if missing (default .)\n"
          "  --format F        csv (default) or parquet\n"
          "  --threads T       generator threads (default: one per CPU)\n"
          "  --version         print the generator's version (changes with its output)\n",
          f);
}

/* A scale factor such as 0.1 or 10 (below 0.0001 there would be no supplier). */
static int parse_sf(const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0.0001) || v > 100000) {
        fprintf(stderr, "ember: --sf expects a number from 0.0001 to 100000, got '%s'\n", text);
        return -1;
    }
    *out = v;
    return 0;
}

static int gen_tpch(int argc, char **argv)
{
    em_gen_tpch_opts o = {.sf = 0, .out_dir = ".", .format = "csv"};
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int64_t n = 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            tpch_usage(stdout);
            return EM_CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("ember tpch generator %d\n", EM_GEN_TPCH_VERSION);
            return EM_CLI_EXIT_OK;
        } else if (em_cli_opt_value(argc, argv, &i, "--sf", &v)) {
            if (v == NULL || parse_sf(v, &o.sf) < 0) goto usage;
        } else if (em_cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL) goto usage;
            if (strcmp(v, "csv") != 0 && strcmp(v, "parquet") != 0) {
                fprintf(stderr, "ember: --format must be csv or parquet, got '%s'\n", v);
                goto usage;
            }
            o.format = v;
        } else if (em_cli_opt_value(argc, argv, &i, "--threads", &v)) {
            if (v == NULL || em_cli_parse_count("--threads", v, &n) < 0) goto usage;
            if (n < 1 || n > 1024) {
                fputs("ember: --threads must be between 1 and 1024\n", stderr);
                goto usage;
            }
            o.threads = (int)n;
        } else if (em_cli_opt_value(argc, argv, &i, "--out", &v)) {
            if (v == NULL) goto usage;
            o.out_dir = v;
        } else {
            fprintf(stderr, "ember: unknown option for gen tpch: '%s'\n", argv[i]);
            goto usage;
        }
    }
    if (o.sf <= 0) {
        fputs("ember: gen tpch needs --sf\n", stderr);
        goto usage;
    }

    em_gen_tpch_stats st;
    em_error err;
    double t0 = em_now_seconds();
    if (em_gen_tpch(&o, &st, &err) < 0) {
        em_cli_report_error(&err, NULL);
        return EM_CLI_EXIT_FAIL;
    }
    printf("wrote TPC-H SF %g to %s in %.2f s (%.1f MB):", o.sf, o.out_dir, em_now_seconds() - t0,
           (double)st.bytes / 1e6);
    for (int t = 0; t < EM_TPCH_NTABLES; t++) {
        printf("%s %s %lld", t == 0 ? "" : ",", em_gen_tpch_table_name((em_tpch_table)t),
               (long long)st.rows[t]);
    }
    putchar('\n');
    return EM_CLI_EXIT_OK;
usage:
    tpch_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

int em_cli_gen_main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "fraud") == 0) return gen_fraud(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "tpch") == 0) return gen_tpch(argc - 1, argv + 1);
    if (argc >= 2) {
        int rc = em__cli_gen_bench(argc - 1, argv + 1); /* h2o-groupby, h2o-join, words, sort */
        if (rc >= 0) return rc;
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        gen_usage(stdout);
        tpch_usage(stdout);
        em__cli_gen_bench_usage(stdout);
        return EM_CLI_EXIT_OK;
    }
    if (argc < 2) {
        fputs("ember: gen needs a data set name (fraud, tpch, h2o-groupby, h2o-join, words, "
              "sort)\n",
              stderr);
    } else {
        fprintf(stderr,
                "ember: unknown data set '%s' (known: fraud, tpch, h2o-groupby, "
                "h2o-join, words, sort)\n",
                argv[1]);
    }
    gen_usage(stderr);
    return EM_CLI_EXIT_USAGE;
}

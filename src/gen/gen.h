/*
 * gen.h — synthetic data sets for demos, benchmarks and tests.
 *
 * The fraud data set models card transactions of bank accounts over 90 days
 * starting 2026-01-01, with a small share of fraud arriving in bursts (several
 * large online or foreign transactions on one account within minutes):
 *
 *   transactions.csv  txn_id, account_id, ts, amount, merchant, category,
 *                     country, channel, is_fraud
 *   accounts.csv      account_id, holder, home_country, opened, credit_limit,
 *                     risk_tier
 *
 * Output is deterministic: the same (rows, accounts, seed) give byte-identical
 * files whatever the number of threads.
 */
#ifndef EM_GEN_H
#define EM_GEN_H

#include "common/common.h"

typedef struct em_gen_fraud_opts {
    int64_t rows;     /* transactions to write, >= 0 */
    int64_t accounts; /* 0 means rows / 50 (at least 1) */
    uint64_t seed;
    const char *out_dir; /* created (with parents) when missing */
    int threads;         /* 0 means one per CPU */
} em_gen_fraud_opts;

typedef struct em_gen_fraud_stats {
    int64_t transactions;
    int64_t accounts;
    int64_t frauds; /* transactions with is_fraud = true */
    int64_t bytes;  /* total size of both files */
} em_gen_fraud_stats;

/* Write out_dir/transactions.csv and out_dir/accounts.csv. Files are written
 * under a temporary name and renamed at the end, so an interrupted run never
 * leaves a complete-looking file. stats may be NULL. */
int em_gen_fraud(const em_gen_fraud_opts *opts, em_gen_fraud_stats *stats,
                 em_error *err) EM_MUST_CHECK;

#endif

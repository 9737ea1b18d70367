-- job.sql — a batch fraud-analysis job over card transactions.
--
-- Input: transactions.csv and accounts.csv as written by `ember gen fraud`,
-- read from the current directory. scripts/demo.sh runs the job from inside the
-- data directory; by hand:
--
--   cd demo-data && ember sql --timer -f ../examples/fraud/job.sql
--
-- The job uses single-table SQL only (joins and window functions are not
-- available yet), so per-account features are computed from the transactions
-- alone and the accounts table is summarised on its own.

-- (a) Overview: how much data, how much money, how much of it is fraud.
SELECT count(*) AS transactions,
       count(DISTINCT account_id) AS accounts,
       round(sum(amount), 2) AS total_amount,
       sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) AS frauds,
       round(100.0 * sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) / count(*), 3) AS fraud_pct,
       min(ts) AS first_ts,
       max(ts) AS last_ts
FROM read_csv('transactions.csv');

-- (b) Per-account features. Refunds (negative amounts) are left out: they
-- would hide the large purchases that fraud bursts consist of. The result is
-- kept as a table for the ranking below.
CREATE TABLE account_stats AS
SELECT account_id,
       count(*) AS txns,
       sum(amount) AS spent,
       avg(amount) AS avg_amount,
       max(amount) AS max_amount,
       count(DISTINCT country) AS countries,
       count(DISTINCT merchant) AS merchants,
       avg(CASE WHEN channel = 'online' THEN 1.0 ELSE 0.0 END) AS online_share,
       sum(CASE WHEN amount >= 500 THEN 1 ELSE 0 END) AS large,
       sum(CASE WHEN amount >= 500 AND channel = 'online' THEN 1 ELSE 0 END) AS large_online,
       sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) AS frauds
FROM read_csv('transactions.csv')
WHERE amount > 0
GROUP BY account_id;

SELECT count(*) AS accounts,
       round(avg(txns), 1) AS avg_txns,
       max(txns) AS max_txns,
       sum(frauds) AS frauds,
       sum(CASE WHEN frauds > 0 THEN 1 ELSE 0 END) AS accounts_with_fraud
FROM account_stats;

-- (c) Activity and fraud per day over the 90 days.
SELECT CAST(ts AS DATE) AS day,
       count(*) AS txns,
       round(sum(amount), 2) AS total_amount,
       sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) AS frauds,
       round(sum(CASE WHEN is_fraud THEN amount ELSE 0 END), 2) AS fraud_amount
FROM read_csv('transactions.csv')
GROUP BY CAST(ts AS DATE)
ORDER BY day;

-- Where fraud happens: by category and channel.
SELECT category,
       channel,
       count(*) AS txns,
       sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) AS frauds,
       round(avg(amount), 2) AS avg_amount
FROM read_csv('transactions.csv')
GROUP BY category, channel
ORDER BY frauds DESC, category, channel;

-- Bursts without window functions: hours in which one account made three or
-- more purchases worth 2000 or more in total. How many such hours are there,
-- and how many of them hold labelled fraud?
SELECT count(*) AS busy_hours,
       sum(CASE WHEN frauds > 0 THEN 1 ELSE 0 END) AS with_fraud
FROM (SELECT account_id,
             date_trunc('hour', ts) AS hour,
             count(*) AS txns,
             sum(amount) AS total,
             sum(CASE WHEN is_fraud THEN 1 ELSE 0 END) AS frauds
      FROM read_csv('transactions.csv')
      WHERE amount > 0
      GROUP BY account_id, date_trunc('hour', ts)
      HAVING count(*) >= 3 AND sum(amount) >= 2000) AS hours;

-- (d) The 20 riskiest accounts. Fraud arrives as bursts of large purchases,
-- mostly online and abroad, so the score is the number of large purchases
-- (online ones count twice) plus the number of extra countries, relative to
-- how active the account is. `frauds` is the label the score never sees.
SELECT account_id,
       txns,
       large,
       large_online,
       countries,
       max_amount,
       round(avg_amount, 2) AS avg_amount,
       round((2.0 * large_online + large + countries - 1) / txns, 4) AS score,
       frauds
FROM account_stats
WHERE txns >= 5
ORDER BY score DESC, account_id
LIMIT 20;

-- How good is the score? Labelled fraud among the 100 top-scored accounts.
SELECT count(*) AS top_accounts,
       sum(CASE WHEN frauds > 0 THEN 1 ELSE 0 END) AS with_fraud
FROM (SELECT frauds
      FROM account_stats
      WHERE txns >= 5
      ORDER BY (2.0 * large_online + large + countries - 1) / txns DESC, account_id
      LIMIT 100) AS top;

-- (e) The accounts table on its own: size and credit limits per risk tier.
SELECT risk_tier,
       count(*) AS accounts,
       round(avg(credit_limit), 2) AS avg_credit_limit,
       max(credit_limit) AS max_credit_limit,
       count(DISTINCT home_country) AS countries,
       min(opened) AS first_opened,
       max(opened) AS last_opened
FROM read_csv('accounts.csv')
GROUP BY risk_tier
ORDER BY risk_tier;

-- Queries answered by both ember and DuckDB over `ember gen fraud` output.
-- Run by tests/cli/compare_duckdb.sh; separate queries with a line holding only ';'.
-- Give result columns distinct names: ember compares through its JSON output.
SELECT count(*), sum(amount), min(amount), max(amount), avg(amount) FROM '$DATA/transactions.csv'
;
SELECT account_id, count(*) AS n, sum(amount) AS total, max(amount), count(DISTINCT country)
FROM '$DATA/transactions.csv' WHERE amount > 20 GROUP BY account_id
;
SELECT CAST(ts AS DATE) AS day, count(*), sum(CASE WHEN is_fraud THEN 1 ELSE 0 END)
FROM '$DATA/transactions.csv' GROUP BY CAST(ts AS DATE)
;
SELECT category, channel, count(*), round(avg(amount), 6), min(ts), max(ts)
FROM '$DATA/transactions.csv' GROUP BY category, channel
;
SELECT merchant, count(*) FROM '$DATA/transactions.csv'
WHERE merchant LIKE 'merchant_00%' AND channel IN ('online', 'atm') GROUP BY merchant
;
SELECT account_id, sum(amount) AS s FROM '$DATA/transactions.csv'
GROUP BY account_id ORDER BY s DESC, account_id LIMIT 25
;
SELECT risk_tier, count(*), sum(credit_limit), min(opened), max(holder)
FROM '$DATA/accounts.csv' GROUP BY risk_tier
;
SELECT country, count(*) FILTER (WHERE is_fraud) AS frauds, count(*) AS n FROM '$DATA/transactions.csv'
GROUP BY country HAVING count(*) > 10
;
SELECT extract(hour FROM ts) AS h, count(*) FROM '$DATA/transactions.csv' GROUP BY 1
;
SELECT DISTINCT channel, category FROM '$DATA/transactions.csv'
;
SELECT txn_id, amount FROM '$DATA/transactions.csv' WHERE amount BETWEEN 500 AND 501
;
SELECT count(*) FROM (SELECT account_id FROM '$DATA/transactions.csv' GROUP BY account_id HAVING count(*) >= 50) t
;
SELECT upper(substring(merchant, 1, 4)), length(merchant), count(*) FROM '$DATA/transactions.csv' GROUP BY 1, 2
;
SELECT account_id FROM '$DATA/transactions.csv' WHERE is_fraud
UNION SELECT account_id FROM '$DATA/accounts.csv' WHERE risk_tier = 'high'

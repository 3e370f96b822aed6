-- The SQL of `dense demo`: score every customer with the two models the demo
-- trained, straight from DuckDB, and aggregate. Each query's "-- title:"
-- line is what the demo prints above its result.
--
-- Run it yourself against a kept demo database:
--   dense demo --db shop.duckdb
--   dense sql --db shop.duckdb sql/demo.sql
--
-- `c` is the whole row as a STRUCT: dense matches its fields to the model's
-- inputs by name, ignores the others, and applies the preprocessing fitted
-- at training time (scaling, one-hot encoding of region and plan).

-- title: Customers per predicted segment (and how often the prediction agrees with the recorded one)
WITH scored AS (
    SELECT c.*, dense_predict_label('segment', c) AS predicted_segment
    FROM customers c
)
SELECT predicted_segment,
       count(*)                                      AS customers,
       round(avg(income))                            AS avg_income,
       round(avg(monthly_spend), 2)                  AS avg_monthly_spend,
       round(100 * avg((predicted_segment = segment)::INT), 1) AS pct_agree
FROM scored
GROUP BY predicted_segment
ORDER BY customers DESC;

-- title: Average churn probability by region, against the actual churn rate
SELECT region,
       count(*)                                  AS customers,
       round(avg(dense_predict('churn', c)), 3)  AS avg_churn_probability,
       round(avg(churned::INT), 3)               AS actual_churn_rate
FROM customers c
GROUP BY region
ORDER BY avg_churn_probability DESC;

-- title: The customers most likely to churn
SELECT customer_id, region, plan, tenure_months, support_tickets,
       round(dense_predict('churn', c), 3) AS churn_probability
FROM customers c
ORDER BY churn_probability DESC, customer_id
LIMIT 5;

-- A retention campaign from the churn model, in SQL.
--
--   dense demo --db shop.duckdb
--   dense sql --db shop.duckdb examples/sql/churn_campaign.sql
--
-- Scores every customer once into a table, then picks whom to call: the
-- customers most likely to leave, weighted by what they spend.

CREATE OR REPLACE TABLE churn_scores AS
SELECT customer_id, region, plan, monthly_spend,
       dense_predict('churn', c) AS churn_probability
FROM customers c;

-- Expected monthly revenue at risk, by region and plan.
SELECT region, plan,
       count(*)                                            AS customers,
       round(sum(churn_probability * monthly_spend))       AS revenue_at_risk,
       round(avg(churn_probability), 3)                    AS avg_churn_probability
FROM churn_scores
GROUP BY ALL
ORDER BY revenue_at_risk DESC
LIMIT 8;

-- The call list: the 10 customers with the most revenue at risk.
SELECT customer_id, region, plan, monthly_spend,
       round(churn_probability, 3)                      AS churn_probability,
       round(churn_probability * monthly_spend, 2)      AS revenue_at_risk
FROM churn_scores
ORDER BY revenue_at_risk DESC, customer_id
LIMIT 10;

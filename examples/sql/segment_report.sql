-- A segment report from the segment classifier, in SQL.
--
--   dense demo --db shop.duckdb
--   dense sql --db shop.duckdb examples/sql/segment_report.sql
--
-- How sure is the model, where do predicted and recorded segments
-- disagree, and what does each predicted segment look like.

-- Confidence: the probability of the predicted class (sql/macros.sql has
-- this as dense_confidence).
WITH scored AS (
    SELECT c.segment,
           dense_predict_label('segment', c)           AS predicted,
           list_max(dense_predict_proba('segment', c)) AS confidence
    FROM customers c
)
SELECT predicted,
       count(*)                                        AS customers,
       round(avg(confidence), 3)                       AS avg_confidence,
       count(*) FILTER (WHERE confidence < 0.6)        AS uncertain,
       count(*) FILTER (WHERE predicted <> segment)    AS disagree
FROM scored
GROUP BY predicted
ORDER BY customers DESC;

-- Recorded against predicted segment: the confusion matrix as a pivot.
PIVOT (SELECT segment AS recorded, dense_predict_label('segment', c) AS predicted FROM customers c)
ON predicted
USING count(*)
ORDER BY recorded;

-- The model itself.
SELECT * FROM dense_layers('segment');

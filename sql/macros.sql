-- Macros to use with the dense SQL functions. Load them into a database
-- file once and they stay there:
--
--   dense sql --db shop.duckdb sql/macros.sql
--   dense sql --db shop.duckdb -c "SELECT dense_confidence(dense_predict_proba('segment', c)) FROM customers c"
--
-- or paste them into the dense sql shell. They take the output of
-- dense_predict_proba (a FLOAT[] of class probabilities) rather than a model
-- name, because DuckDB binds a macro's body when it is created, and the
-- dense functions need their model argument as a constant at that point.

-- The probability of the class a classifier predicts: how sure it is.
CREATE OR REPLACE MACRO dense_confidence(proba) AS
    list_max(proba::DOUBLE[]);

-- The gap between the two most likely classes: small means the model
-- hesitates between two labels.
CREATE OR REPLACE MACRO dense_margin(proba) AS
    list_sort(proba::DOUBLE[], 'DESC')[1] - list_sort(proba::DOUBLE[], 'DESC')[2];

-- TRUE when the predicted class's probability is below a threshold: rows to
-- send to a human, or to a better model.
CREATE OR REPLACE MACRO dense_uncertain(proba, threshold := 0.6) AS
    list_max(proba::DOUBLE[]) < threshold::DOUBLE;

-- The position (1-based) of the predicted class in the model's labels.
CREATE OR REPLACE MACRO dense_argmax(proba) AS
    list_position(proba::DOUBLE[], list_max(proba::DOUBLE[]));

-- The newest version of each model, one row per name.
CREATE OR REPLACE MACRO dense_latest() AS TABLE
    SELECT * FROM dense_models() QUALIFY version = max(version) OVER (PARTITION BY name);

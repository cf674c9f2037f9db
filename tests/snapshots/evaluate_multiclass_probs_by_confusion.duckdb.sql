-- bqml_tools evaluate of ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table

WITH
rows_in AS (
  SELECT
    "split", IF("y_hat" IS NULL, NULL, "y") AS actual,
    IF("y" IS NULL, NULL, "y_hat") AS predicted,
    LEAST(GREATEST(COALESCE(CAST(list_filter("probs", lambda _p: _p.label = "y")[1].prob AS DOUBLE), 0), 1e-15), 0.999999999999999) AS p_true,
    len(list_filter("probs", lambda _p: _p.prob > list_filter("probs", lambda _p: _p.label = "y")[1].prob)) AS ranked_above
  FROM "ml"."predictions"
),
confusion AS (
  SELECT
    "split", actual,
    predicted,
    COUNT(*) AS n,
    SUM(LN(p_true)) AS log_likelihood,
    COUNTIF(ranked_above < 3) AS top_k_hits
  FROM rows_in
  GROUP BY "split", actual, predicted
)
SELECT
  "split", actual,
  predicted,
  CAST(n AS INT64) AS "rows"
FROM confusion
WHERE actual IS NOT NULL AND predicted IS NOT NULL
ORDER BY "split", actual, predicted

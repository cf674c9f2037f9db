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
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    "split", IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n,
    SUM(IF(side = 0 AND valid, log_likelihood, 0)) AS log_likelihood,
    SUM(IF(side = 0 AND valid, top_k_hits, 0)) AS top_k_hits
  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  GROUP BY "split", class
)
SELECT
  "split", class,
  support,
  predicted,
  tp,
(tp) / NULLIF(predicted, 0) AS "precision",
    (tp) / NULLIF(support, 0) AS recall,
    (2 * tp) / NULLIF(support + predicted, 0) AS f1
FROM classes
WHERE class IS NOT NULL
ORDER BY "split", class

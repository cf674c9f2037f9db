-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table

WITH
rows_in AS (
  SELECT
    `split`, IF(`y_hat` IS NULL, NULL, `y`) AS actual,
    IF(`y` IS NULL, NULL, `y_hat`) AS predicted,
    LEAST(GREATEST(COALESCE(CAST((SELECT ANY_VALUE(_p.prob) FROM UNNEST(`probs`) AS _p WHERE _p.label = `y`) AS FLOAT64), 0), 1e-15), 0.999999999999999) AS p_true,
    (SELECT COUNTIF(_p.prob > (SELECT ANY_VALUE(_p.prob) FROM UNNEST(`probs`) AS _p WHERE _p.label = `y`)) FROM UNNEST(`probs`) AS _p) AS ranked_above
  FROM `my-project.ml.predictions`
),
confusion AS (
  SELECT
    `split`, actual,
    predicted,
    COUNT(*) AS n,
    SUM(LN(p_true)) AS log_likelihood,
    COUNTIF(ranked_above < 3) AS top_k_hits
  FROM rows_in
  GROUP BY `split`, actual, predicted
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    `split`, IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
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
  GROUP BY `split`, class
),
per_class AS (
  SELECT
    *,
SAFE_DIVIDE(tp, predicted) AS `precision`,
    SAFE_DIVIDE(tp, support) AS recall,
    SAFE_DIVIDE(2 * tp, support + predicted) AS f1
  FROM classes
),
averaged AS (
  SELECT
    `split`, COALESCE(SUM(support), 0) AS n,
    SUM(tp) AS tp,
    SUM(predicted) AS predicted,
    MAX(support) AS largest_class,
    AVG(`precision`) AS macro_precision,
    AVG(recall) AS macro_recall,
    AVG(f1) AS macro_f1,
    SAFE_DIVIDE(SUM(support * `precision`), SUM(IF(`precision` IS NULL, 0, support))) AS weighted_precision,
    SAFE_DIVIDE(SUM(support * recall), SUM(IF(recall IS NULL, 0, support))) AS weighted_recall,
    SAFE_DIVIDE(SUM(support * f1), SUM(IF(f1 IS NULL, 0, support))) AS weighted_f1,
    SUM(invalid_n) AS invalid_rows,
    SUM(log_likelihood) AS log_likelihood,
    SUM(top_k_hits) AS top_k_hits
  FROM per_class
  GROUP BY `split`
)
SELECT
  `split`, CAST(n AS INT64) AS `rows`,
  SAFE_DIVIDE(tp, n) AS accuracy,
  macro_precision,
  macro_recall,
  macro_f1,
  weighted_precision,
  weighted_recall,
  weighted_f1,
  SAFE_DIVIDE(tp, predicted) AS micro_precision,
  SAFE_DIVIDE(tp, n) AS micro_recall,
  SAFE_DIVIDE(2 * tp, n + predicted) AS micro_f1,
  -SAFE_DIVIDE(log_likelihood, n) AS log_loss,
  SAFE_DIVIDE(top_k_hits, n) AS top_k_accuracy,
  SAFE_DIVIDE(largest_class, n) AS baseline_accuracy,
  CAST(invalid_rows AS INT64) AS invalid_rows
FROM averaged
WHERE
  IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' row(s) have a NULL label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)

ORDER BY `split`

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
)
SELECT
  `split`, class,
  support,
  predicted,
  tp,
SAFE_DIVIDE(tp, predicted) AS `precision`,
    SAFE_DIVIDE(tp, support) AS recall,
    SAFE_DIVIDE(2 * tp, support + predicted) AS f1
FROM classes
WHERE class IS NOT NULL
ORDER BY `split`, class

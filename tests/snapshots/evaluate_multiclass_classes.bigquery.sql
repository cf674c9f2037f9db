-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat

WITH
rows_in AS (
  SELECT
    IF(`y_hat` IS NULL, NULL, `y`) AS actual,
    IF(`y` IS NULL, NULL, `y_hat`) AS predicted
  FROM `my-project.ml.predictions`
),
confusion AS (
  SELECT
    actual,
    predicted,
    COUNT(*) AS n
  FROM rows_in
  GROUP BY actual, predicted
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n
  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  GROUP BY class
)
SELECT
  class,
  support,
  predicted,
  tp,
SAFE_DIVIDE(tp, predicted) AS `precision`,
    SAFE_DIVIDE(tp, support) AS recall,
    SAFE_DIVIDE(2 * tp, support + predicted) AS f1
FROM classes
WHERE class IS NOT NULL
ORDER BY class

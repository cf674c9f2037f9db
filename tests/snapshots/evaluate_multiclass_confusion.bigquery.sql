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
)
SELECT
  actual,
  predicted,
  CAST(n AS INT64) AS `rows`
FROM confusion
WHERE actual IS NOT NULL AND predicted IS NOT NULL
ORDER BY actual, predicted

-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table

WITH
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank strictly above it
  SELECT
    _bqml_g0, IF(valid, _bqml_label, NULL) AS actual,
    IF(valid, _bqml_prediction, NULL) AS predicted
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AS valid
    FROM (
        SELECT
          `split` AS _bqml_g0, `y` AS _bqml_label,
          `y_hat` AS _bqml_prediction
        FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked
),
confusion AS (
  SELECT
    _bqml_g0, actual,
    predicted,
    COUNT(*) AS n
  FROM rows_in
  GROUP BY _bqml_g0, actual, predicted
)
SELECT
  _bqml_g0 AS `split`, actual,
  predicted,
  CAST(n AS INT64) AS `rows`
FROM confusion
WHERE actual IS NOT NULL AND predicted IS NOT NULL
ORDER BY _bqml_g0, actual, predicted

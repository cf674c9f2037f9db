-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat
-- rows where split = 'test'

WITH
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank above it (a tie goes to
  -- the greater label, as scikit-learn's top_k_accuracy_score breaks it)
  SELECT
    IF(valid, _bqml_label, NULL) AS actual,
    IF(valid, _bqml_prediction, NULL) AS predicted
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AS valid
    FROM (
        SELECT
          `y` AS _bqml_label,
          `y_hat` AS _bqml_prediction
        FROM `my-project.ml.predictions` WHERE `split` = 'test'
    ) AS source_rows
  ) AS checked
),
confusion AS (
  SELECT
    actual,
    predicted,
    COUNT(*) AS n
  FROM rows_in
  GROUP BY actual, predicted
),
counted AS (
  SELECT
    *,
    CAST(SUM(IF(actual IS NULL, n, 0)) OVER () AS INT64) AS invalid_rows,
    CAST(SUM(IF(actual IS NULL, 0, n)) OVER () AS INT64) AS group_rows
  FROM confusion
)
SELECT
  actual,
  predicted,
  CAST(n AS INT64) AS `rows`,
  invalid_rows,
  group_rows
FROM counted
WHERE
  (actual IS NOT NULL OR group_rows = 0)
  AND IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)

ORDER BY actual, predicted

-- bqml_tools evaluate of ml.predictions: task multiclass, label y, prediction y_hat
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
          "y" AS _bqml_label,
          "y_hat" AS _bqml_prediction
        FROM "ml"."predictions" WHERE "split" = 'test'
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
),
counted AS (
  SELECT
    *,
    CAST(SUM(invalid_n) OVER () AS INT64) AS invalid_rows,
    CAST(SUM(support) OVER () AS INT64) AS group_rows
  FROM classes
)
SELECT
  class,
  support,
  predicted,
  tp,
  (tp) / NULLIF(predicted, 0) AS "precision",
    (tp) / NULLIF(support, 0) AS recall,
    (2 * tp) / NULLIF(support + predicted, 0) AS f1,
  invalid_rows,
  group_rows
FROM counted
WHERE
  (class IS NOT NULL OR group_rows = 0)
  AND IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)

ORDER BY class

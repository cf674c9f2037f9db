-- bqml_tools evaluate of my-project.ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows

WITH
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank above it (a tie goes to
  -- the greater label, as scikit-learn's top_k_accuracy_score breaks it)
  SELECT
    _bqml_g0, IF((values_ok AND weight_ok), _bqml_label, NULL) AS actual,
    IF((values_ok AND weight_ok), _bqml_prediction, NULL) AS predicted,
    IF((values_ok AND weight_ok), CAST(_bqml_weight AS FLOAT64), NULL) AS w,
    values_ok,
    weight_ok
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AS values_ok, ((_bqml_weight IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_weight AS FLOAT64)) OR IS_INF(CAST(_bqml_weight AS FLOAT64)))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
        SELECT
          `split` AS _bqml_g0, `w` AS _bqml_weight, `y` AS _bqml_label,
          `y_hat` AS _bqml_prediction
        FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked
),
confusion AS (
  SELECT
    _bqml_g0, actual,
    predicted,
    COUNT(*) AS n,
    SUM(w) AS weight,
    COUNTIF(NOT values_ok) AS invalid_n,
    COUNTIF(NOT weight_ok) AS invalid_weight_n
  FROM rows_in
  GROUP BY _bqml_g0, actual, predicted
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    _bqml_g0, IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
    SUM(IF(side = 0 AND valid, weight, 0)) AS support,
    SUM(IF(side = 1 AND valid, weight, 0)) AS predicted,
    SUM(IF(side = 0 AND valid AND actual = predicted, weight, 0)) AS tp,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS valid_n,
    CAST(SUM(IF(side = 0, invalid_n, 0)) AS INT64) AS invalid_n,
    CAST(SUM(IF(side = 0, invalid_weight_n, 0)) AS INT64) AS invalid_weight_n
  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  GROUP BY _bqml_g0, class
),
counted AS (
  SELECT
    *,
    CAST(SUM(invalid_n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_rows,
    CAST(SUM(valid_n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS group_rows,
    CAST(SUM(invalid_weight_n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_weight_rows
  FROM classes
)
SELECT
  _bqml_g0 AS `split`, class,
  support,
  predicted,
  tp,
  SAFE_DIVIDE(tp, predicted) AS `precision`,
    SAFE_DIVIDE(tp, support) AS recall,
    SAFE_DIVIDE(2 * tp, support + predicted) AS f1,
  invalid_rows,
  group_rows,
  invalid_weight_rows
FROM counted
WHERE
  (class IS NOT NULL OR group_rows = 0)
  AND IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_g0, class

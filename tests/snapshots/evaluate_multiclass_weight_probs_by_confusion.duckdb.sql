-- bqml_tools evaluate of ml.predictions: task multiclass, label y, prediction y_hat
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
    IF((values_ok AND weight_ok), CAST(_bqml_weight AS DOUBLE), NULL) AS w,
    values_ok,
    weight_ok
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AS values_ok, ((_bqml_weight IS NOT NULL AND isfinite(CAST(_bqml_weight AS DOUBLE))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
        SELECT
          "split" AS _bqml_g0, "w" AS _bqml_weight, "y" AS _bqml_label,
          "y_hat" AS _bqml_prediction
        FROM "ml"."predictions"
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
counted AS (
  SELECT
    *,
    CAST(SUM(invalid_n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_rows,
    CAST(SUM(IF(actual IS NULL, 0, n)) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS group_rows,
    CAST(SUM(invalid_weight_n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_weight_rows
  FROM confusion
)
SELECT
  _bqml_g0 AS "split", actual,
  predicted,
  CAST(n AS INT64) AS "rows",  weight,
  invalid_rows,
  group_rows,
  invalid_weight_rows
FROM counted
WHERE
  (actual IS NOT NULL OR group_rows = 0)
  AND IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_g0, actual, predicted

-- bqml_tools compare of ml.predictions: task multiclass, label y, prediction y_hat
-- compared with y_new: each row counted twice (_bqml_model 0 reads y_hat, 1 reads y_new); a row is valid only when it is valid for both
-- intervals: 22 rows per group, told apart by _bqml_rep: -1 is the estimate (every row), r = 0..19 every row outside partition r, -2 every row whose key is not NULL
-- a row's partition: ABS(MOD(FARM_FINGERPRINT(s), 20)), s = '20:bqml_tools jackknife' followed by each key column (user_id) as <length>:<canonical text> (as split writes a salted key)
-- the interval of a metric m: m(-1) +- t(K'-1, (1 + level) / 2) * sqrt((K'-1)/K' * sum over r of (m(r) - mean m(r))^2), over the K' partitions that hold rows (bqml_tools.intervals; README, How sure is the metric?)

WITH
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank above it (a tie goes to
  -- the greater label, as scikit-learn's top_k_accuracy_score breaks it)
  SELECT
    _bqml_model, _bqml_rep, IF(valid, _bqml_label, NULL) AS actual,
    IF(valid, IF(_bqml_model = 0, _bqml_prediction, _bqml_prediction_b), NULL) AS predicted
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AND _bqml_prediction_b IS NOT NULL AS valid
    FROM (
        SELECT
          COALESCE(ABS(MOD(farm_fingerprint('20:bqml_tools jackknife' || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING)), 20)), -2) AS _bqml_rep, "y" AS _bqml_label,
          "y_hat" AS _bqml_prediction,
          "y_new" AS _bqml_prediction_b
        FROM "ml"."predictions"
    ) AS source_rows
  ) AS checked  CROSS JOIN (SELECT 0 AS _bqml_model UNION ALL SELECT 1 AS _bqml_model) AS models
),
confusion_parts AS (
  SELECT
    _bqml_model, _bqml_rep, actual,
    predicted,
    COUNT(*) AS n
  FROM rows_in
  GROUP BY _bqml_model, _bqml_rep, actual, predicted
),
confusion AS (
  SELECT
    _bqml_model, _bqml_r AS _bqml_rep, actual, predicted,
    SUM(IF(_bqml_first, _bqml_total_n, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, n, NULL)), 0) AS n
  FROM (
    SELECT
      *,
      SUM(n) OVER (PARTITION BY _bqml_model, actual, predicted) AS _bqml_total_n,
      ROW_NUMBER() OVER (PARTITION BY _bqml_model, actual, predicted ORDER BY _bqml_rep) = 1 AS _bqml_first
    FROM confusion_parts
  ) AS cells
  CROSS JOIN generate_series(-2, 19) AS replicate_ids(_bqml_r)
  WHERE _bqml_first OR _bqml_r = _bqml_rep
  GROUP BY _bqml_model, _bqml_r, actual, predicted
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    _bqml_model, _bqml_rep, IF(valid, IF(side = 0, actual, predicted), NULL) AS class,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n
  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  GROUP BY _bqml_model, _bqml_rep, class
),
per_class AS (
  SELECT
    *,
    (tp) / NULLIF(predicted, 0) AS "precision",
    (tp) / NULLIF(support, 0) AS recall,
    (2 * tp) / NULLIF(support + predicted, 0) AS f1
  FROM classes
),
averaged AS (
  SELECT
    _bqml_model, _bqml_rep, COALESCE(SUM(support), 0) AS n,
    SUM(tp) AS tp,
    SUM(predicted) AS predicted,
    MAX(support) AS largest_class,
    -- the NULL class holds the invalid rows only: it is never averaged
    AVG(IF(class IS NULL, NULL, "precision")) AS macro_precision,
    AVG(IF(class IS NULL, NULL, recall)) AS macro_recall,
    AVG(IF(class IS NULL, NULL, f1)) AS macro_f1,
    -- weighted by support over the defined classes; when those all have support 0, their plain mean
    -- (scikit-learn's _nanaverage falls back to it when the weights sum to zero)
    COALESCE((SUM(support * "precision")) / NULLIF(SUM(IF("precision" IS NULL, 0, support)), 0), AVG(IF(class IS NULL, NULL, "precision"))) AS weighted_precision,
    COALESCE((SUM(support * recall)) / NULLIF(SUM(IF(recall IS NULL, 0, support)), 0), AVG(IF(class IS NULL, NULL, recall))) AS weighted_recall,
    COALESCE((SUM(support * f1)) / NULLIF(SUM(IF(f1 IS NULL, 0, support)), 0), AVG(IF(class IS NULL, NULL, f1))) AS weighted_f1,
    SUM(invalid_n) AS invalid_rows
  FROM per_class
  GROUP BY _bqml_model, _bqml_rep
)
SELECT
  _bqml_model, _bqml_rep, CAST(n AS INT64) AS "rows",
  (tp) / NULLIF(n, 0) AS accuracy,
  macro_precision,
  macro_recall,
  macro_f1,
  weighted_precision,
  weighted_recall,
  weighted_f1,
  (tp) / NULLIF(predicted, 0) AS micro_precision,
  (tp) / NULLIF(n, 0) AS micro_recall,
  (2 * tp) / NULLIF(n + predicted, 0) AS micro_f1,
  (largest_class) / NULLIF(n, 0) AS baseline_accuracy,
  CAST(invalid_rows AS INT64) AS invalid_rows
FROM averaged
WHERE
  IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat or y_new); filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_model, _bqml_rep

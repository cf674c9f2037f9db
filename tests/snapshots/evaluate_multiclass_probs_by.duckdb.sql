-- bqml_tools evaluate of ml.predictions: task multiclass, label y, prediction y_hat
-- one row per split; one scan of the table

WITH
rows_in AS (
  -- the one scan: the source's columns under reserved names (so that nothing below, not even the
  -- fields of the probabilities' structs, can shadow them), then each row's validity (one rule
  -- for every template) and, with probabilities, the true class's probability (a class missing
  -- from the array has probability 0), clipped, and how many classes rank above it (a tie goes to
  -- the greater label, as scikit-learn's top_k_accuracy_score breaks it)
  SELECT
    _bqml_g0, IF(valid, _bqml_label, NULL) AS actual,
    IF(valid, _bqml_prediction, NULL) AS predicted,
    IF(valid, LN(IF(_bqml_p_true < 2.220446049250313e-16, 2.220446049250313e-16, IF(_bqml_p_true > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), _bqml_p_true))), NULL) AS log_p_true,
    len(list_filter(_bqml_probs, lambda _bqml_p: _bqml_p.prob > _bqml_p_true OR (_bqml_p.prob = _bqml_p_true AND _bqml_p.label > _bqml_label))) AS ranked_above,
    IF(valid, _bqml_probs, NULL) AS class_probs
  FROM (
    SELECT *, _bqml_label IS NOT NULL AND _bqml_prediction IS NOT NULL AND (_bqml_prob IS NULL OR ((_bqml_prob IS NOT NULL AND isfinite(CAST(_bqml_prob AS DOUBLE))) AND _bqml_prob >= 0 AND _bqml_prob <= 1)) AS valid, COALESCE(CAST(_bqml_prob AS DOUBLE), 0) AS _bqml_p_true
    FROM (
      SELECT *, list_filter(_bqml_probs, lambda _bqml_p: _bqml_p.label = _bqml_label)[1].prob AS _bqml_prob
      FROM (
        SELECT
          "split" AS _bqml_g0, "y" AS _bqml_label,
          "y_hat" AS _bqml_prediction,
          "probs" AS _bqml_probs
        FROM "ml"."predictions"
      ) AS source_rows
    ) AS with_prob
  ) AS checked
),
confusion AS (
  SELECT
    _bqml_g0, actual,
    predicted,
    part,
    auc_class,
    auc_bin,
    COUNTIF(part = 0) AS n,
    SUM(log_p_true) AS log_likelihood,
    COUNTIF(ranked_above < 3) AS top_k_hits,
    COUNTIF(auc_positive) AS auc_pos,
    COUNTIF(auc_negative) AS auc_neg
  FROM (
    SELECT
      _bqml_g0, part,
      IF(part = 0, elements.actual, NULL) AS actual,
      IF(part = 0, elements.predicted, NULL) AS predicted,
      IF(part = 0, elements.log_p_true, NULL) AS log_p_true,
      IF(part = 0, elements.ranked_above, NULL) AS ranked_above,
      auc_class,
      CASE WHEN auc_p = 0 THEN 0 WHEN auc_p < 2.2250738585072014e-308 THEN CAST(auc_p * POW(2, 537) * POW(2, 537) AS INT64) ELSE ((CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64) + IF(auc_p * POW(2, -CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64)) >= 2, 1, 0) - IF(auc_p * POW(2, -CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64)) < 1, 1, 0)) + 1023) * 4503599627370496 + CAST((auc_p * POW(2, -(CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64) + IF(auc_p * POW(2, -CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64)) >= 2, 1, 0) - IF(auc_p * POW(2, -CAST(FLOOR(LN(auc_p) / LN(2)) AS INT64)) < 1, 1, 0))) - 1) * 4503599627370496 AS INT64) END AS auc_bin,
      prob_ok AND elements.actual = auc_class AS auc_positive,
      prob_ok AND elements.actual <> auc_class AS auc_negative
    FROM (
      SELECT
        *,
        part = 1 AND ((auc_prob IS NOT NULL AND isfinite(CAST(auc_prob AS DOUBLE))) AND auc_prob >= 0 AND auc_prob <= 1) AS prob_ok,
        IF(part = 1 AND ((auc_prob IS NOT NULL AND isfinite(CAST(auc_prob AS DOUBLE))) AND auc_prob >= 0 AND auc_prob <= 1), auc_prob, NULL) AS auc_p
      FROM (
        SELECT
          *,
          IF(_bqml_i = 0, 0, 1) AS part,
          IF(_bqml_i = 0, NULL, class_probs[_bqml_i].label) AS auc_class,
          IF(_bqml_i = 0, NULL, CAST(class_probs[_bqml_i].prob AS DOUBLE)) AS auc_prob
        FROM rows_in
        CROSS JOIN UNNEST(generate_series(0, COALESCE(len(class_probs), 0))) AS entries(_bqml_i)
      ) AS entries
    ) AS elements
  ) AS rows_in
  GROUP BY _bqml_g0, actual, predicted, part, auc_class, auc_bin
),
classes AS (
  -- each confusion cell counts once for its actual class and once for its predicted class:
  -- a cross join with two "sides" instead of a UNION ALL, which would read `confusion` (and
  -- so the table) twice on BigQuery. Invalid rows (NULL label or prediction) form the NULL class.
  SELECT
    _bqml_g0, IF(part = 1, auc_class, IF(valid, IF(side = 0, actual, predicted), NULL)) AS class,
    CAST(SUM(IF(side = 0 AND valid, n, 0)) AS INT64) AS support,
    CAST(SUM(IF(side = 1 AND valid, n, 0)) AS INT64) AS predicted,
    CAST(SUM(IF(side = 0 AND valid AND actual = predicted, n, 0)) AS INT64) AS tp,
    CAST(SUM(IF(side = 0 AND NOT valid, n, 0)) AS INT64) AS invalid_n,
    SUM(IF(side = 0 AND valid, log_likelihood, 0)) AS log_likelihood,
    SUM(IF(side = 0 AND valid, top_k_hits, 0)) AS top_k_hits,
    SUM(IF(part = 1, CAST(auc_pos AS DOUBLE), 0)) AS auc_pos,
    SUM(IF(part = 1, CAST(auc_neg AS DOUBLE), 0)) AS auc_neg,
    SUM(IF(part = 1, auc_concordant, 0)) AS auc_concordant
  FROM (
    SELECT *, actual IS NOT NULL AND predicted IS NOT NULL AS valid,
      -- a class's negatives in the bin times its positives above the bin, plus half those in it (ties):
      -- a running sum over the aggregated cells of one class, highest bin first
      CAST(auc_neg AS DOUBLE) * (SUM(CAST(auc_pos AS DOUBLE)) OVER (PARTITION BY _bqml_g0, part, auc_class ORDER BY auc_bin DESC) - CAST(auc_pos AS DOUBLE) / 2) AS auc_concordant
    FROM confusion
  ) AS cells
  CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
  -- an array entry counts once, for its class
  WHERE part = 0 OR side = 0
  GROUP BY _bqml_g0, class
),
per_class AS (
  SELECT
    *,
    (tp) / NULLIF(predicted, 0) AS "precision",
    (tp) / NULLIF(support, 0) AS recall,
    (2 * tp) / NULLIF(support + predicted, 0) AS f1,
    (auc_concordant) / NULLIF(auc_pos * auc_neg, 0) AS roc_auc
  FROM classes
),
averaged AS (
  SELECT
    _bqml_g0, COALESCE(SUM(support), 0) AS n,
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
    SUM(invalid_n) AS invalid_rows,
    SUM(log_likelihood) AS log_likelihood,
    SUM(top_k_hits) AS top_k_hits,
    -- one-vs-rest macro AUC over the classes of the labels and the arrays (a class only ever predicted
    -- is not one of scikit-learn's there); undefined when any of theirs is (no positive or no negative)
    IF(COUNTIF(class IS NOT NULL AND roc_auc IS NULL AND (support > 0 OR auc_pos + auc_neg > 0)) > 0, NULL,
       AVG(IF(class IS NULL OR NOT (support > 0 OR auc_pos + auc_neg > 0), NULL, roc_auc))) AS roc_auc
  FROM per_class
  GROUP BY _bqml_g0
)
SELECT
  _bqml_g0 AS "split", CAST(n AS INT64) AS "rows",
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
  -(log_likelihood) / NULLIF(n, 0) AS log_loss,
  (top_k_hits) / NULLIF(n, 0) AS top_k_accuracy,
  roc_auc,
  (largest_class) / NULLIF(n, 0) AS baseline_accuracy,
  CAST(invalid_rows AS INT64) AS invalid_rows
FROM averaged
WHERE
  IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' invalid row(s): a NULL label (y) or prediction (y_hat), or a true-class probability that is NaN or outside [0, 1] (probs); filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_g0

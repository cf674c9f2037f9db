-- bqml_tools evaluate of ml.predictions: task binary, label label, score p (positive when >= 0.5)
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows
-- AUC: exact (ties count half)

WITH
scored AS (
  SELECT
    CASE WHEN label_ok AND score_ok AND weight_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok AND weight_ok THEN CAST(_bqml_score AS DOUBLE) END AS s,
    IF(label_ok AND score_ok AND weight_ok, CAST(_bqml_weight AS DOUBLE), NULL) AS w,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score,
    IF(weight_ok, 0, 1) AS invalid_weight
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND isfinite(CAST(_bqml_label AS DOUBLE))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND isfinite(CAST(_bqml_score AS DOUBLE))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok, ((_bqml_weight IS NOT NULL AND isfinite(CAST(_bqml_weight AS DOUBLE))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT "w" AS _bqml_weight, "label" AS _bqml_label, "p" AS _bqml_score
      FROM "ml"."predictions"
    ) AS source_rows
  ) AS checked
),
ranked AS (
  SELECT
    *,
    -- running sums of the weights (doubles), in the one window
    SUM(IF(y = 1, w, 0)) OVER (ORDER BY s DESC) AS pos_at_or_above,
    SUM(IF(y = 0, w, 0)) OVER (ORDER BY s DESC) AS neg_at_or_above
  FROM scored
),
totals AS (
  SELECT
    CAST(COUNT(y) AS INT64) AS n,
    SUM(IF(y = 1, w, 0)) AS positives,
    SUM(IF(y = 0, w, 0)) AS negatives,
    SUM(IF(y = 1 AND s >= 0.5, w, 0)) AS tp,
    SUM(IF(y = 0 AND s >= 0.5, w, 0)) AS fp,
    SUM(IF(y = 1 AND s < 0.5, w, 0)) AS fn,
    SUM(IF(y = 0 AND s < 0.5, w, 0)) AS tn,
    SUM(w * IF(y = 1, LN(IF(s < 2.220446049250313e-16, 2.220446049250313e-16, IF(s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), s))), LN(IF(1 - s < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - s))))) AS log_likelihood,
    SUM(w * (s - y) * (s - y)) AS squared_error,
    -- with A = sum over negatives of positives at or above, B = sum over positives of negatives at
    -- or above: A - B = concordant - discordant pairs, so concordant + ties / 2 = (A - B + pairs) / 2
    -- (each pair counted with the product of its two weights)
    SUM(IF(y = 0, w * pos_at_or_above, 0)) - SUM(IF(y = 1, w * neg_at_or_above, 0)) AS concordant_minus_discordant,
    -- a positive of weight 0 adds nothing (and may have nothing weighted at or above it)
    SUM(IF(y = 1 AND w > 0, w * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_label) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_score) AS INT64) AS invalid_score_rows,
    CAST(SUM(invalid_weight) AS INT64) AS invalid_weight_rows
  FROM ranked
  
),
counts AS (
  SELECT
    *,
    positives + negatives AS mass,
    (positives) / NULLIF(positives + negatives, 0) AS rate,
    positives * negatives AS pairs,
    (positives * negatives + concordant_minus_discordant) / 2 AS concordant
  FROM totals
)
SELECT
  n AS "rows",
  positives,
  tp,
  fp,
  tn,
  fn,
  (tp + tn) / NULLIF(mass, 0) AS accuracy,
  (tp) / NULLIF(tp + fp, 0) AS "precision",
  (tp) / NULLIF(tp + fn, 0) AS recall,
  (tn) / NULLIF(tn + fp, 0) AS specificity,
  (2 * tp) / NULLIF(2 * tp + fp + fn, 0) AS f1,
  ((tp) / NULLIF(tp + fn, 0) + (tn) / NULLIF(tn + fp, 0)) / 2 AS balanced_accuracy,
  -(log_likelihood) / NULLIF(mass, 0) AS log_loss,
  (squared_error) / NULLIF(mass, 0) AS brier,
  (concordant) / NULLIF(pairs, 0) AS roc_auc,
IF(pairs > 0, CAST(0 AS DOUBLE), NULL) AS roc_auc_error_bound,
  (precision_sum) / NULLIF(positives, 0) AS average_precision,
  (positives) / NULLIF(mass, 0) AS base_rate,
  -(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + negatives * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate)))) / NULLIF(mass, 0) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

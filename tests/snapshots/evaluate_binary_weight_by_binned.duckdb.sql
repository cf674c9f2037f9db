-- bqml_tools evaluate of ml.predictions: task binary, label label, score p (positive when >= 0.5)
-- one row per split; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows
-- AUC: scores binned on the logit scale (10000 bins per unit); roc_auc_error_bound bounds the error

WITH
scored AS (
  SELECT
    _bqml_g0, CASE WHEN label_ok AND score_ok AND weight_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok AND weight_ok THEN CAST(_bqml_score AS DOUBLE) END AS s,
    IF(label_ok AND score_ok AND weight_ok, CAST(_bqml_weight AS DOUBLE), NULL) AS w,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score,
    IF(weight_ok, 0, 1) AS invalid_weight
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND isfinite(CAST(_bqml_label AS DOUBLE))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND isfinite(CAST(_bqml_score AS DOUBLE))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok, ((_bqml_weight IS NOT NULL AND isfinite(CAST(_bqml_weight AS DOUBLE))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT "split" AS _bqml_g0, "w" AS _bqml_weight, "label" AS _bqml_label, "p" AS _bqml_score
      FROM "ml"."predictions"
    ) AS source_rows
  ) AS checked
),
binned AS (
  SELECT
    _bqml_g0, CASE WHEN s = 0 THEN -7460001 WHEN s = 1 THEN 7460001 ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * 10000) AS INT64) END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    SUM(IF(y = 1 AND s >= 0.5, w, 0)) AS tp,
    SUM(IF(y = 0 AND s >= 0.5, w, 0)) AS fp,
    SUM(IF(y = 1 AND s < 0.5, w, 0)) AS fn,
    SUM(IF(y = 0 AND s < 0.5, w, 0)) AS tn,
    SUM(w * IF(y = 1, LN(IF(s < 2.220446049250313e-16, 2.220446049250313e-16, IF(s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), s))), LN(IF(1 - s < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - s))))) AS log_likelihood,
    SUM(w * (s - y) * (s - y)) AS squared_error,
    SUM(s) AS score_sum,
    SUM(IF(y = 1, w, 0)) AS wpos,
    SUM(IF(y = 0, w, 0)) AS wneg,
    SUM(invalid_weight) AS invalid_weights,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  GROUP BY _bqml_g0, bin
),
cumulative AS (
  SELECT
    *,
    SUM(wpos) OVER (PARTITION BY _bqml_g0 ORDER BY bin DESC) AS pos_at_or_above,
    SUM(wneg) OVER (PARTITION BY _bqml_g0 ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
totals AS (
  SELECT
    _bqml_g0, CAST(SUM(n) AS INT64) AS n,
    SUM(wpos) AS positives,
    SUM(wneg) AS negatives,
    SUM(tp) AS tp,
    SUM(fp) AS fp,
    SUM(tn) AS tn,
    SUM(fn) AS fn,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(wneg * (pos_at_or_above - wpos + wpos / 2)) AS concordant,
    SUM(IF(score_min < score_max, wpos * wneg, 0)) AS tied_pairs,
    SUM(IF(wpos > 0, wpos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) AS INT64) AS invalid_score_rows,
    CAST(SUM(invalid_weights) AS INT64) AS invalid_weight_rows
  FROM cumulative
  GROUP BY _bqml_g0
),
counts AS (
  SELECT
    *,
    positives + negatives AS mass,
    (positives) / NULLIF(positives + negatives, 0) AS rate,
    positives * negatives AS pairs
  FROM totals
)
SELECT
  _bqml_g0 AS "split", n AS "rows",
  positives,
  tp,
  fp,
  tn,
  fn,
  COALESCE((tp + tn) / NULLIF(mass, 0), 0) AS accuracy,
  COALESCE((tp) / NULLIF(tp + fp, 0), 0) AS "precision",
  COALESCE((tp) / NULLIF(tp + fn, 0), 0) AS recall,
  COALESCE((tn) / NULLIF(tn + fp, 0), 0) AS specificity,
  COALESCE((2 * tp) / NULLIF(2 * tp + fp + fn, 0), 0) AS f1,
  -- scikit-learn averages the recalls of the classes present: one class gives that class's recall
  CASE
    WHEN positives = 0 AND mass > 0 THEN COALESCE((tn) / NULLIF(tn + fp, 0), 0)
    WHEN negatives = 0 AND mass > 0 THEN COALESCE((tp) / NULLIF(tp + fn, 0), 0)
    ELSE (COALESCE((tp) / NULLIF(tp + fn, 0), 0) + COALESCE((tn) / NULLIF(tn + fp, 0), 0)) / 2
  END AS balanced_accuracy,
  -COALESCE((log_likelihood) / NULLIF(mass, 0), 0) AS log_loss,
  COALESCE((squared_error) / NULLIF(mass, 0), 0) AS brier,
  (concordant) / NULLIF(pairs, 0) AS roc_auc,
(tied_pairs) / NULLIF(2 * pairs, 0) AS roc_auc_error_bound,
  COALESCE((precision_sum) / NULLIF(positives, 0), 0) AS average_precision,
  COALESCE((positives) / NULLIF(mass, 0), 0) AS base_rate,
  -(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + negatives * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate)))) / NULLIF(mass, 0) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows
FROM counts

ORDER BY _bqml_g0

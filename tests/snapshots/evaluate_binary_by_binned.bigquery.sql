-- bqml_tools evaluate of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.35)
-- one row per split; one scan of the table
-- AUC: scores binned on the logit scale (10000 bins per unit); roc_auc_error_bound bounds the error

WITH
scored AS (
  SELECT
    `split`, CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN IF(`label` = 'yes', 1, 0) END AS y,
    CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN CAST(`p` AS FLOAT64) END AS s,
    IF(`label` IS NOT NULL, 0, 1) AS invalid_label,
    IF(`p` >= 0 AND `p` <= 1, 0, 1) AS invalid_score
  FROM `my-project.ml.predictions`
),
binned AS (
  SELECT
    `split`, CASE WHEN s = 0 THEN -1e9 WHEN s = 1 THEN 1e9 ELSE FLOOR((LN(s) - LN(1 - s)) * 10000) END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    COUNTIF(y = 1 AND s >= 0.35) AS tp,
    COUNTIF(y = 0 AND s >= 0.35) AS fp,
    SUM(IF(y = 1, LN(LEAST(GREATEST(s, 1e-15), 0.999999999999999)), LN(1 - LEAST(GREATEST(s, 1e-15), 0.999999999999999)))) AS log_likelihood,
    SUM((s - y) * (s - y)) AS squared_error,
    SUM(s) AS score_sum,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  GROUP BY `split`, bin
),
cumulative AS (
  SELECT
    *,
    SUM(pos) OVER (PARTITION BY `split` ORDER BY bin DESC) AS pos_at_or_above,
    SUM(n - pos) OVER (PARTITION BY `split` ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
totals AS (
  SELECT
    `split`, CAST(SUM(n) AS INT64) AS n,
    CAST(SUM(pos) AS INT64) AS positives,
    CAST(SUM(tp) AS INT64) AS tp,
    CAST(SUM(fp) AS INT64) AS fp,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(CAST(n - pos AS FLOAT64) * (CAST(pos_at_or_above - pos AS FLOAT64) + pos / 2)) AS concordant,
    SUM(IF(score_min < score_max, CAST(pos AS FLOAT64) * CAST(n - pos AS FLOAT64), 0)) AS tied_pairs,
    SUM(IF(pos > 0, pos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) AS INT64) AS invalid_score_rows
  FROM cumulative
  GROUP BY `split`
),
counts AS (
  SELECT
    *,
    n - positives - fp AS tn,
    positives - tp AS fn,
    CAST(positives AS FLOAT64) * CAST(n - positives AS FLOAT64) AS pairs
  FROM totals
)
SELECT
  `split`, n AS `rows`,
  positives,
  tp,
  fp,
  tn,
  fn,
  COALESCE(SAFE_DIVIDE(tp + tn, n), 0) AS accuracy,
  COALESCE(SAFE_DIVIDE(tp, tp + fp), 0) AS `precision`,
  COALESCE(SAFE_DIVIDE(tp, positives), 0) AS recall,
  COALESCE(SAFE_DIVIDE(tn, tn + fp), 0) AS specificity,
  COALESCE(SAFE_DIVIDE(2 * tp, 2 * tp + fp + fn), 0) AS f1,
  (COALESCE(SAFE_DIVIDE(tp, positives), 0) + COALESCE(SAFE_DIVIDE(tn, tn + fp), 0)) / 2 AS balanced_accuracy,
  -COALESCE(SAFE_DIVIDE(log_likelihood, n), 0) AS log_loss,
  COALESCE(SAFE_DIVIDE(squared_error, n), 0) AS brier,
  SAFE_DIVIDE(concordant, pairs) AS roc_auc,
SAFE_DIVIDE(tied_pairs, 2 * pairs) AS roc_auc_error_bound,
  SAFE_DIVIDE(precision_sum, positives) AS average_precision,
  COALESCE(SAFE_DIVIDE(positives, n), 0) AS base_rate,
  -SAFE_DIVIDE(positives * LN(LEAST(GREATEST(SAFE_DIVIDE(positives, n), 1e-15), 0.999999999999999)) + (n - positives) * LN(1 - LEAST(GREATEST(SAFE_DIVIDE(positives, n), 1e-15), 0.999999999999999)), n) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)

ORDER BY `split`

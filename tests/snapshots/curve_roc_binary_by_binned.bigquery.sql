-- bqml_tools curve of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.35)
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
points AS (
  SELECT
    *,
    SUM(pos) OVER (PARTITION BY `split` ) AS positives,
    SUM(n - pos) OVER (PARTITION BY `split` ) AS negatives
  FROM cumulative
  WHERE bin IS NOT NULL
)
SELECT
  `split`, score_min AS threshold,
  SAFE_DIVIDE(neg_at_or_above, negatives) AS fpr,
  SAFE_DIVIDE(pos_at_or_above, positives) AS tpr,
  CAST(pos_at_or_above AS INT64) AS tp,
  CAST(neg_at_or_above AS INT64) AS fp
FROM points
ORDER BY `split`, threshold DESC

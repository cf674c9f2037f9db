-- bqml_tools curve of ml.predictions: task binary, label label, score p (positive when >= 0.5)
-- AUC: exact (ties count half)

WITH
scored AS (
  SELECT
    CASE WHEN "label" IN (0, 1) AND "p" >= 0 AND "p" <= 1 THEN IF("label" = 1, 1, 0) END AS y,
    CASE WHEN "label" IN (0, 1) AND "p" >= 0 AND "p" <= 1 THEN CAST("p" AS DOUBLE) END AS s,
    IF("label" IN (0, 1), 0, 1) AS invalid_label,
    IF("p" >= 0 AND "p" <= 1, 0, 1) AS invalid_score
  FROM "ml"."predictions"
),
binned AS (
  SELECT
    s AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    COUNTIF(y = 1 AND s >= 0.5) AS tp,
    COUNTIF(y = 0 AND s >= 0.5) AS fp,
    SUM(IF(y = 1, LN(LEAST(GREATEST(s, 1e-15), 0.999999999999999)), LN(1 - LEAST(GREATEST(s, 1e-15), 0.999999999999999)))) AS log_likelihood,
    SUM((s - y) * (s - y)) AS squared_error,
    SUM(s) AS score_sum,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  GROUP BY bin
),
cumulative AS (
  SELECT
    *,
    SUM(pos) OVER (ORDER BY bin DESC) AS pos_at_or_above,
    SUM(n - pos) OVER (ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
points AS (
  SELECT
    *,
    SUM(pos) OVER () AS positives,
    SUM(n - pos) OVER () AS negatives
  FROM cumulative
  WHERE bin IS NOT NULL
)
SELECT
  score_min AS threshold,
  (neg_at_or_above) / NULLIF(negatives, 0) AS fpr,
  (pos_at_or_above) / NULLIF(positives, 0) AS tpr,
  CAST(pos_at_or_above AS INT64) AS tp,
  CAST(neg_at_or_above AS INT64) AS fp
FROM points
ORDER BY threshold DESC

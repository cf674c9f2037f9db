-- bqml_tools curve of my-project.ml.predictions: task binary, label label, score the prob of 'yes' in probs
-- rows where split = 'valid' AND region = 'north'
-- AUC: scores binned on the logit scale (10000 bins per unit); roc_auc_error_bound bounds the error

WITH
scored AS (
  SELECT
    CASE WHEN label_ok AND score_ok THEN IF(_bqml_label = 'yes', 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok THEN CAST(_bqml_score AS FLOAT64) END AS s,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score
  FROM (
    SELECT *, _bqml_label IS NOT NULL AS label_ok, ((_bqml_score IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_score AS FLOAT64)) OR IS_INF(CAST(_bqml_score AS FLOAT64)))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok
    FROM (
      SELECT `label` AS _bqml_label, CASE WHEN ABS((SELECT SUM(_bqml_p.prob) FROM UNNEST(`probs`) AS _bqml_p) - 1) <= 1e-06 THEN (SELECT ANY_VALUE(_bqml_p.prob) FROM UNNEST(`probs`) AS _bqml_p WHERE _bqml_p.label = 'yes') END AS _bqml_score
      FROM `my-project.ml.predictions` WHERE `split` = 'valid' AND `region` = 'north'
    ) AS source_rows
  ) AS checked
),
binned AS (
  SELECT
    CASE WHEN s = 0 THEN -7460001 WHEN s = 1 THEN 7460001 ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * 10000) AS INT64) END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    COUNTIF(y = 1 AND s >= 0.5) AS tp,
    COUNTIF(y = 0 AND s >= 0.5) AS fp,
    SUM(IF(y = 1, LN(IF(s < 2.220446049250313e-16, 2.220446049250313e-16, IF(s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), s))), LN(IF(1 - s < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - s))))) AS log_likelihood,
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
    SUM(n - pos) OVER () AS negatives,
    CAST(SUM(invalid_labels) OVER () AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER () AS INT64) AS invalid_score_rows,
    CAST(SUM(pos) OVER () AS INT64) AS positives,
    CAST(SUM(n) OVER () AS INT64) AS group_rows
  FROM cumulative
)
SELECT
  score_min AS threshold,
  SAFE_DIVIDE(pos_at_or_above, pos_at_or_above + neg_at_or_above) AS `precision`,
  SAFE_DIVIDE(pos_at_or_above, positives) AS recall,
  CAST(pos_at_or_above AS INT64) AS tp,
  CAST(neg_at_or_above AS INT64) AS fp,
  invalid_label_rows,
  invalid_score_rows,
  positives,
  group_rows
FROM points
WHERE
  (bin IS NOT NULL OR group_rows = 0)
  AND IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

ORDER BY threshold DESC

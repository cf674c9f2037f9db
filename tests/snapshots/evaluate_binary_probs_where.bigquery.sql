-- bqml_tools evaluate of my-project.ml.predictions: task binary, label label, score the prob of 'yes' in probs (positive when >= 0.5)
-- rows where split = 'valid' AND region = 'north'
-- AUC: exact (ties count half)

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
    CASE WHEN s = 0 THEN 0 WHEN s < 2.2250738585072014e-308 THEN CAST(s * POW(2, 537) * POW(2, 537) AS INT64) ELSE ((CAST(FLOOR(LN(s) / LN(2)) AS INT64) + IF(s * POW(2, -CAST(FLOOR(LN(s) / LN(2)) AS INT64)) >= 2, 1, 0) - IF(s * POW(2, -CAST(FLOOR(LN(s) / LN(2)) AS INT64)) < 1, 1, 0)) + 1023) * 4503599627370496 + CAST((s * POW(2, -(CAST(FLOOR(LN(s) / LN(2)) AS INT64) + IF(s * POW(2, -CAST(FLOOR(LN(s) / LN(2)) AS INT64)) >= 2, 1, 0) - IF(s * POW(2, -CAST(FLOOR(LN(s) / LN(2)) AS INT64)) < 1, 1, 0))) - 1) * 4503599627370496 AS INT64) END AS bin,
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
bucketed AS (
  SELECT
    bucket,
    MAX(bin) AS top_bin,
    SUM(pos) AS bucket_pos,
    SUM(n - pos) AS bucket_neg,
    SUM(tp) AS tp,
    SUM(fp) AS fp,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(score_sum) AS score_sum,
    SUM(invalid_labels) AS invalid_labels,
    SUM(invalid_scores) AS invalid_scores,
    ARRAY_AGG(STRUCT(bin AS bin, score_min AS score_min, n AS n, pos AS pos) ORDER BY bin DESC) AS members
  FROM (
    SELECT
      *,
      CASE WHEN score_min = 0 THEN -3055617 WHEN score_min = 1 THEN 3055617
        ELSE CAST(FLOOR((LN(score_min) - LN(1 - score_min)) * 4096) AS INT64) END AS bucket
    FROM binned
  ) AS keyed
  GROUP BY bucket
),
offsets AS (
  SELECT
    *,
    COALESCE(SUM(bucket_pos) OVER (ORDER BY bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS pos_above,
    COALESCE(SUM(bucket_neg) OVER (ORDER BY bucket DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_above
  FROM bucketed
),
scores AS (
  SELECT
    bucket,
    member.bin AS bin,
    member.score_min AS score_min,
    member.n AS n,
    member.pos AS pos,
    member.score_min AS score_max,
    IF(member.bin IS NOT DISTINCT FROM top_bin, tp, 0) AS tp,
    IF(member.bin IS NOT DISTINCT FROM top_bin, fp, 0) AS fp,
    IF(member.bin IS NOT DISTINCT FROM top_bin, log_likelihood, 0) AS log_likelihood,
    IF(member.bin IS NOT DISTINCT FROM top_bin, squared_error, 0) AS squared_error,
    IF(member.bin IS NOT DISTINCT FROM top_bin, score_sum, 0) AS score_sum,
    IF(member.bin IS NOT DISTINCT FROM top_bin, invalid_labels, 0) AS invalid_labels,
    IF(member.bin IS NOT DISTINCT FROM top_bin, invalid_scores, 0) AS invalid_scores,
    pos_above,
    neg_above
  FROM offsets
  CROSS JOIN UNNEST(members) AS member
),
cumulative AS (
  SELECT
    *,
    pos_above + SUM(pos) OVER (PARTITION BY bucket ORDER BY bin DESC) AS pos_at_or_above,
    neg_above + SUM(n - pos) OVER (PARTITION BY bucket ORDER BY bin DESC) AS neg_at_or_above
  FROM scores
),
totals AS (
  SELECT
    CAST(SUM(n) AS INT64) AS n,
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
  
),
counts AS (
  SELECT
    *,
    n - positives - fp AS tn,
    positives - tp AS fn,
    SAFE_DIVIDE(positives, n) AS rate,
    CAST(positives AS FLOAT64) * CAST(n - positives AS FLOAT64) AS pairs
  FROM totals
)
SELECT
  n AS `rows`,
  positives,
  tp,
  fp,
  tn,
  fn,
  SAFE_DIVIDE(tp + tn, n) AS accuracy,
  SAFE_DIVIDE(tp, tp + fp) AS `precision`,
  SAFE_DIVIDE(tp, positives) AS recall,
  SAFE_DIVIDE(tn, tn + fp) AS specificity,
  SAFE_DIVIDE(2 * tp, 2 * tp + fp + fn) AS f1,
  (SAFE_DIVIDE(tp, positives) + SAFE_DIVIDE(tn, tn + fp)) / 2 AS balanced_accuracy,
  -SAFE_DIVIDE(log_likelihood, n) AS log_loss,
  SAFE_DIVIDE(squared_error, n) AS brier,
  SAFE_DIVIDE(concordant, pairs) AS roc_auc,
IF(pairs > 0, CAST(0 AS FLOAT64), NULL) AS roc_auc_error_bound,
  SAFE_DIVIDE(precision_sum, positives) AS average_precision,
  SAFE_DIVIDE(positives, n) AS base_rate,
  -SAFE_DIVIDE(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + (n - positives) * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate))), n) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

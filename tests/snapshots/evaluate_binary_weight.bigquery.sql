-- bqml_tools evaluate of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.5)
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows
-- AUC: exact (ties count half)

WITH
scored AS (
  SELECT
    CASE WHEN label_ok AND score_ok AND weight_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok AND weight_ok THEN CAST(_bqml_score AS FLOAT64) END AS s,
    IF(label_ok AND score_ok AND weight_ok, CAST(_bqml_weight AS FLOAT64), NULL) AS w,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score,
    IF(weight_ok, 0, 1) AS invalid_weight
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_score AS FLOAT64)) OR IS_INF(CAST(_bqml_score AS FLOAT64)))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok, ((_bqml_weight IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_weight AS FLOAT64)) OR IS_INF(CAST(_bqml_weight AS FLOAT64)))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT `w` AS _bqml_weight, `label` AS _bqml_label, `p` AS _bqml_score
      FROM `my-project.ml.predictions`
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
  GROUP BY bin
),
bucketed AS (
  SELECT
    bucket,
    MAX(bin) AS top_bin,
    SUM(wpos) AS bucket_pos,
    SUM(wneg) AS bucket_neg,
    SUM(tp) AS tp,
    SUM(fp) AS fp,
    SUM(fn) AS fn,
    SUM(tn) AS tn,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(score_sum) AS score_sum,
    SUM(invalid_weights) AS invalid_weights,
    SUM(invalid_labels) AS invalid_labels,
    SUM(invalid_scores) AS invalid_scores,
    ARRAY_AGG(STRUCT(bin AS bin, score_min AS score_min, n AS n, pos AS pos, wpos AS wpos, wneg AS wneg) ORDER BY bin DESC) AS members
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
    member.wpos AS wpos,
    member.wneg AS wneg,
    member.score_min AS score_max,
    IF(member.bin IS NOT DISTINCT FROM top_bin, tp, 0) AS tp,
    IF(member.bin IS NOT DISTINCT FROM top_bin, fp, 0) AS fp,
    IF(member.bin IS NOT DISTINCT FROM top_bin, fn, 0) AS fn,
    IF(member.bin IS NOT DISTINCT FROM top_bin, tn, 0) AS tn,
    IF(member.bin IS NOT DISTINCT FROM top_bin, log_likelihood, 0) AS log_likelihood,
    IF(member.bin IS NOT DISTINCT FROM top_bin, squared_error, 0) AS squared_error,
    IF(member.bin IS NOT DISTINCT FROM top_bin, score_sum, 0) AS score_sum,
    IF(member.bin IS NOT DISTINCT FROM top_bin, invalid_weights, 0) AS invalid_weights,
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
    pos_above + SUM(wpos) OVER (PARTITION BY bucket ORDER BY bin DESC) AS pos_at_or_above,
    neg_above + SUM(wneg) OVER (PARTITION BY bucket ORDER BY bin DESC) AS neg_at_or_above
  FROM scores
),
totals AS (
  SELECT
    CAST(SUM(n) AS INT64) AS n,
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
  
),
counts AS (
  SELECT
    *,
    positives + negatives AS mass,
    SAFE_DIVIDE(positives, positives + negatives) AS rate,
    positives * negatives AS pairs
  FROM totals
)
SELECT
  n AS `rows`,
  positives,
  tp,
  fp,
  tn,
  fn,
  SAFE_DIVIDE(tp + tn, mass) AS accuracy,
  SAFE_DIVIDE(tp, tp + fp) AS `precision`,
  SAFE_DIVIDE(tp, tp + fn) AS recall,
  SAFE_DIVIDE(tn, tn + fp) AS specificity,
  SAFE_DIVIDE(2 * tp, 2 * tp + fp + fn) AS f1,
  (SAFE_DIVIDE(tp, tp + fn) + SAFE_DIVIDE(tn, tn + fp)) / 2 AS balanced_accuracy,
  -SAFE_DIVIDE(log_likelihood, mass) AS log_loss,
  SAFE_DIVIDE(squared_error, mass) AS brier,
  SAFE_DIVIDE(concordant, pairs) AS roc_auc,
IF(pairs > 0, CAST(0 AS FLOAT64), NULL) AS roc_auc_error_bound,
  SAFE_DIVIDE(precision_sum, positives) AS average_precision,
  SAFE_DIVIDE(positives, mass) AS base_rate,
  -SAFE_DIVIDE(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + negatives * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate))), mass) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

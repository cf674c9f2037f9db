-- bqml_tools compare of ml.predictions: task binary, label label, score the prob of 'yes' in probs
-- compared with probs_new: each row counted twice (_bqml_model 0 reads probs, 1 reads probs_new); a row is valid only when it is valid for both
-- rows where split = 'valid' AND region = 'north'
-- intervals: 22 rows per group, told apart by _bqml_rep: -1 is the estimate (every row), r = 0..19 every row outside partition r, -2 every row whose key is not NULL
-- a row's partition: ABS(MOD(FARM_FINGERPRINT(s), 20)), s = '20:bqml_tools jackknife' followed by each key column (user_id) as <length>:<canonical text> (as split writes a salted key)
-- the interval of a metric m: m(-1) +- t(K'-1, (1 + level) / 2) * sqrt((K'-1)/K' * sum over r of (m(r) - mean m(r))^2), over the K' partitions that hold rows (bqml_tools.intervals; README, How sure is the metric?)

WITH
scored AS (
  SELECT
    _bqml_model, _bqml_rep, CASE WHEN label_ok AND score_ok THEN IF(_bqml_label = 'yes', 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok THEN CAST(IF(_bqml_model = 0, _bqml_score, _bqml_score_b) AS DOUBLE) END AS s,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score
  FROM (
    SELECT *, _bqml_label IS NOT NULL AS label_ok, ((_bqml_score IS NOT NULL AND isfinite(CAST(_bqml_score AS DOUBLE))) AND _bqml_score >= 0 AND _bqml_score <= 1) AND ((_bqml_score_b IS NOT NULL AND isfinite(CAST(_bqml_score_b AS DOUBLE))) AND _bqml_score_b >= 0 AND _bqml_score_b <= 1) AS score_ok
    FROM (
      SELECT COALESCE(ABS(MOD(farm_fingerprint('20:bqml_tools jackknife' || CAST(LENGTH(CAST("user_id" AS STRING)) AS STRING) || ':' || CAST("user_id" AS STRING)), 20)), -2) AS _bqml_rep, "label" AS _bqml_label, CASE WHEN ABS(list_sum(list_transform("probs", lambda _bqml_p: _bqml_p.prob)) - 1) <= 1e-06 THEN list_filter("probs", lambda _bqml_p: _bqml_p.label = 'yes')[1].prob END AS _bqml_score, CASE WHEN ABS(list_sum(list_transform("probs_new", lambda _bqml_p: _bqml_p.prob)) - 1) <= 1e-06 THEN list_filter("probs_new", lambda _bqml_p: _bqml_p.label = 'yes')[1].prob END AS _bqml_score_b
      FROM "ml"."predictions" WHERE "split" = 'valid' AND "region" = 'north'
    ) AS source_rows
  ) AS checked  CROSS JOIN (SELECT 0 AS _bqml_model UNION ALL SELECT 1 AS _bqml_model) AS models
),
partial AS (
  SELECT
    _bqml_model, _bqml_rep, CASE WHEN s = 0 THEN -746001 WHEN s = 1 THEN 746001 ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * 1000) AS INT64) END AS bin,
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
  GROUP BY _bqml_model, _bqml_rep, bin
),
binned AS (
  SELECT
    _bqml_model, _bqml_r AS _bqml_rep, bin,
    SUM(IF(_bqml_first, _bqml_total_n, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, n, NULL)), 0) AS n,
    SUM(IF(_bqml_first, _bqml_total_pos, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, pos, NULL)), 0) AS pos,
    MIN(IF(_bqml_first, _bqml_total_score_min, NULL)) AS score_min,
    MAX(IF(_bqml_first, _bqml_total_score_max, NULL)) AS score_max,
    SUM(IF(_bqml_first, _bqml_total_tp, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, tp, NULL)), 0) AS tp,
    SUM(IF(_bqml_first, _bqml_total_fp, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, fp, NULL)), 0) AS fp,
    SUM(IF(_bqml_first, _bqml_total_log_likelihood, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, log_likelihood, NULL)), 0) AS log_likelihood,
    SUM(IF(_bqml_first, _bqml_total_squared_error, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, squared_error, NULL)), 0) AS squared_error,
    SUM(IF(_bqml_first, _bqml_total_score_sum, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, score_sum, NULL)), 0) AS score_sum,
    SUM(IF(_bqml_first, _bqml_total_invalid_labels, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, invalid_labels, NULL)), 0) AS invalid_labels,
    SUM(IF(_bqml_first, _bqml_total_invalid_scores, NULL)) - COALESCE(SUM(IF(_bqml_r = _bqml_rep, invalid_scores, NULL)), 0) AS invalid_scores
  FROM (
    SELECT
      *,
      SUM(n) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_n,
      SUM(pos) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_pos,
      MIN(score_min) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_score_min,
      MAX(score_max) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_score_max,
      SUM(tp) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_tp,
      SUM(fp) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_fp,
      SUM(log_likelihood) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_log_likelihood,
      SUM(squared_error) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_squared_error,
      SUM(score_sum) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_score_sum,
      SUM(invalid_labels) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_invalid_labels,
      SUM(invalid_scores) OVER (PARTITION BY _bqml_model, bin) AS _bqml_total_invalid_scores,
      ROW_NUMBER() OVER (PARTITION BY _bqml_model, bin ORDER BY _bqml_rep) = 1 AS _bqml_first
    FROM partial
  ) AS cells
  CROSS JOIN generate_series(-2, 19) AS replicate_ids(_bqml_r)
  WHERE _bqml_first OR _bqml_r = _bqml_rep
  GROUP BY _bqml_model, _bqml_r, bin
),
cumulative AS (
  SELECT
    *,
    SUM(pos) OVER (PARTITION BY _bqml_model, _bqml_rep ORDER BY bin DESC) AS pos_at_or_above,
    SUM(n - pos) OVER (PARTITION BY _bqml_model, _bqml_rep ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
totals AS (
  SELECT
    _bqml_model, _bqml_rep, CAST(SUM(n) AS INT64) AS n,
    CAST(SUM(pos) AS INT64) AS positives,
    CAST(SUM(tp) AS INT64) AS tp,
    CAST(SUM(fp) AS INT64) AS fp,
    SUM(log_likelihood) AS log_likelihood,
    SUM(squared_error) AS squared_error,
    SUM(CAST(n - pos AS DOUBLE) * (CAST(pos_at_or_above - pos AS DOUBLE) + pos / 2)) AS concordant,
    SUM(IF(score_min < score_max, CAST(pos AS DOUBLE) * CAST(n - pos AS DOUBLE), 0)) AS tied_pairs,
    SUM(IF(pos > 0, pos * pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) AS INT64) AS invalid_score_rows
  FROM cumulative
  GROUP BY _bqml_model, _bqml_rep
),
counts AS (
  SELECT
    *,
    n - positives - fp AS tn,
    positives - tp AS fn,
    (positives) / NULLIF(n, 0) AS rate,
    CAST(positives AS DOUBLE) * CAST(n - positives AS DOUBLE) AS pairs
  FROM totals
)
SELECT
  _bqml_model, _bqml_rep, n AS "rows",
  positives,
  tp,
  fp,
  tn,
  fn,
  (tp + tn) / NULLIF(n, 0) AS accuracy,
  (tp) / NULLIF(tp + fp, 0) AS "precision",
  (tp) / NULLIF(positives, 0) AS recall,
  (tn) / NULLIF(tn + fp, 0) AS specificity,
  (2 * tp) / NULLIF(2 * tp + fp + fn, 0) AS f1,
  ((tp) / NULLIF(positives, 0) + (tn) / NULLIF(tn + fp, 0)) / 2 AS balanced_accuracy,
  -(log_likelihood) / NULLIF(n, 0) AS log_loss,
  (squared_error) / NULLIF(n, 0) AS brier,
  (concordant) / NULLIF(pairs, 0) AS roc_auc,
(tied_pairs) / NULLIF(2 * pairs, 0) AS roc_auc_error_bound,
  (precision_sum) / NULLIF(positives, 0) AS average_precision,
  (positives) / NULLIF(n, 0) AS base_rate,
  -(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + (n - positives) * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate)))) / NULLIF(n, 0) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs or probs_new that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_model, _bqml_rep

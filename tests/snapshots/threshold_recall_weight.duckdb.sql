-- bqml_tools threshold of ml.predictions: task binary, label label, score p
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows
-- goal: recall>=0.95; candidates: the lowest score of each logit bin (10000 per unit)

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
binned AS (
  SELECT
    CASE WHEN s = 0 THEN -7460001 WHEN s = 1 THEN 7460001 ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * 10000) AS INT64) END AS bin,
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
cumulative AS (
  SELECT
    *,
    SUM(wpos) OVER (ORDER BY bin DESC) AS pos_at_or_above,
    SUM(wneg) OVER (ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
candidates AS (
  SELECT
    bin,
    score_min AS threshold,
    score_max AS threshold_upper,
    CAST(n AS INT64) AS bin_rows,
    wpos + wneg AS bin_mass,
    pos_at_or_above AS tp,
    neg_at_or_above AS fp,
    COALESCE(SUM(wpos) OVER (ORDER BY bin DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS fn,
    COALESCE(SUM(wneg) OVER (ORDER BY bin DESC ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS tn,
    -- the least weight of true and false positives a threshold inside this bin can give
    IF(score_min < score_max, pos_at_or_above - wpos, pos_at_or_above) AS tp_low,
    IF(score_min < score_max, neg_at_or_above - wneg, neg_at_or_above) AS fp_low,
    CAST(SUM(invalid_labels) OVER () AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER () AS INT64) AS invalid_score_rows,
    CAST(SUM(invalid_weights) OVER () AS INT64) AS invalid_weight_rows,
    SUM(wpos) OVER () AS positives,
    SUM(wneg) OVER () AS negatives,
    CAST(SUM(n) OVER () AS INT64) AS group_rows
  FROM cumulative
),
measured AS (
  SELECT
    *,
    (tp) / NULLIF(tp + fp, 0) AS precision_at,
    (tp) / NULLIF(tp + fn, 0) AS recall_at,
    (2 * tp) / NULLIF(2 * tp + fp + fn, 0) AS f1_at
  FROM candidates
  WHERE (bin IS NOT NULL AND (bin_mass > 0 OR positives + negatives = 0)) OR group_rows = 0
),
ranked AS (
  SELECT
    *,
    COALESCE(recall_at >= 0.95, FALSE) AS met,
    MAX(recall_at) OVER () AS best_reachable,
    -- the exact answer lies in the chosen bin (every higher bin misses the target at its lowest
    -- score): its precision is at most the bin's best
    (tp) / NULLIF(tp + fp_low, 0) AS best_possible,
    ROW_NUMBER() OVER (ORDER BY COALESCE(recall_at >= 0.95, FALSE) DESC,
                       IF(COALESCE(recall_at >= 0.95, FALSE), bin, NULL) DESC, recall_at DESC, bin DESC) AS _bqml_rank
  FROM measured
)
SELECT
  threshold,
  threshold_upper,
  bin_rows,
  group_rows AS "rows",
  positives,
  tp,
  fp,
  tn,
  fn,
  (tp + tn) / NULLIF(positives + negatives, 0) AS accuracy,
  precision_at AS "precision",
  recall_at AS recall,
  (tn) / NULLIF(tn + fp, 0) AS specificity,
  f1_at AS f1,
  ((tp) / NULLIF((tp + fn), 0) + (tn) / NULLIF(tn + fp, 0)) / 2 AS balanced_accuracy,
  (GREATEST(positives, negatives)) / NULLIF(positives + negatives, 0) AS baseline_accuracy,
  CAST(NULL AS DOUBLE) AS cost,
  met AS target_met,
  best_reachable,
  best_possible - precision_at AS bound,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows
FROM ranked
WHERE
  (_bqml_rank = 1)
  AND IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

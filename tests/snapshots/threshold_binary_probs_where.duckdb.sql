-- bqml_tools threshold of ml.predictions: task binary, label label, score the prob of 'yes' in probs
-- rows where split = 'valid'
-- goal: recall>=0.95; candidates: the lowest score of each logit bin (10000 per unit)

WITH
scored AS (
  SELECT
    CASE WHEN label_ok AND score_ok THEN IF(_bqml_label = 'yes', 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok THEN CAST(_bqml_score AS DOUBLE) END AS s,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score
  FROM (
    SELECT *, _bqml_label IS NOT NULL AS label_ok, ((_bqml_score IS NOT NULL AND isfinite(CAST(_bqml_score AS DOUBLE))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok
    FROM (
      SELECT "label" AS _bqml_label, CASE WHEN ABS(list_sum(list_transform("probs", lambda _bqml_p: _bqml_p.prob)) - 1) <= 1e-06 THEN list_filter("probs", lambda _bqml_p: _bqml_p.label = 'yes')[1].prob END AS _bqml_score
      FROM "ml"."predictions" WHERE "split" = 'valid'
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
candidates AS (
  SELECT
    bin,
    score_min AS threshold,
    score_max AS threshold_upper,
    CAST(n AS INT64) AS bin_rows,
    CAST(pos_at_or_above AS INT64) AS tp,
    CAST(neg_at_or_above AS INT64) AS fp,
    -- the fewest true and false positives a threshold inside this bin can give (its own counts
    -- when the bin holds one distinct score, or in exact mode: no threshold lies inside it)
    CAST(IF(score_min < score_max, pos_at_or_above - pos, pos_at_or_above) AS INT64) AS tp_low,
    CAST(IF(score_min < score_max, neg_at_or_above - (n - pos), neg_at_or_above) AS INT64) AS fp_low,
    CAST(SUM(invalid_labels) OVER () AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER () AS INT64) AS invalid_score_rows,
    CAST(SUM(pos) OVER () AS INT64) AS positives,
    CAST(SUM(n) OVER () AS INT64) AS group_rows
  FROM cumulative
),
measured AS (
  SELECT
    *,
    positives - tp AS fn,
    group_rows - positives - fp AS tn,
    (tp) / NULLIF(tp + fp, 0) AS precision_at,
    (tp) / NULLIF(positives, 0) AS recall_at,
    (2 * tp) / NULLIF(2 * tp + fp + positives - tp, 0) AS f1_at
  FROM candidates
  WHERE bin IS NOT NULL OR group_rows = 0
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
  (tp + tn) / NULLIF(group_rows, 0) AS accuracy,
  precision_at AS "precision",
  recall_at AS recall,
  (tn) / NULLIF(tn + fp, 0) AS specificity,
  f1_at AS f1,
  ((tp) / NULLIF(positives, 0) + (tn) / NULLIF(tn + fp, 0)) / 2 AS balanced_accuracy,
  (GREATEST(positives, group_rows - positives)) / NULLIF(group_rows, 0) AS baseline_accuracy,
  CAST(NULL AS DOUBLE) AS cost,
  met AS target_met,
  best_reachable,
  best_possible - precision_at AS bound,
  invalid_label_rows,
  invalid_score_rows
FROM ranked
WHERE
  (_bqml_rank = 1)
  AND IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

-- bqml_tools threshold of my-project.ml.predictions: task binary, label label, score p
-- one row per split, region; one scan of the table
-- goal: least cost (fp=1, fn=20); candidates: the lowest score of each logit bin (10000 per unit)

WITH
scored AS (
  SELECT
    _bqml_g0, _bqml_g1, CASE WHEN label_ok AND score_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok THEN CAST(_bqml_score AS FLOAT64) END AS s,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_score AS FLOAT64)) OR IS_INF(CAST(_bqml_score AS FLOAT64)))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok
    FROM (
      SELECT `split` AS _bqml_g0, `region` AS _bqml_g1, `label` AS _bqml_label, `p` AS _bqml_score
      FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked
),
binned AS (
  SELECT
    _bqml_g0, _bqml_g1, CASE WHEN s = 0 THEN -7460001 WHEN s = 1 THEN 7460001 ELSE CAST(FLOOR((LN(s) - LN(1 - s)) * 10000) AS INT64) END AS bin,
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
  GROUP BY _bqml_g0, _bqml_g1, bin
),
cumulative AS (
  SELECT
    *,
    SUM(pos) OVER (PARTITION BY _bqml_g0, _bqml_g1 ORDER BY bin DESC) AS pos_at_or_above,
    SUM(n - pos) OVER (PARTITION BY _bqml_g0, _bqml_g1 ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
),
candidates AS (
  SELECT
    _bqml_g0, _bqml_g1, bin,
    score_min AS threshold,
    score_max AS threshold_upper,
    CAST(n AS INT64) AS bin_rows,
    CAST(pos_at_or_above AS INT64) AS tp,
    CAST(neg_at_or_above AS INT64) AS fp,
    -- the fewest true and false positives a threshold inside this bin can give (its own counts
    -- when the bin holds one distinct score, or in exact mode: no threshold lies inside it)
    CAST(IF(score_min < score_max, pos_at_or_above - pos, pos_at_or_above) AS INT64) AS tp_low,
    CAST(IF(score_min < score_max, neg_at_or_above - (n - pos), neg_at_or_above) AS INT64) AS fp_low,
    CAST(SUM(invalid_labels) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS INT64) AS invalid_score_rows,
    CAST(SUM(pos) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS INT64) AS positives,
    CAST(SUM(n) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS INT64) AS group_rows
  FROM cumulative
),
measured AS (
  SELECT
    *,
    positives - tp AS fn,
    group_rows - positives - fp AS tn,
    SAFE_DIVIDE(tp, tp + fp) AS precision_at,
    SAFE_DIVIDE(tp, positives) AS recall_at,
    SAFE_DIVIDE(2 * tp, 2 * tp + fp + positives - tp) AS f1_at,
    1.0 * fp + 20.0 * (positives - tp) AS cost,
    CAST(fp AS BIGNUMERIC) * 1 + CAST((positives - tp) AS BIGNUMERIC) * 20 AS cost_key,
    1.0 * fp_low + 20.0 * (positives - tp) AS cost_low
  FROM candidates
  WHERE bin IS NOT NULL OR group_rows = 0
),
ranked AS (
  SELECT
    *,
    cost IS NOT NULL AS met,
    MIN(cost) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS best_reachable,
    MIN(cost_low) OVER (PARTITION BY _bqml_g0, _bqml_g1 ) AS best_possible,
    -- the least cost compared exactly (cost_key), ties to the higher threshold
    ROW_NUMBER() OVER (PARTITION BY _bqml_g0, _bqml_g1 ORDER BY cost_key ASC, bin DESC) AS _bqml_rank
  FROM measured
)
SELECT
  _bqml_g0 AS `split`, _bqml_g1 AS `region`, threshold,
  threshold_upper,
  bin_rows,
  group_rows AS `rows`,
  positives,
  tp,
  fp,
  tn,
  fn,
  SAFE_DIVIDE(tp + tn, group_rows) AS accuracy,
  precision_at AS `precision`,
  recall_at AS recall,
  SAFE_DIVIDE(tn, tn + fp) AS specificity,
  f1_at AS f1,
  (SAFE_DIVIDE(tp, positives) + SAFE_DIVIDE(tn, tn + fp)) / 2 AS balanced_accuracy,
  SAFE_DIVIDE(GREATEST(positives, group_rows - positives), group_rows) AS baseline_accuracy,
  CAST(cost AS FLOAT64) AS cost,
  met AS target_met,
  best_reachable,
  CAST(cost - best_possible AS FLOAT64) AS bound,
  invalid_label_rows,
  invalid_score_rows
FROM ranked
WHERE
  (_bqml_rank = 1)
  AND IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_g0, _bqml_g1

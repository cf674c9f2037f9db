-- bqml_tools evaluate of query (SELECT * FROM ml.predictions WHERE region = 'north'): task binary, label label, score the prob of 'yes' in probs (positive when >= 0.5)
-- rows where split = 'valid' AND region = 'north'
-- AUC: exact (ties count half)

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
      FROM (
SELECT * FROM ml.predictions WHERE region = 'north'
) AS _bqml_query WHERE "split" = 'valid' AND "region" = 'north'
    ) AS source_rows
  ) AS checked
),
ranked AS (
  SELECT
    *,
    -- counts, not SUM(y): a running SUM of integers is 128-bit on DuckDB, a count 64-bit
    COUNTIF(y = 1) OVER (ORDER BY s DESC) AS pos_at_or_above,
    COUNTIF(y = 0) OVER (ORDER BY s DESC) AS neg_at_or_above
  FROM scored
),
totals AS (
  SELECT
    CAST(COUNT(y) AS INT64) AS n,
    CAST(COUNTIF(y = 1) AS INT64) AS positives,
    COUNTIF(y = 1 AND s >= 0.5) AS tp,
    COUNTIF(y = 0 AND s >= 0.5) AS fp,
    SUM(IF(y = 1, LN(IF(s < 2.220446049250313e-16, 2.220446049250313e-16, IF(s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), s))), LN(IF(1 - s < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - s > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - s))))) AS log_likelihood,
    SUM((s - y) * (s - y)) AS squared_error,
    -- with A = sum over negatives of positives at or above, B = sum over positives of negatives at
    -- or above: A - B = concordant - discordant pairs, so concordant + ties / 2 = (A - B + pairs) / 2
    CAST(SUM(IF(y = 0, pos_at_or_above, 0)) - SUM(IF(y = 1, neg_at_or_above, 0)) AS DOUBLE) AS concordant_minus_discordant,
    SUM(IF(y = 1, pos_at_or_above / (pos_at_or_above + neg_at_or_above), 0)) AS precision_sum,
    CAST(SUM(invalid_label) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_score) AS INT64) AS invalid_score_rows
  FROM ranked
  
),
counts AS (
  SELECT
    *,
    n - positives - fp AS tn,
    positives - tp AS fn,
    (positives) / NULLIF(n, 0) AS rate,
    CAST(positives AS DOUBLE) * CAST(n - positives AS DOUBLE) AS pairs,
    (CAST(positives AS DOUBLE) * CAST(n - positives AS DOUBLE) + concordant_minus_discordant) / 2 AS concordant
  FROM totals
)
SELECT
  n AS "rows",
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
IF(pairs > 0, CAST(0 AS DOUBLE), NULL) AS roc_auc_error_bound,
  (precision_sum) / NULLIF(positives, 0) AS average_precision,
  (positives) / NULLIF(n, 0) AS base_rate,
  -(positives * LN(IF(rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), rate))) + (n - positives) * LN(IF(1 - rate < 2.220446049250313e-16, 2.220446049250313e-16, IF(1 - rate > (1 - 2.220446049250313e-16), (1 - 2.220446049250313e-16), 1 - rate)))) / NULLIF(n, 0) AS baseline_log_loss,
  invalid_label_rows,
  invalid_score_rows
FROM counts
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

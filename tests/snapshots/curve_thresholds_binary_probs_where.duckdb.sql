-- bqml_tools thresholds of ml.predictions: task binary, label label, score the prob of 'yes' in probs
-- rows where split = 'valid' AND region = 'north'

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
      FROM "ml"."predictions" WHERE "split" = 'valid' AND "region" = 'north'
    ) AS source_rows
  ) AS checked
),
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    CASE
      WHEN s >= (FLOOR(s * 100) + 1) / 100 THEN FLOOR(s * 100) + 1
      WHEN s < FLOOR(s * 100) / 100 THEN FLOOR(s * 100) - 1
      ELSE FLOOR(s * 100)
    END AS k,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  GROUP BY k
),
running AS (
  -- running sums over the steps present (a window over stepped: at most steps + 2 rows per group)
  SELECT
    *,
    SUM(pos) OVER (ORDER BY k DESC) AS pos_at_or_above,
    SUM(n - pos) OVER (ORDER BY k DESC) AS neg_at_or_above,
    -- the next step present below this one (MAX skips the invalid rows' NULL step wherever it sorts)
    MAX(k) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS k_below,
    MAX(k) OVER () AS k_max,
    SUM(pos) OVER () AS positives,
    SUM(n - pos) OVER () AS negatives,
    SUM(invalid_labels) OVER () AS invalid_label_rows,
    SUM(invalid_scores) OVER () AS invalid_score_rows
  FROM stepped
),
swept AS (
  -- each step present stands for the thresholds t in (k_below, k], where its running sums are the
  -- counts at or above t; the highest also for (k, steps], where nothing is; a group without a valid
  -- row sweeps 0..steps from its NULL step, with zero counts. steps + 1 rows per group in all.
  SELECT
    t AS k,
    CAST(IF(t <= k, pos_at_or_above, 0) AS INT64) AS tp,
    CAST(IF(t <= k, neg_at_or_above, 0) AS INT64) AS fp,
    CAST(positives AS INT64) AS positives,
    CAST(negatives AS INT64) AS negatives,
    CAST(invalid_label_rows AS INT64) AS invalid_label_rows,
    CAST(invalid_score_rows AS INT64) AS invalid_score_rows
  FROM running
  CROSS JOIN UNNEST(generate_series(CAST(CASE WHEN k IS NOT NULL THEN COALESCE(k_below + 1, 0) WHEN k_max IS NULL THEN 0 ELSE 1 END AS INT64), CAST(CASE WHEN k IS NOT NULL THEN IF(k = k_max, 100, k) WHEN k_max IS NULL THEN 100 ELSE 0 END AS INT64))) AS sweep(t)
)
SELECT
  k / 100 AS threshold,
  tp,
  fp,
  negatives - fp AS tn,
  positives - tp AS fn,
  (tp) / NULLIF(tp + fp, 0) AS "precision",
  (tp) / NULLIF(positives, 0) AS recall,
  (2 * tp) / NULLIF(2 * tp + fp + positives - tp, 0) AS f1,
  invalid_label_rows,
  invalid_score_rows,
  positives,
  positives + negatives AS group_rows
FROM swept
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

ORDER BY threshold

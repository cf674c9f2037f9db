-- bqml_tools thresholds of my-project.ml.predictions: task binary, label label, score p
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows

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
    SUM(IF(y = 1, w, 0)) AS wpos,
    SUM(IF(y = 0, w, 0)) AS wneg,
    SUM(invalid_weight) AS invalid_weights,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  GROUP BY k
),
running AS (
  -- running sums over the steps present (a window over stepped: at most steps + 2 rows per group)
  SELECT
    *,
    SUM(wpos) OVER (ORDER BY k DESC) AS pos_at_or_above,
    SUM(wneg) OVER (ORDER BY k DESC) AS neg_at_or_above,
    COALESCE(SUM(wpos) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS pos_below,
    COALESCE(SUM(wneg) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS neg_below,
    SUM(invalid_weights) OVER () AS invalid_weight_rows,
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
    IF(t <= k, pos_at_or_above, 0) AS tp,
    IF(t <= k, neg_at_or_above, 0) AS fp,
    IF(t <= k, neg_below, neg_below + wneg) AS tn,
    IF(t <= k, pos_below, pos_below + wpos) AS fn,
    CAST(invalid_weight_rows AS INT64) AS invalid_weight_rows,
    CAST(positives AS INT64) AS positives,
    CAST(negatives AS INT64) AS negatives,
    CAST(invalid_label_rows AS INT64) AS invalid_label_rows,
    CAST(invalid_score_rows AS INT64) AS invalid_score_rows
  FROM running
  CROSS JOIN UNNEST(GENERATE_ARRAY(CAST(CASE WHEN k IS NOT NULL THEN COALESCE(k_below + 1, 0) WHEN k_max IS NULL THEN 0 ELSE 1 END AS INT64), CAST(CASE WHEN k IS NOT NULL THEN IF(k = k_max, 100, k) WHEN k_max IS NULL THEN 100 ELSE 0 END AS INT64))) AS t
)
SELECT
  k / 100 AS threshold,
  tp,
  fp,
  tn,
  fn,
  SAFE_DIVIDE(tp, tp + fp) AS `precision`,
  SAFE_DIVIDE(tp, tp + fn) AS recall,
  SAFE_DIVIDE(2 * tp, 2 * tp + fp + fn) AS f1,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows,
  positives,
  positives + negatives AS group_rows
FROM swept
WHERE
  IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have a NULL, NaN or infinite score or one outside [0, 1] in p; filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

ORDER BY threshold

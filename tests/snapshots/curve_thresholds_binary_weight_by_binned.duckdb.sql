-- bqml_tools thresholds of ml.predictions: task binary, label label, score p
-- one row per split; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows

WITH
scored AS (
  SELECT
    _bqml_g0, CASE WHEN label_ok AND score_ok AND weight_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok AND weight_ok THEN CAST(_bqml_score AS DOUBLE) END AS s,
    IF(label_ok AND score_ok AND weight_ok, CAST(_bqml_weight AS DOUBLE), NULL) AS w,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score,
    IF(weight_ok, 0, 1) AS invalid_weight
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND isfinite(CAST(_bqml_label AS DOUBLE))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND isfinite(CAST(_bqml_score AS DOUBLE))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok, ((_bqml_weight IS NOT NULL AND isfinite(CAST(_bqml_weight AS DOUBLE))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT "split" AS _bqml_g0, "w" AS _bqml_weight, "label" AS _bqml_label, "p" AS _bqml_score
      FROM "ml"."predictions"
    ) AS source_rows
  ) AS checked
),
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    _bqml_g0, CASE
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
  GROUP BY _bqml_g0, k
),
steps AS (
  SELECT k FROM generate_series(0, 100) AS series(k)
),
swept AS (
  SELECT
    b._bqml_g0, t.k,
    SUM(IF(b.k >= t.k, b.wpos, 0)) AS tp,
    SUM(IF(b.k >= t.k, b.wneg, 0)) AS fp,
    SUM(IF(b.k < t.k, b.wneg, 0)) AS tn,
    SUM(IF(b.k < t.k, b.wpos, 0)) AS fn,
    CAST(SUM(b.invalid_weights) AS INT64) AS invalid_weight_rows,
    CAST(SUM(b.pos) AS INT64) AS positives,
    CAST(SUM(b.n - b.pos) AS INT64) AS negatives,
    CAST(SUM(b.invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(b.invalid_scores) AS INT64) AS invalid_score_rows
  FROM stepped AS b
  CROSS JOIN steps AS t
  GROUP BY b._bqml_g0, t.k
)
SELECT
  _bqml_g0 AS "split", k / 100 AS threshold,
  tp,
  fp,
  tn,
  fn,
  COALESCE((tp) / NULLIF(tp + fp, 0), 0) AS "precision",
  COALESCE((tp) / NULLIF(tp + fn, 0), 0) AS recall,
  COALESCE((2 * tp) / NULLIF(2 * tp + fp + fn, 0), 0) AS f1,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows,
  positives,
  positives + negatives AS group_rows
FROM swept

ORDER BY _bqml_g0, threshold

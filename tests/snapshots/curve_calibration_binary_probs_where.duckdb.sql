-- bqml_tools calibration of ml.predictions: task binary, label label, score the prob of 'yes' in probs
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
binned AS (
  SELECT
    CASE
      WHEN guess > 0 AND s <= guess * (1 / CAST(10 AS DOUBLE)) THEN guess - 1
      WHEN guess < 9 AND s > (guess + 1) * (1 / CAST(10 AS DOUBLE)) THEN guess + 1
      ELSE guess
    END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    AVG(s) AS mean_score,
    AVG(y) AS observed_rate,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM (
    SELECT *, LEAST(GREATEST(CEIL(s * 10) - 1, 0), 9) AS guess
    FROM scored
  ) AS guessed
  GROUP BY bin
),
summed AS (
  SELECT
    *,
    (SUM(n * ABS(mean_score - observed_rate)) OVER ()) / NULLIF(SUM(n) OVER (), 0) AS expected_calibration_error,
    CAST(SUM(invalid_labels) OVER () AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER () AS INT64) AS invalid_score_rows,
    CAST(SUM(pos) OVER () AS INT64) AS positives,
    CAST(SUM(n) OVER () AS INT64) AS group_rows
  FROM binned
)
SELECT
  CAST(bin AS INT64) AS bin,
  bin * (1 / CAST(10 AS DOUBLE)) AS bin_lower,
  IF(bin = 9, 1, (bin + 1) * (1 / CAST(10 AS DOUBLE))) AS bin_upper,
  CAST(n AS INT64) AS "rows",
  mean_score,
  observed_rate,
  expected_calibration_error,
  invalid_label_rows,
  invalid_score_rows,
  positives,
  group_rows
FROM summed
WHERE
  (bin IS NOT NULL OR group_rows = 0)
  AND IF(invalid_label_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_label_rows AS STRING) || ' row(s) have a NULL or non-binary label in label; filter them, pass --positive VALUE, or pass --invalid exclude'), TRUE)
  AND IF(invalid_score_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_score_rows AS STRING) || ' row(s) have probabilities in probs that lack the positive label or do not sum to 1, or a positive prob outside [0, 1]; filter them or pass --invalid exclude'), TRUE)

ORDER BY bin

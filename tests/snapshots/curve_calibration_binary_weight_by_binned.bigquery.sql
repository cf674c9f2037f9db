-- bqml_tools calibration of my-project.ml.predictions: task binary, label label, score p
-- one row per split; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows

WITH
scored AS (
  SELECT
    _bqml_g0, CASE WHEN label_ok AND score_ok AND weight_ok THEN IF(_bqml_label = 1, 1, 0) END AS y,
    CASE WHEN label_ok AND score_ok AND weight_ok THEN CAST(_bqml_score AS FLOAT64) END AS s,
    IF(label_ok AND score_ok AND weight_ok, CAST(_bqml_weight AS FLOAT64), NULL) AS w,
    IF(label_ok, 0, 1) AS invalid_label,
    IF(score_ok, 0, 1) AS invalid_score,
    IF(weight_ok, 0, 1) AS invalid_weight
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND _bqml_label IN (0, 1) AS label_ok, ((_bqml_score IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_score AS FLOAT64)) OR IS_INF(CAST(_bqml_score AS FLOAT64)))) AND _bqml_score >= 0 AND _bqml_score <= 1) AS score_ok, ((_bqml_weight IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_weight AS FLOAT64)) OR IS_INF(CAST(_bqml_weight AS FLOAT64)))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT `split` AS _bqml_g0, `w` AS _bqml_weight, `label` AS _bqml_label, `p` AS _bqml_score
      FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked
),
binned AS (
  SELECT
    _bqml_g0, CASE
      WHEN guess > 0 AND s <= guess * (1 / CAST(10 AS FLOAT64)) THEN guess - 1
      WHEN guess < 9 AND s > (guess + 1) * (1 / CAST(10 AS FLOAT64)) THEN guess + 1
      ELSE guess
    END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    SUM(w) AS mass,
    SAFE_DIVIDE(SUM(w * s), SUM(w)) AS mean_score,
    SAFE_DIVIDE(SUM(IF(y = 1, w, 0)), SUM(w)) AS observed_rate,
    SUM(invalid_weight) AS invalid_weights,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM (
    SELECT *, LEAST(GREATEST(CEIL(s * 10) - 1, 0), 9) AS guess
    FROM scored
  ) AS guessed
  GROUP BY _bqml_g0, bin
),
summed AS (
  SELECT
    *,
    SAFE_DIVIDE(SUM(mass * ABS(mean_score - observed_rate)) OVER (PARTITION BY _bqml_g0 ), SUM(mass) OVER (PARTITION BY _bqml_g0 )) AS expected_calibration_error,
    CAST(SUM(invalid_labels) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_label_rows,
    CAST(SUM(invalid_scores) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_score_rows,
    CAST(SUM(invalid_weights) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS invalid_weight_rows,
    CAST(SUM(pos) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS positives,
    CAST(SUM(n) OVER (PARTITION BY _bqml_g0 ) AS INT64) AS group_rows
  FROM binned
)
SELECT
  _bqml_g0 AS `split`, CAST(bin AS INT64) AS bin,
  bin * (1 / CAST(10 AS FLOAT64)) AS bin_lower,
  IF(bin = 9, 1, (bin + 1) * (1 / CAST(10 AS FLOAT64))) AS bin_upper,
  CAST(n AS INT64) AS `rows`,
  mean_score,
  observed_rate,
  expected_calibration_error,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows,
  positives,
  group_rows
FROM summed
WHERE bin IS NOT NULL OR group_rows = 0

ORDER BY _bqml_g0, bin

-- bqml_tools calibration of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.5)

WITH
scored AS (
  SELECT
    CASE WHEN `label` IN (0, 1) AND `p` >= 0 AND `p` <= 1 THEN IF(`label` = 1, 1, 0) END AS y,
    CASE WHEN `label` IN (0, 1) AND `p` >= 0 AND `p` <= 1 THEN CAST(`p` AS FLOAT64) END AS s
  FROM `my-project.ml.predictions`
),
binned AS (
  SELECT
    LEAST(FLOOR(s * 10), 9) AS bin,
    COUNT(*) AS n,
    AVG(s) AS mean_score,
    AVG(y) AS observed_rate
  FROM scored
  WHERE y IS NOT NULL
  GROUP BY bin
)
SELECT
  CAST(bin AS INT64) AS bin,
  bin / 10 AS bin_lower,
  (bin + 1) / 10 AS bin_upper,
  CAST(n AS INT64) AS `rows`,
  mean_score,
  observed_rate,
  SUM(n * ABS(mean_score - observed_rate)) OVER () / SUM(n) OVER () AS expected_calibration_error
FROM binned
ORDER BY bin

-- bqml_tools calibration of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.35)
-- one row per split; one scan of the table

WITH
scored AS (
  SELECT
    `split`, CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN IF(`label` = 'yes', 1, 0) END AS y,
    CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN CAST(`p` AS FLOAT64) END AS s
  FROM `my-project.ml.predictions`
),
binned AS (
  SELECT
    `split`, LEAST(FLOOR(s * 10), 9) AS bin,
    COUNT(*) AS n,
    AVG(s) AS mean_score,
    AVG(y) AS observed_rate
  FROM scored
  WHERE y IS NOT NULL
  GROUP BY `split`, bin
)
SELECT
  `split`, CAST(bin AS INT64) AS bin,
  bin / 10 AS bin_lower,
  (bin + 1) / 10 AS bin_upper,
  CAST(n AS INT64) AS `rows`,
  mean_score,
  observed_rate,
  SUM(n * ABS(mean_score - observed_rate)) OVER (PARTITION BY `split` ) / SUM(n) OVER (PARTITION BY `split` ) AS expected_calibration_error
FROM binned
ORDER BY `split`, bin

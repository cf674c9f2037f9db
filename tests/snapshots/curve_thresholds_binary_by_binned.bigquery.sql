-- bqml_tools thresholds of my-project.ml.predictions: task binary, label label, score p (positive when >= 0.35)
-- one row per split; one scan of the table

WITH
scored AS (
  SELECT
    `split`, CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN IF(`label` = 'yes', 1, 0) END AS y,
    CASE WHEN `label` IS NOT NULL AND `p` >= 0 AND `p` <= 1 THEN CAST(`p` AS FLOAT64) END AS s
  FROM `my-project.ml.predictions`
),
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    `split`, CASE
      WHEN s >= (FLOOR(s * 100) + 1) / 100 THEN FLOOR(s * 100) + 1
      WHEN s < FLOOR(s * 100) / 100 THEN FLOOR(s * 100) - 1
      ELSE FLOOR(s * 100)
    END AS k,
    COUNT(*) AS n,
    COUNTIF(y = 1) AS pos
  FROM scored
  WHERE y IS NOT NULL
  GROUP BY `split`, k
),
steps AS (
  SELECT k FROM UNNEST(GENERATE_ARRAY(0, 100)) AS k
),
swept AS (
  SELECT
    b.`split`, t.k,
    CAST(SUM(IF(b.k >= t.k, b.pos, 0)) AS INT64) AS tp,
    CAST(SUM(IF(b.k >= t.k, b.n - b.pos, 0)) AS INT64) AS fp,
    CAST(SUM(b.pos) AS INT64) AS positives,
    CAST(SUM(b.n - b.pos) AS INT64) AS negatives
  FROM stepped AS b
  CROSS JOIN steps AS t
  GROUP BY b.`split`, t.k
)
SELECT
  `split`, k / 100 AS threshold,
  tp,
  fp,
  negatives - fp AS tn,
  positives - tp AS fn,
  COALESCE(SAFE_DIVIDE(tp, tp + fp), 0) AS `precision`,
  COALESCE(SAFE_DIVIDE(tp, positives), 0) AS recall,
  COALESCE(SAFE_DIVIDE(2 * tp, 2 * tp + fp + positives - tp), 0) AS f1
FROM swept
ORDER BY `split`, threshold

-- bqml_tools thresholds of ml.predictions: task binary, label label, score p (positive when >= 0.5)

WITH
scored AS (
  SELECT
    CASE WHEN "label" IN (0, 1) AND "p" >= 0 AND "p" <= 1 THEN IF("label" = 1, 1, 0) END AS y,
    CASE WHEN "label" IN (0, 1) AND "p" >= 0 AND "p" <= 1 THEN CAST("p" AS DOUBLE) END AS s
  FROM "ml"."predictions"
),
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    CASE
      WHEN s >= (FLOOR(s * 100) + 1) / 100 THEN FLOOR(s * 100) + 1
      WHEN s < FLOOR(s * 100) / 100 THEN FLOOR(s * 100) - 1
      ELSE FLOOR(s * 100)
    END AS k,
    COUNT(*) AS n,
    COUNTIF(y = 1) AS pos
  FROM scored
  WHERE y IS NOT NULL
  GROUP BY k
),
steps AS (
  SELECT k FROM generate_series(0, 100) AS series(k)
),
swept AS (
  SELECT
    t.k,
    CAST(SUM(IF(b.k >= t.k, b.pos, 0)) AS INT64) AS tp,
    CAST(SUM(IF(b.k >= t.k, b.n - b.pos, 0)) AS INT64) AS fp,
    CAST(SUM(b.pos) AS INT64) AS positives,
    CAST(SUM(b.n - b.pos) AS INT64) AS negatives
  FROM stepped AS b
  CROSS JOIN steps AS t
  GROUP BY t.k
)
SELECT
  k / 100 AS threshold,
  tp,
  fp,
  negatives - fp AS tn,
  positives - tp AS fn,
  (tp) / NULLIF(tp + fp, 0) AS "precision",
  (tp) / NULLIF(positives, 0) AS recall,
  (2 * tp) / NULLIF(2 * tp + fp + positives - tp, 0) AS f1
FROM swept
ORDER BY threshold

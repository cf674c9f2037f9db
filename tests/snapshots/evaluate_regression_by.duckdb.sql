-- bqml_tools evaluate of ml.predictions: task regression, label y, prediction y_hat
-- one row per split, region; one scan of the table

WITH scored AS (
  SELECT
    "split", "region", CAST(CASE WHEN "y_hat" IS NOT NULL THEN "y" END AS DOUBLE) AS y,
    CAST(CASE WHEN "y" IS NOT NULL THEN "y_hat" END AS DOUBLE) AS p
  FROM "ml"."predictions"
),
sums AS (
  SELECT
    "split", "region", CAST(COUNT(y) AS INT64) AS n,
    CAST(COUNT(*) - COUNT(y) AS INT64) AS invalid_rows,
    AVG(ABS(p - y)) AS mae,
    AVG((p - y) * (p - y)) AS mse,
    VAR_POP(y) AS var_y,
    VAR_POP(y - p) AS var_residual,
    CAST(COUNTIF(y < 0 OR p < 0) AS INT64) AS negative_rows,
    AVG(POW(LN(1 + GREATEST(y, 0)) - LN(1 + GREATEST(p, 0)), 2)) AS msle,
    MEDIAN(ABS(p - y)) AS median_absolute_error,
    AVG(y) AS mean_label,
    AVG(p) AS mean_prediction
  FROM scored
  GROUP BY "split", "region"
)
SELECT
  "split", "region", n AS "rows",
  mae,
  mse,
  SQRT(mse) AS rmse,
  1 - (mse) / NULLIF(var_y, 0) AS r2,
  1 - (var_residual) / NULLIF(var_y, 0) AS explained_variance,
  IF(negative_rows > 0, NULL, msle) AS mean_squared_log_error,
  median_absolute_error,
  mean_label,
  mean_prediction,
  SQRT(var_y) AS baseline_rmse,
  negative_rows,
  invalid_rows
FROM sums

ORDER BY "split", "region"

-- bqml_tools evaluate of ml.predictions: task regression, label y, prediction y_hat
-- rows where region = 'north'

WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    IF(valid, CAST(_bqml_label AS DOUBLE), NULL) AS y,
    IF(valid, CAST(_bqml_prediction AS DOUBLE), NULL) AS p
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND isfinite(CAST(_bqml_label AS DOUBLE))) AND (_bqml_prediction IS NOT NULL AND isfinite(CAST(_bqml_prediction AS DOUBLE))) AS valid
    FROM (
      SELECT "y" AS _bqml_label, "y_hat" AS _bqml_prediction
      FROM "ml"."predictions" WHERE "region" = 'north'
    ) AS source_rows
  ) AS checked
),
sums AS (
  SELECT
    CAST(COUNT(y) AS INT64) AS n,
    CAST(COUNT(*) - COUNT(y) AS INT64) AS invalid_rows,
    AVG(ABS(p - y)) AS mae,
    AVG((p - y) * (p - y)) AS mse,
    VAR_POP(y) AS var_y,
    VAR_POP(y - p) AS var_residual,
    CAST(COUNTIF(y < 0 OR p < 0) AS INT64) AS negative_rows,
    -- IF, not GREATEST: DuckDB's GREATEST(NULL, 0) is 0, which would count invalid rows as errors of 0
    AVG(POW(LN(1 + IF(y < 0, 0, y)) - LN(1 + IF(p < 0, 0, p)), 2)) AS msle,
    MEDIAN(ABS(p - y)) AS median_absolute_error,
    AVG(y) AS mean_label,
    AVG(p) AS mean_prediction
  FROM scored
  
)
SELECT
  n AS "rows",
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
WHERE
  IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' row(s) have a NULL, NaN or infinite label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)

-- bqml_tools evaluate of my-project.ml.predictions: task regression, label y, prediction y_hat
-- rows where region = 'north'

WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    IF(valid, CAST(_bqml_label AS FLOAT64), NULL) AS y,
    IF(valid, CAST(_bqml_prediction AS FLOAT64), NULL) AS p
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND (_bqml_prediction IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_prediction AS FLOAT64)) OR IS_INF(CAST(_bqml_prediction AS FLOAT64)))) AS valid
    FROM (
      SELECT `y` AS _bqml_label, `y_hat` AS _bqml_prediction
      FROM `my-project.ml.predictions` WHERE `region` = 'north'
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
    APPROX_QUANTILES(ABS(p - y), 2)[OFFSET(1)] AS median_absolute_error,
    AVG(y) AS mean_label,
    AVG(p) AS mean_prediction
  FROM scored
  
)
SELECT
  n AS `rows`,
  mae,
  mse,
  SQRT(mse) AS rmse,
  1 - SAFE_DIVIDE(mse, var_y) AS r2,
  1 - SAFE_DIVIDE(var_residual, var_y) AS explained_variance,
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

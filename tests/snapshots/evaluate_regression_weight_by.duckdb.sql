-- bqml_tools evaluate of ml.predictions: task regression, label y, prediction y_hat
-- one row per split, region; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows

WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    _bqml_g0, _bqml_g1, IF((values_ok AND weight_ok), CAST(_bqml_label AS DOUBLE), NULL) AS y,
    IF((values_ok AND weight_ok), CAST(_bqml_prediction AS DOUBLE), NULL) AS p,
    IF((values_ok AND weight_ok), CAST(_bqml_weight AS DOUBLE), NULL) AS w,
    values_ok,
    weight_ok
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND isfinite(CAST(_bqml_label AS DOUBLE))) AND (_bqml_prediction IS NOT NULL AND isfinite(CAST(_bqml_prediction AS DOUBLE))) AS values_ok, ((_bqml_weight IS NOT NULL AND isfinite(CAST(_bqml_weight AS DOUBLE))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT "split" AS _bqml_g0, "region" AS _bqml_g1, "w" AS _bqml_weight, "y" AS _bqml_label, "y_hat" AS _bqml_prediction
      FROM "ml"."predictions"
    ) AS source_rows
  ) AS checked
),
cells AS (
  SELECT
    _bqml_g0, _bqml_g1, side,
    k,
    COUNT(w) AS n,
    COUNTIF(NOT values_ok) AS invalid_rows,
    COUNTIF(NOT weight_ok) AS invalid_weight_rows,
    SUM(w) AS weight,
    SUM(w * (v - k)) AS s1,
    SUM(w * (v - k) * (v - k)) AS s2,
    -- the least and greatest value of weight > 0: a cell (or a side) of one value has no spread at
    -- all, whatever rounding s2 - s1^2 / w leaves (a constant label gave var_y -1e-17: r2 2e26)
    MIN(IF(w > 0, v, NULL)) AS v_min,
    MAX(IF(w > 0, v, NULL)) AS v_max,
    SUM(w * ABS(p - y)) AS absolute_error,
    SUM(w * (p - y) * (p - y)) AS squared_error,
    COUNTIF(y < 0 OR p < 0) AS negative_rows,
    -- IF, not GREATEST: DuckDB's GREATEST(NULL, 0) is 0, which would count invalid rows as errors of 0
    SUM(w * POW(LN(1 + IF(y < 0, 0, y)) - LN(1 + IF(p < 0, 0, p)), 2)) AS log_error,
    SUM(w * p) AS sum_p
  FROM (
    SELECT *, IF(side = 2, v, IF(ABS(v) < 1e290, v * 2199023255553 - (v * 2199023255553 - v), v)) AS k
    FROM (
      -- every valid row once per side; invalid rows on side 0 only, where they are counted
      SELECT *, CASE side WHEN 0 THEN y WHEN 1 THEN y - p ELSE ABS(p - y) END AS v
      FROM scored
      CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side UNION ALL SELECT 2 AS side) AS sides
      WHERE side = 0 OR w IS NOT NULL
    ) AS sided
  ) AS celled
  GROUP BY _bqml_g0, _bqml_g1, side, k
),
cell_stats AS (
  SELECT
    *,
    SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_g1, side) AS side_weight,
    MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_g1, side) AS side_min,
    MAX(v_max) OVER (PARTITION BY _bqml_g0, _bqml_g1, side) AS side_max,
    -- a side of one value has that value as its mean, exactly
    IF(MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_g1, side) = MAX(v_max) OVER (PARTITION BY _bqml_g0, _bqml_g1, side), MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_g1, side),
       (SUM(weight * k + s1) OVER (PARTITION BY _bqml_g0, _bqml_g1, side)) / NULLIF(SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_g1, side), 0)) AS side_mean,
    SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_g1, side ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_weight,
    MIN(IF(weight > 0, k, NULL)) OVER (PARTITION BY _bqml_g0, _bqml_g1, side ORDER BY k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_k
  FROM cells
),
partial AS (
  SELECT
    _bqml_g0, _bqml_g1, COALESCE(SUM(IF(side = 0, n, 0)), 0) AS n,
    COALESCE(SUM(IF(side = 0, invalid_rows, 0)), 0) AS invalid_rows,
    COALESCE(SUM(IF(side = 0, invalid_weight_rows, 0)), 0) AS invalid_weight_rows,
    COALESCE(SUM(IF(side = 0, weight, 0)), 0) AS weight,
    SUM(IF(side = 0, absolute_error, 0)) AS absolute_error,
    SUM(IF(side = 0, squared_error, 0)) AS squared_error,
    COALESCE(SUM(IF(side = 0, negative_rows, 0)), 0) AS negative_rows,
    SUM(IF(side = 0, log_error, 0)) AS log_error,
    SUM(IF(side = 0, sum_p, 0)) AS sum_p,
    MAX(IF(side = 0, side_mean, NULL)) AS mean_y,
    MAX(IF(side = 0, side_min, NULL)) AS min_y,
    MAX(IF(side = 0, side_max, NULL)) AS max_y,
    SUM(IF(side = 0 AND weight > 0, IF(side_min = side_max, 0, IF(v_min = v_max, 0, GREATEST(s2 - s1 * (s1 / weight), 0)) + weight * POW(IF(v_min = v_max, v_min - side_mean, k - side_mean + s1 / weight), 2)), 0)) AS m2_y,
    MAX(IF(side = 1, side_mean, NULL)) AS mean_residual,
    SUM(IF(side = 1 AND weight > 0, IF(side_min = side_max, 0, IF(v_min = v_max, 0, GREATEST(s2 - s1 * (s1 / weight), 0)) + weight * POW(IF(v_min = v_max, v_min - side_mean, k - side_mean + s1 / weight), 2)), 0)) AS m2_residual,
    -- the weighted median: the smallest error whose running weight reaches half the total, or, when it
    -- reaches exactly half (within float64 epsilon, as scikit-learn tests), the mean of it and the next
    -- error with a positive weight (running weights never fall, so MIN picks the first such cell's)
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= side_weight / 2, k, NULL)) AS median_low,
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= side_weight / 2, cumulative_weight - side_weight / 2, NULL)) AS median_above,
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= side_weight / 2, next_k, NULL)) AS median_next
  FROM cell_stats
  GROUP BY _bqml_g0, _bqml_g1
),
sums AS (
  SELECT
    _bqml_g0, _bqml_g1, CAST(n AS INT64) AS n,
    CAST(invalid_rows AS INT64) AS invalid_rows,
    CAST(invalid_weight_rows AS INT64) AS invalid_weight_rows,
    (absolute_error) / NULLIF(weight, 0) AS mae,
    (squared_error) / NULLIF(weight, 0) AS mse,
    (m2_y) / NULLIF(weight, 0) AS var_y,
    (m2_residual) / NULLIF(weight, 0) AS var_residual,
    CAST(negative_rows AS INT64) AS negative_rows,
    (log_error) / NULLIF(weight, 0) AS msle,
    -- no median without weight (scikit-learn: NaN when every weight is 0)
    IF(weight > 0, IF(median_above > 2.220446049250313e-16, median_low, (median_low + COALESCE(median_next, median_low)) / 2), NULL) AS median_absolute_error,
    mean_y AS mean_label,
    (sum_p) / NULLIF(weight, 0) AS mean_prediction
  FROM partial
)

SELECT
  _bqml_g0 AS "split", _bqml_g1 AS "region", n AS "rows",
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
  invalid_rows,
  invalid_weight_rows
FROM sums

ORDER BY _bqml_g0, _bqml_g1

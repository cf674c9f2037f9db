-- bqml_tools evaluate of my-project.ml.predictions: task regression, label y, prediction y_hat
-- per split; one scan of the table
-- rows weighted by w (scikit-learn's sample_weight); rows stays a count of rows
-- intervals: 22 rows per group, told apart by _bqml_rep: -1 is the estimate (every row), r = 0..19 every row outside partition r, -2 every row whose key is not NULL
-- a row's partition: ABS(MOD(FARM_FINGERPRINT(s), 20)), s = '20:bqml_tools jackknife' followed by each key column (user_id) as <length>:<canonical text> (as split writes a salted key)
-- the interval of a metric m: m(-1) +- t(K'-1, (1 + level) / 2) * sqrt((K'-1)/K' * sum over r of (m(r) - mean m(r))^2), over the K' partitions that hold rows (bqml_tools.intervals; README, How sure is the metric?)

WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    _bqml_g0, _bqml_rep, IF((values_ok AND weight_ok), CAST(_bqml_label AS FLOAT64), NULL) AS y,
    IF((values_ok AND weight_ok), CAST(_bqml_prediction AS FLOAT64), NULL) AS p,
    IF((values_ok AND weight_ok), CAST(_bqml_weight AS FLOAT64), NULL) AS w,
    values_ok,
    weight_ok
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND (_bqml_prediction IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_prediction AS FLOAT64)) OR IS_INF(CAST(_bqml_prediction AS FLOAT64)))) AS values_ok, ((_bqml_weight IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_weight AS FLOAT64)) OR IS_INF(CAST(_bqml_weight AS FLOAT64)))) AND _bqml_weight >= 0) AS weight_ok
    FROM (
      SELECT `split` AS _bqml_g0, COALESCE(ABS(MOD(FARM_FINGERPRINT('20:bqml_tools jackknife' || CAST(LENGTH(CAST(`user_id` AS STRING)) AS STRING) || ':' || CAST(`user_id` AS STRING)), 20)), -2) AS _bqml_rep, `w` AS _bqml_weight, `y` AS _bqml_label, `y_hat` AS _bqml_prediction
      FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked
),
cells AS (
  SELECT
    _bqml_g0, _bqml_rep, side,
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
    SELECT *, IF(side = 2, IF(ABS(v) < 1e290, v * 2199023255553 - (v * 2199023255553 - v), v), IF(ABS(v) < 1e290, v * 2199023255553 - (v * 2199023255553 - v), v)) AS k
    FROM (
      -- every valid row once per side; invalid rows on side 0 only, where they are counted
      SELECT *, CASE side WHEN 0 THEN y WHEN 1 THEN y - p ELSE ABS(p - y) END AS v
      FROM scored
      CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side) AS sides
      WHERE side = 0 OR w IS NOT NULL
    ) AS sided
  ) AS celled
  GROUP BY _bqml_g0, _bqml_rep, side, k
),
cell_stats AS (
  SELECT
    *,
    SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_rep, side) AS side_weight,
    MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_rep, side) AS side_min,
    MAX(v_max) OVER (PARTITION BY _bqml_g0, _bqml_rep, side) AS side_max,
    -- a side of one value has that value as its mean, exactly
    IF(MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_rep, side) = MAX(v_max) OVER (PARTITION BY _bqml_g0, _bqml_rep, side), MIN(v_min) OVER (PARTITION BY _bqml_g0, _bqml_rep, side),
       SAFE_DIVIDE(SUM(weight * k + s1) OVER (PARTITION BY _bqml_g0, _bqml_rep, side), SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_rep, side))) AS side_mean
  FROM cells
),
partial AS (
  SELECT
    _bqml_g0, _bqml_rep, _bqml_rep AS _bqml_part, COALESCE(SUM(IF(side = 0, n, 0)), 0) AS n,
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
    SUM(IF(side = 1 AND weight > 0, IF(side_min = side_max, 0, IF(v_min = v_max, 0, GREATEST(s2 - s1 * (s1 / weight), 0)) + weight * POW(IF(v_min = v_max, v_min - side_mean, k - side_mean + s1 / weight), 2)), 0)) AS m2_residual
  FROM cell_stats
  GROUP BY _bqml_g0, _bqml_rep
),
pooled_parts AS (
  SELECT
    _bqml_g0, _bqml_r AS _bqml_rep, _bqml_part, n, weight, mean_y, min_y, max_y, m2_y, mean_residual, m2_residual,
    SUM(invalid_rows) AS invalid_rows,
    SUM(invalid_weight_rows) AS invalid_weight_rows,
    SUM(absolute_error) AS absolute_error,
    SUM(squared_error) AS squared_error,
    SUM(negative_rows) AS negative_rows,
    SUM(log_error) AS log_error,
    SUM(sum_p) AS sum_p
  FROM partial
  CROSS JOIN UNNEST(GENERATE_ARRAY(-2, 19)) AS _bqml_r
  WHERE _bqml_r <> _bqml_rep
  GROUP BY _bqml_g0, _bqml_r, _bqml_part, n, weight, mean_y, min_y, max_y, m2_y, mean_residual, m2_residual
),
pooled AS (
  -- each partition's row in each replicate, with the replicate's (weighted) means (windows over K * K small rows)
  SELECT
    *,
    SAFE_DIVIDE(SUM(weight * mean_y) OVER (PARTITION BY _bqml_g0, _bqml_rep ), SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_rep )) AS replicate_mean_y,
    SAFE_DIVIDE(SUM(weight * mean_residual) OVER (PARTITION BY _bqml_g0, _bqml_rep ), SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_rep )) AS replicate_mean_residual
  FROM pooled_parts
),
sums AS (
  SELECT
    _bqml_g0, _bqml_rep, CAST(COALESCE(SUM(n), 0) AS INT64) AS n,
    CAST(SUM(invalid_rows) AS INT64) AS invalid_rows,
    CAST(SUM(invalid_weight_rows) AS INT64) AS invalid_weight_rows,
    SAFE_DIVIDE(SUM(absolute_error), SUM(weight)) AS mae,
    SAFE_DIVIDE(SUM(squared_error), SUM(weight)) AS mse,
    -- a partition of zero weight has no mean: its term is NULL, and SUM leaves it out (it adds nothing)
    -- a replicate whose labels are all one value has no variance: 0 exactly, not the rounding of its
    -- partitions' means (which gave r2 -5e33 for a constant label)
    IF(MIN(min_y) = MAX(max_y), 0, SAFE_DIVIDE(SUM(m2_y + weight * (mean_y - replicate_mean_y) * (mean_y - replicate_mean_y)), SUM(weight))) AS var_y,
    SAFE_DIVIDE(SUM(m2_residual + weight * (mean_residual - replicate_mean_residual) * (mean_residual - replicate_mean_residual)), SUM(weight)) AS var_residual,
    CAST(SUM(negative_rows) AS INT64) AS negative_rows,
    SAFE_DIVIDE(SUM(log_error), SUM(weight)) AS msle,
    -- a median does not come from per-partition sums (and the jackknife is not valid for it)
    CAST(NULL AS FLOAT64) AS median_absolute_error,
    IF(MIN(min_y) = MAX(max_y), MIN(min_y), MAX(replicate_mean_y)) AS mean_label,
    SAFE_DIVIDE(SUM(sum_p), SUM(weight)) AS mean_prediction
  FROM pooled
  GROUP BY _bqml_g0, _bqml_rep
)

SELECT
  _bqml_g0 AS `split`, _bqml_rep, n AS `rows`,
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
  invalid_rows,
  invalid_weight_rows
FROM sums
WHERE
  IF(invalid_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_rows AS STRING) || ' row(s) have a NULL, NaN or infinite label (y) or prediction (y_hat); filter them or pass --invalid exclude'), TRUE)
  AND IF(invalid_weight_rows > 0, ERROR('bqml_tools: ' || CAST(invalid_weight_rows AS STRING) || ' row(s) have a NULL, NaN, infinite or negative weight in w; filter them or pass --invalid exclude'), TRUE)

ORDER BY _bqml_g0, _bqml_rep

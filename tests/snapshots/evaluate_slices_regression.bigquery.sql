-- bqml_tools evaluate of my-project.ml.predictions: task regression, label y, prediction y_hat
-- per region; one scan of the table
-- intervals: 22 rows per group, told apart by _bqml_rep: -1 is the estimate (every row), r = 0..19 every row outside partition r, -2 every row whose key is not NULL
-- a row's partition: ABS(MOD(FARM_FINGERPRINT(s), 20)), s = '20:bqml_tools jackknife' followed by each key column (user_id) as <length>:<canonical text> (as split writes a salted key)
-- the interval of a metric m: m(-1) +- t(K'-1, (1 + level) / 2) * sqrt((K'-1)/K' * sum over r of (m(r) - mean m(r))^2), over the K' partitions that hold rows (bqml_tools.intervals; README, How sure is the metric?)
-- slices: every row is counted in its slice (_bqml_all = 0) and in the whole (_bqml_all = 1, region NULL)

WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    IF(_bqml_all = 1, NULL, _bqml_g0) AS _bqml_g0, _bqml_all, _bqml_rep, IF(valid, CAST(_bqml_label AS FLOAT64), NULL) AS y,
    IF(valid, CAST(_bqml_prediction AS FLOAT64), NULL) AS p
  FROM (
    SELECT *, (_bqml_label IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_label AS FLOAT64)) OR IS_INF(CAST(_bqml_label AS FLOAT64)))) AND (_bqml_prediction IS NOT NULL AND NOT (IS_NAN(CAST(_bqml_prediction AS FLOAT64)) OR IS_INF(CAST(_bqml_prediction AS FLOAT64)))) AS valid
    FROM (
      SELECT `region` AS _bqml_g0, COALESCE(ABS(MOD(FARM_FINGERPRINT('20:bqml_tools jackknife' || CAST(LENGTH(CAST(`user_id` AS STRING)) AS STRING) || ':' || CAST(`user_id` AS STRING)), 20)), -2) AS _bqml_rep, `y` AS _bqml_label, `y_hat` AS _bqml_prediction
      FROM `my-project.ml.predictions`
    ) AS source_rows
  ) AS checked  CROSS JOIN (SELECT 0 AS _bqml_all UNION ALL SELECT 1 AS _bqml_all) AS whole
),
partial AS (
  -- per partition: counts, sums, and each variance as (mean, sum of squared deviations) so that
  -- replicates combine them exactly (Chan et al.) instead of subtracting large sums of squares;
  -- _bqml_part keeps each partition's row apart in pooled_parts (two partitions with the same
  -- counts and moments would otherwise be grouped into one)
  SELECT
    _bqml_g0, _bqml_all, _bqml_rep, _bqml_rep AS _bqml_part,
    COUNT(y) AS n,
    COUNT(y) AS weight,
    COUNT(*) - COUNT(y) AS invalid_rows,
    SUM(ABS(p - y)) AS absolute_error,
    SUM((p - y) * (p - y)) AS squared_error,
    AVG(y) AS mean_y,
    MIN(y) AS min_y,
    MAX(y) AS max_y,
    VAR_POP(y) * COUNT(y) AS m2_y,
    AVG(y - p) AS mean_residual,
    VAR_POP(y - p) * COUNT(y) AS m2_residual,
    COUNTIF(y < 0 OR p < 0) AS negative_rows,
    SUM(POW(LN(1 + IF(y < 0, 0, y)) - LN(1 + IF(p < 0, 0, p)), 2)) AS log_error,
    SUM(p) AS sum_p
  FROM scored
  GROUP BY _bqml_g0, _bqml_all, _bqml_rep
),
pooled_parts AS (
  SELECT
    _bqml_g0, _bqml_all, _bqml_r AS _bqml_rep, _bqml_part, n, weight, mean_y, min_y, max_y, m2_y, mean_residual, m2_residual,
    SUM(invalid_rows) AS invalid_rows,
    SUM(absolute_error) AS absolute_error,
    SUM(squared_error) AS squared_error,
    SUM(negative_rows) AS negative_rows,
    SUM(log_error) AS log_error,
    SUM(sum_p) AS sum_p
  FROM partial
  CROSS JOIN UNNEST(GENERATE_ARRAY(-2, 19)) AS _bqml_r
  WHERE _bqml_r <> _bqml_rep
  GROUP BY _bqml_g0, _bqml_all, _bqml_r, _bqml_part, n, weight, mean_y, min_y, max_y, m2_y, mean_residual, m2_residual
),
pooled AS (
  -- each partition's row in each replicate, with the replicate's (weighted) means (windows over K * K small rows)
  SELECT
    *,
    SAFE_DIVIDE(SUM(weight * mean_y) OVER (PARTITION BY _bqml_g0, _bqml_all, _bqml_rep ), SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_all, _bqml_rep )) AS replicate_mean_y,
    SAFE_DIVIDE(SUM(weight * mean_residual) OVER (PARTITION BY _bqml_g0, _bqml_all, _bqml_rep ), SUM(weight) OVER (PARTITION BY _bqml_g0, _bqml_all, _bqml_rep )) AS replicate_mean_residual
  FROM pooled_parts
),
sums AS (
  SELECT
    _bqml_g0, _bqml_all, _bqml_rep, CAST(COALESCE(SUM(n), 0) AS INT64) AS n,
    CAST(SUM(invalid_rows) AS INT64) AS invalid_rows,
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
  GROUP BY _bqml_g0, _bqml_all, _bqml_rep
)
SELECT
  _bqml_g0 AS `region`, _bqml_all, _bqml_rep, n AS `rows`,
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

ORDER BY _bqml_g0, _bqml_all, _bqml_rep

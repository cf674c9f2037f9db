{#-
  name: regression
  Regression metrics per group, in one scan of `src`.
  params:
    src            identifiers.Source
    label          label column          prediction   prediction column
    by             group columns (may be empty)
    guard          ERROR() when rows are invalid (printed statements, 'error' policy)
    zero_division  'null' | 'sklearn'
    header_lines   comment lines
  Rows with a NULL, NaN or infinite label or prediction are invalid: counted in `invalid_rows`
  and left out of every metric (the shared rule c.finite).
  r2 and explained_variance use VAR_POP (numerically stable) rather than sum-of-squares
  differences; median_absolute_error is approximate on BigQuery (APPROX_QUANTILES).
  With intervals (context `ci`): sums per partition, then per jackknife replicate, the variances
  pooled from per-partition means and squared deviations; median_absolute_error is NULL there (run
  without --ci for it). With compare (`against`): both predictions are read, valid only together.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{{ c.header(header_lines) }}
WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    {{ c.groups_expanded() }}IF(valid, {{ sql.float64('_bqml_label') }}, NULL) AS y,
    IF(valid, {{ sql.float64(c.per_model('_bqml_prediction', '_bqml_prediction_b')) }}, NULL) AS p
  FROM (
    SELECT *, {{ c.finite('_bqml_label') }} AND {{ c.finite('_bqml_prediction') }}{% if against %} AND {{ c.finite('_bqml_prediction_b') }}{% endif %} AS valid
    FROM (
      SELECT {{ c.groups_in() }}{{ c.pseudo_in() }}{{ sql.quote(label) }} AS _bqml_label, {{ sql.quote(prediction) }} AS _bqml_prediction{% if against %}, {{ sql.quote(against) }} AS _bqml_prediction_b{% endif %}

      FROM {{ sql.relation(src) }}
    ) AS source_rows
  ) AS checked{{ c.expansions() }}
),
{% if not ci %}
sums AS (
  SELECT
    {{ c.groups() }}CAST(COUNT(y) AS INT64) AS n,
    CAST(COUNT(*) - COUNT(y) AS INT64) AS invalid_rows,
    AVG(ABS(p - y)) AS mae,
    AVG((p - y) * (p - y)) AS mse,
    VAR_POP(y) AS var_y,
    VAR_POP(y - p) AS var_residual,
    CAST(COUNTIF(y < 0 OR p < 0) AS INT64) AS negative_rows,
    -- IF, not GREATEST: DuckDB's GREATEST(NULL, 0) is 0, which would count invalid rows as errors of 0
    AVG(POW(LN(1 + IF(y < 0, 0, y)) - LN(1 + IF(p < 0, 0, p)), 2)) AS msle,
    {{ sql.median('ABS(p - y)') }} AS median_absolute_error,
    AVG(y) AS mean_label,
    AVG(p) AS mean_prediction
  FROM scored
  {{ c.group_by() }}
)
{% else %}
partial AS (
  -- per partition: counts, sums, and each variance as (mean, sum of squared deviations) so that
  -- replicates combine them exactly (Chan et al.) instead of subtracting large sums of squares
  SELECT
    {{ c.groups() }}COUNT(y) AS n,
    COUNT(*) - COUNT(y) AS invalid_rows,
    SUM(ABS(p - y)) AS absolute_error,
    SUM((p - y) * (p - y)) AS squared_error,
    AVG(y) AS mean_y,
    VAR_POP(y) * COUNT(y) AS m2_y,
    AVG(y - p) AS mean_residual,
    VAR_POP(y - p) * COUNT(y) AS m2_residual,
    COUNTIF(y < 0 OR p < 0) AS negative_rows,
    SUM(POW(LN(1 + IF(y < 0, 0, y)) - LN(1 + IF(p < 0, 0, p)), 2)) AS log_error,
    SUM(p) AS sum_p
  FROM scored
  {{ c.group_by() }}
),
{{ c.replicates('pooled_parts', 'partial', ['n', 'mean_y', 'm2_y', 'mean_residual', 'm2_residual'], [('SUM(invalid_rows)', 'invalid_rows'),
   ('SUM(absolute_error)', 'absolute_error'), ('SUM(squared_error)', 'squared_error'), ('SUM(negative_rows)', 'negative_rows'),
   ('SUM(log_error)', 'log_error'), ('SUM(sum_p)', 'sum_p')], each_partition=true) }},
pooled AS (
  -- each partition's row in each replicate, with the replicate's means (windows over K * K small rows)
  SELECT
    *,
    SUM(n * mean_y) OVER ({{ c.partition() }}) / SUM(n) OVER ({{ c.partition() }}) AS replicate_mean_y,
    SUM(n * mean_residual) OVER ({{ c.partition() }}) / SUM(n) OVER ({{ c.partition() }}) AS replicate_mean_residual
  FROM pooled_parts
),
sums AS (
  SELECT
    {{ c.groups() }}CAST(COALESCE(SUM(n), 0) AS INT64) AS n,
    CAST(SUM(invalid_rows) AS INT64) AS invalid_rows,
    {{ sql.safe_divide('SUM(absolute_error)', 'SUM(n)') }} AS mae,
    {{ sql.safe_divide('SUM(squared_error)', 'SUM(n)') }} AS mse,
    {{ sql.safe_divide('SUM(m2_y + n * (mean_y - replicate_mean_y) * (mean_y - replicate_mean_y))', 'SUM(n)') }} AS var_y,
    {{ sql.safe_divide('SUM(m2_residual + n * (mean_residual - replicate_mean_residual) * (mean_residual - replicate_mean_residual))', 'SUM(n)') }} AS var_residual,
    CAST(SUM(negative_rows) AS INT64) AS negative_rows,
    {{ sql.safe_divide('SUM(log_error)', 'SUM(n)') }} AS msle,
    -- a median does not come from per-partition sums (and the jackknife is not valid for it)
    {{ sql.float64('NULL') }} AS median_absolute_error,
    MAX(replicate_mean_y) AS mean_label,
    {{ sql.safe_divide('SUM(sum_p)', 'SUM(n)') }} AS mean_prediction
  FROM pooled
  {{ c.group_by() }}
)
{% endif %}
SELECT
  {{ c.groups_out() }}n AS {{ sql.quote('rows') }},
  mae,
  mse,
  SQRT(mse) AS rmse,
  {{ c.one_minus_ratio('mse', 'var_y') }} AS r2,
  {{ c.one_minus_ratio('var_residual', 'var_y') }} AS explained_variance,
  IF(negative_rows > 0, NULL, msle) AS mean_squared_log_error,
  median_absolute_error,
  mean_label,
  mean_prediction,
  SQRT(var_y) AS baseline_rmse,
  negative_rows,
  invalid_rows
FROM sums
{{ c.invalid_guard([('invalid_rows', ' row(s) have a NULL, NaN or infinite label (' ~ label ~ ') or prediction (' ~ prediction ~ '); filter them or pass --invalid exclude')]) }}
{{ c.order_by() }}

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
-#}
{% import 'evaluate/_common.sql' as c with context %}
{{ c.header(header_lines) }}
WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    {{ c.groups() }}IF(valid, {{ sql.float64('_bqml_label') }}, NULL) AS y,
    IF(valid, {{ sql.float64('_bqml_prediction') }}, NULL) AS p
  FROM (
    SELECT *, {{ c.finite('_bqml_label') }} AND {{ c.finite('_bqml_prediction') }} AS valid
    FROM (
      SELECT {{ c.groups_in() }}{{ sql.quote(label) }} AS _bqml_label, {{ sql.quote(prediction) }} AS _bqml_prediction
      FROM {{ sql.relation(src) }}
    ) AS source_rows
  ) AS checked
),
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

{#-
  name: regression
  Regression metrics per group, in one scan of `src`.
  params:
    src            identifiers.Source
    label          label column          prediction   prediction column
    by             group columns (may be empty)
    guard          ERROR() when rows are invalid (printed statements, 'error' policy)
    zero_division  'null' | 'sklearn'
    weight         weight column, or none (_common.sql: weight_in, weight_ok, w_of)
    header_lines   comment lines
  Rows with a NULL, NaN or infinite label or prediction are invalid: counted in `invalid_rows`
  and left out of every metric (the shared rule c.finite).
  r2 and explained_variance use VAR_POP (numerically stable) rather than sum-of-squares
  differences; median_absolute_error is approximate on BigQuery (APPROX_QUANTILES).
  With intervals (context `ci`): sums per partition, then per jackknife replicate, the variances
  pooled from per-partition means and squared deviations; median_absolute_error is NULL there (run
  without --ci for it). With compare (`against`): both predictions are read, valid only together.
  With weights (context `weight`, --weight): every metric is scikit-learn's with sample_weight; a row
  whose weight is NULL, NaN, infinite or negative is invalid too (counted in invalid_weight_rows);
  `rows` stays the count of valid rows. The weighted variances are pooled (Chan et al.) from cells
  of rows whose values agree to 12 significant bits (the cell's value k is the row's value rounded
  to 12 bits, in plain floating point), each cell's sums taken of the deviations from k: nothing
  large is subtracted, so labels around 1e6 with sd 1 keep their precision. A label of one value (among
  rows of weight > 0; per jackknife replicate with --ci) has variance 0 exactly and no variance is below
  0: r2 and explained_variance NULL for a constant label, with weights or without. median_absolute_error is
  scikit-learn's weighted median (_weighted_percentile, averaged inverted CDF): a window over the
  distinct errors with their summed weights, exact on DuckDB; on BigQuery over the errors rounded to
  12 significant bits (sql.median_cell: a bounded window, approximate as APPROX_QUANTILES is). Its cost: about one cell per row
  grouped, then sorted within each group (DuckDB, 1M rows, 2 cores: ~2 s with weights, 0.1 s without).
-#}
{% import 'evaluate/_common.sql' as c with context %}
{# With intervals: the partitions' rows of `partial` (counts, weight, each variance as (mean, sum of
   squared deviations)) in each jackknife replicate, kept apart by _bqml_part, then per replicate the
   variances pooled (Chan et al.) from the partitions' means: nothing large is subtracted. Without
   --weight a row weighs 1 (weight is the count). #}
{% macro replicate_ctes() %}
{{ c.replicates('pooled_parts', 'partial', ['_bqml_part', 'n', 'weight', 'mean_y', 'min_y', 'max_y', 'm2_y', 'mean_residual', 'm2_residual'], [('SUM(invalid_rows)', 'invalid_rows')] + ([('SUM(invalid_weight_rows)', 'invalid_weight_rows')] if weight else []) + [
   ('SUM(absolute_error)', 'absolute_error'), ('SUM(squared_error)', 'squared_error'),
   ('SUM(negative_rows)', 'negative_rows'), ('SUM(log_error)', 'log_error'), ('SUM(sum_p)', 'sum_p')], each_partition=true) }},
pooled AS (
  -- each partition's row in each replicate, with the replicate's (weighted) means (windows over K * K small rows)
  SELECT
    *,
    {{ sql.safe_divide('SUM(weight * mean_y) OVER (' ~ c.partition() ~ ')', 'SUM(weight) OVER (' ~ c.partition() ~ ')') }} AS replicate_mean_y,
    {{ sql.safe_divide('SUM(weight * mean_residual) OVER (' ~ c.partition() ~ ')', 'SUM(weight) OVER (' ~ c.partition() ~ ')') }} AS replicate_mean_residual
  FROM pooled_parts
),
sums AS (
  SELECT
    {{ c.groups() }}CAST(COALESCE(SUM(n), 0) AS INT64) AS n,
    CAST(SUM(invalid_rows) AS INT64) AS invalid_rows,
{% if weight %}
    CAST(SUM(invalid_weight_rows) AS INT64) AS invalid_weight_rows,
{% endif %}
    {{ sql.safe_divide('SUM(absolute_error)', 'SUM(weight)') }} AS mae,
    {{ sql.safe_divide('SUM(squared_error)', 'SUM(weight)') }} AS mse,
    -- a partition of zero weight has no mean: its term is NULL, and SUM leaves it out (it adds nothing)
    -- a replicate whose labels are all one value has no variance: 0 exactly, not the rounding of its
    -- partitions' means (which gave r2 -5e33 for a constant label)
    IF(MIN(min_y) = MAX(max_y), 0, {{ sql.safe_divide('SUM(m2_y + weight * (mean_y - replicate_mean_y) * (mean_y - replicate_mean_y))', 'SUM(weight)') }}) AS var_y,
    {{ sql.safe_divide('SUM(m2_residual + weight * (mean_residual - replicate_mean_residual) * (mean_residual - replicate_mean_residual))', 'SUM(weight)') }} AS var_residual,
    CAST(SUM(negative_rows) AS INT64) AS negative_rows,
    {{ sql.safe_divide('SUM(log_error)', 'SUM(weight)') }} AS msle,
    -- a median does not come from per-partition sums (and the jackknife is not valid for it)
    {{ sql.float64('NULL') }} AS median_absolute_error,
    IF(MIN(min_y) = MAX(max_y), MIN(min_y), MAX(replicate_mean_y)) AS mean_label,
    {{ sql.safe_divide('SUM(sum_p)', 'SUM(weight)') }} AS mean_prediction
  FROM pooled
  {{ c.group_by() }}
)
{%- endmacro %}

{# A value rounded to 12 significant bits in plain floating point (Veltkamp's split: v * (2^41 + 1)
   less (that less v)); rows whose values round alike share a cell, within 2^-12 of its value. Values
   too large for the product keep their own value (a cell of one value). #}
{% macro cell_of(v) %}IF(ABS({{ v }}) < 1e290, {{ v }} * 2199023255553 - ({{ v }} * 2199023255553 - {{ v }}), {{ v }}){% endmacro %}

{# A cell's weighted sum of squared deviations from its side's mean (Chan et al.): the cell's own,
   s2 - s1^2 / w, which cancels to a rounding error (of either sign) when the cell's rows agree, so it
   is 0 for a cell of one value and never below 0; plus w times the squared distance of the cell's mean
   from the side's. A side of one value has none: 0 exactly, so r2 is NULL for a constant label (as
   VAR_POP gives without weights), and no variance is negative (BigQuery's SQRT of one fails). #}
{% macro cell_m2() -%}
IF(side_min = side_max, 0, IF(v_min = v_max, 0, GREATEST(s2 - s1 * (s1 / weight), 0)) + weight * POW(IF(v_min = v_max, v_min - side_mean, k - side_mean + s1 / weight), 2))
{%- endmacro %}

{# With weights: per (group, side, cell), one aggregate of the scan; side 0 holds the label's cells
   and every per-row sum, side 1 the residual's (y - p) cells, side 2 (without intervals) one cell per
   distinct absolute error, for the median. Then windows over those cells (aggregated rows): each
   side's total weight and weighted mean, and for the median the running weight in error order and
   the next error with a positive weight. Then one row per group (per partition with intervals):
   each variance pooled from its cells as sum(s2 - s1^2 / w_c + w_c (k - mean + s1 / w_c)^2). #}
{% macro weighted_ctes() %}
{% set half = 'side_weight / 2' %}
cells AS (
  SELECT
    {{ c.groups() }}side,
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
    SELECT *, IF(side = 2, {{ sql.median_cell('v', cell_of('v')) }}, {{ cell_of('v') }}) AS k
    FROM (
      -- every valid row once per side; invalid rows on side 0 only, where they are counted
      SELECT *, CASE side WHEN 0 THEN y WHEN 1 THEN y - p ELSE ABS(p - y) END AS v
      FROM scored
      CROSS JOIN (SELECT 0 AS side UNION ALL SELECT 1 AS side{% if not ci %} UNION ALL SELECT 2 AS side{% endif %}) AS sides
      WHERE side = 0 OR w IS NOT NULL
    ) AS sided
  ) AS celled
  {{ c.group_by(['side', 'k']) }}
),
cell_stats AS (
  SELECT
    *,
    SUM(weight) OVER (PARTITION BY {{ c.groups() }}side) AS side_weight,
    MIN(v_min) OVER (PARTITION BY {{ c.groups() }}side) AS side_min,
    MAX(v_max) OVER (PARTITION BY {{ c.groups() }}side) AS side_max,
    -- a side of one value has that value as its mean, exactly
    IF(MIN(v_min) OVER (PARTITION BY {{ c.groups() }}side) = MAX(v_max) OVER (PARTITION BY {{ c.groups() }}side), MIN(v_min) OVER (PARTITION BY {{ c.groups() }}side),
       {{ sql.safe_divide('SUM(weight * k + s1) OVER (PARTITION BY ' ~ c.groups() ~ 'side)', 'SUM(weight) OVER (PARTITION BY ' ~ c.groups() ~ 'side)') }}) AS side_mean{% if not ci %},
    SUM(weight) OVER (PARTITION BY {{ c.groups() }}side ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative_weight,
    MIN(IF(weight > 0, k, NULL)) OVER (PARTITION BY {{ c.groups() }}side ORDER BY k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_k{% endif %}

  FROM cells
),
partial AS (
  SELECT
    {{ c.groups() }}{{ '_bqml_rep AS _bqml_part, ' if ci }}COALESCE(SUM(IF(side = 0, n, 0)), 0) AS n,
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
    SUM(IF(side = 0 AND weight > 0, {{ cell_m2() }}, 0)) AS m2_y,
    MAX(IF(side = 1, side_mean, NULL)) AS mean_residual,
    SUM(IF(side = 1 AND weight > 0, {{ cell_m2() }}, 0)) AS m2_residual{% if not ci %},
    -- the weighted median: the smallest error whose running weight reaches half the total, or, when it
    -- reaches exactly half (within float64 epsilon, as scikit-learn tests), the mean of it and the next
    -- error with a positive weight (running weights never fall, so MIN picks the first such cell's)
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= {{ half }}, k, NULL)) AS median_low,
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= {{ half }}, cumulative_weight - {{ half }}, NULL)) AS median_above,
    MIN(IF(side = 2 AND k IS NOT NULL AND cumulative_weight >= {{ half }}, next_k, NULL)) AS median_next{% endif %}

  FROM cell_stats
  {{ c.group_by() }}
),
{% if ci %}
{{ replicate_ctes() }}
{% else %}
sums AS (
  SELECT
    {{ c.groups() }}CAST(n AS INT64) AS n,
    CAST(invalid_rows AS INT64) AS invalid_rows,
    CAST(invalid_weight_rows AS INT64) AS invalid_weight_rows,
    {{ sql.safe_divide('absolute_error', 'weight') }} AS mae,
    {{ sql.safe_divide('squared_error', 'weight') }} AS mse,
    {{ sql.safe_divide('m2_y', 'weight') }} AS var_y,
    {{ sql.safe_divide('m2_residual', 'weight') }} AS var_residual,
    CAST(negative_rows AS INT64) AS negative_rows,
    {{ sql.safe_divide('log_error', 'weight') }} AS msle,
    -- no median without weight (scikit-learn: NaN when every weight is 0)
    IF(weight > 0, IF(median_above > {{ number_literal(clip) }}, median_low, (median_low + COALESCE(median_next, median_low)) / 2), NULL) AS median_absolute_error,
    mean_y AS mean_label,
    {{ sql.safe_divide('sum_p', 'weight') }} AS mean_prediction
  FROM partial
)
{% endif %}
{%- endmacro %}
{{ c.header(header_lines) }}
{% set valid = '(values_ok AND weight_ok)' if weight else 'valid' %}
WITH scored AS (
  -- the one scan: the source's columns under reserved names, each row's validity written once
  SELECT
    {{ c.groups_expanded() }}IF({{ valid }}, {{ sql.float64('_bqml_label') }}, NULL) AS y,
    IF({{ valid }}, {{ sql.float64(c.per_model('_bqml_prediction', '_bqml_prediction_b')) }}, NULL) AS p{% if weight %},
    {{ c.w_of(valid) }} AS w,
    values_ok,
    weight_ok{% endif %}

  FROM (
    SELECT *, {{ c.finite('_bqml_label') }} AND {{ c.finite('_bqml_prediction') }}{% if against %} AND {{ c.finite('_bqml_prediction_b') }}{% endif %} AS {{ 'values_ok, ' ~ c.weight_ok() ~ ' AS weight_ok' if weight else 'valid' }}
    FROM (
      SELECT {{ c.groups_in() }}{{ c.pseudo_in() }}{{ c.weight_in() }}{{ sql.quote(label) }} AS _bqml_label, {{ sql.quote(prediction) }} AS _bqml_prediction{% if against %}, {{ sql.quote(against) }} AS _bqml_prediction_b{% endif %}

      {{ c.source_rows() }}
    ) AS source_rows
  ) AS checked{{ c.expansions() }}
),
{% if weight %}
{{ weighted_ctes() }}
{% elif not ci %}
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
  -- replicates combine them exactly (Chan et al.) instead of subtracting large sums of squares;
  -- _bqml_part keeps each partition's row apart in pooled_parts (two partitions with the same
  -- counts and moments would otherwise be grouped into one)
  SELECT
    {{ c.groups() }}_bqml_rep AS _bqml_part,
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
  {{ c.group_by() }}
),
{{ replicate_ctes() }}
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
  invalid_rows{% if weight %},
  invalid_weight_rows{% endif %}

FROM sums
{{ c.invalid_guard([('invalid_rows', ' row(s) have a NULL, NaN or infinite label (' ~ label ~ ') or prediction (' ~ prediction ~ (' or ' ~ against if against else '') ~ '); filter them or pass --invalid exclude')]
   + ([('invalid_weight_rows', ' row(s) have a NULL, NaN, infinite or negative weight in ' ~ weight ~ '; filter them or pass --invalid exclude')] if weight else [])) }}
{{ c.order_by() }}

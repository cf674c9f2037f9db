{#-
  name: calibration
  Reliability-diagram bins per group, in one scan: `bins` bins of equal width on [0, 1], each
  with its row count, mean score and observed positive rate, and the group's expected
  calibration error (the count-weighted mean of |mean score - observed rate|, repeated on each
  bin's row). Bin edges are k * (1 / bins) in double precision, as np.linspace computes them,
  and a score on an inner edge goes to the lower bin, as scikit-learn's calibration_curve
  (np.searchsorted, side 'left'): bins are [0, e1], (e1, e2], ..., (e_last, 1]. CEIL(s * bins) - 1
  is off by at most one from that bin; the two comparisons with the exact edges correct it.
  Windows run over the bins only. Each row carries its group's invalid and positive counts; a
  group with no valid row keeps one row (NULL bin).
  With weight (a column): each bin's mean score and observed rate are means weighted by it, and
  the error weighs each bin by its total weight (a bin whose rows all weigh 0 has NULL means);
  `rows` still counts rows.
  params: as binary.sql, plus bins
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
{% set last = (bins - 1) | int %}
{% set step = '(1 / ' ~ sql.float64(bins | int) ~ ')' %}
WITH
{{ b.scored() }},
binned AS (
  SELECT
    {{ c.groups() }}CASE
      WHEN guess > 0 AND s <= guess * {{ step }} THEN guess - 1
      WHEN guess < {{ last }} AND s > (guess + 1) * {{ step }} THEN guess + 1
      ELSE guess
    END AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
{% if weight %}
    SUM(w) AS mass,
    {{ sql.safe_divide('SUM(w * s)', 'SUM(w)') }} AS mean_score,
    {{ sql.safe_divide(b.mass('y = 1'), 'SUM(w)') }} AS observed_rate,
    SUM(invalid_weight) AS invalid_weights,
{% else %}
    AVG(s) AS mean_score,
    AVG(y) AS observed_rate,
{% endif %}
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM (
    SELECT *, LEAST(GREATEST(CEIL(s * {{ bins | int }}) - 1, 0), {{ last }}) AS guess
    FROM scored
  ) AS guessed
  {{ c.group_by(['bin']) }}
),
summed AS (
  SELECT
    *,
{% set size = 'mass' if weight else 'n' %}
    {{ sql.safe_divide('SUM(' ~ size ~ ' * ABS(mean_score - observed_rate)) OVER (' ~ c.partition() ~ ')', 'SUM(' ~ size ~ ') OVER (' ~ c.partition() ~ ')') }} AS expected_calibration_error,
    {{ b.group_counts() }}
  FROM binned
)
SELECT
  {{ c.groups_out() }}CAST(bin AS INT64) AS bin,
  bin * {{ step }} AS bin_lower,
  IF(bin = {{ last }}, 1, (bin + 1) * {{ step }}) AS bin_upper,
  CAST(n AS INT64) AS {{ sql.quote('rows') }},
  mean_score,
  observed_rate,
  expected_calibration_error,
  invalid_label_rows,
  invalid_score_rows,{% if weight %}

  invalid_weight_rows,{% endif %}

  positives,
  group_rows
FROM summed
{{ b.binary_invalid_guard(condition='bin IS NOT NULL OR group_rows = 0') }}
ORDER BY {{ c.groups() }}bin

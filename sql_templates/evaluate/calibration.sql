{#-
  name: calibration
  Reliability-diagram bins per group, in one scan: bins of equal width on [0, 1] (a score of
  exactly 1 goes to the last bin), each with its row count, mean score and observed positive
  rate, and the group's expected calibration error (the count-weighted mean of
  |mean score - observed rate|, repeated on each bin's row). The window runs over the bins only.
  params: as binary.sql, plus bins
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
WITH
{{ b.scored(false) }},
binned AS (
  SELECT
    {{ c.groups() }}LEAST(FLOOR(s * {{ bins | int }}), {{ (bins - 1) | int }}) AS bin,
    COUNT(*) AS n,
    AVG(s) AS mean_score,
    AVG(y) AS observed_rate
  FROM scored
  WHERE y IS NOT NULL
  {{ c.group_by(['bin']) }}
)
SELECT
  {{ c.groups() }}CAST(bin AS INT64) AS bin,
  bin / {{ bins | int }} AS bin_lower,
  (bin + 1) / {{ bins | int }} AS bin_upper,
  CAST(n AS INT64) AS {{ sql.quote('rows') }},
  mean_score,
  observed_rate,
  SUM(n * ABS(mean_score - observed_rate)) OVER ({{ c.partition() }}) / SUM(n) OVER ({{ c.partition() }}) AS expected_calibration_error
FROM binned
ORDER BY {{ c.groups() }}bin

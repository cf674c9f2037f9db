{#-
  name: thresholds
  Precision, recall and F1 at thresholds 0, 1/steps, ..., 1 per group, in one scan: rows are
  counted per threshold step (score >= k/steps), then each threshold sums the steps at or above
  it (a join of two small tables; no window). Invalid rows form the NULL step (counted, never
  at or above a threshold); each row carries its group's invalid and positive counts.
  With weight (a column): tp, fp, tn, fn are sums of weights (each summed directly) and the ratios
  follow from them, as scikit-learn's with sample_weight.
  params: as binary.sql, plus steps
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_binary.sql' as b with context %}
{{ c.header(header_lines) }}
{% set step = 'FLOOR(s * ' ~ (steps | int) ~ ')' %}
WITH
{{ b.scored() }},
stepped AS (
  -- the largest k with s >= k / steps, computed exactly as the comparison the user reads
  SELECT
    {{ c.groups() }}CASE
      WHEN s >= ({{ step }} + 1) / {{ steps | int }} THEN {{ step }} + 1
      WHEN s < {{ step }} / {{ steps | int }} THEN {{ step }} - 1
      ELSE {{ step }}
    END AS k,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,{% if weight %}

    {{ b.mass('y = 1') }} AS wpos,
    {{ b.mass('y = 0') }} AS wneg,
    SUM(invalid_weight) AS invalid_weights,{% endif %}

    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  {{ c.group_by(['k']) }}
),
steps AS (
  SELECT k FROM {{ sql.int_series(0, steps | int, 'series', 'k') }}
),
swept AS (
  SELECT
    {{ c.groups('b.') }}t.k,
{% if weight %}
    SUM(IF(b.k >= t.k, b.wpos, 0)) AS tp,
    SUM(IF(b.k >= t.k, b.wneg, 0)) AS fp,
    SUM(IF(b.k < t.k, b.wneg, 0)) AS tn,
    SUM(IF(b.k < t.k, b.wpos, 0)) AS fn,
    CAST(SUM(b.invalid_weights) AS INT64) AS invalid_weight_rows,
{% else %}
    CAST(SUM(IF(b.k >= t.k, b.pos, 0)) AS INT64) AS tp,
    CAST(SUM(IF(b.k >= t.k, b.n - b.pos, 0)) AS INT64) AS fp,
{% endif %}
    CAST(SUM(b.pos) AS INT64) AS positives,
    CAST(SUM(b.n - b.pos) AS INT64) AS negatives,
    CAST(SUM(b.invalid_labels) AS INT64) AS invalid_label_rows,
    CAST(SUM(b.invalid_scores) AS INT64) AS invalid_score_rows
  FROM stepped AS b
  CROSS JOIN steps AS t
  GROUP BY {{ c.groups('b.') }}t.k
)
SELECT
  {{ c.groups_out() }}k / {{ steps | int }} AS threshold,
  tp,
  fp,
{% if weight %}
  tn,
  fn,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', 'tp + fn') }} AS recall,
  {{ c.ratio('2 * tp', '2 * tp + fp + fn') }} AS f1,
  invalid_label_rows,
  invalid_score_rows,
  invalid_weight_rows,
{% else %}
  negatives - fp AS tn,
  positives - tp AS fn,
  {{ c.ratio('tp', 'tp + fp') }} AS {{ sql.quote('precision') }},
  {{ c.ratio('tp', 'positives') }} AS recall,
  {{ c.ratio('2 * tp', '2 * tp + fp + positives - tp') }} AS f1,
  invalid_label_rows,
  invalid_score_rows,
{% endif %}
  positives,
  positives + negatives AS group_rows
FROM swept
{{ c.invalid_guard(b.invalid_checks) }}
ORDER BY {{ c.groups() }}threshold

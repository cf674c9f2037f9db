{#-
  _binary.sql: the CTEs every binary-classification query starts with (imported with context).

  scored      one row per input row: y (1/0) and s (score), both NULL when the row is invalid
              (label NULL or not binary, score NULL or outside [0, 1]), plus invalid flags.
  binned      ONE aggregate per (group, bin): bin = the exact score ('exact') or its logit
              quantised to 1/bins_per_logit ('binned'; bins stay narrow where scores pile up near
              0 or 1: logit(s) spans about -744..37 for doubles in (0, 1); exact 0 and 1 get bins
              of their own); counts, counts at the threshold, log-likelihood and squared-error sums.
              Invalid rows form the NULL bin with n = pos = 0.
  cumulative  a window *over binned* (small), partitioned by group, ordered by bin descending:
              positives and negatives scoring at or above each bin.
  Context: src, by, label, score, label_mode ('bool' | 'binary' | 'positive'), positive,
  threshold, mode, bins_per_logit, clip.
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% macro label_valid() -%}
{%- if label_mode == 'binary' %}{{ sql.quote(label) }} IN (0, 1){% else %}{{ sql.quote(label) }} IS NOT NULL{% endif -%}
{%- endmacro %}
{% macro label_positive() -%}
{%- if label_mode == 'bool' %}{{ sql.quote(label) }}{% elif label_mode == 'positive' %}{{ sql.quote(label) }} = {{ sql.value('positive', positive) }}{% else %}{{ sql.quote(label) }} = 1{% endif -%}
{%- endmacro %}
{% macro score_valid() %}{{ sql.quote(score) }} >= 0 AND {{ sql.quote(score) }} <= 1{% endmacro %}

{# Probabilities clipped to [clip, 1 - clip] for log loss, as scikit-learn does. #}
{% macro clipped(expr) %}LEAST(GREATEST({{ expr }}, {{ number_literal(clip) }}), {{ number_literal(1 - clip) }}){% endmacro %}

{# y and s per row, NULL when the row is invalid; with `flags`, which part is invalid. #}
{% macro scored(flags=true) %}
scored AS (
  SELECT
    {{ c.groups() }}CASE WHEN {{ label_valid() }} AND {{ score_valid() }} THEN IF({{ label_positive() }}, 1, 0) END AS y,
    CASE WHEN {{ label_valid() }} AND {{ score_valid() }} THEN {{ sql.float64(sql.quote(score)) }} END AS s{% if flags %},
    IF({{ label_valid() }}, 0, 1) AS invalid_label,
    IF({{ score_valid() }}, 0, 1) AS invalid_score{% endif %}

  FROM {{ sql.relation(src) }}
)
{%- endmacro %}

{% macro ctes() %}
{{ scored() }},
binned AS (
  SELECT
    {{ c.groups() }}{% if mode == 'exact' %}s{% else %}CASE WHEN s = 0 THEN -1e9 WHEN s = 1 THEN 1e9 ELSE FLOOR((LN(s) - LN(1 - s)) * {{ bins_per_logit | int }}) END{% endif %} AS bin,
    COUNT(y) AS n,
    COUNTIF(y = 1) AS pos,
    MIN(s) AS score_min,
    MAX(s) AS score_max,
    COUNTIF(y = 1 AND s >= {{ sql.value('threshold', threshold) }}) AS tp,
    COUNTIF(y = 0 AND s >= {{ sql.value('threshold', threshold) }}) AS fp,
    SUM(IF(y = 1, LN({{ clipped('s') }}), LN(1 - {{ clipped('s') }}))) AS log_likelihood,
    SUM((s - y) * (s - y)) AS squared_error,
    SUM(s) AS score_sum,
    SUM(invalid_label) AS invalid_labels,
    SUM(invalid_score) AS invalid_scores
  FROM scored
  {{ c.group_by(['bin']) }}
),
cumulative AS (
  SELECT
    *,
    SUM(pos) OVER ({{ c.partition() }}ORDER BY bin DESC) AS pos_at_or_above,
    SUM(n - pos) OVER ({{ c.partition() }}ORDER BY bin DESC) AS neg_at_or_above
  FROM binned
)
{%- endmacro %}

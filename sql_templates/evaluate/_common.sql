{#-
  _common.sql: dialect-free macros shared by the evaluation templates (imported with context).
  Context used: `by` (group columns), `zero_division` ('null' | 'sklearn'), `guard` (bool).

  Names. The scan of the source (an innermost subquery of the first CTE) reads each user column
  once, under a reserved name: group columns as _bqml_g0, _bqml_g1, ..., the others as
  _bqml_label, _bqml_score, _bqml_prediction, _bqml_probs. Everything above it uses only those
  and working names bqml_tools chooses (y, s, n, pos, ...), so no --by, label or score column can
  shadow a working column, and no struct field of the probabilities can shadow a column read
  inside UNNEST. Group columns get their own names back in the final projection only
  (groups_out). Source columns starting with _bqml_ are refused in Python, and so is a --by
  column named like an output column of the statement.
-#}
{# A group column's reserved alias. #}
{% macro g(index) %}_bqml_g{{ index }}{% endmacro %}

{# In the scan: each group column under its alias, each followed by a comma. #}
{% macro groups_in() %}{% for column in by %}{{ sql.quote(column) }} AS {{ g(loop.index0) }}, {% endfor %}{% endmacro %}

{# After the scan: the group aliases, each followed by a comma, for SELECT lists. #}
{% macro groups(prefix='') %}{% for column in by %}{{ prefix }}{{ g(loop.index0) }}, {% endfor %}{% endmacro %}

{# In the final projection: the group aliases renamed to the user's column names. #}
{% macro groups_out() %}{% for column in by %}{{ g(loop.index0) }} AS {{ sql.quote(column) }}, {% endfor %}{% endmacro %}

{# GROUP BY the group aliases plus `extra`; nothing when there is nothing to group by. #}
{% macro group_by(extra=[]) %}{% set columns = [] %}{% for column in by %}{% do columns.append(g(loop.index0)) %}{% endfor %}{% set columns = columns + extra %}{% if columns %}GROUP BY {{ columns | join(', ') }}{% endif %}{% endmacro %}

{# ORDER BY the group aliases (results come back in a stable order), or nothing. #}
{% macro order_by() %}{% if by %}ORDER BY {% for column in by %}{{ g(loop.index0) }}{{ ', ' if not loop.last }}{% endfor %}{% endif %}{% endmacro %}

{# PARTITION BY the group aliases, or nothing (a window over an aggregated, ungrouped result). #}
{% macro partition() %}{% if by %}PARTITION BY {% for column in by %}{{ g(loop.index0) }}{{ ', ' if not loop.last }}{% endfor %} {% endif %}{% endmacro %}

{# The one validity rule for numbers, shared by every command: not NULL, not NaN, not +-inf.
   Tested explicitly on the value cast to double: comparisons alone let NaN through (DuckDB
   orders NaN above every number, and a Parquet scan compared NaN as inside [0, 1]). #}
{% macro finite(expr) %}({{ expr }} IS NOT NULL AND {{ sql.is_finite(sql.float64(expr)) }}){% endmacro %}

{# A probability: a finite number in [0, 1]. #}
{% macro probability(expr) %}({{ finite(expr) }} AND {{ expr }} >= 0 AND {{ expr }} <= 1){% endmacro %}

{# Clip a probability to [eps, 1 - eps] with eps the float64 machine epsilon, as scikit-learn's
   log_loss. Written with IF, not LEAST/GREATEST: DuckDB's GREATEST skips NULLs (GREATEST(NULL, eps)
   is eps), and a NULL must stay NULL on both engines. #}
{% macro clipped(expr) -%}
{#- eps as an exponent literal is a double on both engines; 1 - eps is exact in double -#}
{%- set low, high = number_literal(clip), '(1 - ' ~ number_literal(clip) ~ ')' -%}
IF({{ expr }} < {{ low }}, {{ low }}, IF({{ expr }} > {{ high }}, {{ high }}, {{ expr }}))
{%- endmacro %}

{# A ratio: NULL on a zero denominator, or 0 when scikit-learn's convention is asked for. #}
{% macro ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}COALESCE({{ sql.safe_divide(numerator, denominator) }}, 0){% else %}{{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# 1 - num/den (r2, explained variance): NULL on a zero denominator, or scikit-learn's
   force_finite convention (1 when num is 0 too, else 0) when asked for. #}
{% macro one_minus_ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}CASE WHEN {{ denominator }} = 0 THEN IF({{ numerator }} = 0, 1, 0) ELSE 1 - {{ numerator }} / {{ denominator }} END{% else %}1 - {{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# In a printed statement with the 'error' policy: fail, with the count, when rows are invalid.
   `condition`: a filter the statement needs anyway (the guard is ANDed to it). #}
{% macro invalid_guard(checks, condition=none) -%}
{%- if guard %}
WHERE
{% if condition %}
  ({{ condition }})
{% endif %}
{% for column, message in checks %}
  {{ 'AND ' if condition or not loop.first }}IF({{ column }} > 0, {{ sql.error_with_count(column, message) }}, TRUE)
{% endfor %}
{% elif condition %}
WHERE {{ condition }}
{% endif -%}
{%- endmacro %}

{% macro header(lines) %}
{% for line in lines %}
-- {{ line }}
{% endfor %}
{% endmacro %}

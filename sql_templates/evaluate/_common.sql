{#-
  _common.sql: dialect-free macros shared by the evaluation templates (imported with context).
  Context used: `by` (group columns), `zero_division` ('null' | 'sklearn'), `guard` (bool).
-#}
{# The group columns, each followed by a comma, for SELECT lists. #}
{% macro groups(prefix='') %}{% for column in by %}{{ prefix }}{{ sql.quote(column) }}, {% endfor %}{% endmacro %}

{# GROUP BY the group columns plus `extra`; nothing when there is nothing to group by. #}
{% macro group_by(extra=[]) %}{% set columns = [] %}{% for column in by %}{% do columns.append(sql.quote(column)) %}{% endfor %}{% set columns = columns + extra %}{% if columns %}GROUP BY {{ columns | join(', ') }}{% endif %}{% endmacro %}

{# ORDER BY the group columns (results come back in a stable order), or nothing. #}
{% macro order_by() %}{% if by %}ORDER BY {% for column in by %}{{ sql.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}{% endif %}{% endmacro %}

{# PARTITION BY the group columns, or nothing (a window over an aggregated, ungrouped result). #}
{% macro partition() %}{% if by %}PARTITION BY {% for column in by %}{{ sql.quote(column) }}{{ ', ' if not loop.last }}{% endfor %} {% endif %}{% endmacro %}

{# A ratio: NULL on a zero denominator, or 0 when scikit-learn's convention is asked for. #}
{% macro ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}COALESCE({{ sql.safe_divide(numerator, denominator) }}, 0){% else %}{{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# 1 - num/den (r2, explained variance): NULL on a zero denominator, or scikit-learn's
   force_finite convention (1 when num is 0 too, else 0) when asked for. #}
{% macro one_minus_ratio(numerator, denominator) -%}
{%- if zero_division == 'sklearn' %}CASE WHEN {{ denominator }} = 0 THEN IF({{ numerator }} = 0, 1, 0) ELSE 1 - {{ numerator }} / {{ denominator }} END{% else %}1 - {{ sql.safe_divide(numerator, denominator) }}{% endif -%}
{%- endmacro %}

{# In a printed statement with the 'error' policy: fail, with the count, when rows are invalid. #}
{% macro invalid_guard(checks) -%}
{%- if guard %}
WHERE
{% for column, message in checks %}
  {{ 'AND ' if not loop.first }}IF({{ column }} > 0, {{ sql.error_with_count(column, message) }}, TRUE)
{% endfor %}
{% endif -%}
{%- endmacro %}

{% macro header(lines) %}
{% for line in lines %}
-- {{ line }}
{% endfor %}
{% endmacro %}

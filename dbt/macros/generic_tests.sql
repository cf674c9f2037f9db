{#-
  generic_tests.sql: dbt tests for a split model. Plain SQL that means the same on BigQuery and DuckDB
  (no dialect macro is needed); dbt runs them as it runs its own tests: each returns the failing rows.

  They do not go through render_template: dbt gives a test only the macros its body calls by name
  (dbt's TestMacroNamespace follows static calls), so they call the package's macros as bqml_tools.x(...).
-#}

{# The key columns as a list, each checked (identifiers.column). #}
{% macro key_list(key) %}
  {%- set columns = [key] if key is string else key -%}
  {%- if not columns -%}{{ exceptions.raise_compiler_error("no key column: pass key: COLUMN (a list for a composite key)") }}{%- endif -%}
  {%- for column in columns -%}{%- do bqml_tools.check_column(column, 'key column') -%}{%- endfor -%}
  {{- return(columns) -}}
{% endmacro %}

{#- split_stable: no key changed split since the last build. `previous` holds the last build's rows (a dbt
    snapshot of the model, a deferred production relation, or a table kept for the purpose), with the key
    columns and the split column; a key in both whose split differs is a failing row (key, split, previous
    split). Keys only in one of them (new or removed rows) are not failures. -#}
{% test split_stable(model, key, previous, column_name='split') %}
{%- set columns = bqml_tools.key_list(key) -%}
{%- set split = adapter.quote(bqml_tools.check_column(column_name, 'split column')) -%}
SELECT
  {% for column in columns %}_bqml_now.{{ adapter.quote(column) }}, {% endfor %}
  _bqml_now.{{ split }} AS {{ adapter.quote('split_now') }},
  _bqml_before.{{ split }} AS {{ adapter.quote('split_before') }}
FROM {{ model }} AS _bqml_now
JOIN {{ previous }} AS _bqml_before
  ON {% for column in columns %}_bqml_now.{{ adapter.quote(column) }} = _bqml_before.{{ adapter.quote(column) }}{{ ' AND ' if not loop.last }}{% endfor %}

WHERE _bqml_now.{{ split }} IS DISTINCT FROM _bqml_before.{{ split }}
{% endtest %}

{#- split_fractions_within_bounds: each split holds about its share of the keys. With T distinct keys in
    the named splits and a split's fraction f, its key count k is binomial(T, f) when the hash spreads the
    keys evenly; a split fails when |k - T f| > sigmas * sqrt(T f (1 - f)) + 1, the rule of the library's
    split report (which warns there), and only from 100 keys on, as there. `fractions` as in split (the
    ones the model was built with); rows of other splits (a NULL-key split) are not counted. -#}
{% test split_fractions_within_bounds(model, key, fractions='train=0.8,valid=0.1,test=0.1', column_name='split', sigmas=4) %}
{%- set columns = bqml_tools.key_list(key) -%}
{%- set split = adapter.quote(bqml_tools.check_column(column_name, 'split column')) -%}
{%- if sigmas is boolean or sigmas is not number or sigmas <= 0 -%}
  {{- exceptions.raise_compiler_error('sigmas ' ~ sigmas ~ ' must be a positive number, e.g. 4') -}}
{%- endif -%}
{%- set parsed = bqml_tools.parse_fractions(fractions) -%}
{#- f = n / d; the rule times d, in integers but for the square root: |k d - T n| > sigmas sqrt(T) sqrt(n (d - n)) + d -#}
WITH keys AS (
  SELECT _bqml_split, COUNT(*) AS _bqml_keys
  FROM (
    SELECT DISTINCT {% for column in columns %}{{ adapter.quote(column) }}, {% endfor %}{{ split }} AS _bqml_split
    FROM {{ model }}
  ) AS distinct_keys
  GROUP BY _bqml_split
),
asked AS (
{% for name, fraction in parsed %}
  SELECT '{{ name }}' AS _bqml_split, {{ fraction[0] }} AS _bqml_n, {{ fraction[1] }} AS _bqml_d{{ ' UNION ALL' if not loop.last }}
{% endfor %}
),
counted AS (
  SELECT asked._bqml_split, asked._bqml_n, asked._bqml_d, COALESCE(keys._bqml_keys, 0) AS _bqml_keys
  FROM asked
  LEFT JOIN keys ON keys._bqml_split = asked._bqml_split
),
total AS (
  SELECT SUM(_bqml_keys) AS _bqml_total FROM counted
)
SELECT
  counted._bqml_split AS {{ adapter.quote('split') }},
  counted._bqml_keys AS {{ adapter.quote('keys') }},
  total._bqml_total * counted._bqml_n / counted._bqml_d AS {{ adapter.quote('expected_keys') }}
FROM counted
CROSS JOIN total
WHERE total._bqml_total >= 100
  AND ABS(counted._bqml_keys * counted._bqml_d - total._bqml_total * counted._bqml_n)
      > {{ sigmas }} * SQRT(total._bqml_total) * SQRT(counted._bqml_n * (counted._bqml_d - counted._bqml_n)) + counted._bqml_d
{% endtest %}

{#-
  _keys.sql: dialect-free macros shared by the split templates (imported with context).

  key_string(key, salt_component)  the canonical key string (README, "Keys"):
      one column and no salt:  the column's canonical string, e.g. CAST(id AS STRING);
      otherwise:               each part written as <length>:<text>, concatenated; the salt
                               (already in that form) comes first.
      `||` yields NULL when any part is NULL, so a row's key is NULL when any key column is.
  fingerprint(key, salt_component)  FARM_FINGERPRINT of that string.
  bucket(key, salt_component, buckets)  ABS(MOD(fingerprint, buckets)): ABS outside MOD, so INT64 min cannot overflow.
  split_case(plan, bucket, null_split)  CASE over consecutive bucket ranges.
-#}
{% macro key_string(key, salt_component) -%}
{%- if key | length == 1 and salt_component is none -%}
{{ sql.key_string(sql.quote(key[0].name), key[0].kind) }}
{%- else -%}
{%- if salt_component is not none %}{{ sql.value('salt', salt_component) }} || {% endif -%}
{%- for column in key -%}
{%- set text = sql.key_string(sql.quote(column.name), column.kind) -%}
CAST(LENGTH({{ text }}) AS STRING) || ':' || {{ text }}{{ ' || ' if not loop.last }}
{%- endfor -%}
{%- endif -%}
{%- endmacro %}

{% macro fingerprint(key, salt_component) %}{{ sql.fingerprint(key_string(key, salt_component)) }}{% endmacro %}

{% macro bucket(key, salt_component, buckets) %}ABS(MOD({{ fingerprint(key, salt_component) }}, {{ buckets | int }})){% endmacro %}

{% macro split_case(plan, bucket, null_split) -%}
CASE
{% if null_split is not none %}
    WHEN {{ bucket }} IS NULL THEN {{ sql.value('null_split', null_split) }}
{% endif %}
{% for name in plan.names %}
{% if loop.last %}
    ELSE {{ sql.value('split_' ~ loop.index0, name) }}
{% else %}
    WHEN {{ bucket }} < {{ plan.upper[loop.index0] | int }} THEN {{ sql.value('split_' ~ loop.index0, name) }}
{% endif %}
{% endfor %}
  END
{%- endmacro %}

{# Which rows the query keeps: the sample, and NULL keys per the policy. #}
{% macro sample_filter(plan, bucket, null_keys) -%}
{%- set sampled = plan.sample_upper < plan.buckets -%}
{%- if sampled and null_keys == 'split' -%}
WHERE {{ bucket }} < {{ plan.sample_upper | int }} OR {{ bucket }} IS NULL
{%- elif sampled -%}
WHERE {{ bucket }} < {{ plan.sample_upper | int }}
{%- elif null_keys == 'drop' -%}
WHERE {{ bucket }} IS NOT NULL
{%- endif -%}
{%- endmacro %}

{% macro header(lines) %}
{% for line in lines %}
-- {{ line }}
{% endfor %}
{% endmacro %}

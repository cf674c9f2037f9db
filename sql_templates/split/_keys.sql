{#-
  _keys.sql: dialect-free macros shared by the split templates (imported with context).

  With h = FARM_FINGERPRINT(key string), N = plan.buckets, M = plan.slots:
    split   bucket = ABS(MOD(h, N)); the splits take consecutive bucket ranges from 0 (textbook);
    sample  slot   = ABS(MOD(DIV(h, N), M)); a key is sampled iff slot < plan.threshold.
  DIV(h, N) is the part of h above the bucket, so the sample never correlates with the split,
  a key's split is the same at every rate, and a larger rate only adds keys.
  ABS goes outside MOD, so INT64 min cannot overflow.

  key_string(key, salt_component)  the canonical key string (README, "Keys"):
      one column and no salt:  the column's canonical string, e.g. CAST(id AS STRING);
      otherwise:               each part written as <length>:<text>, concatenated; the salt
                               (already in that form) comes first.
      `||` yields NULL when any part is NULL, so a row's key is NULL when any key column is.
  fingerprint(key, salt_component)  FARM_FINGERPRINT of that string.
  bucket(key, salt_component, buckets)  ABS(MOD(fingerprint, buckets)), from the key columns.
  bucket_of(hash, plan) / slot_of(hash, plan)  the split bucket and the sample slot of a hash column.
  split_case(plan, bucket, null_split, null_is_null)  CASE over consecutive bucket ranges; a NULL
      bucket goes to null_split, or stays NULL with null_is_null.
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

{% macro bucket_of(hash, plan) %}ABS(MOD({{ hash }}, {{ plan.buckets | int }})){% endmacro %}

{% macro slot_of(hash, plan) %}ABS(MOD({{ sql.int_divide(hash, plan.buckets | int) }}, {{ plan.slots | int }})){% endmacro %}

{% macro split_case(plan, bucket, null_split, null_is_null=false) -%}
CASE
{% if null_split is not none %}
    WHEN {{ bucket }} IS NULL THEN {{ sql.value('null_split', null_split) }}
{% elif null_is_null %}
    WHEN {{ bucket }} IS NULL THEN NULL
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

{% macro null_key_error(key) %}{{ sql.error('bqml_tools: NULL key in ' ~ (key | map(attribute='name') | join(', ')) ~ '; rerun with --null-keys drop or --null-keys split:NAME') }}{% endmacro %}

{% macro comment_header(lines) %}
{% for line in lines %}
-- {{ line }}
{% endfor %}
{% endmacro %}

{#-
  name: assignments
  For auditing a split: each row's key columns, key string, fingerprint, bucket and split
  (NULL when outside the sample or the key is NULL). One scan, no guard: nothing raises.
  params: src, key, salt_component, plan (as split.sql), header_lines
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.header(header_lines) }}
WITH keyed AS (
  SELECT
{% for column in key %}
    {{ sql.quote(column.name) }},
{% endfor %}
    {{ k.key_string(key, salt_component) }} AS key_string
  FROM {{ sql.relation(src) }}
),
hashed AS (
  SELECT *, {{ sql.fingerprint('key_string') }} AS fingerprint
  FROM keyed
)
SELECT
  *,
  ABS(MOD(fingerprint, {{ plan.buckets | int }})) AS bucket,
  CASE
    WHEN ABS(MOD(fingerprint, {{ plan.buckets | int }})) < {{ plan.sample_upper | int }}
    THEN {{ k.split_case(plan, 'ABS(MOD(fingerprint, ' ~ (plan.buckets | int) ~ '))', none) }}
  END AS {{ sql.quote(split_column) }}
FROM hashed

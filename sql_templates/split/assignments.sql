{#-
  name: assignments
  For auditing a split: each row's key string, fingerprint, bucket and split (the key's split,
  the same at every sample rate); with a sample, also its sample slot and whether it is sampled.
  Only working columns come out (under fixed names no source column can shadow); a NULL key
  gives NULLs. One scan, no guard: nothing raises.
  params: src, key, salt_component, plan (as split.sql), header_lines
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.comment_header(header_lines) }}
WITH keyed AS (
  SELECT {{ k.key_string(key, salt_component) }} AS _bqml_key
  FROM {{ sql.relation(src) }}
),
hashed AS (
  SELECT _bqml_key, {{ sql.fingerprint('_bqml_key') }} AS _bqml_hash
  FROM keyed
),
bucketed AS (
  SELECT
    _bqml_key,
    _bqml_hash,
{% if plan.sampled %}
    {{ k.bucket_of('_bqml_hash', plan) }} AS _bqml_bucket,
    {{ k.slot_of('_bqml_hash', plan) }} AS _bqml_slot
{% else %}
    {{ k.bucket_of('_bqml_hash', plan) }} AS _bqml_bucket
{% endif %}
  FROM hashed
)
SELECT
  _bqml_key AS key_string,
  _bqml_hash AS fingerprint,
  _bqml_bucket AS bucket,
  {{ k.split_case(plan, '_bqml_bucket', none, true) }} AS split{{ ',' if plan.sampled }}
{% if plan.sampled %}
  _bqml_slot AS sample_slot,
  _bqml_slot < {{ plan.threshold | int }} AS sampled
{% endif %}
FROM bucketed

{#-
  name: split_profile
  One row per (part, split): how many rows and distinct keys land where, for the split report
  and the NULL-key check. One scan of `src`; the fingerprint is computed once per distinct key.
  part: 'sampled' (in the sample), 'unsampled' (outside it), 'null_key'. `split` is the key's
  split, which does not depend on the sample.
  params: src, key, salt_component, plan, null_split (as in split.sql), header_lines
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.comment_header(header_lines) }}
WITH keyed AS (
  SELECT {{ k.key_string(key, salt_component) }} AS _bqml_key
  FROM {{ sql.relation(src) }}
),
per_key AS (
  SELECT _bqml_key, COUNT(*) AS _bqml_rows
  FROM keyed
  GROUP BY _bqml_key
),
hashed AS (
  SELECT _bqml_key, _bqml_rows, {{ sql.fingerprint('_bqml_key') }} AS _bqml_hash
  FROM per_key
),
bucketed AS (
  SELECT
    _bqml_key,
    _bqml_rows,
    {{ k.bucket_of('_bqml_hash', plan) }} AS _bqml_bucket,
{% if plan.sampled %}
    CASE
      WHEN _bqml_hash IS NULL THEN 'null_key'
      WHEN {{ k.slot_of('_bqml_hash', plan) }} < {{ plan.threshold | int }} THEN 'sampled'
      ELSE 'unsampled'
    END AS _bqml_part
{% else %}
    CASE WHEN _bqml_hash IS NULL THEN 'null_key' ELSE 'sampled' END AS _bqml_part
{% endif %}
  FROM hashed
),
classified AS (
  SELECT
    _bqml_key,
    _bqml_rows,
    _bqml_part,
    {{ k.split_case(plan, '_bqml_bucket', none, true) | indent(2) }} AS _bqml_split
  FROM bucketed
)
SELECT
  _bqml_part AS part,
  _bqml_split AS split,
  CAST(NULL AS STRING) AS stratum,
  SUM(_bqml_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(_bqml_rows) AS max_key_rows
FROM classified
GROUP BY _bqml_part, _bqml_split

{#-
  name: split_profile
  One row per (part, split): how many rows and distinct keys land where, for the split report
  and the NULL-key check. One scan of `src`; the fingerprint is computed once per distinct key.
  part: 'sampled' (in a split), 'unsampled' (outside the sample), 'null_key'.
  params: src, key, salt_component, plan, null_split (as in split.sql), header_lines
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.header(header_lines) }}
WITH keys AS (
  SELECT {{ k.key_string(key, salt_component) }} AS _bqml_key
  FROM {{ sql.relation(src) }}
),
per_key AS (
  SELECT _bqml_key, COUNT(*) AS n_rows
  FROM keys
  GROUP BY _bqml_key
),
placed AS (
  SELECT _bqml_key, n_rows, ABS(MOD({{ sql.fingerprint('_bqml_key') }}, {{ plan.buckets | int }})) AS _bqml_bucket
  FROM per_key
),
classified AS (
  SELECT
    _bqml_key,
    n_rows,
    CASE
      WHEN _bqml_bucket IS NULL THEN 'null_key'
      WHEN _bqml_bucket < {{ plan.sample_upper | int }} THEN 'sampled'
      ELSE 'unsampled'
    END AS part,
    CASE WHEN _bqml_bucket < {{ plan.sample_upper | int }} THEN {{ k.split_case(plan, '_bqml_bucket', none) }} END AS split
  FROM placed
)
SELECT
  part,
  split,
  CAST(NULL AS STRING) AS stratum,
  SUM(n_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(n_rows) AS max_key_rows
FROM classified
GROUP BY part, split

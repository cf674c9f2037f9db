{#-
  name: stratified_profile
  One row per (part, split, stratum) of a stratified split: rows, distinct keys, the largest
  key's rows. part: 'sampled', 'unsampled', 'null_key', 'null_label'. Nothing raises here, so
  NULL keys and labels can be counted before the split query refuses them.
  params: as stratified_split.sql
-#}
{% import 'split/_keys.sql' as k with context %}
{% import 'split/_stratified.sql' as s with context %}
{{ k.header(header_lines) }}
WITH
{{ s.ctes(src, key, salt_component, plan, stratum, null_keys, fine, cumulative, denominator, false) }},
classified AS (
  SELECT
    b._bqml_key,
    b._bqml_stratum,
    a._bqml_split,
    CASE
      WHEN b._bqml_key IS NULL THEN 'null_key'
      WHEN b._bqml_stratum IS NULL THEN 'null_label'
      WHEN b._bqml_bucket < {{ (plan.sample_upper * fine) | int }} THEN 'sampled'
      ELSE 'unsampled'
    END AS part
  FROM bucketed AS b
  LEFT JOIN assigned AS a
    ON b._bqml_stratum = a._bqml_stratum AND b._bqml_bucket = a._bqml_bucket
),
per_key AS (
  SELECT part, _bqml_split, _bqml_stratum, _bqml_key, COUNT(*) AS n_rows
  FROM classified
  GROUP BY part, _bqml_split, _bqml_stratum, _bqml_key
)
SELECT
  part,
  _bqml_split AS split,
  _bqml_stratum AS stratum,
  SUM(n_rows) AS n_rows,
  COUNT(_bqml_key) AS n_keys,
  MAX(n_rows) AS max_key_rows
FROM per_key
GROUP BY part, split, stratum

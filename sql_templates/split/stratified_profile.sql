{#-
  name: stratified_profile
  One row per (part, split, label) of a stratified split: the rows carrying that label, the
  keys whose stratum (majority label) it is, the largest key's rows. `split` is the key's split,
  so a key's rows count in one split only. part: 'sampled', 'unsampled', 'null_key',
  'null_label'. Nothing raises here, so NULL keys and labels can be counted before the split
  query refuses them.
  params: as stratified_split.sql
-#}
{% import 'split/_keys.sql' as k with context %}
{% import 'split/_stratified.sql' as s with context %}
{{ k.comment_header(header_lines) }}
WITH
{{ s.stratified_ctes(src, key, salt_component, plan, stratum, null_keys, fine, cumulative, denominator, false) }},
classified AS (
  SELECT
    CASE
      WHEN _bqml_l._bqml_key IS NULL THEN 'null_key'
      WHEN _bqml_l._bqml_label IS NULL THEN 'null_label'
      ELSE _bqml_s._bqml_part
    END AS _bqml_part,
    _bqml_s._bqml_split,
    _bqml_l._bqml_label,
    _bqml_l._bqml_rows,
    CASE WHEN _bqml_l._bqml_label = _bqml_s._bqml_stratum THEN 1 ELSE 0 END AS _bqml_is_stratum,
    COALESCE(_bqml_s._bqml_key_rows, _bqml_l._bqml_rows) AS _bqml_key_rows
  FROM key_labels AS _bqml_l
  LEFT JOIN key_splits AS _bqml_s
    ON _bqml_l._bqml_key = _bqml_s._bqml_key
)
SELECT
  _bqml_part AS part,
  _bqml_split AS split,
  _bqml_label AS stratum,
  SUM(_bqml_rows) AS n_rows,
  SUM(_bqml_is_stratum) AS n_keys,
  MAX(_bqml_key_rows) AS max_key_rows
FROM classified
GROUP BY _bqml_part, _bqml_split, _bqml_label

{#-
  name: stratified_split
  Like split.sql, but every value of `stratum` (a label column) follows the fractions on its
  own (see _stratified.sql). Reads `src` twice: once to count rows per (label, fine bucket),
  once to emit the rows.
  params: as split.sql, plus
    stratum       {name, kind}: the label column
    fine          fine positions per bucket
    cumulative    numerators C_i of the cumulative fractions over `denominator`
    denominator   D
-#}
{% import 'split/_keys.sql' as k with context %}
{% import 'split/_stratified.sql' as s with context %}
{{ k.header(header_lines) }}
WITH
{{ s.ctes(src, key, salt_component, plan, stratum, null_keys, fine, cumulative, denominator, true) }}
SELECT
  {{ sql.star_except(['_bqml_key', '_bqml_stratum', '_bqml_hash', '_bqml_bucket'], 'b') }}{% if only_split is none %},
{% if null_split is not none %}
  COALESCE(a._bqml_split, {{ sql.value('null_split', null_split) }}) AS {{ sql.quote(split_column) }}
{% else %}
  a._bqml_split AS {{ sql.quote(split_column) }}
{% endif %}
{% endif %}
FROM bucketed AS b
LEFT JOIN assigned AS a
  ON b._bqml_stratum = a._bqml_stratum AND b._bqml_bucket = a._bqml_bucket
{% if only_split is not none %}
WHERE {{ 'a._bqml_split IS NULL OR ' if only_split == null_split }}a._bqml_split = {{ sql.value('only_split', only_split) }}
{% endif %}

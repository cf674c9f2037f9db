{#-
  name: stratified_split
  Like split.sql, but every label value follows the fractions on its own while a key's rows
  stay in one split (see _stratified.sql: keys are stratified by their majority label). Reads
  `src` twice: once for the (key, label) counts, once to emit the rows (filtered by the sample
  before the join).
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
  {{ sql.star_except(['_bqml_key', '_bqml_label'], '_bqml_r') }}{% if only_split is none %},
{% if null_split is not none %}
  COALESCE(_bqml_s._bqml_split, {{ sql.value('null_split', null_split) }}) AS {{ sql.quote(split_column) }}
{% else %}
  _bqml_s._bqml_split AS {{ sql.quote(split_column) }}
{% endif %}
{% endif %}
{% if plan.sampled %}
FROM (
  -- the rows of sampled keys only (and NULL keys, which have no slot) reach the join
  SELECT * FROM keyed
  WHERE {{ k.slot_of(sql.fingerprint('_bqml_key'), plan) }} < {{ plan.threshold | int }}{% if null_split is not none %} OR _bqml_key IS NULL{% endif %}

) AS _bqml_r
{% else %}
FROM keyed AS _bqml_r
{% endif %}
{{ 'LEFT JOIN' if null_split is not none else 'JOIN' }} key_splits AS _bqml_s
  ON _bqml_r._bqml_key = _bqml_s._bqml_key
{% set conditions = [] %}
{% if only_split is none %}
{% if plan.sampled %}{% do conditions.append('_bqml_s._bqml_split IS NOT NULL') %}{% endif %}
{% elif only_split in plan.names %}
{% do conditions.append('_bqml_s._bqml_split = ' ~ sql.value('only_split', only_split)) %}
{% endif %}
{% if null_split is not none and (only_split == null_split or (only_split is none and conditions)) %}
{% do conditions.append('_bqml_r._bqml_key IS NULL') %}
{% endif %}
{% if conditions %}
WHERE {{ conditions | join(' OR ') }}
{% endif %}

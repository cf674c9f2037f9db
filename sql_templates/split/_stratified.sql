{#-
  _stratified.sql: the CTEs of a stratified, grouped split (imported with context).

  Keys are stratified, not rows, so a key's rows never span two splits:
    1. rows are counted per (key, label)  -- one aggregate;
    2. each key's stratum is its majority label, ties to the smallest label text: a window
       *partitioned by key* over that aggregate (never over raw rows);
    3. per key, h = FARM_FINGERPRINT(key string); the sample keeps the key iff
       ABS(MOD(DIV(h, N), M)) < threshold, as in a plain split; the key's fine position is
         ABS(MOD(h, N)) * FINE + ABS(MOD(DIV(h, N * M), FINE))
       (the plain split's bucket order, ties broken by a part of h the sample does not read);
    4. sampled keys' rows are counted per (stratum, fine position)  -- small; each position
       carries its keys as an array, so the keys come back from it (step 6) without a second
       reading of the (key, label) aggregate;
    5. a window *partitioned by stratum* over that small result places each position at the
       midpoint of its cumulative share of rows, and the midpoint picks the split: position p
       goes to split i when  (2 * cumulative - rows) * D < 2 * stratum_total * C_i,  all
       integers, where C_i / D is the cumulative fraction of splits 0..i;
    6. every sampled row (the big side filtered by its key's sample slot first) gets its key's split.
  `guard`: ERROR() on NULL keys or labels (the split query); without it (the profile) such
  rows are kept and classified instead. Every working column and alias starts with _bqml_.
-#}
{% import 'split/_keys.sql' as k with context %}
{% macro ctes(src, key, salt_component, plan, stratum, null_keys, fine, cumulative, denominator, guard) %}
keyed AS (
  SELECT
    *,
{% if guard and null_keys == 'error' %}
    COALESCE({{ k.key_string(key, salt_component) }}, {{ k.null_key_error(key) }}) AS _bqml_key,
{% else %}
    {{ k.key_string(key, salt_component) }} AS _bqml_key,
{% endif %}
{% if guard %}
    COALESCE({{ sql.key_string(sql.quote(stratum.name), stratum.kind) }}, {{ sql.error('bqml_tools: NULL label in ' ~ stratum.name ~ '; stratified splits need a label on every row: filter or fill them first') }}) AS _bqml_label
{% else %}
    {{ sql.key_string(sql.quote(stratum.name), stratum.kind) }} AS _bqml_label
{% endif %}
  FROM {{ sql.relation(src) }}
),
key_labels AS (
  SELECT _bqml_key, _bqml_label, COUNT(*) AS _bqml_rows
  FROM keyed
  GROUP BY _bqml_key, _bqml_label
),
ranked AS (
  SELECT
    _bqml_key,
    _bqml_label,
    SUM(_bqml_rows) OVER (PARTITION BY _bqml_key) AS _bqml_key_rows,
    ROW_NUMBER() OVER (PARTITION BY _bqml_key ORDER BY _bqml_rows DESC, _bqml_label) AS _bqml_rank
  FROM key_labels
  WHERE _bqml_key IS NOT NULL AND _bqml_label IS NOT NULL
),
hashed AS (
  SELECT _bqml_key, _bqml_label AS _bqml_stratum, _bqml_key_rows, {{ sql.fingerprint('_bqml_key') }} AS _bqml_hash
  FROM ranked
  WHERE _bqml_rank = 1
),
positioned AS (
  SELECT
    _bqml_key,
    _bqml_stratum,
    _bqml_key_rows,
{% if plan.sampled %}
    CASE WHEN {{ k.slot_of('_bqml_hash', plan) }} < {{ plan.threshold | int }} THEN 'sampled' ELSE 'unsampled' END AS _bqml_part,
{% else %}
    'sampled' AS _bqml_part,
{% endif %}
    {{ k.bucket_of('_bqml_hash', plan) }} * {{ fine | int }}
      + ABS(MOD({{ sql.int_divide('_bqml_hash', (plan.buckets * plan.slots) | int) }}, {{ fine | int }})) AS _bqml_position
  FROM hashed
),
strata AS (
  -- per position, its keys as an array: the keys come back from it (key_splits), so positioned is
  -- read once (BigQuery re-evaluates a CTE, here the (key, label) aggregate, at every reference)
  SELECT
    _bqml_part,
    _bqml_stratum,
    _bqml_position,
    SUM(_bqml_key_rows) AS _bqml_rows,
    ARRAY_AGG({{ sql.struct_of(['_bqml_key', '_bqml_key_rows']) }}) AS _bqml_keys
  FROM positioned
{% if plan.sampled and guard %}
  WHERE _bqml_part = 'sampled'
{% endif %}
  GROUP BY _bqml_part, _bqml_stratum, _bqml_position
),
placed AS (
  SELECT
    *,
    2 * SUM(_bqml_rows) OVER (PARTITION BY _bqml_part, _bqml_stratum ORDER BY _bqml_position) - _bqml_rows AS _bqml_twice_midpoint,
    2 * SUM(_bqml_rows) OVER (PARTITION BY _bqml_part, _bqml_stratum) AS _bqml_twice_total
  FROM strata
),
assigned AS (
  SELECT
    _bqml_part,
    _bqml_stratum,
    _bqml_keys,
    CASE
      WHEN _bqml_part <> 'sampled' THEN NULL
{% for name in plan.names %}
{% if loop.last %}
      ELSE {{ sql.value('split_' ~ loop.index0, name) }}
{% else %}
      WHEN _bqml_twice_midpoint * {{ denominator | int }} < _bqml_twice_total * {{ cumulative[loop.index0] | int }} THEN {{ sql.value('split_' ~ loop.index0, name) }}
{% endif %}
{% endfor %}
    END AS _bqml_split
  FROM placed
),
key_splits AS (
  SELECT
    _bqml_member._bqml_key AS _bqml_key,
    _bqml_stratum,
    _bqml_member._bqml_key_rows AS _bqml_key_rows,
    _bqml_part,
    _bqml_split
  FROM assigned
  CROSS JOIN {{ sql.unnest_as('_bqml_keys', '_bqml_member') }}
)
{%- endmacro %}

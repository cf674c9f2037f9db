{#-
  _stratified.sql: the CTEs of a stratified split (imported with context).

  Each stratum (label value) follows the fractions on its own, deterministically, with no
  window over raw rows:
    1. bucket = ABS(MOD(h, buckets)) as in a plain split (same sample, same nesting); within
       the sample a fine position  bucket * FINE + ABS(MOD(DIV(h, buckets), FINE)),
       which orders keys like the plain split does and breaks ties with the quotient of h;
    2. rows are counted per (stratum, fine position)  -- one aggregate, small;
    3. a window *partitioned by stratum* over that small result places each position at the
       midpoint of its cumulative share, and that midpoint picks the split: position p goes to
       split i when  (2 * cumulative - rows) * D < 2 * stratum_total * C_i,  all integers,
       where C_i / D is the cumulative fraction of splits 0..i.
  Rows with the same key and label stay together. `guard`: ERROR() on NULL keys or labels
  (the split query); without it (the profile) such rows are kept and classified instead.
-#}
{% import 'split/_keys.sql' as k with context %}
{% macro ctes(src, key, salt_component, plan, stratum, null_keys, fine, cumulative, denominator, guard) %}
keyed AS (
  SELECT
    *,
{% if guard and null_keys == 'error' %}
    COALESCE({{ k.key_string(key, salt_component) }}, {{ sql.error('bqml_tools: NULL key in ' ~ (key | map(attribute='name') | join(', ')) ~ '; rerun with --null-keys drop or --null-keys split:NAME') }}) AS _bqml_key,
{% else %}
    {{ k.key_string(key, salt_component) }} AS _bqml_key,
{% endif %}
{% if guard %}
    COALESCE({{ sql.key_string(sql.quote(stratum.name), stratum.kind) }}, {{ sql.error('bqml_tools: NULL label in ' ~ stratum.name ~ '; stratified splits need a label on every row: filter or fill them first') }}) AS _bqml_stratum
{% else %}
    {{ sql.key_string(sql.quote(stratum.name), stratum.kind) }} AS _bqml_stratum
{% endif %}
  FROM {{ sql.relation(src) }}
),
hashed AS (
  SELECT *, {{ sql.fingerprint('_bqml_key') }} AS _bqml_hash
  FROM keyed
),
bucketed AS (
  SELECT
    *,
    ABS(MOD(_bqml_hash, {{ plan.buckets | int }})) * {{ fine | int }}
      + ABS(MOD({{ sql.int_divide('_bqml_hash', plan.buckets | int) }}, {{ fine | int }})) AS _bqml_bucket
  FROM hashed
{% if guard %}
{% if plan.sample_upper < plan.buckets %}
  WHERE ABS(MOD(_bqml_hash, {{ plan.buckets | int }})) < {{ plan.sample_upper | int }}{{ ' OR _bqml_hash IS NULL' if null_keys == 'split' }}
{% elif null_keys == 'drop' %}
  WHERE _bqml_hash IS NOT NULL
{% endif %}
{% endif %}
),
strata AS (
  SELECT _bqml_stratum, _bqml_bucket, COUNT(*) AS n_rows
  FROM bucketed
  WHERE _bqml_bucket < {{ (plan.sample_upper * fine) | int }} AND _bqml_stratum IS NOT NULL
  GROUP BY _bqml_stratum, _bqml_bucket
),
placed AS (
  SELECT
    _bqml_stratum,
    _bqml_bucket,
    2 * SUM(n_rows) OVER (PARTITION BY _bqml_stratum ORDER BY _bqml_bucket) - n_rows AS twice_midpoint,
    2 * SUM(n_rows) OVER (PARTITION BY _bqml_stratum) AS twice_total
  FROM strata
),
assigned AS (
  SELECT
    _bqml_stratum,
    _bqml_bucket,
    CASE
{% for name in plan.names %}
{% if loop.last %}
      ELSE {{ sql.value('split_' ~ loop.index0, name) }}
{% else %}
      WHEN twice_midpoint * {{ denominator | int }} < twice_total * {{ cumulative[loop.index0] | int }} THEN {{ sql.value('split_' ~ loop.index0, name) }}
{% endif %}
{% endfor %}
    END AS _bqml_split
  FROM placed
)
{%- endmacro %}

{#-
  name: split
  Every sampled row of `src` with all its columns plus `split_column`; with `only_split`, the
  rows of that one split and no extra column (what a training pipeline reads).
  Without a sample the query is the textbook one: one CTE, bucket = ABS(MOD(h, N)). With a
  sample, h is computed once and read twice: the bucket (split) and the slot (sample), see
  _keys.sql. One scan of `src`.
  params:
    src              identifiers.Source
    key              list of {name, kind}: key columns and their canonical types
    salt_component   "<length>:<salt>" or none
    plan             plan.BucketPlan
    null_keys        'error' (ERROR() on a NULL key) | 'drop' | 'split' (to null_split)
    null_split       split name for NULL keys, or none
    split_column     name of the added column
    only_split       a split name, or none
    header_lines     comment lines describing the query
    store_slots      keep the bucket and the sample slot as columns split_bucket, sample_slot
-#}
{% macro split_template() %}{# the body as a macro, which the dbt package calls too (dbt/macros/render.sql gives it k) #}
{% if k is not defined %}{% import 'split/_keys.sql' as k with context %}{% endif %}
{% set slots = store_slots is defined and store_slots %}{# optional: the dbt package never stores slots #}
{{ k.header(header_lines) }}
{% if plan.sampled or slots %}
{% set hash_expr = k.fingerprint(key, salt_component) %}
WITH hashed AS (
  SELECT
    *,
{% if null_keys == 'error' %}
    COALESCE(
      {{ hash_expr }},
      {{ k.null_key_error(key) }}
    ) AS _bqml_hash
{% else %}
    {{ hash_expr }} AS _bqml_hash
{% endif %}
  FROM {{ sql.relation(src) }}
),
bucketed AS (
  SELECT
    *,
    {{ k.bucket_of('_bqml_hash', plan) }} AS _bqml_bucket,
    {{ k.slot_of('_bqml_hash', plan) }} AS _bqml_slot
  FROM hashed
)
{% set working = ['_bqml_hash', '_bqml_bucket', '_bqml_slot'] %}
{% set in_sample = '_bqml_slot < ' ~ (plan.threshold | int) if plan.sampled else none %}
{% else %}
{% set bucket_expr = k.bucket(key, salt_component, plan.buckets) %}
WITH bucketed AS (
  SELECT
    *,
{% if null_keys == 'error' %}
    COALESCE(
      {{ bucket_expr }},
      {{ k.null_key_error(key) }}
    ) AS _bqml_bucket
{% else %}
    {{ bucket_expr }} AS _bqml_bucket
{% endif %}
  FROM {{ sql.relation(src) }}
)
{% set working = ['_bqml_bucket'] %}
{% set in_sample = none %}
{% endif %}
{% set conditions = [] %}
{% if only_split is none %}
{% if in_sample is not none %}{% do conditions.append(in_sample) %}
{% elif null_keys == 'drop' %}{% do conditions.append('_bqml_bucket IS NOT NULL') %}{% endif %}
{% else %}
{% if only_split in plan.names %}
{% set i = plan.names.index(only_split) %}
{% set member = [] %}
{% if plan.lower[i] > 0 %}{% do member.append('_bqml_bucket >= ' ~ (plan.lower[i] | int)) %}{% endif %}
{% do member.append('_bqml_bucket < ' ~ (plan.upper[i] | int)) %}
{% if in_sample is not none %}{% do member.append(in_sample) %}{% endif %}
{% do conditions.append(member | join(' AND ')) %}
{% endif %}
{% endif %}
{% if null_keys == 'split' and (only_split is none and in_sample is not none or only_split == null_split) %}
{% do conditions.append('_bqml_bucket IS NULL') %}
{% endif %}
SELECT
  {{ sql.star_except(working) }}{{ ',' if only_split is none or slots }}
{% if slots %}
  _bqml_bucket AS split_bucket,
  _bqml_slot AS sample_slot{{ ',' if only_split is none }}
{% endif %}
{% if only_split is none %}
  {{ k.split_case(plan, '_bqml_bucket', null_split) }} AS {{ sql.quote(split_column) }}
{% endif %}
FROM bucketed
{% if conditions | length == 1 %}
WHERE {{ conditions[0] }}
{% elif conditions %}
WHERE {% for c in conditions %}{{ '(' ~ c ~ ')' if ' AND ' in c else c }}{{ ' OR ' if not loop.last }}{% endfor %}

{% endif %}
{% endmacro %}{{ split_template() }}

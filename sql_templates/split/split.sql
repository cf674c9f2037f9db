{#-
  name: split
  Every sampled row of `src` with all its columns plus `split_column`; with `only_split`, the
  rows of that one split and no extra column (what a training pipeline reads).
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
-#}
{% import 'split/_keys.sql' as k with context %}
{{ k.header(header_lines) }}
{% set bucket_expr = k.bucket(key, salt_component, plan.buckets) %}
WITH bucketed AS (
  SELECT
    *,
{% if null_keys == 'error' %}
    COALESCE(
      {{ bucket_expr }},
      {{ sql.error('bqml_tools: NULL key in ' ~ (key | map(attribute='name') | join(', ')) ~ '; rerun with --null-keys drop or --null-keys split:NAME') }}
    ) AS _bqml_bucket
{% else %}
    {{ bucket_expr }} AS _bqml_bucket
{% endif %}
  FROM {{ sql.relation(src) }}
)
SELECT
{% if only_split is none %}
  {{ sql.star_except(['_bqml_bucket']) }},
  {{ k.split_case(plan, '_bqml_bucket', null_split) }} AS {{ sql.quote(split_column) }}
FROM bucketed
{{ k.sample_filter(plan, '_bqml_bucket', null_keys) }}
{% else %}
  {{ sql.star_except(['_bqml_bucket']) }}
FROM bucketed
{% set conditions = [] %}
{% if only_split in plan.names %}
{% set i = plan.names.index(only_split) %}
{% do conditions.append(('_bqml_bucket >= ' ~ (plan.lower[i] | int) ~ ' AND ' if plan.lower[i] > 0 else '') ~ '_bqml_bucket < ' ~ (plan.upper[i] | int)) %}
{% endif %}
{% if only_split == null_split %}
{% do conditions.append('_bqml_bucket IS NULL') %}
{% endif %}
WHERE {{ conditions | join(' OR ') }}
{% endif %}

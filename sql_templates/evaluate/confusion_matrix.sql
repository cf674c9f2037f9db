{#-
  name: confusion_matrix
  The long-format confusion matrix: one row per (group, actual, predicted) with its count. One
  scan. Invalid rows form the (NULL, NULL) cell; each row carries its group's invalid-row and
  valid-row counts (checked in Python as evaluate's metrics do), and a group with no valid row
  keeps that one cell for its counts. With --weight each cell also has `weight`, its summed weight
  (scikit-learn's confusion_matrix with sample_weight; `rows` still counts rows), and each row
  its group's count of invalid weights.
  params: as multiclass.sql
-#}
{% import 'evaluate/_common.sql' as c with context %}
{% import 'evaluate/_multiclass.sql' as m with context %}
{{ c.header(header_lines) }}
WITH
{{ m.multiclass_ctes(with_classes=false) }},
counted AS (
  SELECT
    *,
{% if weight %}
    CAST(SUM(invalid_n) OVER ({{ c.partition() }}) AS INT64) AS invalid_rows,
{% else %}
    CAST(SUM(IF(actual IS NULL, n, 0)) OVER ({{ c.partition() }}) AS INT64) AS invalid_rows,
{% endif %}
    CAST(SUM(IF(actual IS NULL, 0, n)) OVER ({{ c.partition() }}) AS INT64) AS group_rows{% if weight %},
    CAST(SUM(invalid_weight_n) OVER ({{ c.partition() }}) AS INT64) AS invalid_weight_rows{% endif %}

  FROM confusion
)
SELECT
  {{ c.groups_out() }}actual,
  predicted,
  CAST(n AS INT64) AS {{ sql.quote('rows') }},{% if weight %}
  weight,{% endif %}

  invalid_rows,
  group_rows{% if weight %},
  invalid_weight_rows{% endif %}

FROM counted
{{ m.multiclass_invalid_guard(condition='actual IS NOT NULL OR group_rows = 0') }}
ORDER BY {{ c.groups() }}actual, predicted
